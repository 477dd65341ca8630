// ChannelSocket: the net.Socket stand-in Node's HTTP agent gets, carried by an
// SSH channel that opens after it exists. The channel here is a stand-in with
// the ssh2 channel's surface (events, write/end/close, pause/resume).
import { EventEmitter } from "node:events";
import type { ClientChannel } from "ssh2";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChannelSocket } from "../../../../provider/transport/docker/channel-socket";

class FakeChannel extends EventEmitter {
  written: string[] = [];
  ended = false;
  closed = 0;
  paused = false;
  /** What `write` answers (false: the peer's window is full, wait for drain). */
  accept = true;
  exitError?: Promise<Error | undefined>;
  write(chunk: Buffer): boolean {
    this.written.push(chunk.toString());
    return this.accept;
  }
  end(): void {
    this.ended = true;
  }
  close(): void {
    this.closed++;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

function opened() {
  let open: (ch: FakeChannel) => void = () => undefined;
  let refuse: (err: Error) => void = () => undefined;
  const promise = new Promise<ClientChannel>((resolve, reject) => {
    open = (ch) => resolve(ch as unknown as ClientChannel);
    refuse = reject;
  });
  const counts = { opened: 0, released: 0 };
  const socket = new ChannelSocket(
    promise,
    () => counts.opened++,
    () => counts.released++,
  );
  return { socket, open, refuse, counts };
}

const tick = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe("ChannelSocket", () => {
  it("exists before its channel: connecting until it opens, then 'connect'; writes made meanwhile reach the channel in order", async () => {
    const { socket, open, counts } = opened();
    expect(socket.connecting).toBe(true);
    const connected = new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write("GET / HTTP/1.1\r\n");
    socket.write("\r\n");
    const ch = new FakeChannel();
    open(ch);
    await connected;
    await tick();
    expect(socket.connecting).toBe(false);
    expect(counts.opened).toBe(1);
    expect(ch.written).toEqual(["GET / HTTP/1.1\r\n", "\r\n"]);
  });

  it("carries the channel's data and end; holds the channel paused until someone reads", async () => {
    const { socket, open } = opened();
    const ch = new FakeChannel();
    open(ch);
    await tick();
    expect(ch.paused).toBe(true);
    const got: string[] = [];
    socket.on("data", (c: Buffer) => got.push(c.toString()));
    const ended = new Promise<void>((r) => socket.once("end", () => r()));
    await tick();
    expect(ch.paused).toBe(false);
    ch.emit("data", Buffer.from("HTTP/1.1 200 OK"));
    ch.emit("end");
    await ended;
    expect(got).toEqual(["HTTP/1.1 200 OK"]);
  });

  it("waits for drain when the channel's window is full", async () => {
    const { socket, open } = opened();
    const ch = new FakeChannel();
    ch.accept = false;
    open(ch);
    await tick();
    let written = false;
    socket.write("x", () => (written = true));
    await tick();
    expect(written).toBe(false);
    ch.emit("drain");
    await tick();
    expect(written).toBe(true);
  });

  it("ending the socket ends the channel", async () => {
    const { socket, open } = opened();
    const ch = new FakeChannel();
    open(ch);
    socket.end();
    await tick();
    await tick();
    expect(ch.ended).toBe(true);
  });

  it("a channel that closes releases its slot once and destroys the socket", async () => {
    const { socket, open, counts } = opened();
    const ch = new FakeChannel();
    open(ch);
    await tick();
    ch.emit("close");
    ch.emit("close");
    await tick();
    expect(counts.released).toBe(1);
    expect(socket.destroyed).toBe(true);
  });

  it("destroyed while open: closes the channel and releases the slot, once", async () => {
    const { socket, open, counts } = opened();
    const ch = new FakeChannel();
    open(ch);
    await tick();
    socket.destroy();
    ch.emit("close");
    await tick();
    expect(ch.closed).toBe(1);
    expect(counts.released).toBe(1);
  });

  it("destroyed before its channel opened: the late channel is closed, and no slot was taken", async () => {
    const { socket, open, counts } = opened();
    socket.destroy();
    const ch = new FakeChannel();
    open(ch);
    await tick();
    expect(ch.closed).toBe(1);
    expect(counts).toEqual({ opened: 0, released: 0 });
  });

  it("a channel that cannot be opened destroys the socket with the reason; a write then fails", async () => {
    const { socket, refuse } = opened();
    const failed = new Promise<Error>((r) => socket.once("error", r));
    refuse(new Error("open failed"));
    expect((await failed).message).toBe("open failed");
    expect(socket.destroyed).toBe(true);
  });

  it("a channel error destroys the socket with it", async () => {
    const { socket, open } = opened();
    const ch = new FakeChannel();
    open(ch);
    await tick();
    const failed = new Promise<Error>((r) => socket.once("error", r));
    ch.emit("error", new Error("channel broke"));
    expect((await failed).message).toBe("channel broke");
  });

  it("an exec channel (dial-stdio) ends cleanly when its process exits cleanly, with its error otherwise", async () => {
    const clean = opened();
    const ch1 = new FakeChannel();
    ch1.exitError = Promise.resolve(undefined);
    clean.open(ch1);
    await tick();
    clean.socket.resume();
    const ended = new Promise<void>((r) => clean.socket.once("end", () => r()));
    ch1.emit("end");
    await ended;

    const failing = opened();
    const ch2 = new FakeChannel();
    ch2.exitError = Promise.resolve(new Error("dockerd is not running"));
    failing.open(ch2);
    await tick();
    failing.socket.resume();
    const failed = new Promise<Error>((r) => failing.socket.once("error", r));
    ch2.emit("end");
    expect((await failed).message).toBe("dockerd is not running");
  });

  it("setTimeout: 'timeout' after that long without traffic, traffic restarts the clock, 0 turns it off", async () => {
    vi.useFakeTimers();
    const { socket, open } = opened();
    const ch = new FakeChannel();
    open(ch);
    await vi.advanceTimersByTimeAsync(0);
    let timeouts = 0;
    const onTimeout = () => timeouts++;
    socket.setTimeout(1000, onTimeout);
    await vi.advanceTimersByTimeAsync(900);
    socket.resume();
    ch.emit("data", Buffer.from("x"));
    await vi.advanceTimersByTimeAsync(900);
    expect(timeouts).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(timeouts).toBe(1);
    socket.setTimeout(0, onTimeout);
    ch.emit("data", Buffer.from("y"));
    await vi.advanceTimersByTimeAsync(5000);
    expect(timeouts).toBe(1);
    expect(socket.listenerCount("timeout")).toBe(0);
  });

  it("has the socket methods the HTTP agent calls", () => {
    const { socket } = opened();
    expect(socket.setNoDelay()).toBe(socket);
    expect(socket.setKeepAlive()).toBe(socket);
    expect(socket.ref()).toBe(socket);
    expect(socket.unref()).toBe(socket);
    expect(socket.remoteAddress).toBe("127.0.0.1");
    socket.destroy();
  });
});
