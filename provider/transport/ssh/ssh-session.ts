/**
 * One SSH connection to one endpoint, shared by every caller: dialled lazily
 * with bounded retries, re-dialled after a drop, its host key enforced; and
 * the channels other layers open on it (a forwarded TCP stream to a jump
 * host's target, a fixed command).
 */
import { constants as osConstants } from "node:os";
import type { Client, ClientChannel, ServerHostKeyAlgorithm } from "ssh2";
import type { Duplex } from "node:stream";
import { ConnectionError, DockyardError, HostKeyMismatchError, ValidationError, isTransient } from "../../errors";
import { describeEndpoint, type SshEndpoint } from "../endpoint";
import { openChannel, sleep, withDeadline } from "./deadlines";
import { execOpening } from "./exec-channel";
import { hostKeyAlgorithms, hostKeyFingerprint, type SeenHostKey } from "./hostkey";
import { SessionSlots, openSession } from "./session-slots";
import { dialOnce } from "./ssh-dial";
import type { SshPool } from "./ssh-pool";

/** An exec channel whose process's failure (if any) is known once it exits. */
export type ExecChannel = ClientChannel & { exitError?: Promise<Error | undefined> };

/** An error's message without the `user@host:port: ` every connection error starts with. */
function reasonOf(err: unknown, target: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.startsWith(`${target}: `) ? msg.slice(target.length + 2) : msg;
}

export class SshSession {
  readonly target: string;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** The host key presented at the last handshake. */
  hostKey: SeenHostKey | undefined;
  /** Set once the server refused stream-local forwarding; later Docker channels use dial-stdio. */
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
    readonly pool: SshPool,
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
        this.dialKeyAlgorithms = (hostKeyAlgorithms(hostKey) ??
          (verified && verified.fingerprint === enforced ? hostKeyAlgorithms(verified.publicKey) : undefined)) as
          ServerHostKeyAlgorithm[] | undefined;
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
        const client = await this.dial(expected);
        this.client = client;
        return client;
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

  /** One dial, through the jump host when there is one. */
  private async dial(expected: string | undefined): Promise<Client> {
    const spec = this.spec;
    let sock: Duplex | undefined;
    if (spec.proxy) {
      const jump = this.pool.session(spec.proxy);
      sock = await jump.forwardTcp(spec.host, spec.port, spec.perDialTimeout * 1000, spec.proxy.hostKey);
    }
    return dialOnce({
      spec,
      target: this.target,
      expected,
      keyAlgorithms: this.dialKeyAlgorithms,
      ...(sock ? { sock } : {}),
      onReady: (client, seen) => {
        this.hostKey = seen;
        this.pool.metrics.handshakes++;
        client.once("close", () => {
          if (this.client === client) this.client = undefined;
        });
      },
    });
  }

  /** A TCP stream to host:port through this session (used for jump hosts). */
  async forwardTcp(host: string, port: number, timeoutMs: number, hostKey?: string): Promise<ClientChannel> {
    const client = await this.connect(hostKey);
    return openChannel(
      this.target,
      `forwarding to ${host}:${port}`,
      timeoutMs,
      (cb) => client.forwardOut("127.0.0.1", 0, host, port, cb),
      (err) =>
        new ConnectionError(this.target, `jump host cannot reach ${host}:${port}: ${err.message}`, { cause: err }),
    );
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
    const client = await this.connect();
    // Recorded from the channel's opening on: the exit status may come with it.
    let code: number | undefined;
    let signal: string | undefined;
    const onExit = (exitCode: number | null, sig?: string): void => {
      if (exitCode !== null && exitCode !== undefined) code = exitCode;
      else if (sig) {
        signal = sig.replace(/^SIG/, "");
        const num = (osConstants.signals as Record<string, number>)[`SIG${signal}`];
        code = num ? 128 + num : 255;
      }
    };
    const channel = await openSession(this.slots, () =>
      openChannel(
        this.target,
        `running ${argv[0]}`,
        timeoutMs,
        execOpening(client, argv, (ch) => ch.on("exit", onExit)),
      ),
    ).catch((err: Error) => {
      throw err instanceof DockyardError
        ? err
        : new ConnectionError(this.target, `exec failed: ${err.message}`, { cause: err });
    });
    return withDeadline(
      this.target,
      `running ${argv[0]}`,
      timeoutMs,
      () =>
        new Promise((resolve) => {
          let stdout = "";
          let stderr = "";
          // Output waits in the channel's buffers until these listeners read it.
          channel.on("data", (d: Buffer) => (stdout += d.toString()));
          channel.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          // No exit status at all (the channel just closed): not a success either.
          channel.on("close", () => resolve({ code: code ?? 255, ...(signal ? { signal } : {}), stdout, stderr }));
        }),
      () => channel.close(),
    );
  }

  /** Drop the connection; the next call dials again. */
  close(): void {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    client?.end();
  }

  /** The raw client, if connected (tests use it to simulate failures). */
  get connected(): Client | undefined {
    return this.client;
  }
}
