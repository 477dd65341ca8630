// One attempt's timeout, with stand-ins for the HTTP request and its socket
// (only their events matter) and the clock faked.
import { EventEmitter } from "node:events";
import type http from "node:http";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TimeoutError } from "../../../../provider/errors";
import { Attempt } from "../../../../provider/transport/docker/call-attempt";

class FakeRequest extends EventEmitter {
  destroyedWith: Error[] = [];
  destroy(err: Error): void {
    this.destroyedWith.push(err);
  }
}

class FakeSocket extends EventEmitter {
  constructor(readonly connecting: boolean) {
    super();
  }
}

function attempt(ms: number) {
  const made: TimeoutError[] = [];
  const a = new Attempt(ms, () => {
    const e = new TimeoutError("root@h:22", "Docker call", ms);
    made.push(e);
    return e;
  });
  const req = new FakeRequest();
  a.bind(req as unknown as http.ClientRequest);
  let expired: unknown;
  void a.expired.catch((e: unknown) => (expired = e));
  return { a, req, made, expired: () => expired };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a Docker call's attempt", () => {
  it("is not timed while its request waits for a socket", async () => {
    const { a, made, expired } = attempt(100);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(made).toEqual([]);
    expect(expired()).toBeUndefined();
    expect(a.controller.signal.aborted).toBe(false);
  });

  it("is timed from an open socket: on expiry it rejects, aborts with the same error and destroys the request", async () => {
    const { a, req, made, expired } = attempt(100);
    req.emit("socket", new FakeSocket(false));
    await vi.advanceTimersByTimeAsync(99);
    expect(expired()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(made).toHaveLength(1);
    expect(expired()).toBe(made[0]);
    expect(a.controller.signal.aborted).toBe(true);
    expect(a.controller.signal.reason).toBe(made[0]);
    expect(req.destroyedWith).toEqual([made[0]]);
  });

  it("waits for a connecting socket's connection before its timeout starts", async () => {
    const { req, expired } = attempt(100);
    const socket = new FakeSocket(true);
    req.emit("socket", socket);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(expired()).toBeUndefined();
    socket.emit("connect");
    await vi.advanceTimersByTimeAsync(100);
    expect(expired()).toBeInstanceOf(TimeoutError);
  });

  it("never expires once done, whether done before or after its socket came", async () => {
    const early = attempt(100);
    early.a.done();
    early.req.emit("socket", new FakeSocket(false));
    const late = attempt(100);
    late.req.emit("socket", new FakeSocket(false));
    await vi.advanceTimersByTimeAsync(50);
    late.a.done();
    await vi.advanceTimersByTimeAsync(10_000);
    for (const x of [early, late]) {
      expect(x.expired()).toBeUndefined();
      expect(x.made).toEqual([]);
      expect(x.req.destroyedWith).toEqual([]);
    }
  });

  it("is timed once: a second request bound to it does not restart the timeout", async () => {
    const { a, req, expired } = attempt(100);
    req.emit("socket", new FakeSocket(false));
    await vi.advanceTimersByTimeAsync(60);
    const again = new FakeRequest();
    a.bind(again as unknown as http.ClientRequest);
    again.emit("socket", new FakeSocket(false));
    await vi.advanceTimersByTimeAsync(40);
    expect(expired()).toBeInstanceOf(TimeoutError);
    expect(again.destroyedWith).toHaveLength(1);
  });
});
