// A throwaway "remote host" that belongs to one test file alone, for faults
// that must not touch the shared test host (scripts/testhost):
//
//   - a network namespace `dyrel-<id>` joined to this machine by a veth pair
//     (addresses from 100.64.0.0/10, checked against the routes in use), whose
//     link can be shaped with `tc` (the kernel here has tbf but no netem, so
//     latency comes from DelayProxy below);
//   - an sshd listening only inside that namespace, with its own host key, its
//     own client key (authorized through its own file) and its own log;
//   - a dockerd of its own, started inside the namespace with its own
//     --data-root, --exec-root, --pidfile and socket, --bridge=none and
//     --iptables=false: its bridge networks live in the namespace, and it can be
//     stopped and restarted at will;
//   - DelayProxy: a TCP proxy on 127.0.0.1 that delays every chunk in both
//     directions (a slow link), and can drop every connection it carries.
//
// Everything is named with the sandbox's id and removed by `destroy()`.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import { createServer, connect, type Server as NetServer, type Socket } from "node:net";
import { join } from "node:path";

function sh(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return (r.stdout ?? "").trim();
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `ms`, then SIGKILL. */
function terminate(pids: number[], ms = 10_000): void {
  for (const p of pids) {
    try {
      process.kill(p, "SIGTERM");
    } catch {
      // gone
    }
  }
  const until = Date.now() + ms;
  while (Date.now() < until && pids.some(alive)) sleepMs(50);
  for (const p of pids.filter(alive)) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // gone
    }
  }
  const until2 = Date.now() + 5000;
  while (Date.now() < until2 && pids.some(alive)) sleepMs(50);
}

function childrenOf(pid: number): number[] {
  const out = sh("pgrep", ["-P", String(pid)], { allowFail: true });
  const kids = out.split("\n").filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...childrenOf(k)]);
}

/** A free 100.64.0.0/10 /30 not routed anywhere on this machine. */
function freeLinkNet(): { hostAddr: string; nsAddr: string } {
  const routes = sh("ip", ["-4", "route", "show", "table", "all"], { allowFail: true });
  for (let i = 0; i < 50; i++) {
    const b = 64 + Math.floor(Math.random() * 64);
    const c = Math.floor(Math.random() * 256);
    const d = Math.floor(Math.random() * 64) * 4;
    const prefix = `100.${b}.${c}.`;
    if (routes.includes(prefix)) continue;
    return { hostAddr: `${prefix}${d + 1}`, nsAddr: `${prefix}${d + 2}` };
  }
  throw new Error("no free 100.64.0.0/10 link network");
}

export interface SandboxOptions {
  /** Start a dockerd of its own inside the namespace. */
  dockerd?: boolean;
}

export class Sandbox {
  readonly id = randomBytes(3).toString("hex");
  readonly ns = `dyrel-${this.id}`;
  /** Host end of the veth pair; the namespace end is `eth0`. */
  readonly hostIf = `dyrel${this.id}`;
  readonly dir: string;
  readonly hostAddr: string;
  /** The namespace's address: where its sshd listens (port 22). */
  readonly address: string;
  readonly sshPort = 22;
  /** Private key authorized for root by this sandbox's sshd. */
  readonly clientKey: string;
  readonly hostPublicKey: string;
  readonly sshdLog: string;
  readonly dockerSocket: string;
  readonly dockerdLog: string;
  private readonly sshdConf: string;
  private readonly sshdPidFile: string;
  private readonly dockerdPidFile: string;
  private dockerdWanted = false;

  constructor(opts: SandboxOptions = {}) {
    // Short: unix socket paths under it must stay below 108 bytes.
    this.dir = mkdtempSync(`/tmp/dyrel-${this.id}-`);
    const { hostAddr, nsAddr } = freeLinkNet();
    this.hostAddr = hostAddr;
    this.address = nsAddr;
    this.sshdConf = join(this.dir, "sshd.conf");
    this.sshdPidFile = join(this.dir, "sshd.pid");
    this.sshdLog = join(this.dir, "sshd.log");
    this.dockerSocket = join(this.dir, "docker.sock");
    this.dockerdLog = join(this.dir, "dockerd.log");
    this.dockerdPidFile = join(this.dir, "dockerd.pid");
    try {
      this.setUpNetwork();
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", this.ns, "-f", join(this.dir, "host_key")]);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", this.ns, "-f", join(this.dir, "client_key")]);
      this.clientKey = readFileSync(join(this.dir, "client_key"), "utf8");
      this.hostPublicKey = readFileSync(join(this.dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
      writeFileSync(join(this.dir, "authorized_keys"), readFileSync(join(this.dir, "client_key.pub")), { mode: 0o600 });
      this.writeSshdConf();
      this.startSshd();
      if (opts.dockerd) this.startDockerd();
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  private setUpNetwork(): void {
    sh("ip", ["netns", "add", this.ns]);
    sh("ip", ["link", "add", this.hostIf, "type", "veth", "peer", "name", "eth0", "netns", this.ns]);
    sh("ip", ["addr", "add", `${this.hostAddr}/30`, "dev", this.hostIf]);
    sh("ip", ["link", "set", this.hostIf, "up"]);
    sh("ip", ["-n", this.ns, "addr", "add", `${this.address}/30`, "dev", "eth0"]);
    sh("ip", ["-n", this.ns, "link", "set", "eth0", "up"]);
    sh("ip", ["-n", this.ns, "link", "set", "lo", "up"]);
  }

  /** Run a command inside the namespace (network only; the file system is shared). */
  private nsArgs(cmd: string, args: string[]): [string, string[]] {
    return ["nsenter", [`--net=/run/netns/${this.ns}`, cmd, ...args]];
  }

  /**
   * Shape the link with a tc qdisc on both ends of the veth pair, e.g.
   * `["tbf", "rate", "2mbit", "burst", "32kb", "latency", "400ms"]`.
   */
  shape(qdisc: string[]): void {
    sh("tc", ["qdisc", "replace", "dev", this.hostIf, "root", ...qdisc]);
    sh("ip", ["netns", "exec", this.ns, "tc", "qdisc", "replace", "dev", "eth0", "root", ...qdisc]);
  }

  unshape(): void {
    sh("tc", ["qdisc", "del", "dev", this.hostIf, "root"], { allowFail: true });
    sh("ip", ["netns", "exec", this.ns, "tc", "qdisc", "del", "dev", "eth0", "root"], { allowFail: true });
  }

  private linkProxy: DelayProxy | undefined;

  /**
   * The slow link of the fault suites: a tbf rate limit on the veth pair and,
   * in front of the sandbox's sshd, a proxy on 127.0.0.1 that delays every
   * byte `delayMs` each way (this kernel has no netem). Connect to the
   * returned proxy's port; `fastLink()` undoes both.
   */
  async slowLink(delayMs = 150): Promise<DelayProxy> {
    this.shape(["tbf", "rate", "2mbit", "burst", "32kb", "latency", "400ms"]);
    this.linkProxy = await new DelayProxy({ host: this.address, port: this.sshPort }, delayMs).start();
    return this.linkProxy;
  }

  async fastLink(): Promise<void> {
    await this.linkProxy?.stop();
    this.linkProxy = undefined;
    this.unshape();
  }

  // ------------------------------------------------------------------ sshd

  private writeSshdConf(): void {
    writeFileSync(
      this.sshdConf,
      [
        `Port ${this.sshPort}`,
        `ListenAddress ${this.address}`,
        "AddressFamily inet",
        `HostKey ${join(this.dir, "host_key")}`,
        `PidFile ${this.sshdPidFile}`,
        "LogLevel VERBOSE",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        // The authorized keys file lives under /tmp, whose mode StrictModes rejects.
        "StrictModes no",
        `AuthorizedKeysFile ${join(this.dir, "authorized_keys")}`,
        "MaxSessions 64",
        "MaxStartups 256",
        "LoginGraceTime 30",
        "UseDNS no",
        "AllowTcpForwarding yes",
        "AllowStreamLocalForwarding yes",
        "X11Forwarding no",
        "PermitTunnel no",
        "PrintMotd no",
        "PrintLastLog no",
        "Subsystem sftp /usr/lib/openssh/sftp-server",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
  }

  startSshd(): void {
    rmSync(this.sshdPidFile, { force: true });
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const [cmd, args] = this.nsArgs("/usr/sbin/sshd", ["-f", this.sshdConf, "-E", this.sshdLog]);
    sh(cmd, args);
    for (let i = 0; i < 100 && !this.listening(); i++) sleepMs(50);
    if (!this.listening()) throw new Error(`sandbox sshd did not start: ${this.tail(this.sshdLog)}`);
  }

  private listening(): boolean {
    const out = sh("ip", ["netns", "exec", this.ns, "ss", "-Hltn", `sport = :${this.sshPort}`], { allowFail: true });
    return out.length > 0;
  }

  private sshdPids(): number[] {
    const inNs = sh("ip", ["netns", "pids", this.ns], { allowFail: true }).split("\n").filter(Boolean).map(Number);
    return inNs.filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, "utf8").trim().startsWith("sshd");
      } catch {
        return false;
      }
    });
  }

  private listenerPid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.sshdPidFile, "utf8").trim());
      return pid && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Kill every SSH session (the connections drop) but keep the listener. */
  killSshSessions(): void {
    const listener = this.listenerPid();
    const sessions = this.sshdPids().filter((p) => p !== listener);
    terminate(sessions.flatMap((p) => [p, ...childrenOf(p)]));
  }

  /** Stop the listener and every session. */
  stopSshd(): void {
    const pids = this.sshdPids();
    terminate(pids.flatMap((p) => [p, ...childrenOf(p)]));
    rmSync(this.sshdPidFile, { force: true });
  }

  /** The sshd log from `offset` (bytes) on. */
  sshdLogSince(offset = 0): string {
    try {
      return readFileSync(this.sshdLog).subarray(offset).toString("utf8");
    } catch {
      return "";
    }
  }

  sshdLogSize(): number {
    try {
      return readFileSync(this.sshdLog).length;
    } catch {
      return 0;
    }
  }

  // --------------------------------------------------------------- dockerd

  startDockerd(): void {
    this.dockerdWanted = true;
    mkdirSync(join(this.dir, "data"), { recursive: true });
    mkdirSync(join(this.dir, "x"), { recursive: true });
    if (!existsSync(join(this.dir, "daemon.json"))) writeFileSync(join(this.dir, "daemon.json"), "{}\n");
    rmSync(this.dockerdPidFile, { force: true });
    const log = openSync(this.dockerdLog, "a");
    const [cmd, args] = this.nsArgs("dockerd", [
      "--config-file", join(this.dir, "daemon.json"),
      "--host", `unix://${this.dockerSocket}`,
      "--data-root", join(this.dir, "data"),
      "--exec-root", join(this.dir, "x"),
      "--pidfile", this.dockerdPidFile,
      "--bridge=none",
      "--iptables=false",
      "--ip-forward=false",
      "--ip-masq=false",
      "--storage-driver", "vfs",
      "--default-address-pool", "base=10.213.0.0/16,size=24",
    ]);
    const child = spawn(cmd, args, { detached: true, stdio: ["ignore", log, log] });
    child.unref();
    closeSync(log);
    const until = Date.now() + 60_000;
    while (Date.now() < until && !this.dockerAnswers()) sleepMs(100);
    if (!this.dockerAnswers()) throw new Error(`sandbox dockerd did not start: ${this.tail(this.dockerdLog)}`);
  }

  private dockerAnswers(): boolean {
    return spawnSync("docker", ["-H", `unix://${this.dockerSocket}`, "version", "--format", "{{.Server.Version}}"]).status === 0;
  }

  private dockerdPid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.dockerdPidFile, "utf8").trim());
      return pid && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stop dockerd (SIGTERM; containerd goes with it). */
  stopDockerd(): void {
    const pid = this.dockerdPid();
    if (!pid) return;
    const kids = childrenOf(pid);
    terminate([pid], 30_000);
    terminate(kids.filter(alive), 5_000);
  }

  restartDockerd(): void {
    this.stopDockerd();
    this.startDockerd();
  }

  /** As restartDockerd, without blocking this process's event loop (its SSH traffic keeps flowing). */
  async restartDockerdAsync(): Promise<void> {
    const pid = this.dockerdPid();
    if (pid) {
      const kids = childrenOf(pid);
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 600 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      if (alive(pid)) terminate([pid, ...kids]);
      terminate(kids.filter(alive), 5_000);
    }
    this.startDockerd();
  }

  /** The docker CLI against this sandbox's dockerd. */
  docker(...args: string[]): string {
    return execFileSync("docker", ["-H", `unix://${this.dockerSocket}`, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  }

  /** Names of this dockerd's networks (built-in ones excluded), optionally only those with a label. */
  networks(label?: string): string[] {
    const args = ["network", "ls", "--format", "{{.Name}}"];
    if (label) args.push("--filter", `label=${label}`);
    return this.docker(...args)
      .split("\n")
      .filter((n) => n && !["bridge", "host", "none"].includes(n));
  }

  private tail(file: string): string {
    try {
      return readFileSync(file, "utf8").slice(-1500);
    } catch {
      return "(no log)";
    }
  }

  /** Remove everything: processes, namespace, links, files. Safe to call twice. */
  destroy(): void {
    if (this.dockerdWanted || this.dockerdPid()) {
      try {
        for (const n of this.networks()) spawnSync("docker", ["-H", `unix://${this.dockerSocket}`, "network", "rm", n]);
      } catch {
        // dockerd is down; its data goes with the directory
      }
      this.stopDockerd();
    }
    // Whatever still runs in the namespace (sshd, sessions, a dockerd that lost its pid file).
    const left = sh("ip", ["netns", "pids", this.ns], { allowFail: true }).split("\n").filter(Boolean).map(Number);
    terminate(left, 10_000);
    sh("ip", ["link", "del", this.hostIf], { allowFail: true });
    sh("ip", ["netns", "del", this.ns], { allowFail: true });
    spawnSync("umount", ["-R", join(this.dir, "x")]);
    spawnSync("umount", ["-R", join(this.dir, "data")]);
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * A TCP proxy on 127.0.0.1 that holds every chunk for `delayMs` in each
 * direction before passing it on (order kept): a link with 2 × delayMs of
 * round-trip latency. `dropAll()` cuts every connection it carries.
 */
export class DelayProxy {
  private server: NetServer | undefined;
  private readonly sockets = new Set<Socket>();
  private held: Array<() => void> | undefined;
  port = 0;
  connections = 0;

  constructor(
    private readonly target: { host: string; port: number },
    public delayMs: number,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      this.connections++;
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.setNoDelay(true);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      // Everything (data, end, close) goes through one delayed, order-keeping path.
      const later = (fn: () => void, extra = 0) => {
        const pass = () => setTimeout(fn, this.delayMs + extra);
        if (this.held) this.held.push(pass);
        else pass();
      };
      const relay = (from: Socket, to: Socket) => {
        from.on("data", (chunk) => later(() => !to.destroyed && to.write(chunk)));
        from.on("end", () => later(() => to.end()));
        from.on("close", () => later(() => to.destroy(), 5));
      };
      relay(client, upstream);
      relay(upstream, client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** The link stalls: nothing passes (and nothing is lost) until resume(). */
  stall(): void {
    this.held ??= [];
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const pass of held) pass();
  }

  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
