import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellCommand, shellQuote } from "../../../provider/transport/shell";

describe("shell quoting", () => {
  it("quotes so that no argument becomes syntax", () => {
    expect(shellQuote("plain/path.sock")).toBe("plain/path.sock");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellCommand(["docker", "-H", "unix:///x y", "system", "dial-stdio"])).toBe(
      "docker -H 'unix:///x y' system dial-stdio",
    );
    const out = execFileSync("sh", ["-c", `printf %s ${shellQuote("$(echo pwned)'\"`;")}`], { encoding: "utf8" });
    expect(out).toBe("$(echo pwned)'\"`;");
  });
});
