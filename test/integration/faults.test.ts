// Faults while the controllers work, over the real transport: sshd killed
// during a burst of creates, dockerd restarted during one, the connection
// dropped between "preview" and "up" in one process, a slow link and a link
// that stalls. Every operation ends in success or a clear DockyardError within
// its timeout; afterwards what the controllers recorded matches the daemon,
// and running again converges.
//
// The Docker daemon is the sandbox's own (test/support/sandbox.ts), so
// restarting it touches nobody else; the spare sshd (port 2225) of the test
// host is the one killed, as scripts/testhost allows.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createControllers,
  DockyardError,
  TimeoutError,
  Transport,
  type DestinationState,
  type ServerState,
} from "../../provider";
import { harness, type Harness } from "../support/controllers";
import { labelledNetworks } from "../support/networks";
import { DelayProxy, Sandbox } from "../support/sandbox";
import { read, repoRoot, testHost, testhost, uniq, type TestHost } from "../support/testhost";

const run = promisify(execFile);
const testhostAsync = (...args: string[]) => run(`${repoRoot}/scripts/testhost`, args);

let h: TestHost;
let sb: Sandbox;
const P = uniq("dyfault");
const open: Harness[] = [];

beforeAll(() => {
  h = testHost();
  testhost("spare", "start");
  sb = new Sandbox({ dockerd: true });
});

afterAll(() => {
  for (const t of open) t.close();
  sb?.destroy();
  testhost("spare", "start");
});

/** Controllers on a transport of their own with this call timeout, and the helpers that check inputs first. */
function suite(callTimeoutMs: number): Harness {
  const t = harness({
    controllers: createControllers({ transport: new Transport({ callTimeoutMs }), log: () => undefined }),
    project: "faults",
    stack: "test",
    destinationDefaults: { labels: { suite: P } },
  });
  open.push(t);
  return t;
}

interface Outcome {
  network: string;
  ms: number;
  id?: string;
  state?: DestinationState;
  err?: unknown;
}

/** Create `networks` with `workers` at a time; `onFirst` runs (not awaited by the workers) after the first success. */
async function burst(
  t: Harness,
  server: ServerState,
  networks: string[],
  workers: number,
  onFirst: () => Promise<void>,
): Promise<{ outcomes: Outcome[]; fault: Promise<void> }> {
  const { ctl } = t;
  const queue = [...networks];
  const outcomes: Outcome[] = [];
  let fault: Promise<void> | undefined;
  const worker = async () => {
    for (let network = queue.shift(); network; network = queue.shift()) {
      const started = Date.now();
      try {
        const { id, state } = await ctl.destination.create(t.checkDestination(server, { network }));
        outcomes.push({ network, ms: Date.now() - started, id, state });
        fault ??= onFirst();
      } catch (err) {
        outcomes.push({ network, ms: Date.now() - started, err });
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return { outcomes, fault: fault ?? Promise.resolve() };
}

/** Networks of this suite on the sandbox's daemon whose names start with `prefix`: name → id. */
const onDaemon = (prefix: string) =>
  labelledNetworks(
    (...args) => sb.docker(...args),
    `suite=${P}`,
    (name) => name.startsWith(prefix),
  );

/**
 * What was recorded matches the daemon: every success exists with its id;
 * anything else there is a network whose create failed in flight.
 */
function expectRecordedMatchesDaemon(outcomes: Outcome[], prefix: string): void {
  const daemon = onDaemon(prefix);
  const ok = outcomes.filter((o) => o.id);
  for (const o of ok) expect(daemon.get(o.network), o.network).toBe(o.id);
  const failed = new Set(outcomes.filter((o) => o.err).map((o) => o.network));
  for (const name of daemon.keys())
    if (!ok.some((o) => o.network === name))
      expect(failed.has(name), `${name} is neither recorded nor failed`).toBe(true);
}

/** Run again: every failed create succeeds now; then everything reads back with no diff and the daemon has exactly these. */
async function expectConverges(
  t: Harness,
  server: ServerState,
  outcomes: Outcome[],
  prefix: string,
  names: string[],
): Promise<void> {
  const { ctl } = t;
  const states = new Map<string, { id: string; state: DestinationState }>();
  for (const o of outcomes) if (o.id && o.state) states.set(o.network, { id: o.id, state: o.state });
  for (const o of outcomes.filter((x) => x.err)) {
    const { id, state } = await ctl.destination.create(t.checkDestination(server, { network: o.network }));
    states.set(o.network, { id, state });
  }
  expect([...states.keys()].sort()).toEqual([...names].sort());
  for (const [network, { id, state }] of states) {
    const fresh = await ctl.destination.read(id, state);
    expect(fresh?.id).toBe(id);
    expect(ctl.destination.diff(id, fresh!.state, t.checkDestination(server, { network })).changes).toBe(false);
  }
  const daemon = onDaemon(prefix);
  expect([...daemon.keys()].sort()).toEqual([...names].sort());
  for (const [network, { id }] of states) expect(daemon.get(network)).toBe(id);
}

function expectClear(err: unknown, pattern: RegExp): void {
  expect(err).toBeInstanceOf(DockyardError);
  const msg = (err as Error).message;
  expect(msg).toMatch(pattern);
  // Messages never carry key material.
  expect(msg).not.toMatch(/PRIVATE KEY|AAAA[A-Za-z0-9+/]{40}/);
}

describe("sshd killed during a burst of creates (the spare sshd)", () => {
  it("every create succeeds or fails clearly in bounded time; what was recorded exists; running again converges", async () => {
    const t = suite(5000);
    const { state: server } = await t.createServer({
      host: h.host,
      port: h.sparePort,
      user: "root",
      privateKey: read(h.rootKey),
      dockerSocket: sb.dockerSocket,
      perDialTimeout: 3,
      dialErrorLimit: 2,
    });
    const prefix = `${P}-kill`;
    const names = Array.from({ length: 16 }, (_, i) => `${prefix}-${i}`);
    const { outcomes, fault } = await burst(t, server, names, 4, async () => {
      await testhostAsync("spare", "stop");
    });
    await fault;
    const failures = outcomes.filter((o) => o.err);
    expect(outcomes.filter((o) => o.id).length).toBeGreaterThan(0);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      // Either the call itself failed, or Docker made the network and the link broke before
      // it was set up and could be removed again: then the message names what is left behind.
      expectClear(
        f.err,
        /^(root@127\.0\.0\.1:2225: (network '\S+' \(id [0-9a-f]{12}\) was created but setting it up failed \()?(could not connect to root@127\.0\.0\.1:2225 after 2 attempts: (connection refused: is sshd listening on port 2225\?|connection reset by the server|SSH connection failed)|Docker .* failed in transit|connection reset by the server)|could not connect to root@127\.0\.0\.1:2225 after 2 attempts: (connection refused: is sshd listening on port 2225\?|connection reset by the server|SSH connection failed))/,
      );
      if (/was created but/.test((f.err as Error).message))
        expect((f.err as Error).message).toMatch(/left on the server; the next `pulumi up` takes it over\.$/);
      // The call's timeout (5 s) plus two dials (3 s each) and the back-off between them: 13 s,
      // some 15× the 0.8 s the slowest failure took here, so a loaded machine does not reach it.
      expect(f.ms).toBeLessThan(5000 + 2 * 3000 + 2000);
    }
    expectRecordedMatchesDaemon(outcomes, prefix);

    await testhostAsync("spare", "start");
    await expectConverges(t, server, outcomes, prefix, names);
  });
});

describe("dockerd restarted during a burst of creates (the sandbox's own dockerd)", () => {
  it("every create succeeds or fails clearly in bounded time; what was recorded exists; running again converges", async () => {
    const t = suite(5000);
    const { state: server } = await t.createServer({
      host: sb.address,
      privateKey: sb.clientKey,
      dockerSocket: sb.dockerSocket,
      perDialTimeout: 5,
      dialErrorLimit: 2,
    });
    const prefix = `${P}-restart`;
    const names = Array.from({ length: 24 }, (_, i) => `${prefix}-${i}`);
    const started = Date.now();
    const { outcomes, fault } = await burst(t, server, names, 4, () => sb.restartDockerdAsync());
    await fault;
    // The burst and the restart took 3.6 s here; 60 s is over 15× that.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(outcomes.filter((o) => o.id).length).toBeGreaterThan(0);
    for (const f of outcomes.filter((o) => o.err)) {
      // Ours, or the daemon's own answer while it shuts down, prefixed with the call that got it.
      expectClear(
        f.err,
        /dockerd is not running|Docker .* failed in transit|Docker .* timed out after 5000 ms|docker system dial-stdio failed|(^|: )network create \S+: Docker answered 5\d\d: /,
      );
      // Three tries of the 5 s call timeout and their back-off: 17 s, over 6× the 2.5 s the
      // slowest failure took here.
      expect(f.ms).toBeLessThan(3 * 5000 + 2000);
    }
    expectRecordedMatchesDaemon(outcomes, prefix);
    await expectConverges(t, server, outcomes, prefix, names);
  });
});

describe("the connection drops between preview and up, in one provider process", () => {
  it("reconnects on the next call: 'up' applies what 'preview' showed", async () => {
    const t = suite(10_000);
    const { ctl } = t;
    const m = ctl.transport.pool.metrics;
    const { state: server } = await t.createServer({
      host: sb.address,
      privateKey: sb.clientKey,
      dockerSocket: sb.dockerSocket,
      dialErrorLimit: 3,
    });
    const prefix = `${P}-drop`;
    const a = await ctl.destination.create(t.checkDestination(server, { network: `${prefix}-a` }));
    const b = await ctl.destination.create(t.checkDestination(server, { network: `${prefix}-b` }));
    expect(m.handshakes).toBe(1);

    // "preview": refresh and diff against the program's new inputs.
    const news = {
      a: t.checkDestination(server, { network: `${prefix}-a`, name: "renamed" }),
      b: t.checkDestination(server, { network: `${prefix}-b` }),
    };
    const ra = (await ctl.destination.read(a.id, a.state))!;
    const rb = (await ctl.destination.read(b.id, b.state))!;
    expect(ctl.destination.diff(a.id, ra.state, news.a)).toMatchObject({
      changes: true,
      replaces: [],
      updates: ["name"],
    });
    expect(ctl.destination.diff(b.id, rb.state, news.b).changes).toBe(false);

    sb.killSshSessions();

    // "up": an in-place update and a new destination, over a new connection.
    const updated = await ctl.destination.update(a.id, ra.state, news.a);
    expect(updated.name).toBe("renamed");
    const c = await ctl.destination.create(t.checkDestination(server, { network: `${prefix}-c` }));
    expect(m.handshakes).toBe(2);
    expect([...onDaemon(prefix).keys()].sort()).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    expect(onDaemon(prefix).get(`${prefix}-c`)).toBe(c.id);
  });

  it("rides out sshd being down for a moment: the dial is retried with back-off", async () => {
    const t = suite(10_000);
    const { ctl } = t;
    const m = ctl.transport.pool.metrics;
    const { state: server } = await t.createServer({
      host: sb.address,
      privateKey: sb.clientKey,
      dockerSocket: sb.dockerSocket,
      perDialTimeout: 5,
      dialErrorLimit: 6,
    });
    sb.stopSshd();
    const back = new Promise<void>((resolve) =>
      setTimeout(() => {
        sb.startSshd();
        resolve();
      }, 1200),
    );
    const started = Date.now();
    const d = await ctl.destination.create(t.checkDestination(server, { network: `${P}-blip` }));
    await back;
    expect(d.state.networkId).toBe(d.id);
    expect(m.dialFailures).toBeGreaterThan(0);
    expect(m.handshakes).toBe(2);
    // Back-off is 250 ms, 500 ms, 1 s, 2 s, …: the sshd was back after 1.2 s, and the dial
    // after it at 1.75 s; the create took 2.0 s here. 10 s is 5× that.
    expect(Date.now() - started).toBeLessThan(5 * 2000);
  });
});

describe("a slow link (150 ms each way, plus a tbf rate limit on the sandbox's veth)", () => {
  let proxy: DelayProxy;
  beforeAll(async () => {
    proxy = await sb.slowLink(150);
  });
  afterAll(() => sb.fastLink());

  const viaProxy = (extra: Record<string, unknown> = {}) => ({
    host: "127.0.0.1",
    port: proxy.port,
    privateKey: sb.clientKey,
    hostKey: sb.hostPublicKey,
    dockerSocket: sb.dockerSocket,
    ...extra,
  });

  it("works, slowly, and every operation stays within its timeouts", async () => {
    const t = suite(10_000);
    const { ctl } = t;
    let started = Date.now();
    const { state: server } = await t.createServer(viaProxy({ perDialTimeout: 10, dialErrorLimit: 2 }));
    const serverMs = Date.now() - started;
    // Several round trips of 300 ms, yet no more than one dial and three calls' timeouts (40 s,
    // over 10× the 3.5 s it took here).
    expect(serverMs).toBeGreaterThan(900);
    expect(serverMs).toBeLessThan(10_000 + 3 * 10_000);
    started = Date.now();
    const names = Array.from({ length: 6 }, (_, i) => `${P}-slow-${i}`);
    const made = await Promise.all(
      names.map((n) => ctl.destination.create(t.checkDestination(server, { network: n }))),
    );
    // Each create within its call timeout (6 × 10 s; they took 1.7 s together here).
    expect(Date.now() - started).toBeLessThan(6 * 10_000);
    expect(ctl.transport.pool.metrics.handshakes).toBe(1);
    for (const d of made) {
      const fresh = await ctl.destination.read(d.id, d.state);
      expect(
        ctl.destination.diff(d.id, fresh!.state, t.checkDestination(server, { network: d.state.network })).changes,
      ).toBe(false);
    }
    expect([...onDaemon(`${P}-slow-`).keys()].sort()).toEqual([...names].sort());
  });

  it("a handshake slower than perDialTimeout fails with a timeout after perDialTimeout × dialErrorLimit, not later", async () => {
    const t = suite(10_000);
    const started = Date.now();
    const err = await t.createServer(viaProxy({ perDialTimeout: 1, dialErrorLimit: 2 })).catch((e: unknown) => e);
    const ms = Date.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    expectClear(
      err,
      /^could not connect to root@127\.0\.0\.1:\d+ after 2 attempts: SSH handshake timed out after 1000 ms$/,
    );
    // Two 1 s dials and the 250 ms back-off between them (the message names the 2 attempts):
    // never sooner than 2 s, and it took 2.0 s here. The upper bound is 5× the budget, since a
    // shared 2-core machine can hold up timers and the proxy by seconds.
    expect(ms).toBeGreaterThanOrEqual(2000);
    expect(ms).toBeLessThan(5 * (2 * 1000 + 250));
  });

  it("a link that stalls: calls end with a timeout instead of hanging, and work again once it recovers", async () => {
    const t = suite(2000);
    const { ctl } = t;
    const { state: server } = await t.createServer(viaProxy({ perDialTimeout: 10, dialErrorLimit: 2 }));
    const docker = ctl.transport.docker(server.connection);
    await docker.ping();
    proxy.stall();
    const started = Date.now();
    const errs = await Promise.all(
      [docker.listNetworks(), docker.info(), docker.ping()].map((p) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    const ms = Date.now() - started;
    proxy.resume();
    for (const err of errs) {
      expect(err).toBeInstanceOf(TimeoutError);
      expectClear(err, /timed out after 2000 ms/);
    }
    // Idempotent calls try three times, each bounded by the 2 s call timeout, with back-offs of
    // 100 and 200 ms between: 6.3 s (as it took here). The bound is 5× that, for a loaded
    // machine; the timeout errors above say the calls ended by their own timers.
    expect(ms).toBeLessThan(5 * (3 * 2000 + 100 + 200));
    // Once the link recovers, calls work again (on the same or a new connection).
    expect(await docker.ping()).toBe("OK");
  });
});
