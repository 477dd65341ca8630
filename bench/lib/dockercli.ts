// The docker CLI talking to the test host over SSH (`docker -H ssh://…`), the
// way a shell script (or Coolify) drives a remote daemon.
//
// The CLI's connection helper runs `ssh -o ConnectTimeout=30 -T -l USER -p PORT
// -- HOST docker system dial-stdio` from $PATH, with no way to pass more
// options. OpenSSH reads ~/.ssh/config from the passwd entry's home directory,
// not from $HOME, so a temporary HOME cannot carry the key. Instead `ssh` on
// PATH is a two-line wrapper in a temp dir that adds `-F <temp ssh_config>`
// (identity file, pinned known_hosts, BatchMode) and appends a line to a
// counter file (one line per ssh process, i.e. per SSH handshake).
//
// Two flavours: `plain` (one SSH connection per docker command, what a script
// does by default) and `mux` (OpenSSH connection sharing: ControlMaster auto +
// ControlPersist, which Coolify enables): the first command's ssh becomes a
// background master and later ones ride on it.
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nowMs } from "./stats";
import type { BenchHost } from "./deploy";

export type Flavour = "plain" | "mux";

interface FlavourSetup {
  config: string;
  bin: string;
  counter: string;
  env: NodeJS.ProcessEnv;
}

class DockerCli {
  readonly dir: string;
  readonly host: string;
  readonly realSsh: string;
  readonly flavours = {} as Record<Flavour, FlavourSetup>;

  /** @param h the test host's env.json */
  constructor(
    readonly h: BenchHost,
    { prefix = "dybench" }: { prefix?: string } = {},
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-cli-`));
    this.host = `ssh://root@${h.host}:${h.port}`;
    this.realSsh = execFileSync("sh", ["-c", "command -v ssh"], { encoding: "utf8" }).trim();
    if (!this.realSsh) throw new Error("no ssh client on PATH (apt-get install openssh-client)");
    const knownHosts = path.join(this.dir, "known_hosts");
    const hostPattern = Number(h.port) === 22 ? h.host : `[${h.host}]:${h.port}`;
    fs.writeFileSync(knownHosts, `${hostPattern} ${h.hostPublicKey}\n`);
    fs.mkdirSync(path.join(this.dir, "home"));
    for (const flavour of ["plain", "mux"] as const) {
      const lines = [
        `Host ${h.host}`,
        `  IdentityFile ${h.rootKey}`,
        `  IdentitiesOnly yes`,
        `  IdentityAgent none`,
        `  UserKnownHostsFile ${knownHosts}`,
        `  GlobalKnownHostsFile /dev/null`,
        `  StrictHostKeyChecking yes`,
        `  BatchMode yes`,
        `  LogLevel ERROR`,
      ];
      if (flavour === "mux") {
        lines.push(`  ControlMaster auto`, `  ControlPath ${path.join(this.dir, "cm-%C")}`, `  ControlPersist 300`);
      } else {
        lines.push(`  ControlMaster no`, `  ControlPath none`);
      }
      const config = path.join(this.dir, `ssh_config.${flavour}`);
      fs.writeFileSync(config, lines.join("\n") + "\n");
      const bin = path.join(this.dir, `bin-${flavour}`);
      fs.mkdirSync(bin);
      const counter = path.join(this.dir, `ssh-count.${flavour}`);
      fs.writeFileSync(counter, "");
      fs.writeFileSync(
        path.join(bin, "ssh"),
        `#!/bin/sh\necho >>'${counter}'\nexec '${this.realSsh}' -F '${config}' "$@"\n`,
        { mode: 0o755 },
      );
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        HOME: path.join(this.dir, "home"),
        DOCKER_CONFIG: path.join(this.dir, "docker"),
      };
      delete env.DOCKER_HOST;
      delete env.DOCKER_CONTEXT;
      delete env.DOCKER_TLS_VERIFY;
      this.flavours[flavour] = { config, bin, counter, env };
    }
  }

  /** ssh processes the wrapper has started for a flavour so far. */
  sshCount(flavour: Flavour): number {
    return fs.readFileSync(this.flavours[flavour].counter, "utf8").length;
  }

  /** Run `docker -H ssh://… <args>`; resolves to milliseconds taken (stdout discarded). */
  run(flavour: Flavour, args: string[]): Promise<number> {
    const { env } = this.flavours[flavour];
    return new Promise<number>((resolve, reject) => {
      const t0 = nowMs();
      execFile(
        "docker",
        ["-H", this.host, ...args],
        { env, cwd: this.dir, maxBuffer: 64 << 20 },
        (err, _out, stderr) => {
          const ms = nowMs() - t0;
          if (err) reject(new Error(`docker ${args.join(" ")} failed: ${String(stderr).trim() || err.message}`));
          else resolve(ms);
        },
      );
    });
  }

  /**
   * A shell script's sequential loop: `for n in NAMES; do docker -H … network <verb> "$n"; done`,
   * run by bash with the given flavour's environment. Resolves to milliseconds for the whole loop.
   */
  loop(flavour: Flavour, verb: string, names: string[]): Promise<number> {
    const { env } = this.flavours[flavour];
    const list = path.join(this.dir, `names-${process.pid}-${Date.now()}`);
    fs.writeFileSync(list, names.join("\n") + "\n");
    const script = `set -e\nwhile read -r n; do docker -H "$DOCKYARD_BENCH_HOST" network ${verb} "$n" >/dev/null; done <"$1"\n`;
    return new Promise<number>((resolve, reject) => {
      const t0 = nowMs();
      const child = spawn("bash", ["-c", script, "bash", list], {
        env: { ...env, DOCKYARD_BENCH_HOST: this.host },
        cwd: this.dir,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        const ms = nowMs() - t0;
        fs.rmSync(list, { force: true });
        if (code === 0) resolve(ms);
        else reject(new Error(`docker network ${verb} loop failed (exit ${code}): ${stderr.trim().slice(0, 500)}`));
      });
    });
  }

  /** `ssh -O <command>` for the mux master; user and port as the docker CLI passes them, since they are part of ControlPath's %C. */
  controlArgs(command: string): string[] {
    return ["-F", this.flavours.mux.config, "-l", "root", "-p", String(this.h.port), "-O", command, this.h.host];
  }

  /** Pid of the shared-connection (mux) master, or undefined when none runs. */
  masterPid(): number | undefined {
    // `ssh -O check` exits 0 and prints "Master running (pid=N)" on stderr when a master runs.
    const r = spawnSync(this.realSsh, this.controlArgs("check"), { encoding: "utf8", timeout: 10_000 });
    const m = r.status === 0 ? /pid=(\d+)/.exec(`${r.stdout}${r.stderr}`) : null;
    return m ? Number(m[1]) : undefined;
  }

  /** Stop the shared-connection master, if one runs, and delete the temp dir. */
  close(): void {
    try {
      execFileSync(this.realSsh, this.controlArgs("exit"), { stdio: "ignore", timeout: 10_000 });
    } catch {
      // no master running
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export { DockerCli };
