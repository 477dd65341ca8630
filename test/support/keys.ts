import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A key pair made by ssh-keygen, as users have them. (ssh2's own generator
 * now and then writes an ed25519 key that neither ssh2 nor OpenSSH can load.)
 * `public` is the `.pub` line without its comment.
 */
export function sshKeygen(
  type = "ed25519",
  opts: { bits?: number; passphrase?: string } = {},
): { private: string; public: string } {
  const dir = mkdtempSync(join(tmpdir(), "dy-key-"));
  try {
    const args = [
      "-q",
      "-t",
      type,
      ...(opts.bits ? ["-b", String(opts.bits)] : []),
      "-N",
      opts.passphrase ?? "",
      "-C",
      "",
      "-f",
      join(dir, "k"),
    ];
    execFileSync("ssh-keygen", args);
    const pub = readFileSync(join(dir, "k.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
    return { private: readFileSync(join(dir, "k"), "utf8"), public: pub };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
