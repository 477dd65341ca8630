/**
 * One attempt of a Docker API call: its timeout, timed from when its request
 * has an open channel, and the abort that ends the request on expiry.
 */
import type http from "node:http";
import type { Duplex } from "node:stream";
import type { TimeoutError } from "../../errors";

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
    this.controller.signal.addEventListener("abort", () => req.destroy(this.controller.signal.reason as Error), {
      once: true,
    });
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
