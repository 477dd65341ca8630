import { createServer, type Server as NetServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionError,
  DockyardError,
  MAX_CHANNELS,
  TimeoutError,
  Transport,
  type ConnectionSpec,
} from "../../provider";
import { DelayProxy } from "../support/sandbox";
import { rootSpec, testHost, testhost, type TestHost } from "../support/testhost";

let h: TestHost;

beforeAll(() => {
  h = testHost();
});

/** root's connection to `port` of the test host: short dial settings, so failures come quickly. */
const spec = (port: number, extra: Partial<ConnectionSpec> = {}): ConnectionSpec => rootSpec(h, port, extra);

describe("one pooled SSH connection per server", () => {
  const transport = new Transport();
  afterAll(() => transport.closeAll());

  it("carries 1,000 sequential and 200 concurrent Docker calls over exactly one handshake", async () => {
    const docker = transport.docker(spec(h.port));
    for (let i = 0; i < 1000; i++) {
      const nets = await docker.listNetworks();
      expect(nets.some((n) => n.Name === "bridge")).toBe(true);
    }
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? docker.inspectNetwork("bridge") : docker.ping())),
    );
    expect(results).toHaveLength(200);
    const m = transport.pool.metrics;
    expect(m.handshakes).toBe(1);
    expect(m.dialFailures).toBe(0);
    // Channels are reused and capped, never one per request.
    expect(m.channelsOpen).toBeLessThanOrEqual(MAX_CHANNELS);
    expect(m.channelsOpened).toBeLessThanOrEqual(MAX_CHANNELS + 2);
  });

  it("shares the connection between resources that pin the host key and one that recorded it", async () => {
    const before = transport.pool.metrics.handshakes;
    await transport.docker(spec(h.port, { hostKey: h.hostPublicKey })).ping();
    await transport.docker(spec(h.port, { hostKey: h.hostKeyFingerprint })).ping();
    expect(transport.pool.metrics.handshakes).toBe(before);
  });

  it("closes every channel when the connection is closed", async () => {
    const t2 = new Transport();
    const docker = t2.docker(spec(h.port));
    await Promise.all(Array.from({ length: 40 }, () => docker.ping()));
    expect(t2.pool.metrics.channelsOpen).toBeGreaterThan(0);
    t2.closeAll();
    for (let i = 0; i < 50 && t2.pool.metrics.channelsOpen > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(t2.pool.metrics.channelsOpen).toBe(0);
  });
});

describe("a Docker call's timeout starts once its channel is open", () => {
  it("a handshake slower than the call timeout does not use it up", async () => {
    // 250 ms each way: the SSH handshake (several round trips) takes seconds,
    // each Docker request one round trip (0.5 s), under the 1.5 s call timeout.
    const link = await new DelayProxy({ host: h.host, port: h.port }, 250).start();
    const t = new Transport({ callTimeoutMs: 1500, log: () => undefined });
    try {
      const started = Date.now();
      const docker = t.docker(spec(link.port, { perDialTimeout: 30 }));
      expect(await docker.ping()).toBe("OK");
      // The dial alone took longer than a call may.
      expect(Date.now() - started).toBeGreaterThan(1500);
      expect(t.pool.metrics.handshakes).toBe(1);
      expect(docker.apiVersion).toMatch(/^1\.\d+$/);
    } finally {
      t.closeAll();
      await link.stop();
    }
  });
});

describe("failures end in errors within their timeouts, never hangs", () => {
  let silent: NetServer;
  let silentPort = 0;

  beforeAll(async () => {
    // Accepts TCP connections and never says a word: a hung sshd.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(() => {
    silent.close();
    testhost("spare", "start");
  });

  it("gives up on a server that never completes the handshake after perDialTimeout × dialErrorLimit", async () => {
    const t = new Transport();
    const started = Date.now();
    const err = await t
      .docker(spec(silentPort, { perDialTimeout: 1, dialErrorLimit: 2 }))
      .ping()
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    t.closeAll();
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(
      /^could not connect to root@127\.0\.0\.1:\d+ after 2 attempts: SSH handshake timed out after 1000 ms$/,
    );
    // The budget: two 1 s dials and the 250 ms back-off between them (the message names the 2
    // attempts); it took about 2.1 s here. The bound is 5× the budget because a shared 2-core
    // machine can hold up timers by seconds; dialling on past the budget would still pass it.
    expect(elapsed).toBeLessThan(5 * (2 * 1000 + 250));
  });

  it("errors (does not hang) when sshd is killed mid-stream, and reconnects once it is back", async () => {
    testhost("spare", "start");
    const t = new Transport({ callTimeoutMs: 5000 });
    const docker = t.docker(spec(h.sparePort));
    await docker.ping();
    let stop = false;
    const outcomes: Array<{ ok: boolean; err?: unknown; ms: number }> = [];
    const worker = async () => {
      while (!stop) {
        const s = Date.now();
        try {
          await docker.listNetworks();
          outcomes.push({ ok: true, ms: Date.now() - s });
        } catch (err) {
          outcomes.push({ ok: false, err, ms: Date.now() - s });
          return;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    testhost("spare", "stop");
    // A worker returns only once a call of its own has failed (stop is still false), so the
    // workers win the race only if every one of them got an error. Each call's budget is 15 s
    // (its 5 s timeout and two 5 s dials, checked below); they failed within 0.4 s here.
    let timer: NodeJS.Timeout | undefined;
    const winner = await Promise.race([
      Promise.all(workers).then(() => "every worker's call failed" as const),
      new Promise<"30 s passed">((r) => (timer = setTimeout(() => r("30 s passed"), 30_000))),
    ]);
    clearTimeout(timer);
    stop = true;
    expect(winner).toBe("every worker's call failed");
    const failures = outcomes.filter((o) => !o.ok);
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(0);
    expect(failures).toHaveLength(8);
    for (const f of failures) {
      expect(f.err).toBeInstanceOf(DockyardError);
      expect(f.err).toBeInstanceOf(ConnectionError);
      // Each failing call ends within its own timeout plus the bounded reconnect attempts (15 s,
      // some 40× the 0.4 s they took here: generous enough for a loaded 2-core machine).
      expect(f.ms).toBeLessThan(5000 + 2 * 5000);
    }
    testhost("spare", "start");
    await docker.ping();
    expect(t.pool.metrics.handshakes).toBe(2);
    t.closeAll();
  });
});
