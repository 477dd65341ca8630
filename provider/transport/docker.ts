import http from "node:http";
import { inspect } from "node:util";
import type { Duplex } from "node:stream";
import {
  ConflictError,
  ConnectionError,
  DockerApiError,
  DockyardError,
  NotFoundError,
  TimeoutError,
  isTransient,
} from "../errors";
import { DIAL_STDIO_CHANNELS } from "./session-slots";
import { SshPool, type SshSession } from "./ssh";
import { DEFAULTS, type ConnectionSpec } from "./types";

/** Channels one Docker client may hold open at once (sshd caps channels per connection). */
export const MAX_CHANNELS = 16;
/** Idle keep-alive channels are closed after this long. */
const IDLE_CHANNEL_MS = 15_000;

/**
 * An HTTP agent whose "sockets" are SSH channels to the Docker socket. Kept
 * alive and capped, so a burst of calls reuses a few channels instead of
 * opening one per request.
 */
class SshDockerAgent extends http.Agent {
  constructor(
    private readonly session: SshSession,
    private readonly socketPath: string,
    private readonly openTimeoutMs: number,
    private readonly hostKey: string | undefined,
  ) {
    super({ keepAlive: true, maxSockets: MAX_CHANNELS, maxFreeSockets: MAX_CHANNELS, timeout: IDLE_CHANNEL_MS });
    // Over dial-stdio each channel is a session, and sshd caps those (MaxSessions, 10 by default).
    Object.defineProperty(this, "maxSockets", { get: () => (session.streamLocalRefused ? DIAL_STDIO_CHANNELS : MAX_CHANNELS) });
  }

  /** Inspecting the agent would walk every socket, channel and the SSH client. */
  [inspect.custom](): string {
    return `SshDockerAgent(${this.session.target})`;
  }

  override createConnection(): Duplex {
    // Returned at once so the agent counts it against maxSockets; the channel opens behind it.
    return this.session.openDockerSocket(this.socketPath, this.openTimeoutMs, this.hostKey);
  }
}

export interface CallOptions {
  /** Safe to repeat after a transport failure (reads, deletes). */
  idempotent: boolean;
  /** Overrides the default per-call timeout. */
  timeoutMs?: number;
}

/** Docker's JSON shapes we use (a subset). */
export interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal: boolean;
  Attachable: boolean;
  EnableIPv6: boolean;
  IPAM?: { Driver?: string; Config?: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> | null };
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  Containers?: Record<string, { Name: string }> | null;
  Created?: string;
}

export interface SystemInfo {
  ID?: string;
  Name?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  KernelVersion?: string;
  NCPU?: number;
  MemTotal?: number;
  ServerVersion?: string;
  Swarm?: {
    LocalNodeState?: string;
    ControlAvailable?: boolean;
    NodeID?: string;
    Nodes?: number;
    Managers?: number;
  };
}

export interface VersionInfo {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
}

export interface NetworkCreateBody {
  Name: string;
  Driver: string;
  Attachable?: boolean;
  Internal?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver: string; Config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
}

function errorText(err: { json?: unknown; reason?: string; message?: string }): string {
  const j = err.json as { message?: string } | string | undefined;
  if (j && typeof j === "object" && typeof j.message === "string") return j.message;
  if (typeof j === "string" && j.trim()) return j.trim();
  return err.reason ?? err.message ?? "unknown error";
}

/**
 * The Docker Engine API of one server, over that server's pooled SSH
 * connection. Every call has a timeout; idempotent calls are retried a
 * bounded number of times after transport failures.
 */
export class DockerClient {
  readonly target: string;
  private readonly agent: SshDockerAgent;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(
    readonly session: SshSession,
    readonly socketPath: string,
    opts: { timeoutMs?: number; attempts?: number; hostKey?: string } = {},
  ) {
    this.target = session.target;
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.callTimeoutMs;
    this.attempts = opts.attempts ?? DEFAULTS.callAttempts;
    this.agent = new SshDockerAgent(session, socketPath, this.timeoutMs, opts.hostKey);
  }

  /** Run one API call with timeout, error mapping and (if idempotent) bounded retries. */
  async call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, opts: CallOptions): Promise<T> {
    const attempts = opts.idempotent ? this.attempts : 1;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let lastErr: unknown;
    for (let i = 1; i <= attempts; i++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        return await fn(controller.signal);
      } catch (err) {
        lastErr = controller.signal.aborted
          ? new TimeoutError(this.target, `Docker ${what}`, timeoutMs, { cause: err })
          : this.mapError(what, err);
        if (!isTransient(lastErr) || i === attempts) break;
        await new Promise((r) => setTimeout(r, 100 * i));
      } finally {
        clearTimeout(timer);
      }
    }
    throw lastErr;
  }

  private mapError(what: string, err: unknown): DockyardError {
    if (err instanceof DockyardError) return err;
    const e = err as { statusCode?: number; json?: unknown; reason?: string; message?: string; code?: string };
    if (typeof e?.statusCode === "number") {
      const text = errorText(e);
      if (e.statusCode === 404) return new NotFoundError(`${this.target}: ${what}: ${text}`, { cause: err });
      if (e.statusCode === 409) return new ConflictError(409, `${this.target}: ${what}: ${text}`, { cause: err });
      return new DockerApiError(e.statusCode, `${this.target}: ${what}: Docker answered ${e.statusCode}: ${text}`, { cause: err });
    }
    return new ConnectionError(this.target, `Docker ${what} failed in transit: ${e?.message ?? String(err)}`, { cause: err });
  }

  /**
   * One HTTP request to the Engine API, over a channel from this client's
   * agent. Spoken directly with node:http: docker-modem (dockerode's
   * transport) deep-inspects every request's options and re-parses URLs,
   * which measured as a third of an inspect's time over SSH.
   */
  private request<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    opts: { query?: Record<string, string>; body?: object },
    signal: AbortSignal,
  ): Promise<T> {
    const query = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : "";
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string | number> = { Host: "docker" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = Buffer.byteLength(body);
    }
    return new Promise<T>((resolve, reject) => {
      const req = http.request({ agent: this.agent, method, path: path + query, headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          let json: unknown = text;
          if (text && /json/i.test(String(res.headers["content-type"] ?? ""))) {
            try {
              json = JSON.parse(text);
            } catch {
              // keep the text
            }
          }
          if (status >= 200 && status < 300) resolve(json as T);
          else reject(Object.assign(new Error(`HTTP ${status}`), { statusCode: status, json, reason: res.statusMessage }));
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  ping(): Promise<string> {
    return this.call("ping", async (s) => String(await this.request<unknown>("GET", "/_ping", {}, s)), { idempotent: true });
  }

  version(): Promise<VersionInfo> {
    return this.call("version", (s) => this.request<VersionInfo>("GET", "/version", {}, s), { idempotent: true });
  }

  info(): Promise<SystemInfo> {
    return this.call("info", (s) => this.request<SystemInfo>("GET", "/info", {}, s), { idempotent: true });
  }

  listNetworks(filters?: Record<string, string[]>): Promise<NetworkInspect[]> {
    const query = filters ? { filters: JSON.stringify(filters) } : undefined;
    return this.call("network list", (s) => this.request<NetworkInspect[]>("GET", "/networks", { query }, s), {
      idempotent: true,
    });
  }

  inspectNetwork(idOrName: string): Promise<NetworkInspect> {
    return this.call(
      `network inspect ${idOrName}`,
      (s) => this.request<NetworkInspect>("GET", `/networks/${encodeURIComponent(idOrName)}`, { query: { verbose: "false" } }, s),
      { idempotent: true },
    );
  }

  /** Inspect, or undefined when the network does not exist. */
  async findNetwork(idOrName: string): Promise<NetworkInspect | undefined> {
    try {
      return await this.inspectNetwork(idOrName);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async createNetwork(body: NetworkCreateBody): Promise<string> {
    const res = await this.call(
      `network create ${body.Name}`,
      (s) => this.request<{ Id: string }>("POST", "/networks/create", { body }, s),
      { idempotent: false },
    );
    return res.Id;
  }

  removeNetwork(id: string): Promise<void> {
    return this.call(
      `network remove ${id}`,
      async (s) => {
        await this.request("DELETE", `/networks/${encodeURIComponent(id)}`, {}, s);
      },
      { idempotent: true },
    );
  }

  connectContainer(networkId: string, container: string): Promise<void> {
    return this.call(
      `network connect ${container}`,
      async (s) => {
        await this.request("POST", `/networks/${encodeURIComponent(networkId)}/connect`, { body: { Container: container } }, s);
      },
      { idempotent: false },
    );
  }

  disconnectContainer(networkId: string, container: string, force: boolean): Promise<void> {
    return this.call(
      `network disconnect ${container}`,
      async (s) => {
        await this.request(
          "POST",
          `/networks/${encodeURIComponent(networkId)}/disconnect`,
          { body: { Container: container, Force: force } },
          s,
        );
      },
      { idempotent: true },
    );
  }

  inspectContainer(name: string): Promise<ContainerInspect> {
    return this.call(
      `container inspect ${name}`,
      (s) => this.request<ContainerInspect>("GET", `/containers/${encodeURIComponent(name)}/json`, {}, s),
      { idempotent: true },
    );
  }
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string }> };
}

/**
 * The transport of a provider process: one SSH connection per distinct
 * connection settings, one Docker client per (connection, socket).
 */
export class Transport {
  readonly pool: SshPool;
  private readonly clients = new WeakMap<SshSession, Map<string, DockerClient>>();
  private readonly callTimeoutMs: number | undefined;

  constructor(opts: { pool?: SshPool; callTimeoutMs?: number } = {}) {
    this.pool = opts.pool ?? new SshPool();
    this.callTimeoutMs = opts.callTimeoutMs;
  }

  docker(spec: ConnectionSpec): DockerClient {
    const session = this.pool.session(spec);
    let bySocket = this.clients.get(session);
    if (!bySocket) {
      bySocket = new Map();
      this.clients.set(session, bySocket);
    }
    // One client per socket and expected host key; all share the session's connection.
    const key = `${spec.dockerSocket}\u0000${spec.hostKey ?? ""}`;
    let client = bySocket.get(key);
    if (!client) {
      client = new DockerClient(session, spec.dockerSocket, { timeoutMs: this.callTimeoutMs, hostKey: spec.hostKey });
      bySocket.set(key, client);
    }
    return client;
  }

  closeAll(): void {
    this.pool.closeAll();
  }
}
