// The bounded waits of a swarm network's life, on the fake engine's daemon,
// with the clock faked so the bounds are reached without waiting for them.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { allocated, removeWhenReleased } from "../../../provider/destination/network-waits";
import type { DestinationState } from "../../../provider/destination/destination-types";
import { ConflictError, DockerApiError, TimeoutError } from "../../../provider/errors";
import type { OperationContext } from "../../../provider/operation-context";
import { FakeDaemon } from "../../support/fake-engine";

const ctx = (signal?: AbortSignal): OperationContext => ({ log: () => undefined, ...(signal ? { signal } : {}) });
const stateOf = (network: string, type: "swarm" | "standalone") => ({ network, type }) as DestinationState;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("waiting for a new swarm network's allocation", () => {
  it("returns the network once it shows a driver, having polled until then", async () => {
    const d = new FakeDaemon({ target: "root@h:22", swarm: "manager", allocationInspects: 3 });
    const id = d.addNetwork({ Name: "ov", Driver: "overlay" });
    const waiting = allocated(d, id, ctx());
    await vi.advanceTimersByTimeAsync(1_000);
    const net = await waiting;
    expect(net.Driver).toBe("overlay");
    expect(d.callsTo("inspectNetwork")).toHaveLength(4);
  });

  it("gives up with a TimeoutError after 15 s", async () => {
    const d = new FakeDaemon({ target: "root@h:22", swarm: "manager", allocationInspects: 1_000_000 });
    const id = d.addNetwork({ Name: "ov", Driver: "overlay" });
    const waiting = allocated(d, id, ctx());
    const failed = expect(waiting).rejects.toThrow(
      new TimeoutError("root@h:22", "allocation of network 'ov' by the swarm", 15_000),
    );
    await vi.advanceTimersByTimeAsync(14_000);
    let settled = false;
    void waiting.catch(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_200);
    await failed;
  });

  it("stops when the operation is cancelled, with the signal's reason", async () => {
    const d = new FakeDaemon({ swarm: "manager", allocationInspects: 1_000_000 });
    const id = d.addNetwork({ Name: "ov", Driver: "overlay" });
    const abort = new AbortController();
    const waiting = allocated(d, id, ctx(abort.signal));
    const failed = expect(waiting).rejects.toThrow("cancelled by the engine");
    await vi.advanceTimersByTimeAsync(300);
    abort.abort(new Error("cancelled by the engine"));
    await vi.advanceTimersByTimeAsync(100);
    await failed;
    const inspects = d.callsTo("inspectNetwork").length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(d.callsTo("inspectNetwork")).toHaveLength(inspects);
  });
});

describe("removing a network once its endpoints are released", () => {
  it("retries while the network is in use, and removes it once it is released", async () => {
    const d = new FakeDaemon({ swarm: "manager" });
    const id = d.addNetwork({ Name: "ov", Driver: "overlay" });
    const held = d.holdRemotely("ov");
    const removing = removeWhenReleased(d, id, stateOf("ov", "swarm"), ctx());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(d.peek("ov")).toBeDefined();
    held.release();
    await vi.advanceTimersByTimeAsync(500);
    await removing;
    expect(d.peek("ov")).toBeUndefined();
    expect(d.callsTo("removeNetwork").length).toBeGreaterThan(2);
  });

  it("is done when the network is already gone", async () => {
    const d = new FakeDaemon();
    await removeWhenReleased(d, "no-such-id", stateOf("gone", "standalone"), ctx());
    expect(d.callsTo("removeNetwork")).toHaveLength(1);
  });

  it("after 15 s, says what probably holds it: for swarm, other nodes' containers", async () => {
    const d = new FakeDaemon({ target: "root@h:22", swarm: "manager" });
    const id = d.addNetwork({ Name: "ov", Driver: "overlay" });
    d.holdRemotely("ov");
    const removing = removeWhenReleased(d, id, stateOf("ov", "swarm"), ctx());
    const failed = removing.then(
      () => undefined,
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(16_000);
    const err = await failed;
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).message).toBe(
      "root@h:22: network 'ov' still has endpoints after 15 s: containers or services on other swarm nodes " +
        "are probably attached to it. Stop or disconnect them, then run again.",
    );
    expect((err as ConflictError).cause).toBeInstanceOf(DockerApiError);
    expect(d.peek("ov")).toBeDefined();
  });

  it("for a local network, names no swarm nodes", async () => {
    const d = new FakeDaemon({ target: "root@h:22" });
    const id = d.addNetwork({ Name: "br" });
    for (let i = 0; i < 40; i++)
      d.fail("removeNetwork", new DockerApiError(403, "error while removing network: network br has active endpoints"));
    const failed = removeWhenReleased(d, id, stateOf("br", "standalone"), ctx()).then(
      () => undefined,
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(16_000);
    expect(((await failed) as Error).message).toBe(
      "root@h:22: network 'br' still has endpoints after 15 s. Stop or disconnect them, then run again.",
    );
  });

  it("does not retry any other failure", async () => {
    const d = new FakeDaemon();
    const id = d.addNetwork({ Name: "br" });
    d.fail("removeNetwork", new DockerApiError(500, "daemon is shutting down"));
    await expect(removeWhenReleased(d, id, stateOf("br", "standalone"), ctx())).rejects.toThrow(
      "daemon is shutting down",
    );
    expect(d.callsTo("removeNetwork")).toHaveLength(1);
  });

  it("stops retrying when the operation is cancelled", async () => {
    const d = new FakeDaemon({ swarm: "manager" });
    const id = d.addNetwork({ Name: "ov", Driver: "overlay" });
    d.holdRemotely("ov");
    const abort = new AbortController();
    const failed = removeWhenReleased(d, id, stateOf("ov", "swarm"), ctx(abort.signal)).then(
      () => undefined,
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(1_000);
    abort.abort(new Error("cancelled"));
    await vi.advanceTimersByTimeAsync(500);
    expect(((await failed) as Error).message).toBe("cancelled");
    const removes = d.callsTo("removeNetwork").length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(d.callsTo("removeNetwork")).toHaveLength(removes);
  });
});
