import { describe, expect, it } from "vitest";
import { cidrsOverlap, cidrWithin, parseCidr, type Cidr } from "../../provider/destination/cidr";
import { describeHostKey, hostKeyFingerprint } from "../../provider/transport/ssh/hostkey";
import { shellCommand, shellQuote } from "../../provider/transport/shell";
import { openChannel } from "../../provider/transport/ssh/deadlines";
import { endpointKey } from "../../provider/transport/ssh/ssh-pool";
import { TimeoutError, UnsupportedError } from "../../provider/errors";
import { negotiateApiVersion } from "../../provider/transport/docker/api-version";
import type { ClientChannel } from "ssh2";
import { describeEndpoint } from "../../provider/transport/endpoint";
import { compareApiVersions, swarmRoleOf } from "../../provider/server/daemon-facts";
import { sshKeygen } from "../support/keys";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function cidr(t: string): Cidr {
  const c = parseCidr(t);
  if (typeof c === "string") throw new Error(c);
  return c;
}

describe("CIDR", () => {
  it("parses v4 and v6 and rejects host bits", () => {
    expect(cidr("10.20.0.0/16").prefix).toBe(16);
    expect(cidr("fd00:1::/64").family).toBe(6);
    expect(parseCidr("10.20.0.1/16")).toMatch(/host bits set; the network is 10.20.0.0\/16/);
    expect(parseCidr("fd00::1/64")).toMatch(/host bits/);
  });
  it("detects overlap and containment", () => {
    expect(cidrsOverlap(cidr("10.0.0.0/8"), cidr("10.1.0.0/16"))).toBe(true);
    expect(cidrsOverlap(cidr("10.1.0.0/16"), cidr("10.2.0.0/16"))).toBe(false);
    expect(cidrsOverlap(cidr("10.0.0.0/8"), cidr("fd00::/8"))).toBe(false);
    expect(cidrWithin(cidr("10.1.1.0/24"), cidr("10.1.0.0/16"))).toBe(true);
    expect(cidrWithin(cidr("10.0.0.0/8"), cidr("10.1.0.0/16"))).toBe(false);
  });
});

describe("host keys", () => {
  it("computes the same fingerprint as ssh-keygen", () => {
    const dir = mkdtempSync(join(tmpdir(), "dy-hk-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
    const line = readFileSync(join(dir, "k.pub"), "utf8").trim();
    const expected = execFileSync("ssh-keygen", ["-lf", join(dir, "k.pub")], { encoding: "utf8" }).split(" ")[1];
    expect(hostKeyFingerprint(line)).toBe(expected);
    expect(hostKeyFingerprint(expected!)).toBe(expected);
    const blob = Buffer.from(line.split(" ")[1]!, "base64");
    expect(describeHostKey(blob)).toEqual({ fingerprint: expected, publicKey: line.split(" ").slice(0, 2).join(" ") });
  });
  it("rejects text that is neither a key nor a fingerprint, and type-mismatched keys", () => {
    expect(hostKeyFingerprint("hello")).toBeUndefined();
    expect(hostKeyFingerprint(`ssh-rsa ${sshKeygen().public.split(" ")[1]}`)).toBeUndefined();
  });
});

describe("shell quoting", () => {
  it("quotes so that no argument becomes syntax", () => {
    expect(shellQuote("plain/path.sock")).toBe("plain/path.sock");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellCommand(["docker", "-H", "unix:///x y", "system", "dial-stdio"])).toBe("docker -H 'unix:///x y' system dial-stdio");
    const out = execFileSync("sh", ["-c", `printf %s ${shellQuote("$(echo pwned)'\"`;")}`], { encoding: "utf8" });
    expect(out).toBe("$(echo pwned)'\"`;");
  });
});

describe("endpoints", () => {
  const e = { host: "h", port: 22, user: "root", perDialTimeout: 15, dialErrorLimit: 10 };
  it("keys pool entries by every connection setting, without secrets in the key", () => {
    expect(endpointKey(e)).toBe(endpointKey({ ...e }));
    expect(endpointKey(e)).not.toBe(endpointKey({ ...e, port: 2222 }));
    expect(endpointKey({ ...e, privateKey: "k1" })).not.toBe(endpointKey({ ...e, privateKey: "k2" }));
    expect(endpointKey({ ...e, password: "hunter2" })).not.toContain("hunter2");
  });
  it("describes endpoints for messages", () => {
    expect(describeEndpoint({ ...e, host: "::1", proxy: { ...e, host: "jump" } })).toBe("root@[::1]:22 (via root@jump:22)");
  });
});

describe("daemon facts", () => {
  it("compares API versions numerically", () => {
    expect(compareApiVersions("1.41", "1.41")).toBe(0);
    expect(compareApiVersions("1.9", "1.41")).toBeLessThan(0);
    expect(compareApiVersions("1.45", "1.41")).toBeGreaterThan(0);
  });
  it("speaks the oldest Engine API both sides support, and refuses daemons older than 1.41", () => {
    // Debian 12's docker.io (20.10): its own version.
    expect(negotiateApiVersion({ Version: "20.10.24+dfsg1", ApiVersion: "1.41", MinAPIVersion: "1.12" }, "t")).toBe("1.41");
    // Newer daemons that still accept 1.41 get 1.41, so responses keep one shape.
    expect(negotiateApiVersion({ Version: "27.5.1", ApiVersion: "1.47", MinAPIVersion: "1.24" }, "t")).toBe("1.41");
    // Docker 29 accepts nothing older than 1.44.
    expect(negotiateApiVersion({ Version: "29.0.0", ApiVersion: "1.52", MinAPIVersion: "1.44" }, "t")).toBe("1.44");
    let err: unknown;
    try {
      negotiateApiVersion({ Version: "20.10.0-old", ApiVersion: "1.40", MinAPIVersion: "1.12" }, "root@h:22");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe(
      "root@h:22: Docker 20.10.0-old speaks Engine API 1.40; Dockyard needs API 1.41 (Docker 20.10) or newer. Upgrade Docker on the server.",
    );
  });
  it("derives the swarm role", () => {
    expect(swarmRoleOf(undefined)).toBe("none");
    expect(swarmRoleOf({ LocalNodeState: "inactive" })).toBe("none");
    expect(swarmRoleOf({ LocalNodeState: "active", ControlAvailable: true })).toBe("manager");
    expect(swarmRoleOf({ LocalNodeState: "active", ControlAvailable: false })).toBe("worker");
  });
});

describe("opening a channel with a deadline", () => {
  /** A stand-in for an ssh2 channel: only `close` matters here. */
  const fakeChannel = () => {
    const ch = { closed: 0, close: () => void ch.closed++ };
    return ch;
  };

  it("returns the channel when it arrives in time", async () => {
    const ch = fakeChannel();
    const got = await openChannel("t", "opening x", 1000, (cb) => setTimeout(() => cb(undefined, ch as unknown as ClientChannel), 5));
    expect(got).toBe(ch);
    expect(ch.closed).toBe(0);
  });

  it("times out, and closes a channel that arrives after the deadline instead of leaking it", async () => {
    const ch = fakeChannel();
    let deliver: () => void = () => undefined;
    const opening = openChannel("t", "opening x", 20, (cb) => (deliver = () => cb(undefined, ch as unknown as ClientChannel)));
    await expect(opening).rejects.toBeInstanceOf(TimeoutError);
    deliver();
    expect(ch.closed).toBe(1);
  });

  it("maps a refusal with the caller's mapping", async () => {
    const refused = openChannel("t", "opening x", 1000, (cb) => cb(new Error("open failed"), undefined as unknown as ClientChannel), (e) => new Error(`mapped: ${e.message}`));
    await expect(refused).rejects.toThrow("mapped: open failed");
  });
});
