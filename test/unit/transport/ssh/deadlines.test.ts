import type { ClientChannel } from "ssh2";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TimeoutError } from "../../../../provider/errors";
import { openChannel } from "../../../../provider/transport/ssh/deadlines";

describe("opening a channel with a deadline", () => {
  /** A stand-in for an ssh2 channel: only `close` matters here. */
  const fakeChannel = () => {
    const ch = { closed: 0, close: () => void ch.closed++ };
    return ch;
  };

  afterEach(() => {
    vi.useRealTimers();
  });

  it("returns the channel when it arrives in time", async () => {
    vi.useFakeTimers();
    const ch = fakeChannel();
    const opening = openChannel("t", "opening x", 1000, (cb) =>
      setTimeout(() => cb(undefined, ch as unknown as ClientChannel), 5),
    );
    await vi.advanceTimersByTimeAsync(5);
    const got = await opening;
    expect(got).toBe(ch);
    expect(ch.closed).toBe(0);
  });

  it("times out, and closes a channel that arrives after the deadline instead of leaking it", async () => {
    vi.useFakeTimers();
    const ch = fakeChannel();
    let deliver: () => void = () => undefined;
    const opening = openChannel(
      "t",
      "opening x",
      20,
      (cb) => (deliver = () => cb(undefined, ch as unknown as ClientChannel)),
    );
    const timedOut = expect(opening).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(20);
    await timedOut;
    deliver();
    expect(ch.closed).toBe(1);
  });

  it("maps a refusal with the caller's mapping", async () => {
    const refused = openChannel(
      "t",
      "opening x",
      1000,
      (cb) => cb(new Error("open failed"), undefined as unknown as ClientChannel),
      (e) => new Error(`mapped: ${e.message}`),
    );
    await expect(refused).rejects.toThrow("mapped: open failed");
  });
});
