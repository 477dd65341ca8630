import { Duplex } from "node:stream";
import type { ClientChannel } from "ssh2";

/**
 * A Duplex that behaves enough like a `net.Socket` for Node's HTTP client and
 * agent, carried by an ssh2 channel.
 *
 * - It exists before its channel does (like a connecting `net.Socket`):
 *   Node's agent counts sockets only once `createConnection` returns one, so
 *   opening the channel asynchronously behind a socket returned at once is
 *   what makes `maxSockets` cap the channels per connection.
 * - ssh2 channels lack `setTimeout`, `setNoDelay`, `setKeepAlive`, `ref` and
 *   `unref`, and their `destroy()` neither marks the stream destroyed nor
 *   emits `close` until the peer answers. The agent relies on all of these
 *   when it keeps sockets alive and reuses them; here they behave.
 */
export class ChannelSocket extends Duplex {
  private channel: ClientChannel | undefined;
  private readonly ready: Promise<ClientChannel | undefined>;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly onRelease: () => void;
  private released = false;
  private wantRead = false;
  /** Fields the HTTP client reads from sockets. */
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 0;
  connecting = true;

  constructor(open: Promise<ClientChannel>, onOpen: () => void, onRelease: () => void) {
    super({ allowHalfOpen: false });
    this.onRelease = onRelease;
    this.ready = open.then(
      (channel) => {
        if (this.destroyed) {
          channel.close();
          return undefined;
        }
        onOpen();
        this.attach(channel);
        return channel;
      },
      (err: Error) => {
        this.destroy(err);
        return undefined;
      },
    );
  }

  private attach(channel: ClientChannel): void {
    this.channel = channel;
    this.connecting = false;
    // Exec channels (dial-stdio) report their process's failure once it exits.
    const exitError = (channel as { exitError?: Promise<Error | undefined> }).exitError;
    channel.on("data", (chunk: Buffer) => {
      this.touch();
      if (!this.push(chunk)) channel.pause();
    });
    channel.on("end", () => {
      if (!exitError) this.push(null);
      else void exitError.then((err) => (err ? this.destroy(err) : this.push(null)));
    });
    channel.on("close", () => {
      this.release();
      if (!exitError) {
        if (!this.destroyed) this.destroy();
      } else void exitError.then((err) => !this.destroyed && this.destroy(err ?? undefined));
    });
    channel.on("error", (err: Error) => this.destroy(err));
    if (!this.wantRead) channel.pause();
    this.emit("connect");
  }

  override _read(): void {
    this.wantRead = true;
    this.channel?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch();
    const channel = this.channel;
    if (!channel) {
      void this.ready.then((opened) =>
        opened ? this._write(chunk, _enc, cb) : cb(new Error("channel was not opened")),
      );
      return;
    }
    if (channel.write(chunk)) cb();
    else channel.once("drain", () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    void this.ready.then((opened) => {
      opened?.end();
      cb();
    });
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.clearIdle();
    try {
      this.channel?.close();
    } catch {
      // already closed
    }
    // A channel still opening is closed by the `ready` handler above.
    if (this.channel) this.release();
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

  /** As `net.Socket#setTimeout`: idle timeout; 0 disables it and removes `cb`. */
  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    if (ms === 0) {
      this.clearIdle();
      if (cb) this.removeListener("timeout", cb);
    } else {
      if (cb) this.once("timeout", cb);
      this.touch();
    }
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
