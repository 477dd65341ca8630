// Connecting has its own budget (perDialTimeout × dialErrorLimit) and its own
// error, with the default settings a new user has: against a port that
// accepts TCP and never speaks (a hung sshd, a firewall that accepts), and
// against a port that refuses. A Server create must fail with the connection
// error, never with a Docker call's timeout. Real ssh2 against real loopback
// sockets; neither the test host nor dockerd is involved.

import { createServer, type Server as NetServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionError, createControllers, DockyardError, TimeoutError, Transport } from "../../provider";
import { DEFAULTS } from "../../provider/transport/endpoint";
import { sshKeygen } from "../support/keys";

const key = sshKeygen().private;

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
}

/** A Server create with the default connection settings; what it threw, what was logged, and the dial counters. */
async function createWithDefaults(port: number) {
  const logs: string[] = [];
  const log = (m: string) => void logs.push(m);
  const ctl = createControllers({ transport: new Transport({ log }), log });
  const checked = ctl.server.check(undefined, { host: "127.0.0.1", port, privateKey: key });
  expect(checked.failures).toEqual([]);
  expect(checked.inputs).toMatchObject({
    perDialTimeout: DEFAULTS.perDialTimeoutSeconds,
    dialErrorLimit: DEFAULTS.dialErrorLimit,
  });
  const err = await ctl.server.create(checked.inputs).then(
    () => undefined,
    (e: unknown) => e,
  );
  const metrics = { ...ctl.transport.pool.metrics };
  ctl.transport.closeAll();
  return { err, logs, metrics };
}

describe("with the default settings (15 s per dial, 10 attempts)", () => {
  let silent: NetServer;
  let silentPort = 0;
  let refusedPort = 0;

  beforeAll(async () => {
    // Accepts TCP connections and never says a word.
    silent = createServer(() => undefined);
    silentPort = await listen(silent);
    // A port nothing listens on any more: connections are refused.
    const gone = createServer();
    refusedPort = await listen(gone);
    await new Promise((r) => gone.close(r));
  });
  afterAll(() => {
    silent.close();
  });

  it("a port that accepts and never speaks: the create fails with the connection error after 10 attempts, each retry logged as it happens", async () => {
    const { err, logs, metrics } = await createWithDefaults(silentPort);
    const target = `root@127.0.0.1:${silentPort}`;
    expect(err).toBeInstanceOf(DockyardError);
    expect(err).toBeInstanceOf(ConnectionError);
    // The kind of the last failure is kept: the handshake timed out.
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe(
      `could not connect to ${target} after 10 attempts: SSH handshake timed out after 15000 ms`,
    );
    expect((err as Error).message).not.toMatch(/Docker/);
    expect(metrics).toMatchObject({ handshakes: 0, dialFailures: 10, channelsOpened: 0 });
    expect(logs).toHaveLength(9);
    logs.forEach((line, i) => {
      // Each attempt used its whole slot of 15 s, so no pause is added before the next.
      expect(line).toMatch(
        new RegExp(
          `^${target.replace(/\./g, "\\.")}: dial ${i + 1}/10 failed: SSH handshake timed out after 15000 ms, retrying( in \\d ms)?$`,
        ),
      );
    });
  }, 200_000);

  it("a port that refuses: the create fails with the connection error after 10 attempts, with a growing pause between them", async () => {
    const { err, logs, metrics } = await createWithDefaults(refusedPort);
    const target = `root@127.0.0.1:${refusedPort}`;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).not.toBeInstanceOf(TimeoutError);
    expect((err as ConnectionError).code).toBe("CONNECTION");
    expect((err as Error).message).toBe(
      `could not connect to ${target} after 10 attempts: connection refused: is sshd listening on port ${refusedPort}?`,
    );
    expect(metrics).toMatchObject({ handshakes: 0, dialFailures: 10, channelsOpened: 0 });
    const pauses = logs.map((line, i) => {
      const m = line.match(/^(.*): dial (\d+)\/10 failed: (.*), retrying in (\d+) ms$/);
      expect(m, line).not.toBeNull();
      expect(m![1]).toBe(target);
      expect(Number(m![2])).toBe(i + 1);
      expect(m![3]).toBe(`connection refused: is sshd listening on port ${refusedPort}?`);
      return Number(m![4]);
    });
    expect(pauses).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000, 2000, 2000]);
  }, 60_000);
});
