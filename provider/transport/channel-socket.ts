import { Duplex } from "node:stream";
import type { ClientChannel } from "ssh2";

/**
 * Wraps an ssh2 channel in a Duplex that behaves enough like a `net.Socket`
 * for Node's HTTP client and agent.
 *
 * ssh2 channels lack `setTimeout`, `setNoDelay`, `setKeepAlive`, `ref` and
 * `unref`, and their `destroy()` neither marks the stream destroyed nor emits
 * `close` until the peer answers. Node's HTTP agent relies on all of these
 * when it keeps sockets alive and reuses them, so a bare channel leaks or
 * stalls. This wrapper gives the agent real stream semantics: destroying it
 * closes the channel, the channel closing destroys it, and idle timeouts fire.
 */
export class ChannelSocket extends Duplex {
  private readonly channel: ClientChannel;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly onRelease: () => void;
  private released = false;
  /** Fields the HTTP client reads from sockets. */
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 0;
  connecting = false;

  constructor(channel: ClientChannel, onRelease: () => void) {
    super({ allowHalfOpen: false });
    this.channel = channel;
    this.onRelease = onRelease;
    channel.on("data", (chunk: Buffer) => {
      this.touch();
      if (!this.push(chunk)) channel.pause();
    });
    channel.on("end", () => this.push(null));
    channel.on("close", () => {
      this.release();
      if (!this.destroyed) this.destroy();
    });
    channel.on("error", (err: Error) => this.destroy(err));
    // Exec channels (dial-stdio fallback) report stderr separately; drain it.
    channel.stderr?.on?.("data", () => undefined);
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch();
    if (this.channel.write(chunk)) cb();
    else this.channel.once("drain", () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.channel.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.clearIdle();
    try {
      this.channel.close();
    } catch {
      // already closed
    }
    this.release();
    cb(err);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.clearIdle();
    this.onRelease();
  }

  private touch(): void {
    if (this.idleMs > 0) {
      this.clearIdle();
      this.idleTimer = setTimeout(() => this.emit("timeout"), this.idleMs);
      this.idleTimer.unref();
    }
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    if (cb) this.once("timeout", cb);
    if (ms === 0) this.clearIdle();
    else this.touch();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}
