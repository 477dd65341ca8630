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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeoutError } from "../../provider/errors";
import { ChannelSocket } from "../../provider/transport/docker/channel-socket";
import { DockerClient } from "../../provider/transport/docker/engine-client";
import type { DockerSocketSource } from "../../provider/transport/docker/docker-socket";

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
