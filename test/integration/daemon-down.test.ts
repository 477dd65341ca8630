import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerUnavailableError } from "../../provider";
import { harness } from "../support/controllers";
import { testHost, testhost, type TestHost } from "../support/testhost";

let h: TestHost;
const t = harness();

beforeAll(() => {
  h = testHost();
});
afterAll(() => {
  t.close();
  // Whatever happened, leave the daemon running for the next file.
  testhost("dockerd", "start");
});

describe("a Docker daemon that is not there", () => {
  it("says dockerd is not running when its socket is missing", async () => {
    const err = await t.rootServer(h, { dockerSocket: "/run/dockyard-no-such-docker.sock" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect((err as Error).message).toContain(
      "no Docker socket at /run/dockyard-no-such-docker.sock: dockerd is not running",
    );
  });

  it("says dockerd is not running when a stale socket is left behind", async () => {
    // A socket file nobody listens on, as a crashed dockerd leaves it.
    const dir = mkdtempSync(join(tmpdir(), "dy-stale-"));
    const sock = join(dir, "docker.sock");
    execFileSync("python3", [
      "-c",
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)})`,
    ]);
    const err = await t.rootServer(h, { dockerSocket: sock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect((err as Error).message).toMatch(/nothing accepts connections on .*docker.sock: dockerd is not running/);
  });

  it("says dockerd is not running when the real daemon is stopped, and works again once it is back", async () => {
    testhost("dockerd", "stop");
    try {
      const err = await t.rootServer(h).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerUnavailableError);
      expect((err as Error).message).toMatch(/dockerd is not running/);
    } finally {
      testhost("dockerd", "start");
    }
    const { state } = await t.rootServer(h);
    expect(state.swarmRole).toBe("manager");
  });
});
