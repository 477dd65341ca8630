import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestHost } from "./testhost";

/**
 * A throwaway sshd on 127.0.0.1 with a host key of its own, configured like
 * the test host's main sshd. Used to prove host-key enforcement against a
 * server whose key really changes.
 */
export class ScratchSshd {
  readonly dir = mkdtempSync(join(tmpdir(), "dy-sshd-"));
  private pid: number | undefined;

  constructor(
    private readonly h: TestHost,
    readonly port: number,
  ) {}

  /** Generate a new host key; returns its public key line. */
  newHostKey(name: string): string {
    const key = join(this.dir, name);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    return readFileSync(`${key}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  }

  start(hostKeyName: string): void {
    const base = readFileSync(join(this.h.stateDir, "sshd-main.conf"), "utf8")
      .split("\n")
      .filter((l) => !/^(Port|HostKey|PidFile|ListenAddress)\b/.test(l))
      .join("\n");
    const conf = join(this.dir, "sshd.conf");
    const pidFile = join(this.dir, "sshd.pid");
    writeFileSync(
      conf,
      `Port ${this.port}\nListenAddress 127.0.0.1\nHostKey ${join(this.dir, hostKeyName)}\nPidFile ${pidFile}\n${base}\n`,
    );
    rmSync(pidFile, { force: true });
    execFileSync("/usr/sbin/sshd", ["-f", conf, "-E", join(this.dir, "sshd.log")]);
    for (let i = 0; i < 50 && !existsSync(pidFile); i++) execFileSync("sleep", ["0.1"]);
    if (!existsSync(pidFile))
      throw new Error(`sshd did not start: ${readFileSync(join(this.dir, "sshd.log"), "utf8").slice(-500)}`);
    this.pid = Number(readFileSync(pidFile, "utf8").trim());
  }

  stop(): void {
    if (!this.pid) return;
    // The listener and every session it forked; wait until the port is free.
    spawnSync("pkill", ["-f", `sshd -f ${join(this.dir, "sshd.conf")}`]);
    for (let i = 0; i < 50; i++) {
      const listening = spawnSync("ss", ["-Hltn", `sport = :${this.port}`], { encoding: "utf8" }).stdout.trim();
      if (!listening) break;
      execFileSync("sleep", ["0.1"]);
    }
    this.pid = undefined;
  }
}
