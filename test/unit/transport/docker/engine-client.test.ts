// When a Docker call's timeout starts: once its request has an open channel,
// not when the call is made. The session is a stand-in whose channels are
// unix-socket connections to a small local HTTP server, opened after a delay
// (as a channel waits for a slow SSH dial); dockerode, the agent and the
// channel socket are the real ones.

import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientChannel } from "ssh2";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  DockerApiError,
  DockyardError,
  HostKeyMismatchError,
  NotFoundError,
  TimeoutError,
  UnsupportedError,
} from "../../../../provider/errors";
import { ChannelSocket } from "../../../../provider/transport/docker/channel-socket";
import { DockerClient, negotiateApiVersion } from "../../../../provider/transport/docker/engine-client";
import type { EngineApi } from "../../../../provider/engine-api";
import { FakeDaemon } from "../../../support/fake-engine";
import { serveEngine, type LocalEngine } from "../../../support/local-engine";
import type { DockerSocketSource } from "../../../../provider/transport/docker/docker-socket";

let dir: string;
let socketPath: string;
let server: Server;
/** How long the server waits before answering, ms. */
let answerAfterMs = 0;
const seen: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dy-call-"));
  socketPath = join(dir, "api.sock");
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    setTimeout(() => {
      if (req.url === "/version") {
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ Version: "20.10.24", ApiVersion: "1.41", MinAPIVersion: "1.12" }));
      } else if (req.url === "/v1.41/_ping") {
        res.setHeader("Content-Type", "text/plain");
        res.end("OK");
      } else {
        res.statusCode = 404;
        res.end();
      }
    }, answerAfterMs);
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** A session whose every channel opens `openAfterMs` after it is asked for. */
function slowSession(openAfterMs: number): DockerSocketSource {
  const session = {
    target: "root@test:22",
    openDockerSocket: () =>
      new ChannelSocket(
        new Promise<ClientChannel>((resolve) =>
          setTimeout(() => {
            const sock = connect(socketPath) as unknown as ClientChannel & { destroy(): void };
            sock.close = () => sock.destroy();
            resolve(sock);
          }, openAfterMs),
        ),
        () => undefined,
        () => undefined,
      ),
  };
  return session as unknown as DockerSocketSource;
}

describe("a Docker call's timeout", () => {
  it("starts once the channel is open: a channel slower than the timeout does not use it up", async () => {
    answerAfterMs = 0;
    seen.length = 0;
    const docker = new DockerClient(slowSession(1200), "/var/run/docker.sock", { timeoutMs: 500, attempts: 1 });
    expect(await docker.ping()).toBe("OK");
    // The API version is picked first (unversioned), then every request names it.
    expect(seen).toEqual(["GET /version", "GET /v1.41/_ping"]);
    expect(docker.apiVersion).toBe("1.41");
  });

  it("still bounds the request once the channel is open", async () => {
    answerAfterMs = 1500;
    seen.length = 0;
    const docker = new DockerClient(slowSession(10), "/var/run/docker.sock", { timeoutMs: 300, attempts: 1 });
    const err = await docker.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe("root@test:22: Docker version timed out after 300 ms");
  });
});

describe("negotiating the Engine API version", () => {
  it("speaks the oldest Engine API both sides support, and refuses daemons older than 1.41", () => {
    // Debian 12's docker.io (20.10): its own version.
    expect(negotiateApiVersion({ Version: "20.10.24+dfsg1", ApiVersion: "1.41", MinAPIVersion: "1.12" }, "t")).toBe(
      "1.41",
    );
    // Newer daemons that still accept 1.41 get 1.41, so responses keep one shape.
    expect(negotiateApiVersion({ Version: "27.5.1", ApiVersion: "1.47", MinAPIVersion: "1.24" }, "t")).toBe("1.41");
    // Docker 29 accepts nothing older than 1.44.
    expect(negotiateApiVersion({ Version: "29.0.0", ApiVersion: "1.52", MinAPIVersion: "1.44" }, "t")).toBe("1.44");
    let err: unknown;
    try {
      negotiateApiVersion({ Version: "20.10.0-old", ApiVersion: "1.40", MinAPIVersion: "1.12" }, "root@h:22");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe(
      "root@h:22: Docker 20.10.0-old speaks Engine API 1.40; Dockyard needs API 1.41 (Docker 20.10) or newer. Upgrade Docker on the server.",
    );
  });
});

describe("DockerClient.call", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const client = (attempts = 3) =>
    new DockerClient({ target: "root@h:22" } as unknown as DockerSocketSource, "/var/run/docker.sock", { attempts });

  it("retries an idempotent call after a transport failure, a bounded number of times, backing off", async () => {
    vi.useFakeTimers();
    let tries = 0;
    const done = client().call(
      "network list",
      async () => {
        if (++tries < 3) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        return "listed";
      },
      { idempotent: true },
    );
    await vi.advanceTimersByTimeAsync(99);
    expect(tries).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tries).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(await done).toBe("listed");
    expect(tries).toBe(3);
  });

  it("gives up after its attempts with the last failure, mapped to a ConnectionError", async () => {
    vi.useFakeTimers();
    let tries = 0;
    const done = client(3)
      .call(
        "info",
        async () => {
          throw new Error(`socket hang up ${++tries}`);
        },
        { idempotent: true },
      )
      .catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const err = await done;
    expect(tries).toBe(3);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe("root@h:22: Docker info failed in transit: socket hang up 3");
  });

  it("never repeats a call that is not idempotent", async () => {
    let tries = 0;
    const err = await client()
      .call(
        "network create x",
        async () => {
          tries++;
          throw new Error("socket hang up");
        },
        { idempotent: false },
      )
      .catch((e: unknown) => e);
    expect(tries).toBe(1);
    expect(err).toBeInstanceOf(ConnectionError);
  });

  it("never repeats a failure retrying cannot mend: a daemon's answer, a refused login, a host key mismatch, an exhausted dial", async () => {
    const exhausted = new ConnectionError("root@h:22", "could not connect");
    exhausted.dialExhausted = true;
    const failures: unknown[] = [
      Object.assign(new Error("(HTTP code 500) server error"), { statusCode: 500, json: { message: "boom" } }),
      new AuthenticationError("root@h:22", "all authentication methods failed"),
      new HostKeyMismatchError("root@h:22", "SHA256:a", "SHA256:b"),
      exhausted,
    ];
    for (const failure of failures) {
      let tries = 0;
      const err = await client()
        .call(
          "info",
          async () => {
            tries++;
            throw failure;
          },
          { idempotent: true },
        )
        .catch((e: unknown) => e);
      expect(tries).toBe(1);
      expect(err).toBeInstanceOf(DockyardError);
      if (failure instanceof DockyardError) expect(err).toBe(failure);
    }
  });

  it("maps the daemon's answers: 404 NotFoundError, 409 ConflictError, others DockerApiError with the status", async () => {
    const answer = (statusCode: number, json: unknown, reason?: string) =>
      client()
        .call(
          "network inspect x",
          async () => {
            throw Object.assign(new Error(`(HTTP code ${statusCode})`), { statusCode, json, reason });
          },
          { idempotent: false },
        )
        .catch((e: unknown) => e);
    const nf = await answer(404, { message: "network x not found" });
    expect(nf).toBeInstanceOf(NotFoundError);
    expect((nf as Error).message).toBe("root@h:22: network inspect x: network x not found");
    const cf = await answer(409, { message: "network with name x already exists" });
    expect(cf).toBeInstanceOf(ConflictError);
    expect((cf as ConflictError).statusCode).toBe(409);
    expect((cf as Error).message).toBe("root@h:22: network inspect x: network with name x already exists");
    const other = await answer(403, { message: "Pool overlaps with other one on this address space" });
    expect(other).toBeInstanceOf(DockerApiError);
    expect(other).not.toBeInstanceOf(ConflictError);
    expect((other as DockerApiError).statusCode).toBe(403);
    expect((other as Error).message).toBe(
      "root@h:22: network inspect x: Docker answered 403: Pool overlaps with other one on this address space",
    );
    // A body that is not JSON is the text; no body at all is the status's reason.
    expect(((await answer(500, Buffer.from("plain failure\n"))) as Error).message).toBe(
      "root@h:22: network inspect x: Docker answered 500: plain failure",
    );
    expect(((await answer(500, undefined, "server error")) as Error).message).toBe(
      "root@h:22: network inspect x: Docker answered 500: server error",
    );
  });
});

describe("DockerClient over the Engine API of the fake daemon", () => {
  let daemon: FakeDaemon;
  let engine: LocalEngine;
  let docker: DockerClient;

  beforeAll(async () => {
    daemon = new FakeDaemon({ target: "root@fake:22", swarm: "manager" });
    engine = await serveEngine(daemon);
    docker = new DockerClient(engine.session(), "/var/run/docker.sock", { timeoutMs: 1000 });
  });
  afterAll(() => engine.close());

  /** The same call on the fake directly and through the real client: the same outcome. */
  async function both<T>(call: (api: EngineApi) => Promise<T>): Promise<{ direct: unknown; client: unknown }> {
    const settle = (p: Promise<T>) =>
      p.then(
        (v) => ({ value: v }),
        (e: unknown) => ({ error: e }),
      );
    return { direct: await settle(call(daemon)), client: await settle(call(docker)) };
  }

  function sameError(r: { direct: unknown; client: unknown }): DockyardError {
    const d = (r.direct as { error?: unknown }).error;
    const c = (r.client as { error?: unknown }).error;
    expect(d).toBeInstanceOf(DockyardError);
    expect(c?.constructor).toBe(d?.constructor);
    expect((c as DockyardError).code).toBe((d as DockyardError).code);
    expect((c as DockerApiError).statusCode).toBe((d as DockerApiError).statusCode);
    expect((c as Error).message).toBe((d as Error).message);
    return d as DockyardError;
  }

  it("answers as the fake does, in the same shapes", async () => {
    const id = daemon.addNetwork({ Name: "cross", Labels: { a: "b" } });
    const r = await both((api) => api.inspectNetwork(id));
    expect((r.client as { value: unknown }).value).toEqual((r.direct as { value: unknown }).value);
    const l = await both((api) => api.listNetworks({ name: ["cross"] }));
    expect((l.client as { value: unknown }).value).toEqual((l.direct as { value: unknown }).value);
    expect(await docker.ping()).toBe("OK");
    expect((await docker.info()).Swarm).toEqual((await daemon.info()).Swarm);
  });

  it("fails as the fake does, error for error", async () => {
    const busy = daemon.addNetwork({ Name: "busy", IPAM: { Config: [{ Subnet: "10.77.0.0/24" }] } });
    daemon.addNetwork({ Name: "taken", Driver: "overlay", Attachable: true });
    daemon.addNetwork({ Name: "twice" });
    daemon.addNetwork({ Name: "twice" });
    daemon.addContainer("app");
    daemon.attach(busy, "app");
    const lone = daemon.addContainer("lone");
    const cases: Array<[(api: EngineApi) => Promise<unknown>, new (...a: never[]) => DockyardError]> = [
      [(api) => api.inspectNetwork("nope"), NotFoundError],
      [(api) => api.inspectNetwork("twice"), DockerApiError],
      [(api) => api.createNetwork({ Name: "taken", Driver: "overlay" }), ConflictError],
      [(api) => api.createNetwork({ Name: "busy", CheckDuplicate: true }), ConflictError],
      [
        (api) => api.createNetwork({ Name: "overlap", IPAM: { Config: [{ Subnet: "10.77.0.128/25" }] } }),
        DockerApiError,
      ],
      [(api) => api.connectContainer(busy, "ghost"), NotFoundError],
      [(api) => api.connectContainer(busy, "app"), DockerApiError],
      [(api) => api.disconnectContainer(busy, lone, false), DockerApiError],
      [(api) => api.disconnectContainer(busy, "ghost", true), NotFoundError],
      [(api) => api.removeNetwork(busy), DockerApiError],
      [(api) => api.removeNetwork("bridge"), DockerApiError],
      [(api) => api.inspectContainer("ghost"), NotFoundError],
      [(api) => api.listNetworks({ bogus: ["x"] }), DockerApiError],
    ];
    for (const [call, kind] of cases) expect(sameError(await both(call))).toBeInstanceOf(kind);
  });

  it("changes the daemon as the fake does", async () => {
    const id = await docker.createNetwork({ Name: "made", Labels: { x: "y" } });
    expect(daemon.peek("made")!.Id).toBe(id);
    daemon.addContainer("c1");
    await docker.connectContainer(id, "c1");
    expect(Object.values(daemon.peek(id)!.Containers!).map((c) => c.Name)).toEqual(["c1"]);
    await docker.disconnectContainer(id, "c1", false);
    await docker.removeNetwork(id);
    expect(await docker.findNetwork(id)).toBeUndefined();
  });

  it("a call the daemon holds ends with a TimeoutError; an idempotent one is tried three times", async () => {
    const held = new FakeDaemon({ target: "root@slow:22" });
    const slow = await serveEngine(held);
    try {
      const client = new DockerClient(slow.session(), "/var/run/docker.sock", { timeoutMs: 500 });
      await client.ping();
      const hangs = [held.hang("inspectNetwork"), held.hang("inspectNetwork"), held.hang("inspectNetwork")];
      const err = await client.inspectNetwork("bridge").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).message).toBe("root@slow:22: Docker network inspect bridge timed out after 500 ms");
      expect(held.callsTo("inspectNetwork")).toHaveLength(3);
      const create = held.hang("createNetwork");
      await expect(client.createNetwork({ Name: "n" })).rejects.toBeInstanceOf(TimeoutError);
      expect(held.callsTo("createNetwork")).toHaveLength(1);
      for (const h of [...hangs, create]) h.release();
    } finally {
      await slow.close();
    }
  });

  it("a connection broken mid-request: an idempotent call is retried, a create is not", async () => {
    daemon.fail("listNetworks", new Error("link down"));
    daemon.fail("listNetworks", new Error("link down"));
    const before = daemon.callsTo("listNetworks").length;
    expect((await docker.listNetworks()).length).toBeGreaterThan(0);
    expect(daemon.callsTo("listNetworks").length - before).toBe(3);
    daemon.fail("createNetwork", new Error("link down"), { after: true });
    const err = await docker.createNetwork({ Name: "half" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/^root@fake:22: Docker network create half failed in transit: /);
    // The daemon made it; the answer was lost.
    expect(daemon.peek("half")).toBeDefined();
    expect(daemon.callsTo("createNetwork").filter((a) => (a[0] as { Name: string }).Name === "half")).toHaveLength(1);
  });
});
