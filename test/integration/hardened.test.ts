import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createUnixServer, connect as connectUnix, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionError,
  DockerUnavailableError,
  HostKeyMismatchError,
  Transport,
  type ConnectionSpec,
} from "../../provider";
import { statRemote } from "../../provider/transport/docker/socket-diagnosis";
import { Relay } from "../support/relay";
import { ScratchSshd } from "../support/sshd";
import { docker, rootSpec, testHost, type TestHost } from "../support/testhost";

// Against the test host's production-like sshds (docs/testhost.md): what a
// permissive sshd hides.

let h: TestHost;

beforeAll(() => {
  h = testHost();
});

/** root's connection to `port` of the test host: short dial settings, so failures come quickly. */
const spec = (port: number, extra: Partial<ConnectionSpec> = {}): ConnectionSpec => rootSpec(h, port, extra);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lines of an sshd log that mention one of the relay's local ports. */
function logLinesFor(log: string, ports: number[]): string[] {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => ports.some((p) => l.includes(` port ${p}`) && !l.includes(` port ${p}0`)));
}

describe("a re-dial after a reset enforces the host key the session verified", () => {
  it.each([
    ["trust on first use", undefined],
    ["a pinned key", "pinned"],
  ])(
    "with %s: the password never reaches the other key's sshd, and the error is a host-key mismatch or a connection error",
    async (_what, pin) => {
      const relay = new Relay(h.port);
      const port = await relay.start();
      const transport = new Transport();
      try {
        const s = spec(port, {
          user: h.dockerUser,
          privateKey: undefined,
          password: h.dockerUserPassword,
          hostKey: pin ? h.hostPublicKey : undefined,
        });
        const docker = transport.docker(s);
        await docker.ping();
        expect(transport.pool.session(s).hostKey?.fingerprint).toBe(h.hostKeyFingerprint);
        // Reset the connection as the next channel opens; the re-dial reaches an sshd with another key.
        relay.onNext("up", () => {
          relay.switchTo(h.otherKeyPort);
          relay.resetAll();
        });
        const err = await docker.listNetworks().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeDefined();
        expect(
          err instanceof HostKeyMismatchError ||
            (err instanceof ConnectionError && !(err instanceof HostKeyMismatchError)),
        ).toBe(true);
        expect(err).not.toBeInstanceOf(DockerUnavailableError);
        // Dial again on purpose: refused on the host key, before any credential.
        const again = await transport.pool
          .session(s)
          .connect()
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(again).toBeInstanceOf(HostKeyMismatchError);
        const otherPorts = relay.dials.filter((d) => d.upstream === h.otherKeyPort).map((d) => d.localPort);
        expect(otherPorts.length).toBeGreaterThan(0);
        const log = join(h.stateDir, "sshd-otherkey.log");
        // sshd logs each connection's end; wait (bounded) until every one is there.
        for (let i = 0; i < 50; i++) {
          const lines = logLinesFor(log, otherPorts);
          if (
            otherPorts.every((p) => lines.some((l) => l.includes(` port ${p}`) && /closed|Disconnected|reset/i.test(l)))
          )
            break;
          await sleep(100);
        }
        const lines = logLinesFor(log, otherPorts);
        expect(lines.some((l) => l.includes("Connection from"))).toBe(true);
        expect(lines.filter((l) => /password|Accepted|Failed|authenticat/i.test(l))).toEqual([]);
      } finally {
        transport.closeAll();
        await relay.close();
      }
    },
  );
});

describe("a server with MaxSessions 10 that refuses stream-local forwarding", () => {
  it("carries 40 concurrent calls and a concurrent remote command (dial-stdio sessions capped and released)", async () => {
    const transport = new Transport();
    try {
      const s = spec(h.limitedPort);
      const docker = transport.docker(s);
      const session = transport.pool.session(s);
      const calls = Array.from({ length: 40 }, (_, i) =>
        i % 2 ? docker.listNetworks().then(() => "ok") : docker.ping(),
      );
      const cmd = session.run(["id", "-u"], 10_000);
      const results = await Promise.allSettled([...calls, cmd]);
      const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
      expect(failed).toEqual([]);
      await session.probing;
      expect(session.streamLocalRefused).toBe(true);
      // And again, once the first channels are kept alive or released.
      const second = await Promise.allSettled(Array.from({ length: 30 }, () => docker.info()));
      expect(second.filter((r) => r.status === "rejected")).toEqual([]);
    } finally {
      transport.closeAll();
    }
  });
});

describe("a forwarding server whose daemon was briefly away", () => {
  let dir: string;
  let proxy: NetServer | undefined;
  afterAll(() => {
    proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("does not switch to dial-stdio for good after a channel failed while the daemon restarted", async () => {
    dir = mkdtempSync(join(tmpdir(), "dy-restart-"));
    const sock = join(dir, "docker.sock");
    // A socket left by a daemon that went away: there, but nothing listens.
    execFileSync("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", sock]);
    const relay = new Relay(h.port);
    const port = await relay.start();
    const transport = new Transport();
    try {
      const s = spec(port, { dockerSocket: sock });
      const session = transport.pool.session(s);
      await session.connect();
      // The forward fails (nothing listens); as its failure comes back, the daemon is back.
      relay.onNext("down", async () => {
        rmSync(sock, { force: true });
        proxy = createUnixServer((c) => {
          const up = connectUnix(h.dockerSocket);
          c.pipe(up).pipe(c);
          c.on("error", () => up.destroy());
          up.on("error", () => c.destroy());
        });
        await new Promise<void>((r) => proxy!.listen(sock, r));
      });
      const docker = transport.docker(s);
      expect(await docker.ping()).toBe("OK");
      // The forward tried once dial-stdio reached the daemon decides; it went through.
      await session.probing;
      expect(session.streamLocalRefused).toBe(false);
      expect(await docker.ping()).toBe("OK");
      expect(session.streamLocalRefused).toBe(false);
    } finally {
      transport.closeAll();
      await relay.close();
    }
  });
});

describe("dial-stdio names the socket", () => {
  it("reaches the daemon on dockerSocket, not the one the login environment's DOCKER_HOST names", async () => {
    const transport = new Transport();
    try {
      // Both daemons share /etc/docker (so their engine ID); their data roots tell them apart.
      const rootDir = (i: unknown) => (i as { DockerRootDir?: string }).DockerRootDir;
      const mainId = docker("info", "--format", "{{.DockerRootDir}}");
      const decoyId = docker("-H", `unix://${h.decoyDockerSocket}`, "info", "--format", "{{.DockerRootDir}}");
      expect(decoyId).not.toBe(mainId);
      // The login environment really points elsewhere.
      const env = await transport.pool.session(spec(h.dockerHostPort)).run(["sh", "-c", "echo $DOCKER_HOST"], 10_000);
      expect(env.stdout.trim()).toBe(`unix://${h.decoyDockerSocket}`);
      const info = await transport.docker(spec(h.dockerHostPort)).info();
      expect(rootDir(info)).toBe(mainId);
      const decoy = await transport.docker(spec(h.dockerHostPort, { dockerSocket: h.decoyDockerSocket })).info();
      expect(rootDir(decoy)).toBe(decoyId);
    } finally {
      transport.closeAll();
    }
  });
});

describe("a server without the SFTP subsystem", () => {
  it("still tries dial-stdio after a refused forward, and reaches the daemon", async () => {
    const transport = new Transport();
    try {
      const docker = transport.docker(spec(h.nosftpPort));
      expect(await docker.ping()).toBe("OK");
      const session = transport.pool.session(spec(h.nosftpPort));
      await session.probing;
      expect(session.streamLocalRefused).toBe(true);
    } finally {
      transport.closeAll();
    }
  });

  it("names a missing socket as missing, without blaming permissions", async () => {
    const transport = new Transport();
    try {
      const err = await transport
        .docker(spec(h.nosftpPort, { dockerSocket: "/var/run/dockyard-nothing-here.sock" }))
        .ping()
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(err).toBeInstanceOf(DockerUnavailableError);
      expect(err!.message).toMatch(/no Docker socket at \/var\/run\/dockyard-nothing-here\.sock/);
      expect(err!.message).not.toMatch(/permission/);
    } finally {
      transport.closeAll();
    }
  });
});

describe("host-key algorithm", () => {
  it.each([
    ["RSA", () => h.hostRsaPublicKey, "ssh-rsa "],
    ["ECDSA", () => h.hostEcdsaPublicKey, "ecdsa-sha2-nistp256 "],
    ["ed25519", () => h.hostPublicKey, "ssh-ed25519 "],
  ])(
    "a server with RSA, ECDSA and ed25519 keys and a pinned %s key: the pinned key is negotiated",
    async (_t, key, prefix) => {
      const transport = new Transport();
      try {
        const s = spec(h.multiKeyPort, { hostKey: key() });
        expect(await transport.docker(s).ping()).toBe("OK");
        const seen = transport.pool.session(s).hostKey!;
        expect(seen.publicKey.startsWith(prefix)).toBe(true);
        expect(seen.publicKey).toBe(key());
      } finally {
        transport.closeAll();
      }
    },
  );

  it("a re-dial after trust on first use negotiates the key first seen", async () => {
    const transport = new Transport();
    try {
      const s = spec(h.multiKeyPort);
      const session = transport.pool.session(s);
      await session.connect();
      const first = session.hostKey!.publicKey;
      session.connected!.end();
      for (let i = 0; i < 50 && session.connected; i++) await sleep(20);
      await session.connect();
      expect(session.hostKey!.publicKey).toBe(first);
    } finally {
      transport.closeAll();
    }
  });
});

describe("remote commands and stat go through the channel rules", () => {
  it("run() reports a process killed by a signal as a failure, not exit 0", async () => {
    const transport = new Transport();
    try {
      const r = await transport.pool.session(spec(h.port)).run(["sh", "-c", "kill -KILL $$"], 10_000);
      expect(r.code).not.toBe(0);
      expect(r.signal).toBe("KILL");
    } finally {
      transport.closeAll();
    }
  });

  it("an SFTP channel that arrives after its deadline is closed, not left open on the server", async () => {
    const sshd = new ScratchSshd(h, 20000 + Math.floor(Math.random() * 10000));
    sshd.newHostKey("k");
    sshd.start("k");
    const transport = new Transport();
    const sftpServers = () =>
      spawnSync("pgrep", ["-f", "sftp-server"], { encoding: "utf8" })
        .stdout.split("\n")
        .filter(Boolean)
        .filter((pid) => {
          // Only sessions of this scratch sshd.
          let p = pid;
          for (let i = 0; i < 10 && p && p !== "1"; i++) {
            const cmd = spawnSync("ps", ["-o", "args=", "-p", p], { encoding: "utf8" }).stdout;
            if (cmd.includes(sshd.dir)) return true;
            p = spawnSync("ps", ["-o", "ppid=", "-p", p], { encoding: "utf8" }).stdout.trim();
          }
          return false;
        });
    try {
      const session = transport.pool.session(spec(sshd.port));
      await session.connect();
      const err = await statRemote(session, h.dockerSocket, 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeDefined();
      // The late channel is closed once it arrives: its sftp-server exits (bounded wait).
      let left = sftpServers();
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await sleep(50);
        left = sftpServers();
      }
      expect(left).toEqual([]);
      // The connection is still usable.
      expect((await statRemote(session, h.dockerSocket, 10_000))?.uid).toBe(0);
    } finally {
      transport.closeAll();
      sshd.stop();
    }
  });
});
