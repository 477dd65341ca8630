import http from "node:http";
import { inspect } from "node:util";
import type { Duplex } from "node:stream";
import type { TimeoutError } from "../errors";
import { DIAL_STDIO_CHANNELS } from "./session-slots";
import type { SshSession } from "./ssh";

/** Channels one Docker client may hold open at once (sshd caps channels per connection). */
export const MAX_CHANNELS = 16;
/** Idle keep-alive channels are closed after this long. */
const IDLE_CHANNEL_MS = 15_000;

/**
 * An HTTP agent whose "sockets" are SSH channels to the Docker socket. Kept
 * alive and capped, so a burst of calls reuses a few channels instead of
 * opening one per request.
 */
export class SshDockerAgent extends http.Agent {
  constructor(
    private readonly session: SshSession,
    private readonly socketPath: string,
    private readonly openTimeoutMs: number,
    private readonly hostKey: string | undefined,
  ) {
    super({ keepAlive: true, maxSockets: MAX_CHANNELS, maxFreeSockets: MAX_CHANNELS, timeout: IDLE_CHANNEL_MS });
    // Over dial-stdio each channel is a session, and sshd caps those (MaxSessions, 10 by default).
    Object.defineProperty(this, "maxSockets", { get: () => (session.streamLocalRefused ? DIAL_STDIO_CHANNELS : MAX_CHANNELS) });
  }

  /** Inspecting the agent would walk every socket, channel and the SSH client. */
  [inspect.custom](): string {
    return `SshDockerAgent(${this.session.target})`;
  }

  override createConnection(): Duplex {
    // Returned at once so the agent counts it against maxSockets; the channel opens behind it.
    return this.session.openDockerSocket(this.socketPath, this.openTimeoutMs, this.hostKey);
  }
}

export type AddRequest = { addRequest(req: http.ClientRequest, options: http.RequestOptions): void };

/**
 * One attempt of a call. Its timeout starts once its request has an open
 * channel (dialling has its own budget, see `SshSession.connect`); until then
 * it waits for the connection, or for a free channel under the cap.
 */
export class Attempt {
  readonly controller = new AbortController();
  /** Rejects with a TimeoutError when the timeout expires. */
  readonly expired: Promise<never>;
  private expire: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly ms: number,
    timeoutError: () => TimeoutError,
  ) {
    this.expired = new Promise<never>((_, reject) => {
      this.expire = () => {
        const err = timeoutError();
        this.controller.abort(err);
        reject(err);
      };
    });
    this.expired.catch(() => undefined);
  }

  /** Tie one HTTP request to this attempt: timed from its channel's opening, destroyed on expiry. */
  bind(req: http.ClientRequest): void {
    req.once("socket", (socket: Duplex & { connecting?: boolean }) => {
      if (socket.connecting) socket.once("connect", () => this.arm());
      else this.arm();
    });
    // dockerode passes the signal on for most calls but not for every one (network inspect).
    this.controller.signal.addEventListener("abort", () => req.destroy(this.controller.signal.reason as Error), { once: true });
  }

  private arm(): void {
    if (this.timer || this.finished) return;
    this.timer = setTimeout(this.expire, this.ms);
  }

  done(): void {
    this.finished = true;
    clearTimeout(this.timer);
  }
}
