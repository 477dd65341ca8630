// The Server controller's create, read, update and delete on the fake engine:
// the daemon facts it records, the host keys it pins (trust on first use, the
// jump host's too) and carries over on update. Against a real sshd and
// dockerd: test/integration/server.test.ts and hardened.test.ts.
import { describe, expect, it } from "vitest";
import {
  ConnectionError,
  DockerUnavailableError,
  HostKeyMismatchError,
  UnsupportedError,
} from "../../../provider/errors";
import type { SshEndpoint } from "../../../provider/transport/endpoint";
import { fakeHostKey, FakeDaemons } from "../../support/fake-engine";
import { world } from "../../support/fake-world";
import { ServerController } from "../../../provider/server/server-controller";
import type { ResourceController } from "../../../provider/resource";
import { createControllers, UNKNOWN } from "../../../provider";
import { checkServer } from "../../../provider/server/server-check";
import type { ServerInputs, ServerState } from "../../../provider/server/server-types";

describe("Server create", () => {
  it("records the daemon's facts, the host key seen and a connection that pins it", async () => {
    const w = world();
    const key = w.daemons.server("web1").hostKey;
    const { id, state } = await w.servers.create(w.serverInputs({ description: "the web box" }));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(state).toMatchObject({
      host: "web1",
      name: "web1",
      description: "the web box",
      dockerVersion: "20.10.24+dfsg1",
      apiVersion: "1.41",
      os: "Debian GNU/Linux 12 (bookworm)",
      architecture: "x86_64",
      kernelVersion: "6.1.0-fake",
      cpus: 2,
      memoryBytes: 4 * 2 ** 30,
      swarmState: "inactive",
      swarmRole: "none",
      swarmNodeId: "",
      hostKeyFingerprint: key.fingerprint,
      hostPublicKey: key.publicKey,
    });
    expect(state.connection).toEqual({
      host: "web1",
      port: 22,
      user: "root",
      password: "pw",
      perDialTimeout: 15,
      dialErrorLimit: 10,
      dockerSocket: "/var/run/docker.sock",
      hostKey: key.publicKey,
    });
    expect(w.daemon.calls.map((c) => c.method).sort()).toEqual(["info", "ping", "version"]);
  });

  it("reports a swarm manager's and a worker's role and node id", async () => {
    for (const role of ["manager", "worker"] as const) {
      const w = world({ swarm: role });
      const { state } = await w.servers.create(w.serverInputs());
      expect(state).toMatchObject({ swarmState: "active", swarmRole: role, swarmNodeId: w.daemon.nodeId });
    }
  });

  it("facts the daemon leaves out fall back to its version's, then to nothing", async () => {
    const w = world({ version: { Os: "linux", Arch: "arm64", KernelVersion: "6.6" } });
    w.daemon.infoExtra = {};
    const { state } = await w.servers.create(w.serverInputs());
    expect(state).toMatchObject({ os: "linux", architecture: "arm64", kernelVersion: "6.6", cpus: 0, memoryBytes: 0 });
  });

  it("refuses a daemon older than Engine API 1.41", async () => {
    const w = world({ version: { Version: "19.03.15", ApiVersion: "1.40" } });
    const err = await w.servers.create(w.serverInputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe(
      "root@web1:22: Docker 19.03.15 speaks Engine API 1.40; Dockyard needs API 1.41 (Docker 20.10) or newer. Upgrade Docker on the server.",
    );
  });

  it("a pinned host key is kept as given and enforced", async () => {
    const w = world();
    const key = w.daemons.server("web1").hostKey;
    const { state } = await w.servers.create(w.serverInputs({ hostKey: key.fingerprint }));
    expect(state.connection.hostKey).toBe(key.fingerprint);
    expect(state.hostPublicKey).toBe(key.publicKey);
    const other = fakeHostKey();
    const err = await w.servers.create(w.serverInputs({ hostKey: other.publicKey })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect((err as Error).message).toContain(
      `host key mismatch: expected ${other.fingerprint} but the server presented ${key.fingerprint}`,
    );
  });

  it("through a jump host: both host keys are pinned", async () => {
    const w = world();
    const jump = w.daemons.server("jump", 2222).hostKey;
    const { state } = await w.servers.create(w.serverInputs({ proxy: { host: "jump", port: 2222, password: "pw" } }));
    expect(state.connection.hostKey).toBe(w.daemons.server("web1").hostKey.publicKey);
    expect(state.connection.proxy).toMatchObject({ host: "jump", port: 2222, hostKey: jump.publicKey });
  });

  it("a socket without a daemon, or a server that refuses connections, is an error", async () => {
    const w = world();
    await expect(w.servers.create(w.serverInputs({ dockerSocket: "/run/other.sock" }))).rejects.toBeInstanceOf(
      DockerUnavailableError,
    );
    w.daemons.server("web1").up = false;
    const err = await w.servers.create(w.serverInputs({ dialErrorLimit: 2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe(
      "could not connect to root@web1:22 after 2 attempts: connection refused: is sshd listening on port 22?",
    );
  });

  it("a transport that connected without seeing a host key is an internal error, never a state without one", async () => {
    class Forgetful extends FakeDaemons {
      override hostKeySeen(): undefined {
        return undefined;
      }
    }
    const daemons = new Forgetful();
    daemons.daemon("web1");
    const ctl = new ServerController(daemons);
    const inputs = world().serverInputs();
    await expect(ctl.create(inputs)).rejects.toThrow("internal: connected without recording the host key");
  });
});

describe("Server read", () => {
  it("reconnects exactly as recorded and refreshes the facts, keeping the recorded connection and inputs", async () => {
    const w = world();
    const { id, state } = await w.servers.create(w.serverInputs());
    w.daemon.setSwarmRole("manager");
    w.daemon.versionInfo = { ...w.daemon.versionInfo, Version: "24.0.7", ApiVersion: "1.43" };
    const r = await w.servers.read(id, state);
    expect(r.id).toBe(id);
    expect(r.state).toMatchObject({
      swarmRole: "manager",
      swarmState: "active",
      dockerVersion: "24.0.7",
      apiVersion: "1.43",
    });
    expect(r.state.connection).toEqual(state.connection);
    expect(r.inputs).toEqual({
      host: "web1",
      port: 22,
      user: "root",
      password: "pw",
      perDialTimeout: 15,
      dialErrorLimit: 10,
      dockerSocket: "/var/run/docker.sock",
      name: "web1",
    });
    // The last connection made was the recorded one, host key pinned.
    expect(w.daemons.connections.at(-1)).toEqual(state.connection);
  });

  it("a server presenting another host key now: a mismatch, never 'gone'", async () => {
    const w = world();
    const { id, state } = await w.servers.create(w.serverInputs());
    const fresh = new FakeDaemons();
    fresh.daemon("web1");
    const err = await new ServerController(fresh).read(id, state).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyMismatchError);
  });

  it("an unreachable server: an error, never 'gone'", async () => {
    const w = world();
    const { id, state } = await w.servers.create(w.serverInputs());
    w.daemons.server("web1").up = false;
    await expect(w.servers.read(id, state)).rejects.toBeInstanceOf(ConnectionError);
  });
});

describe("Server update", () => {
  it("keeps the recorded host key pinned (no new trust on first use), also for a state without a recorded connection key", async () => {
    const w = world();
    const { id, state } = await w.servers.create(w.serverInputs());
    const updated = await w.servers.update(id, state, w.serverInputs({ description: "new", user: "deploy" }));
    expect(updated).toMatchObject({ description: "new", user: "deploy" });
    expect(updated.connection).toMatchObject({ user: "deploy", hostKey: state.hostPublicKey });
    const { hostKey: _k, ...unpinned } = state.connection;
    const older = await w.servers.update(id, { ...state, connection: unpinned }, w.serverInputs());
    expect(older.connection.hostKey).toBe(state.hostPublicKey);
  });

  it("a host key given in the new inputs is what the next connection enforces", async () => {
    const w = world();
    const { id, state } = await w.servers.create(w.serverInputs());
    const other = fakeHostKey();
    await expect(w.servers.update(id, state, w.serverInputs({ hostKey: other.publicKey }))).rejects.toBeInstanceOf(
      HostKeyMismatchError,
    );
  });

  it("the server's host key rotated while recorded: a mismatch", async () => {
    const w = world();
    const { id, state } = await w.servers.create(w.serverInputs());
    const moved = new FakeDaemons();
    moved.daemon("web1");
    await expect(new ServerController(moved).update(id, state, w.serverInputs())).rejects.toBeInstanceOf(
      HostKeyMismatchError,
    );
  });

  it("the jump host's recorded key carries over while it is the same jump host (host compared case-insensitively)", async () => {
    const w = world();
    const jump = w.daemons.server("jump", 2222).hostKey;
    const proxy = { host: "jump", port: 2222, password: "pw" };
    const { id, state } = await w.servers.create(w.serverInputs({ proxy }));
    w.daemons.server("JUMP", 2222);
    const updated = await w.servers.update(
      id,
      state,
      w.serverInputs({ proxy: { ...proxy, host: "JUMP" }, description: "x" }),
    );
    expect(updated.connection.proxy?.hostKey).toBe(jump.publicKey);
    const spec = w.daemons.connections.at(-1)!;
    expect((spec.proxy as SshEndpoint).hostKey).toBe(jump.publicKey);
  });

  it("another jump host (or port) is trusted on first use, not held to the old one's key", async () => {
    const w = world();
    w.daemons.server("jump", 2222);
    const { id, state } = await w.servers.create(
      w.serverInputs({ proxy: { host: "jump", port: 2222, password: "pw" } }),
    );
    const other = w.daemons.server("jump2", 22).hostKey;
    const updated = await w.servers.update(id, state, w.serverInputs({ proxy: { host: "jump2", password: "pw" } }));
    expect(updated.connection.proxy?.hostKey).toBe(other.publicKey);
    const moved = w.daemons.server("jump", 2223).hostKey;
    const again = await w.servers.update(
      id,
      state,
      w.serverInputs({ proxy: { host: "jump", port: 2223, password: "pw" } }),
    );
    expect(again.connection.proxy?.hostKey).toBe(moved.publicKey);
    // Dropping the jump host drops its key.
    const direct = await w.servers.update(id, state, w.serverInputs());
    expect(direct.connection.proxy).toBeUndefined();
  });
});

describe("Server delete", () => {
  it("never touches the machine", async () => {
    const w = world();
    const { id, state } = await w.servers.create(w.serverInputs());
    const before = w.daemon.calls.length;
    const connections = w.daemons.connections.length;
    const ctl: ResourceController<ServerInputs, ServerState> = w.servers;
    await ctl.delete(id, state);
    expect(w.daemon.calls.length).toBe(before);
    expect(w.daemons.connections.length).toBe(connections);
  });
});

// Diff is pure: no transport is used.
const { server: diffing } = createControllers();

const serverInputs = checkServer({ host: "10.9.8.7", password: "pw" }, {}).inputs;
const serverState = {
  ...serverInputs,
  connection: { ...serverInputs, dockerSocket: serverInputs.dockerSocket },
} as unknown as ServerState;

describe("Server diff", () => {
  it("reports no change for identical inputs", () => {
    expect(diffing.diff("id", serverState, serverInputs)).toMatchObject({ changes: false, replaces: [], updates: [] });
  });
  it("updates connection settings in place", () => {
    const d = diffing.diff("id", serverState, { ...serverInputs, port: 2222, user: "deploy", password: "rotated" });
    expect(d).toMatchObject({ changes: true, replaces: [] });
    expect(d.updates).toEqual(["port", "user", "password"]);
  });
  it("replaces on a different host or socket", () => {
    expect(diffing.diff("id", serverState, { ...serverInputs, host: "10.9.8.6" }).replaces).toEqual(["host"]);
    expect(diffing.diff("id", serverState, { ...serverInputs, dockerSocket: "/run/other.sock" }).replaces).toEqual([
      "dockerSocket",
    ]);
  });
  it("treats unknown values as changes", () => {
    expect(diffing.diff("id", serverState, { ...serverInputs, host: UNKNOWN }).replaces).toEqual(["host"]);
  });
  it("keeps the recorded host key stable through in-place updates, except a new hostKey", () => {
    expect(diffing.diff("id", serverState, { ...serverInputs, port: 2222 }).stables).toEqual([
      "hostPublicKey",
      "hostKeyFingerprint",
    ]);
    const rotated = diffing.diff("id", serverState, {
      ...serverInputs,
      hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
    });
    expect(rotated).toMatchObject({ changes: true, replaces: [], updates: ["hostKey"] });
    expect(rotated.stables).not.toContain("hostPublicKey");
    expect(rotated.stables).not.toContain("hostKeyFingerprint");
    const unknown = diffing.diff("id", serverState, { ...serverInputs, hostKey: UNKNOWN });
    expect(unknown.stables).not.toContain("hostPublicKey");
  });
  it("updates in place, keeping the host key outputs, when the host differs only in letter case (same machine)", () => {
    const named = { ...serverState, host: "Web-1.Example.COM" };
    const d = diffing.diff("id", named, { ...serverInputs, host: "web-1.example.com" });
    expect(d).toMatchObject({ changes: true, replaces: [], updates: ["host"] });
    expect(d.stables).toEqual(["hostPublicKey", "hostKeyFingerprint"]);
    expect(diffing.diff("id", named, { ...serverInputs, host: "web-2.example.com" }).replaces).toEqual(["host"]);
  });
});

describe("Server diff, on a host name", () => {
  const inputs = checkServer({ host: "Web1.example.com", password: "pw" }, {}).inputs;
  const state = { ...inputs, connection: { ...inputs } } as unknown as ServerState;
  it("a host differing only in letter case is the same machine: updated, not replaced", () => {
    const d = diffing.diff("id", state, { ...inputs, host: "web1.EXAMPLE.com" });
    expect(d).toMatchObject({ changes: true, replaces: [], updates: ["host"] });
  });
});
