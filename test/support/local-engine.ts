/**
 * A fake daemon (fake-engine.ts) served as the Engine API over HTTP on a
 * local unix socket, and an SSH session stand-in whose "channels" are
 * connections to that socket: the real `DockerClient` (dockerode, the agent,
 * `ChannelSocket`) then talks to the fake as it would to a dockerd.
 *
 * An error the fake answers with (a `DaemonAnswer`) goes out as its HTTP
 * status and `{"message": …}`; any other error (an injected transport
 * failure) destroys the connection mid-request, as a broken channel does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientChannel } from "ssh2";
import { ChannelSocket } from "../../provider/transport/docker/channel-socket";
import type { DockerSocketSource } from "../../provider/transport/docker/docker-socket";
import { DaemonAnswer, type FakeDaemon } from "./fake-engine";

export interface LocalEngine {
  socketPath: string;
  /** Requests received, `METHOD /path`. */
  requests: string[];
  /** A session stand-in whose channels open after `openAfterMs` (default at once). */
  session(opts?: { target?: string; openAfterMs?: number }): DockerSocketSource;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Route one request to the fake; undefined when no route matches. */
async function route(
  daemon: FakeDaemon,
  req: IncomingMessage,
): Promise<{ status: number; json?: unknown; text?: string } | undefined> {
  const url = new URL(req.url ?? "/", "http://engine");
  const path = url.pathname.replace(/^\/v\d+\.\d+/, "");
  const m = req.method;
  let r: RegExpExecArray | null;
  if (m === "GET" && path === "/_ping") return { status: 200, text: await daemon.ping() };
  if (m === "GET" && path === "/version") return { status: 200, json: await daemon.version() };
  if (m === "GET" && path === "/info") return { status: 200, json: await daemon.info() };
  if (m === "GET" && path === "/networks") {
    const f = url.searchParams.get("filters");
    return {
      status: 200,
      json: await daemon.listNetworks(f ? (JSON.parse(f) as Record<string, string[]>) : undefined),
    };
  }
  if (m === "POST" && path === "/networks/create") {
    const id = await daemon.createNetwork((await body(req)) as never);
    return { status: 201, json: { Id: id, Warning: "" } };
  }
  if ((r = /^\/networks\/([^/]+)\/(connect|disconnect)$/.exec(path)) && m === "POST") {
    const b = await body(req);
    const id = decodeURIComponent(r[1]!);
    if (r[2] === "connect") await daemon.connectContainer(id, String(b.Container));
    else await daemon.disconnectContainer(id, String(b.Container), b.Force === true);
    return { status: 200 };
  }
  if ((r = /^\/networks\/([^/]+)$/.exec(path))) {
    const id = decodeURIComponent(r[1]!);
    if (m === "GET") return { status: 200, json: await daemon.inspectNetwork(id) };
    if (m === "DELETE") {
      await daemon.removeNetwork(id);
      return { status: 204 };
    }
  }
  if ((r = /^\/containers\/([^/]+)\/json$/.exec(path)) && m === "GET") {
    return { status: 200, json: await daemon.inspectContainer(decodeURIComponent(r[1]!)) };
  }
  return undefined;
}

function answer(res: ServerResponse, status: number, out: { json?: unknown; text?: string }): void {
  res.statusCode = status;
  if (out.json !== undefined) {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(out.json));
  } else {
    res.setHeader("Content-Type", "text/plain");
    res.end(out.text ?? "");
  }
}

export async function serveEngine(daemon: FakeDaemon): Promise<LocalEngine> {
  const dir = mkdtempSync(join(tmpdir(), "dy-engine-"));
  const socketPath = join(dir, "docker.sock");
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    route(daemon, req).then(
      (out) => (out ? answer(res, out.status, out) : answer(res, 404, { json: { message: "page not found" } })),
      (err: unknown) => {
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof DaemonAnswer) answer(res, cause.statusCode, { json: cause.json });
        else req.socket.destroy();
      },
    );
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    requests,
    session(opts = {}) {
      const open = () =>
        new Promise<ClientChannel>((resolve) =>
          setTimeout(() => {
            const sock = connect(socketPath) as unknown as ClientChannel & { destroy(): void };
            sock.close = () => sock.destroy();
            resolve(sock);
          }, opts.openAfterMs ?? 0),
        );
      const session = {
        target: opts.target ?? daemon.target,
        openDockerSocket: () =>
          new ChannelSocket(
            open(),
            () => undefined,
            () => undefined,
          ),
      };
      return session as unknown as DockerSocketSource;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
