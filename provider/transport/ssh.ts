import { createHash } from "node:crypto";
import { constants as osConstants } from "node:os";
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import type { Duplex } from "node:stream";
import {
  AuthenticationError,
  ConnectionError,
  DockyardError,
  HostKeyMismatchError,
  TimeoutError,
  ValidationError,
  isTransient,
} from "../errors";
import { ChannelSocket } from "./channel-socket";
import { dialStdioArgv, dialStdioError } from "./dial-stdio";
import { describeHostKey, hostKeyAlgorithms, hostKeyFingerprint, type SeenHostKey } from "./hostkey";
import { SessionSlots, openSession } from "./session-slots";
import { shellCommand } from "./shell";
import { diagnoseSocket } from "./socket-diagnosis";
import { describeEndpoint, type Logger, type SshEndpoint } from "./endpoint";

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
  return openLate(target, what, ms, open, (ch) => ch.close(), mapError);
}

/** `openChannel` for any channel-like thing (an SFTP session…): `discard` closes one that arrives late. */
export function openLate<T>(
  target: string,
  what: string,
  ms: number,
  open: (cb: (err: Error | undefined, ch: T) => void) => void,
  discard: (ch: T) => void,
  mapError: (err: Error) => unknown = (err) => err,
): Promise<T> {
  let timedOut = false;
  return withDeadline(
    target,
    what,
    ms,
    () =>
      new Promise<T>((resolve, reject) => {
        open((err, ch) => {
          if (err) return reject(mapError(err));
          if (timedOut) discard(ch);
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
  /** The check, after dial-stdio reached the daemon, whether forwarding is really refused (tests await it). */
  probing: Promise<void> | undefined;
  /** Set once the server refused the SFTP subsystem. */
  sftpUnavailable = false;
  /** Session channels (exec, SFTP) held, to fit the server's MaxSessions. */
  readonly slots = new SessionSlots();
  /** Host-key algorithms the next dial offers: the pinned or verified key's. */
  private dialKeyAlgorithms: ServerHostKeyAlgorithm[] | undefined;
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
   * Every dial after the first verified one enforces the key then verified
   * (unless a pinned key is given), so a re-dial is never trust on first use.
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
        const verified = this.hostKey;
        const enforced = expected ?? verified?.fingerprint;
        // Negotiate the enforced key's algorithm (a server may have several keys).
        this.dialKeyAlgorithms =
          (hostKeyAlgorithms(hostKey) ??
          (verified && verified.fingerprint === enforced ? hostKeyAlgorithms(verified.publicKey) : undefined)) as ServerHostKeyAlgorithm[] | undefined;
        this.connecting = this.dialWithRetries(enforced).finally(() => {
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
    if (this.dialKeyAlgorithms) config.algorithms = { serverHostKey: this.dialKeyAlgorithms };
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
    const socket = new ChannelSocket(
      this.openDockerChannel(socketPath, timeoutMs, hostKey),
      () => {
        m.channelsOpened++;
        m.channelsOpen++;
      },
      () => {
        m.channelsOpen--;
      },
    );
    // An idle kept-alive dial-stdio channel holds a session slot: give it up when another channel waits for one.
    // Judged once the agent has handled "free" (a new socket is "free" too, and a freed one may go to a queued request).
    socket.on("free", () =>
      setImmediate(() => {
        const idle = !socket.connecting && !socket.destroyed && !(socket as { _httpMessage?: unknown })._httpMessage;
        if (idle && this.streamLocalRefused && this.slots.waiting > 0) socket.destroy();
      }),
    );
    return socket;
  }

  private async openDockerChannel(socketPath: string, timeoutMs: number, hostKey?: string): Promise<ClientChannel> {
    const c = await this.connect(hostKey);
    if (!this.streamLocalRefused) {
      try {
        return await this.forwardStreamLocal(c, socketPath, timeoutMs);
      } catch (err) {
        if (err instanceof DockyardError) throw err;
        const reason = (err as { reason?: number }).reason;
        if (reason === undefined) {
          // No answer from sshd (the connection dropped or was reset): a
          // transport failure, surfaced as such; never a reason to diagnose.
          throw new ConnectionError(this.target, `cannot open ${socketPath}: ${(err as Error).message}`, { cause: err });
        }
        if (reason === OPEN_ADMINISTRATIVELY_PROHIBITED) {
          this.streamLocalRefused = true;
        } else {
          const problem = await diagnoseSocket(this, socketPath, err, timeoutMs);
          if (problem) throw problem;
          // The socket is there and the user may use it (or the server
          // cannot tell), yet the channel was refused: either sshd does not
          // allow stream-local forwarding (OpenSSH says only "open failed")
          // or dockerd was not listening. dial-stdio tells which; once it
          // reaches the daemon, later channels use it, unless one more
          // forward goes through (the daemon was restarting, and is back).
          const channel = await this.dialStdio(c, socketPath, timeoutMs);
          channel.once("data", () => {
            this.streamLocalRefused = true;
            this.probing ??= this.forwardStreamLocal(c, socketPath, timeoutMs).then(
              (probe) => {
                probe.close();
                this.streamLocalRefused = false;
                this.probing = undefined;
              },
              () => {
                this.probing = undefined;
              },
            );
          });
          return channel;
        }
      }
    }
    return this.dialStdio(c, socketPath, timeoutMs);
  }

  private forwardStreamLocal(c: Client, socketPath: string, timeoutMs: number): Promise<ClientChannel> {
    return openChannel(this.target, `opening ${socketPath}`, timeoutMs, (cb) => c.openssh_forwardOutStreamLocal(socketPath, cb));
  }

  private async dialStdio(c: Client, socketPath: string, timeoutMs: number): Promise<ClientChannel> {
    const argv = dialStdioArgv(socketPath);
    const channel = await openSession(this.slots, () =>
      openChannel(this.target, "starting docker system dial-stdio", timeoutMs, (cb) => c.exec(shellCommand(argv), cb)),
    ).catch((err: Error) => {
      throw err instanceof DockyardError
        ? err
        : new ConnectionError(this.target, `cannot run docker system dial-stdio: ${err.message}`, { cause: err });
    });
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
      settle(code ? dialStdioError(this.target, this.spec.user, socketPath, code, stderr) : undefined);
    });
    return channel;
  }

  /** Run `fn` with this session's target named in its timeout. */
  withDeadline<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
    return withDeadline(this.target, what, ms, fn);
  }

  /**
   * Run a fixed argv on the server and collect its output. A process killed
   * by a signal reports `signal` and a non-zero code (128 + the signal's
   * number where known, else 255), never 0.
   */
  async run(
    argv: readonly string[],
    timeoutMs: number,
  ): Promise<{ code: number; signal?: string; stdout: string; stderr: string }> {
    const c = await this.connect();
    const ch = await openSession(this.slots, () =>
      openChannel(this.target, `running ${argv[0]}`, timeoutMs, (cb) => c.exec(shellCommand(argv), cb)),
    ).catch((err: Error) => {
      throw err instanceof DockyardError ? err : new ConnectionError(this.target, `exec failed: ${err.message}`, { cause: err });
    });
    return withDeadline(
      this.target,
      `running ${argv[0]}`,
      timeoutMs,
      () =>
        new Promise((resolve) => {
          let stdout = "";
          let stderr = "";
          let code: number | undefined;
          let signal: string | undefined;
          ch.on("data", (d: Buffer) => (stdout += d.toString()));
          ch.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          ch.on("exit", (c2: number | null, sig?: string) => {
            if (c2 !== null && c2 !== undefined) code = c2;
            else if (sig) {
              signal = sig.replace(/^SIG/, "");
              const num = (osConstants.signals as Record<string, number>)[`SIG${signal}`];
              code = num ? 128 + num : 255;
            }
          });
          // No exit status at all (the channel just closed): not a success either.
          ch.on("close", () => resolve({ code: code ?? 255, ...(signal ? { signal } : {}), stdout, stderr }));
        }),
      () => ch.close(),
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
