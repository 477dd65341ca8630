/**
 * Streams to a Docker daemon's unix socket over one SSH session: a forwarded
 * unix-socket channel, or `docker system dial-stdio` where the server refuses
 * stream-local forwarding; when the socket cannot be opened, why
 * (`socket-diagnosis.ts`).
 */
import type { Client, ClientChannel } from "ssh2";
import type { Duplex } from "node:stream";
import { ConnectionError, DockyardError } from "../../errors";
import { openChannel } from "../ssh/deadlines";
import { execOpening } from "../ssh/exec-channel";
import { openSession } from "../ssh/session-slots";
import type { ExecChannel, SshSession } from "../ssh/ssh-session";
import { ChannelSocket } from "./channel-socket";
import { dialStdioArgv, dialStdioError } from "./dial-stdio";
import { diagnoseSocket } from "./socket-diagnosis";

/** ssh2 reason code for "administratively prohibited" channel-open failures. */
const OPEN_ADMINISTRATIVELY_PROHIBITED = 1;

/** Where a Docker client's HTTP agent gets its sockets. */
export interface DockerSocketSource {
  /** `user@host:port`, for messages. */
  readonly target: string;
  /** Whether channels are dial-stdio sessions (capped by sshd's MaxSessions) rather than forwarded sockets. */
  readonly streamLocalRefused: boolean;
  /** A socket-like stream to the Docker API on `socketPath`, returned at once; its channel opens behind it. */
  openDockerSocket(socketPath: string, timeoutMs: number, hostKey?: string): Duplex;
}

/** The Docker sockets of one SSH session. */
export class SshDockerSockets implements DockerSocketSource {
  constructor(readonly session: SshSession) {}

  get target(): string {
    return this.session.target;
  }

  get streamLocalRefused(): boolean {
    return this.session.streamLocalRefused;
  }

  openDockerSocket(socketPath: string, timeoutMs: number, hostKey?: string): ChannelSocket {
    const session = this.session;
    const metrics = session.pool.metrics;
    const socket = new ChannelSocket(
      this.openDockerChannel(socketPath, timeoutMs, hostKey),
      () => {
        metrics.channelsOpened++;
        metrics.channelsOpen++;
      },
      () => {
        metrics.channelsOpen--;
      },
    );
    // An idle kept-alive dial-stdio channel holds a session slot: give it up when another channel waits for one.
    // Judged once the agent has handled "free" (a new socket is "free" too, and a freed one may go to a queued request).
    socket.on("free", () =>
      setImmediate(() => {
        const idle = !socket.connecting && !socket.destroyed && !(socket as { _httpMessage?: unknown })._httpMessage;
        if (idle && session.streamLocalRefused && session.slots.waiting > 0) socket.destroy();
      }),
    );
    return socket;
  }

  private async openDockerChannel(socketPath: string, timeoutMs: number, hostKey?: string): Promise<ClientChannel> {
    const session = this.session;
    const client = await session.connect(hostKey);
    if (!session.streamLocalRefused) {
      try {
        return await this.forwardStreamLocal(client, socketPath, timeoutMs);
      } catch (err) {
        if (err instanceof DockyardError) throw err;
        const reason = (err as { reason?: number }).reason;
        if (reason === undefined) {
          // No answer from sshd (the connection dropped or was reset): a
          // transport failure, reported as such; never a reason to diagnose.
          throw new ConnectionError(session.target, `cannot open ${socketPath}: ${(err as Error).message}`, {
            cause: err,
          });
        }
        if (reason === OPEN_ADMINISTRATIVELY_PROHIBITED) {
          session.streamLocalRefused = true;
        } else {
          const problem = await diagnoseSocket(session, socketPath, err, timeoutMs);
          if (problem) throw problem;
          // The socket is there and the user may use it (or the server
          // cannot tell), yet the channel was refused: either sshd does not
          // allow stream-local forwarding (OpenSSH says only "open failed")
          // or dockerd was not listening. dial-stdio tells which; once it
          // reaches the daemon, later channels use it, unless one more
          // forward goes through (the daemon was restarting, and is back).
          const channel = await this.dialStdio(client, socketPath, timeoutMs);
          channel.once("data", () => {
            session.streamLocalRefused = true;
            session.probing ??= this.forwardStreamLocal(client, socketPath, timeoutMs).then(
              (probe) => {
                probe.close();
                session.streamLocalRefused = false;
                session.probing = undefined;
              },
              () => {
                session.probing = undefined;
              },
            );
          });
          return channel;
        }
      }
    }
    return this.dialStdio(client, socketPath, timeoutMs);
  }

  private forwardStreamLocal(client: Client, socketPath: string, timeoutMs: number): Promise<ClientChannel> {
    return openChannel(this.session.target, `opening ${socketPath}`, timeoutMs, (cb) =>
      client.openssh_forwardOutStreamLocal(socketPath, cb),
    );
  }

  private async dialStdio(client: Client, socketPath: string, timeoutMs: number): Promise<ClientChannel> {
    const { target, spec, slots } = this.session;
    const argv = dialStdioArgv(socketPath);
    // A failing dial-stdio exits at once, its exit status often in the same
    // read as the channel's opening: the listeners go on as the channel is
    // handed over. Its stderr becomes a clear error. Its stdout may end
    // before the exit status arrives: the socket waits for `exitError` before
    // ending, so the caller sees this error, not a hang-up.
    const watch = (channel: ClientChannel): void => {
      let stderr = "";
      channel.stderr.on("data", (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString();
      });
      let settle: (err: Error | undefined) => void = () => undefined;
      (channel as ExecChannel).exitError = new Promise((r) => (settle = r));
      let exited = false;
      channel.once("exit", (code: number | null) => {
        exited = true;
        // The stderr came before the exit status, but may still wait in the
        // stream's buffer (its listener was just attached): let it flow first.
        setImmediate(() => settle(code ? dialStdioError(target, spec.user, socketPath, code, stderr) : undefined));
      });
      channel.once("close", () => {
        if (!exited) settle(undefined);
      });
    };
    const channel = await openSession(slots, () =>
      openChannel(target, "starting docker system dial-stdio", timeoutMs, execOpening(client, argv, watch)),
    ).catch((err: Error) => {
      throw err instanceof DockyardError
        ? err
        : new ConnectionError(target, `cannot run docker system dial-stdio: ${err.message}`, { cause: err });
    });
    return channel;
  }
}
