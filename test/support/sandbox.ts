// A throwaway "remote host" that belongs to one test file alone, for faults
// that must not touch the shared test host (scripts/testhost). scripts/sandbox
// makes and runs it (see there and docs/testhost.md):
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
// The sandbox's owner is this process: `destroy()` removes it, and so does its
// watchdog once this process is gone however it ended (a hook timed out, the
// run was interrupted or killed); the next sandbox made on this machine first
// removes whatever an earlier one left.

import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, connect, type Server as NetServer, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

import { repoRoot } from "./testhost";

/** scripts/sandbox, the one place that starts, stops and removes sandboxes. */
export const sandboxScript = join(repoRoot, "scripts", "sandbox");

const run = promisify(execFile);

/** Run scripts/sandbox; on failure the error carries its stderr. */
export function sandboxCli(...args: string[]): string {
  try {
    return execFileSync(sandboxScript, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/sandbox ${args.join(" ")} failed: ${e.message}\n${e.stderr ?? ""}`, { cause: err });
  }
}

/** What `scripts/sandbox create` prints. */
export interface SandboxDescription {
  id: string;
  ns: string;
  hostIf: string;
  dir: string;
  hostAddr: string;
  address: string;
  sshPort: number;
  clientKeyFile: string;
  hostPublicKey: string;
  sshdLog: string;
  dockerSocket: string;
  dockerdLog: string;
  owner: number;
}

export interface SandboxOptions {
  /** Start a dockerd of its own inside the namespace. */
  dockerd?: boolean;
}

/** Sandboxes of this process not destroyed yet: removed when it exits. */
const live = new Set<Sandbox>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A normal exit (the watchdog covers every other end).
  process.once("exit", () => {
    for (const sb of live) sb.destroy();
  });
}

export class Sandbox {
  readonly id: string;
  readonly ns: string;
  /** Host end of the veth pair; the namespace end is `eth0`. */
  readonly hostIf: string;
  readonly dir: string;
  readonly hostAddr: string;
  /** The namespace's address: where its sshd listens (port 22). */
  readonly address: string;
  readonly sshPort: number;
  /** Private key authorized for root by this sandbox's sshd. */
  readonly clientKey: string;
  readonly hostPublicKey: string;
  readonly sshdLog: string;
  readonly dockerSocket: string;
  readonly dockerdLog: string;
  private destroyed = false;

  constructor(opts: SandboxOptions = {}) {
    const args = ["create", "--owner", String(process.pid)];
    if (opts.dockerd) args.push("--dockerd");
    const d = JSON.parse(sandboxCli(...args)) as SandboxDescription;
    this.id = d.id;
    this.ns = d.ns;
    this.hostIf = d.hostIf;
    this.dir = d.dir;
    this.hostAddr = d.hostAddr;
    this.address = d.address;
    this.sshPort = d.sshPort;
    this.hostPublicKey = d.hostPublicKey;
    this.sshdLog = d.sshdLog;
    this.dockerSocket = d.dockerSocket;
    this.dockerdLog = d.dockerdLog;
    live.add(this);
    installExitHook();
    try {
      this.clientKey = readFileSync(d.clientKeyFile, "utf8");
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /**
   * Shape the link with a tc qdisc on both ends of the veth pair, e.g.
   * `["tbf", "rate", "2mbit", "burst", "32kb", "latency", "400ms"]`.
   */
  shape(qdisc: string[]): void {
    sandboxCli("shape", this.dir, ...qdisc);
  }

  unshape(): void {
    sandboxCli("unshape", this.dir);
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

  startSshd(): void {
    sandboxCli("sshd", "start", this.dir);
  }

  /** Kill every SSH session (the connections drop) but keep the listener. */
  killSshSessions(): void {
    sandboxCli("sshd", "kill-sessions", this.dir);
  }

  /** Stop the listener and every session. */
  stopSshd(): void {
    sandboxCli("sshd", "stop", this.dir);
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
    sandboxCli("dockerd", "start", this.dir);
  }

  /** Stop dockerd (SIGTERM; containerd goes with it). */
  stopDockerd(): void {
    sandboxCli("dockerd", "stop", this.dir);
  }

  restartDockerd(): void {
    sandboxCli("dockerd", "restart", this.dir);
  }

  /** As restartDockerd, without blocking this process's event loop (its SSH traffic keeps flowing). */
  async restartDockerdAsync(): Promise<void> {
    try {
      await run(sandboxScript, ["dockerd", "restart", this.dir], { timeout: 300_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`scripts/sandbox dockerd restart failed: ${e.message}\n${e.stderr ?? ""}`, { cause: err });
    }
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

  /** Remove everything: processes, namespace, links, mounts, files. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    sandboxCli("destroy", this.dir);
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
