import { createHash } from "node:crypto";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import type { Duplex } from "node:stream";
import {
  AuthenticationError,
  ConnectionError,
  DockerPermissionError,
  DockerUnavailableError,
  DockyardError,
  HostKeyMismatchError,
  TimeoutError,
  ValidationError,
  isTransient,
} from "../errors";
import { ChannelSocket } from "./channel-socket";
import { describeHostKey, hostKeyFingerprint, type SeenHostKey } from "./hostkey";
import { shellCommand } from "./shell";
import { DEFAULTS, describeEndpoint, type Logger, type SshEndpoint } from "./types";

/** Counters a pool keeps, for tests and benchmarks. */
export interface TransportMetrics {
  /** Completed SSH handshakes (one per established connection). */
  handshakes: number;
  /** Dial attempts that failed. */
  dialFailures: number;
  /** Channels opened to Docker (forwarded sockets or dial-stdio). */
  channelsOpened: number;
  /** Channels open right now. */
  channelsOpen: number;
}

/** An exec channel whose process's failure (if any) is known once it exits. */
export type ExecChannel = ClientChannel & { exitError?: Promise<Error | undefined> };

const KEEPALIVE_INTERVAL_MS = 10_000;
const KEEPALIVE_COUNT_MAX = 3;
/** ssh2 reason code for "administratively prohibited" channel-open failures. */
const OPEN_ADMINISTRATIVELY_PROHIBITED = 1;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** An error's message without the `user@host:port: ` every connection error starts with. */
function reasonOf(err: unknown, target: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.startsWith(`${target}: `) ? msg.slice(target.length + 2) : msg;
}

/** Run `fn` with a deadline; on expiry reject with a TimeoutError and call `onTimeout`. */
export async function withDeadline<T>(
  target: string,
  what: string,
  ms: number,
  fn: () => Promise<T>,
  onTimeout?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new TimeoutError(target, what, ms));
    }, ms);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Open one channel (`open` is the ssh2 call: forwardOut, exec, …) with a
 * deadline. ssh2 cannot cancel a channel request, so a channel that arrives
 * after the deadline is closed at once instead of staying open on the server
 * (sshd limits open channels per connection). `mapError` turns ssh2's refusal
 * into the caller's error; without it the raw error is passed on.
 */
export function openChannel(
  target: string,
  what: string,
  ms: number,
  open: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void,
  mapError: (err: Error) => unknown = (err) => err,
): Promise<ClientChannel> {
  let timedOut = false;
  return withDeadline(
    target,
    what,
    ms,
    () =>
      new Promise<ClientChannel>((resolve, reject) => {
        open((err, ch) => {
          if (err) return reject(mapError(err));
          if (timedOut) ch.close();
          resolve(ch);
        });
      }),
    () => {
      timedOut = true;
    },
  );
}

/**
 * One SSH connection to one endpoint, shared by every caller. Connects lazily,
 * reconnects after a drop, enforces the host key, and opens channels to the
 * Docker socket.
 */
export class SshSession {
  readonly target: string;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** The host key presented at the last handshake. */
  hostKey: SeenHostKey | undefined;
  /** Set once the server refused stream-local forwarding; later channels use dial-stdio. */
  streamLocalRefused = false;
  private closed = false;

  constructor(
    readonly spec: SshEndpoint,
    private readonly pool: SshPool,
  ) {
    this.target = describeEndpoint(spec);
  }

  /**
   * The connected client, dialling (with bounded retries) if needed.
   * `hostKey` (a key line or fingerprint) is enforced: at the handshake when
   * this call dials, against the key seen when the connection is shared.
   */
  async connect(hostKey?: string): Promise<Client> {
    const expected = hostKey ? hostKeyFingerprint(hostKey) : undefined;
    if (hostKey && !expected) {
      throw new ValidationError("hostKey", "is neither an SSH public key line nor a SHA256: fingerprint");
    }
    let client = this.client;
    if (!client) {
      if (!this.connecting) {
        this.closed = false;
        this.connecting = this.dialWithRetries(expected).finally(() => {
          this.connecting = undefined;
        });
      }
      client = await this.connecting;
    }
    if (expected && this.hostKey && this.hostKey.fingerprint !== expected) {
      throw new HostKeyMismatchError(this.target, expected, this.hostKey.fingerprint);
    }
    return client;
  }

  /**
   * Dial until one attempt succeeds, at most `dialErrorLimit` attempts, all
   * within `perDialTimeout × dialErrorLimit`: each attempt has a slot of
   * `perDialTimeout`, and one that fails early waits a growing pause (at most
   * the rest of its slot) before the next. Each failed attempt is logged as it
   * happens. When every attempt failed, the error says so and gives the last
   * reason.
   */
  private async dialWithRetries(expected: string | undefined): Promise<Client> {
    const limit = Math.max(1, this.spec.dialErrorLimit);
    const perDialMs = this.spec.perDialTimeout * 1000;
    let lastErr: unknown;
    let attempt = 0;
    while (attempt < limit) {
      attempt++;
      const started = Date.now();
      try {
        const c = await this.dialOnce(expected);
        this.client = c;
        return c;
      } catch (err) {
        this.pool.metrics.dialFailures++;
        lastErr = err;
        if (!isTransient(err) || this.closed || attempt === limit) break;
        const pause = Math.max(0, Math.min(250 * 2 ** (attempt - 1), 2_000, perDialMs - (Date.now() - started)));
        this.pool.log(
          `${this.target}: dial ${attempt}/${limit} failed: ${reasonOf(err, this.target)}, retrying${pause > 0 ? ` in ${pause} ms` : ""}`,
        );
        await sleep(pause);
      }
    }
    const err =
      lastErr instanceof DockyardError
        ? lastErr
        : new ConnectionError(this.target, `cannot connect: ${String(lastErr)}`, { cause: lastErr });
    if (err instanceof ConnectionError && isTransient(err)) {
      // Out of attempts: say so, keeping the kind of the last failure.
      err.message = `could not connect to ${this.target} after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${reasonOf(err, this.target)}`;
    }
    // Dialling already retried up to dialErrorLimit: callers must not retry again.
    if (err instanceof ConnectionError) err.dialExhausted = true;
    throw err;
  }

  private async dialOnce(expected: string | undefined): Promise<Client> {
    const spec = this.spec;
    const timeoutMs = spec.perDialTimeout * 1000;
    let mismatch: HostKeyMismatchError | undefined;
    let seen: SeenHostKey | undefined;

    let sock: Duplex | undefined;
    if (spec.proxy) {
      const jump = this.pool.session(spec.proxy);
      sock = await jump.forwardTcp(spec.host, spec.port, timeoutMs, spec.proxy.hostKey);
    }

    const config: ConnectConfig = {
      host: spec.host,
      port: spec.port,
      username: spec.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      hostVerifier: (key: Buffer) => {
        seen = describeHostKey(key);
        if (expected && seen.fingerprint !== expected) {
          mismatch = new HostKeyMismatchError(this.target, expected, seen.fingerprint);
          return false;
        }
        return true;
      },
    };
    if (sock) config.sock = sock;
    if (spec.privateKey) {
      config.privateKey = spec.privateKey;
      if (spec.privateKeyPassword) config.passphrase = spec.privateKeyPassword;
    }
    if (spec.password) {
      config.password = spec.password;
      config.tryKeyboard = true;
    }
    const agent = spec.agentSocketPath ?? (!spec.privateKey && !spec.password ? process.env.SSH_AUTH_SOCK : undefined);
    if (agent) config.agent = agent;

    const client = new Client();
    if (spec.password) {
      const password = spec.password;
      client.on("keyboard-interactive", (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)));
    }

    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(mismatch ?? this.mapDialError(err));
      };
      client.once("ready", () => {
        if (settled) return;
        settled = true;
        this.hostKey = seen;
        this.pool.metrics.handshakes++;
        client.once("close", () => {
          if (this.client === client) this.client = undefined;
        });
        resolve(client);
      });
      // `on`, not `once`: ssh2 may emit more errors after the first, and an
      // unheard error event would crash the process.
      client.on("error", fail);
      client.once("close", () => fail(new Error("connection closed during handshake")));
      try {
        client.connect(config);
        // Set before the handshake, not after: the handshake and every request
        // later are small request/response exchanges, and Nagle's algorithm
        // would add a delayed-ACK wait (~40 ms) to each of them (five during
        // key exchange and public-key authentication alone).
        client.setNoDelay(true);
      } catch (err) {
        fail(err);
      }
    });
  }

  private mapDialError(err: unknown): DockyardError {
    if (err instanceof DockyardError) return err;
    const e = err as Error & { level?: string; code?: string };
    const msg = e?.message ?? String(err);
    if (e?.level === "client-authentication") {
      const methods = [
        this.spec.privateKey ? "private key" : undefined,
        this.spec.password ? "password" : undefined,
        this.spec.agentSocketPath || (!this.spec.privateKey && !this.spec.password && process.env.SSH_AUTH_SOCK)
          ? "agent"
          : undefined,
      ].filter(Boolean);
      return new AuthenticationError(
        this.target,
        `authentication refused for user '${this.spec.user}' (offered: ${methods.join(", ") || "nothing"}). ` +
          `Check that the key is in the user's ~/.ssh/authorized_keys, or that the password is right.`,
        { cause: err },
      );
    }
    if (e?.level === "client-timeout" || /Timed out while waiting for handshake/i.test(msg)) {
      return new TimeoutError(this.target, "SSH handshake", this.spec.perDialTimeout * 1000, { cause: err });
    }
    if (/Cannot parse privateKey|Unsupported key format|no passphrase given|Bad passphrase|Encrypted private/i.test(msg)) {
      const field = /passphrase/i.test(msg) ? "privateKeyPassword" : "privateKey";
      return new ValidationError(field, msg.replace(/^Cannot parse privateKey: /, "cannot be used: "));
    }
    switch (e?.code) {
      case "ECONNREFUSED":
        return new ConnectionError(this.target, `connection refused: is sshd listening on port ${this.spec.port}?`, {
          cause: err,
        });
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return new ConnectionError(this.target, `cannot resolve host '${this.spec.host}'`, { cause: err });
      case "EHOSTUNREACH":
      case "ENETUNREACH":
        return new ConnectionError(this.target, `host unreachable`, { cause: err });
      case "ECONNRESET":
        return new ConnectionError(this.target, `connection reset by the server`, { cause: err });
    }
    return new ConnectionError(this.target, `SSH connection failed: ${msg}`, { cause: err });
  }

  /** A TCP stream to host:port through this session (used for jump hosts). */
  async forwardTcp(host: string, port: number, timeoutMs: number, hostKey?: string): Promise<ClientChannel> {
    const c = await this.connect(hostKey);
    return openChannel(
      this.target,
      `forwarding to ${host}:${port}`,
      timeoutMs,
      (cb) => c.forwardOut("127.0.0.1", 0, host, port, cb),
      (err) => new ConnectionError(this.target, `jump host cannot reach ${host}:${port}: ${err.message}`, { cause: err }),
    );
  }

  /**
   * A socket-like stream to the Docker API on `socketPath`, returned at once
   * and carried by a channel opened behind it: a forwarded unix-socket
   * channel, or `docker system dial-stdio` when the server refuses
   * stream-local forwarding.
   */
  openDockerSocket(socketPath: string, timeoutMs: number, hostKey?: string): ChannelSocket {
    const m = this.pool.metrics;
    return new ChannelSocket(
      this.openDockerChannel(socketPath, timeoutMs, hostKey),
      () => {
        m.channelsOpened++;
        m.channelsOpen++;
      },
      () => {
        m.channelsOpen--;
      },
    );
  }

  private async openDockerChannel(socketPath: string, timeoutMs: number, hostKey?: string): Promise<ClientChannel> {
    const c = await this.connect(hostKey);
    if (!this.streamLocalRefused) {
      try {
        return await openChannel(this.target, `opening ${socketPath}`, timeoutMs, (cb) => c.openssh_forwardOutStreamLocal(socketPath, cb));
      } catch (err) {
        if (err instanceof DockyardError) throw err;
        if ((err as { reason?: number }).reason === OPEN_ADMINISTRATIVELY_PROHIBITED) {
          this.streamLocalRefused = true;
        } else {
          const problem = await this.diagnoseSocket(socketPath, err, timeoutMs);
          if (problem) throw problem;
          // The socket is there and the user may use it, yet the channel was
          // refused: either sshd does not allow stream-local forwarding
          // (OpenSSH says only "open failed") or dockerd is not listening.
          // dial-stdio tells which; once it carries data, forwarding is
          // known to be off and later channels go straight to dial-stdio.
          const channel = await this.dialStdio(c, socketPath, timeoutMs);
          channel.once("data", () => {
            this.streamLocalRefused = true;
          });
          return channel;
        }
      }
    }
    return this.dialStdio(c, socketPath, timeoutMs);
  }

  private async dialStdio(c: Client, socketPath: string, timeoutMs: number): Promise<ClientChannel> {
    const argv =
      socketPath === DEFAULTS.dockerSocket
        ? ["docker", "system", "dial-stdio"]
        : ["docker", "-H", `unix://${socketPath}`, "system", "dial-stdio"];
    const channel = await openChannel(
      this.target,
      "starting docker system dial-stdio",
      timeoutMs,
      (cb) => c.exec(shellCommand(argv), cb),
      (err) => new ConnectionError(this.target, `cannot run docker system dial-stdio: ${err.message}`, { cause: err }),
    );
    // A failing dial-stdio exits at once; turn its stderr into a clear error.
    // Its stdout may end before the exit status arrives: the socket waits for
    // `exitError` before ending, so the caller sees this error, not a hang-up.
    let stderr = "";
    channel.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    let settle: (err: Error | undefined) => void = () => undefined;
    (channel as ExecChannel).exitError = new Promise((r) => (settle = r));
    channel.once("close", () => settle(undefined));
    channel.once("exit", (code: number | null) => {
      if (!code) settle(undefined);
      else {
        const text = stderr.trim();
        const err =
          code === 127 || /not found/.test(text)
            ? new DockerUnavailableError(
                `${this.target}: the server refuses stream-local forwarding and has no docker CLI for dial-stdio. ` +
                  `Allow forwarding (sshd_config: AllowStreamLocalForwarding yes) or install the docker CLI.`,
              )
            : /permission denied/i.test(text)
              ? new DockerPermissionError(
                  `${this.target}: user '${this.spec.user}' may not use ${socketPath}: ${text}. ` +
                    `Add the user to the docker group (usermod -aG docker ${this.spec.user}) or connect as root.`,
                )
              : /Cannot connect to the Docker daemon|connection refused|no such file/i.test(text)
                ? new DockerUnavailableError(
                    `${this.target}: nothing accepts connections on ${socketPath}: dockerd is not running (${text.split("\n")[0]}).`,
                  )
                : new DockerUnavailableError(`${this.target}: docker system dial-stdio failed: ${text || `exit ${code}`}`);
        settle(err);
      }
    });
    return channel;
  }

  /**
   * Explain why the Docker socket could not be opened: missing or forbidden.
   * Undefined when the socket exists and this user may open it.
   */
  private async diagnoseSocket(socketPath: string, cause: unknown, timeoutMs: number): Promise<DockyardError | undefined> {
    const generic = new DockerUnavailableError(
      `${this.target}: cannot open the Docker socket ${socketPath}: dockerd may be stopped, ` +
        `or user '${this.spec.user}' may lack permission (add it to the docker group).`,
      { cause },
    );
    try {
      const st = await this.statRemote(socketPath, timeoutMs);
      if (!st) {
        return new DockerUnavailableError(
          `${this.target}: no Docker socket at ${socketPath}: dockerd is not running (start it, e.g. systemctl start docker), ` +
            `or set dockerSocket to where it listens.`,
          { cause },
        );
      }
      const [ids, groups] = await Promise.all([this.run(["id", "-u"], timeoutMs), this.run(["id", "-G"], timeoutMs)]);
      const uid = Number(ids.stdout.trim());
      const gids = groups.stdout.trim().split(/\s+/).map(Number);
      const mode = st.mode & 0o777;
      const allowed =
        uid === 0 ||
        (uid === st.uid && (mode & 0o600) === 0o600) ||
        (gids.includes(st.gid) && (mode & 0o060) === 0o060) ||
        (mode & 0o006) === 0o006;
      if (!allowed) {
        return new DockerPermissionError(
          `${this.target}: user '${this.spec.user}' may not open ${socketPath} ` +
            `(owner uid ${st.uid}, group gid ${st.gid}, mode ${mode.toString(8)}). ` +
            `Add the user to the socket's group (usually: usermod -aG docker ${this.spec.user}), or connect as root.`,
          { cause },
        );
      }
      return undefined;
    } catch {
      return generic;
    }
  }

  /** stat over SFTP (no shell involved). Undefined when the path does not exist. */
  private async statRemote(path: string, timeoutMs: number): Promise<{ mode: number; uid: number; gid: number } | undefined> {
    const c = await this.connect();
    return withDeadline(this.target, `stat ${path}`, timeoutMs, () =>
      new Promise((resolve, reject) => {
        c.sftp((err, sftp) => {
          if (err) return reject(err);
          sftp.stat(path, (e, st) => {
            sftp.end();
            if (e) {
              if ((e as { code?: number }).code === 2) resolve(undefined);
              else reject(e);
            } else resolve({ mode: st.mode, uid: st.uid, gid: st.gid });
          });
        });
      }),
    );
  }

  /** Run a fixed argv on the server and collect its output. */
  async run(argv: readonly string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
    const c = await this.connect();
    let channel: ClientChannel | undefined;
    let timedOut = false;
    return withDeadline(
      this.target,
      `running ${argv[0]}`,
      timeoutMs,
      () =>
        new Promise((resolve, reject) => {
          c.exec(shellCommand(argv), (err, ch) => {
            if (err) return reject(new ConnectionError(this.target, `exec failed: ${err.message}`, { cause: err }));
            channel = ch;
            // Arrived after the deadline: close it rather than leave it open.
            if (timedOut) ch.close();
            let stdout = "";
            let stderr = "";
            let code = 0;
            ch.on("data", (d: Buffer) => (stdout += d.toString()));
            ch.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            ch.on("exit", (c2: number | null) => (code = c2 ?? 0));
            ch.on("close", () => resolve({ code, stdout, stderr }));
          });
        }),
      () => {
        timedOut = true;
        channel?.close();
      },
    );
  }

  /** Drop the connection; the next call dials again. */
  close(): void {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    c?.end();
  }

  /** The raw client, if connected (tests use it to simulate failures). */
  get connected(): Client | undefined {
    return this.client;
  }
}

/**
 * Hash of everything that makes two endpoints different connections. The
 * expected host key is not part of it: callers expecting a key share the
 * connection and each has its expectation checked (see `connect`).
 */
export function endpointKey(spec: SshEndpoint): string {
  const canon = (e: SshEndpoint): unknown => [
    e.host,
    e.port,
    e.user,
    e.privateKey ?? null,
    e.privateKeyPassword ?? null,
    e.password ?? null,
    e.agentSocketPath ?? null,
    e.perDialTimeout,
    e.dialErrorLimit,
    e.proxy ? canon(e.proxy) : null,
  ];
  return createHash("sha256").update(JSON.stringify(canon(spec))).digest("hex");
}

/**
 * One SSH connection per distinct connection settings, shared by every
 * resource and concurrent operation of the process.
 */
export class SshPool {
  private readonly sessions = new Map<string, SshSession>();
  readonly metrics: TransportMetrics = { handshakes: 0, dialFailures: 0, channelsOpened: 0, channelsOpen: 0 };
  /** Where each failed dial attempt is reported. */
  readonly log: Logger;

  constructor(opts: { log?: Logger } = {}) {
    this.log = opts.log ?? ((m) => console.warn(m));
  }

  session(spec: SshEndpoint): SshSession {
    const key = endpointKey(spec);
    let s = this.sessions.get(key);
    if (!s) {
      s = new SshSession(spec, this);
      this.sessions.set(key, s);
    }
    return s;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Close every connection (the process can then exit). */
  closeAll(): void {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }
}
