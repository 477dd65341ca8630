import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sshKeygen } from "../support/keys";
import {
  AuthenticationError,
  ConnectionError,
  DockerPermissionError,
  HostKeyMismatchError,
  type ServerState,
} from "../../provider";
import { harness } from "../support/controllers";
import { ScratchSshd } from "../support/sshd";
import { read, rootServer, testHost, type TestHost } from "../support/testhost";

let h: TestHost;
const t = harness();

beforeAll(() => {
  h = testHost();
});
afterAll(() => t.close());

function expectFacts(s: ServerState) {
  expect(s.dockerVersion).toMatch(/^\d+\.\d+/);
  expect(s.apiVersion).toMatch(/^1\.\d+$/);
  expect(s.os).toMatch(/Debian/);
  expect(s.architecture).toBeTruthy();
  expect(s.kernelVersion).toBeTruthy();
  expect(s.cpus).toBeGreaterThan(0);
  expect(s.memoryBytes).toBeGreaterThan(0);
  expect(s.hostKeyFingerprint).toBe(h.hostKeyFingerprint);
}

describe("Server over SSH", () => {
  it("connects with a private key and records what it found, including the swarm manager role", async () => {
    const { id, state } = await t.rootServer(h);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expectFacts(state);
    expect(state.swarmState).toBe("active");
    expect(state.swarmRole).toBe("manager");
    expect(state.swarmNodeId).toMatch(/^[a-z0-9]{25}$/);
    // Trust on first use: the key seen is recorded in the connection destinations reuse.
    expect(state.hostPublicKey).toBe(h.hostPublicKey);
    expect(state.connection.hostKey).toBe(h.hostPublicKey);
  });

  it("connects with a password", async () => {
    const { state } = await t.createServer({
      host: h.host,
      port: h.port,
      user: h.dockerUser,
      password: h.dockerUserPassword,
    });
    expectFacts(state);
  });

  it("connects with an encrypted key and its passphrase", async () => {
    const { state } = await t.rootServer(h, { privateKey: read(h.encKey), privateKeyPassword: h.encKeyPassphrase });
    expectFacts(state);
  });

  it("connects through an ssh-agent", async () => {
    const { state } = await t.createServer({ host: h.host, port: h.port, user: "root", agentSocketPath: h.agentSock });
    expectFacts(state);
  });

  it("connects through a jump host and records the jump host's key too", async () => {
    const j = harness();
    try {
      const { state } = await j.createServer({
        ...rootServer(h),
        proxy: { host: h.host, port: h.jumpPort, user: "root", privateKey: read(h.rootKey) },
      });
      expectFacts(state);
      // Two handshakes: the jump host, then the server through it.
      expect(j.ctl.transport.pool.metrics.handshakes).toBe(2);
      expect(state.connection.proxy?.hostKey).toBe(h.hostPublicKey);
      expect(state.connection.proxy?.port).toBe(h.jumpPort);
    } finally {
      j.close();
    }
  });

  it("accepts a pinned host key given as a key line or as a fingerprint", async () => {
    expectFacts((await t.rootServer(h, { hostKey: h.hostPublicKey })).state);
    expectFacts((await t.rootServer(h, { hostKey: h.hostKeyFingerprint })).state);
  });

  it("refuses a wrong pinned host key, showing both fingerprints", async () => {
    const wrong = sshKeygen().public;
    const err = await t.rootServer(h, { hostKey: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect((err as Error).message).toContain(h.hostKeyFingerprint);
    expect((err as HostKeyMismatchError).actual).toBe(h.hostKeyFingerprint);
    expect((err as Error).message).toMatch(/expected SHA256:\S+ but the server presented SHA256:/);
  });

  it("records the host key on first use and refuses a changed key later", async () => {
    const sshd = new ScratchSshd(h, 20000 + Math.floor(Math.random() * 10000));
    const keyA = sshd.newHostKey("a");
    sshd.newHostKey("b");
    const j = harness();
    try {
      sshd.start("a");
      const { id, state } = await j.createServer({ ...rootServer(h), port: sshd.port, dialErrorLimit: 1 });
      expect(state.hostPublicKey).toBe(keyA);
      // Same port, same address, another key: what a man in the middle looks like.
      sshd.stop();
      sshd.start("b");
      j.ctl.transport.pool.closeAll();
      const err = await j.ctl.server.read(id, state).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect((err as HostKeyMismatchError).expected).toBe(state.hostKeyFingerprint);
      expect((err as Error).message).toContain(state.hostKeyFingerprint);
      // An update without a hostKey keeps enforcing the recorded one.
      const upd = await j.ctl.server
        .update(id, state, {
          ...j.ctl.server.check(undefined, { ...rootServer(h), port: sshd.port, dialErrorLimit: 1, description: "x" })
            .inputs,
        })
        .catch((e: unknown) => e);
      expect(upd).toBeInstanceOf(HostKeyMismatchError);
    } finally {
      sshd.stop();
      j.close();
    }
  });

  it("works as a non-root user in the docker group", async () => {
    const { state } = await t.createServer({
      host: h.host,
      port: h.port,
      user: h.dockerUser,
      privateKey: read(h.dockerUserKey),
    });
    expectFacts(state);
  });

  it("explains what to change when the user may not use the Docker socket", async () => {
    const err = await t
      .createServer({ host: h.host, port: h.port, user: h.nodockerUser, privateKey: read(h.nodockerUserKey) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerPermissionError);
    expect((err as Error).message).toContain(`user '${h.nodockerUser}' may not open /var/run/docker.sock`);
    expect((err as Error).message).toContain(`usermod -aG docker ${h.nodockerUser}`);
  });

  it("says authentication was refused for a key the server does not know", async () => {
    const stranger = sshKeygen().private;
    const err = await t.rootServer(h, { privateKey: stranger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/authentication refused for user 'root' \(offered: private key\)/);
  });

  it("falls back to docker system dial-stdio where stream-local forwarding is refused", async () => {
    const j = harness();
    try {
      const { state } = await j.rootServer(h, { port: h.nostreamPort });
      expectFacts(state);
      const session = j.ctl.transport.pool.session(state.connection);
      expect(session.streamLocalRefused).toBe(true);
    } finally {
      j.close();
    }
  });

  it("refresh re-inspects, and an unreachable server is an error, never a removal", async () => {
    const { id, state } = await t.rootServer(h);
    const again = await t.ctl.server.read(id, state);
    expect(again.id).toBe(id);
    expect(again.state.dockerVersion).toBe(state.dockerVersion);
    expect(again.state.swarmRole).toBe("manager");
    const gone = { ...state, connection: { ...state.connection, port: 2239, dialErrorLimit: 2, perDialTimeout: 2 } };
    const err = await t.ctl.server.read(id, gone).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain("connection refused");
  });

  it("updates connection settings in place (new port, new credentials) and keeps enforcing the host key", async () => {
    const { id, state } = await t.rootServer(h);
    const news = t.ctl.server.check(undefined, {
      host: h.host,
      port: h.sparePort,
      user: h.dockerUser,
      password: h.dockerUserPassword,
    }).inputs;
    const diff = t.ctl.server.diff(id, state, news);
    expect(diff.replaces).toEqual([]);
    expect(diff.updates).toEqual(expect.arrayContaining(["port", "user", "privateKey", "password"]));
    const updated = await t.ctl.server.update(id, state, news);
    expect(updated.port).toBe(h.sparePort);
    expect(updated.user).toBe(h.dockerUser);
    expect(updated.connection.hostKey).toBe(h.hostPublicKey);
    expect(updated.connection.privateKey).toBeUndefined();
  });

  it("deleting a server forgets it and touches nothing", async () => {
    const { id, state } = await t.rootServer(h);
    const before = t.ctl.transport.pool.metrics.channelsOpened;
    await t.ctl.server.delete();
    expect(t.ctl.transport.pool.metrics.channelsOpened).toBe(before);
    expect((await t.ctl.server.read(id, state)).state.dockerVersion).toBe(state.dockerVersion);
  });
});
