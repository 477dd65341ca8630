import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { MAX_SESSIONS, SessionSlots, openSession } from "../../../../provider/transport/ssh/session-slots";

class FakeChannel extends EventEmitter {
  close(): void {
    this.emit("close");
  }
}

describe("session slots", () => {
  it("never holds more than MaxSessions (10) session channels, and a closed one frees its slot", async () => {
    const slots = new SessionSlots();
    expect(slots.limit).toBe(MAX_SESSIONS);
    expect(MAX_SESSIONS).toBe(10);
    let open = 0;
    let most = 0;
    const channels: FakeChannel[] = [];
    const opening = Array.from({ length: 25 }, () =>
      openSession(slots, async () => {
        open++;
        most = Math.max(most, open);
        const ch = new FakeChannel();
        ch.once("close", () => open--);
        channels.push(ch);
        return ch;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(channels).toHaveLength(10);
    expect(slots.waiting).toBe(15);
    // Close them as they come: every caller gets its channel in the end.
    for (let i = 0; i < 25; i++) {
      while (channels.length <= i) await new Promise((r) => setTimeout(r, 1));
      channels[i]!.close();
    }
    expect(await Promise.all(opening)).toHaveLength(25);
    expect(most).toBe(10);
    expect(slots.waiting).toBe(0);
  });

  it("retries a refusal ('open failed', as while the server frees a session) and gives the slot back on failure", async () => {
    const slots = new SessionSlots(1);
    let tries = 0;
    const ch = await openSession(slots, async () => {
      if (++tries < 3) throw Object.assign(new Error("(SSH) Channel open failure: open failed"), { reason: 2 });
      return new FakeChannel();
    });
    expect(tries).toBe(3);
    ch.close();
    await expect(
      openSession(slots, async () => {
        throw Object.assign(new Error("(SSH) Channel open failure: administratively prohibited"), { reason: 1 });
      }),
    ).rejects.toThrow(/prohibited/);
    // The failed open released its slot: the next caller does not wait.
    await openSession(slots, async () => new FakeChannel());
  });
});
