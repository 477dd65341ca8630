import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeHostKey, hostKeyAlgorithms, hostKeyFingerprint } from "../../../../provider/transport/ssh/hostkey";
import { sshKeygen } from "../../../support/keys";

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

describe("host-key algorithms", () => {
  it("negotiates the pinned key's own algorithm; nothing is forced for a fingerprint", () => {
    expect(hostKeyAlgorithms("ssh-rsa AAAAB3NzaC1yc2E")).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    expect(hostKeyAlgorithms("ecdsa-sha2-nistp256 AAAA")).toEqual(["ecdsa-sha2-nistp256"]);
    expect(hostKeyAlgorithms("ssh-ed25519 AAAA")).toEqual(["ssh-ed25519"]);
    expect(hostKeyAlgorithms("SHA256:" + "A".repeat(43))).toBeUndefined();
    expect(hostKeyAlgorithms(undefined)).toBeUndefined();
  });
});
