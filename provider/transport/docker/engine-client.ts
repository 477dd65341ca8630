/** One daemon's Engine API, through dockerode over SSH channels. */
import type http from "node:http";
import Dockerode from "dockerode";
import {
  ConflictError,
  ConnectionError,
  DockerApiError,
  DockyardError,
  NotFoundError,
  TimeoutError,
  isTransient,
} from "../../errors";
import type {
  ContainerInspect,
  EngineApi,
  NetworkCreateBody,
  NetworkInspect,
  SystemInfo,
  VersionInfo,
} from "../../engine-api";
import { DEFAULTS } from "../endpoint";
import { negotiateApiVersion } from "./api-version";
import { Attempt, type AddRequest } from "./call-attempt";
import { SshDockerAgent } from "./docker-agent";
import type { DockerSocketSource } from "./docker-socket";

export interface CallOptions {
  /** Safe to repeat after a transport failure (reads, deletes). */
  idempotent: boolean;
  /** Overrides the default per-call timeout. */
  timeoutMs?: number;
}

export { MAX_CHANNELS } from "./docker-agent";
export { negotiateApiVersion } from "./api-version";
export type { ContainerInspect, NetworkCreateBody, NetworkInspect, SystemInfo, VersionInfo } from "../../engine-api";

/** dockerode's `info`, `version` and `ping` take an abort signal; its types do not say so. */
type WithSignal = { abortSignal: AbortSignal };
interface SystemCalls {
  info(opts: WithSignal): Promise<SystemInfo>;
  version(opts: WithSignal): Promise<VersionInfo>;
  ping(opts: WithSignal): Promise<Buffer | string>;
}

/** Options with dockerode's `abortSignal`, for calls whose types leave it out (docker-modem reads it for all). */
function withSignal<T extends object>(opts: T, abortSignal: AbortSignal): T {
  return Object.assign(opts, { abortSignal });
}

function errorText(err: { json?: unknown; reason?: string; message?: string }): string {
  const j = err.json as { message?: string } | string | Buffer | undefined;
  if (j && typeof j === "object" && !Buffer.isBuffer(j) && typeof j.message === "string") return j.message;
  // A body that is not JSON arrives as its text (a string or a Buffer).
  const body = typeof j === "string" || Buffer.isBuffer(j) ? j.toString() : j === undefined ? "" : JSON.stringify(j);
  const text = body.trim();
  if (text) return text;
  return err.reason ?? err.message ?? "unknown error";
}

/**
 * The Docker Engine API of one server, spoken with dockerode over that
 * server's pooled SSH connection: dockerode's HTTP agent is this client's
 * `SshDockerAgent`, so requests ride on SSH channels, at most MAX_CHANNELS at
 * once. Every call has a timeout; idempotent calls are retried a bounded
 * number of times after transport failures.
 */
export class DockerClient implements EngineApi {
  readonly target: string;
  private readonly agent: SshDockerAgent;
  private readonly docker: Dockerode;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private negotiated: Promise<string> | undefined;
  /** The Engine API version requests use, once negotiated. */
  apiVersion: string | undefined;

  constructor(
    readonly socketSource: DockerSocketSource,
    readonly socketPath: string,
    opts: { timeoutMs?: number; attempts?: number; hostKey?: string } = {},
  ) {
    this.target = socketSource.target;
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.callTimeoutMs;
    this.attempts = opts.attempts ?? DEFAULTS.callAttempts;
    this.agent = new SshDockerAgent(socketSource, socketPath, this.timeoutMs, opts.hostKey);
    // socketPath only names the remote socket: the agent's channels carry every request.
    this.docker = new Dockerode({ socketPath, agent: this.agent } as Dockerode.DockerOptions);
  }

  /** Run one API call with timeout, error mapping and (if idempotent) bounded retries. */
  async call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, opts: CallOptions): Promise<T> {
    const attempts = opts.idempotent ? this.attempts : 1;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let lastErr: unknown;
    for (let i = 1; i <= attempts; i++) {
      const attempt = new Attempt(timeoutMs, () => new TimeoutError(this.target, `Docker ${what}`, timeoutMs));
      try {
        const running = this.start(fn, attempt);
        // After a timeout the request still fails (it is destroyed); that failure is not news.
        running.catch(() => undefined);
        return await Promise.race([running, attempt.expired]);
      } catch (err) {
        lastErr = attempt.controller.signal.aborted ? attempt.controller.signal.reason : this.mapError(what, err);
        if (!isTransient(lastErr) || i === attempts) break;
        await new Promise((r) => setTimeout(r, 100 * i));
      } finally {
        attempt.done();
      }
    }
    throw lastErr;
  }

  /**
   * Start `fn` with the agent seen by its request bound to `attempt`.
   * docker-modem reads the agent synchronously when a call starts and hands
   * it to `http.request`, which passes itself to `addRequest`.
   */
  private start<T>(fn: (signal: AbortSignal) => Promise<T>, attempt: Attempt): Promise<T> {
    const agent = this.agent as SshDockerAgent & AddRequest;
    const view = Object.create(agent) as SshDockerAgent & AddRequest;
    view.addRequest = (req, options) => {
      attempt.bind(req);
      agent.addRequest(req, options);
    };
    const modem = this.docker.modem as unknown as { agent: http.Agent };
    modem.agent = view;
    try {
      return fn(attempt.controller.signal);
    } finally {
      modem.agent = agent;
    }
  }

  private mapError(what: string, err: unknown): DockyardError {
    if (err instanceof DockyardError) return err;
    const e = err as { statusCode?: number; json?: unknown; reason?: string; message?: string; code?: string };
    if (typeof e?.statusCode === "number") {
      const text = errorText(e);
      if (e.statusCode === 404) return new NotFoundError(`${this.target}: ${what}: ${text}`, { cause: err });
      if (e.statusCode === 409) return new ConflictError(409, `${this.target}: ${what}: ${text}`, { cause: err });
      return new DockerApiError(e.statusCode, `${this.target}: ${what}: Docker answered ${e.statusCode}: ${text}`, {
        cause: err,
      });
    }
    return new ConnectionError(this.target, `Docker ${what} failed in transit: ${e?.message ?? String(err)}`, {
      cause: err,
    });
  }

  /** The dockerode client, speaking the negotiated API version (negotiated on first use). */
  private async api(): Promise<Dockerode> {
    if (this.apiVersion) return this.docker;
    this.negotiated ??= this.call(
      "version",
      (signal) => (this.docker as unknown as SystemCalls).version({ abortSignal: signal }),
      {
        idempotent: true,
      },
    )
      .then((v) => {
        const version = negotiateApiVersion(v, this.target);
        (this.docker.modem as unknown as { version?: string }).version = `v${version}`;
        this.apiVersion = version;
        return version;
      })
      .finally(() => {
        this.negotiated = undefined;
      });
    await this.negotiated;
    return this.docker;
  }

  /** A call on the negotiated API. */
  private async on<T>(
    what: string,
    fn: (api: Dockerode, signal: AbortSignal) => Promise<T>,
    opts: CallOptions,
  ): Promise<T> {
    const api = await this.api();
    return this.call(what, (signal) => fn(api, signal), opts);
  }

  async ping(): Promise<string> {
    const res = await this.on("ping", (api, signal) => (api as unknown as SystemCalls).ping({ abortSignal: signal }), {
      idempotent: true,
    });
    return String(res);
  }

  version(): Promise<VersionInfo> {
    return this.on("version", (api, signal) => (api as unknown as SystemCalls).version({ abortSignal: signal }), {
      idempotent: true,
    });
  }

  info(): Promise<SystemInfo> {
    return this.on("info", (api, signal) => (api as unknown as SystemCalls).info({ abortSignal: signal }), {
      idempotent: true,
    });
  }

  listNetworks(filters?: Record<string, string[]>): Promise<NetworkInspect[]> {
    return this.on(
      "network list",
      (api, signal) => api.listNetworks({ ...(filters ? { filters } : {}), abortSignal: signal }),
      {
        idempotent: true,
      },
    );
  }

  inspectNetwork(idOrName: string): Promise<NetworkInspect> {
    return this.on(
      `network inspect ${idOrName}`,
      // dockerode's network inspect takes no signal: the request is aborted through the agent (Attempt.bind).
      (api) => api.getNetwork(encodeURIComponent(idOrName)).inspect(),
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
    const net = await this.on(
      `network create ${body.Name}`,
      (api, signal) => api.createNetwork({ ...body, abortSignal: signal }),
      {
        idempotent: false,
      },
    );
    return net.id;
  }

  removeNetwork(id: string): Promise<void> {
    return this.on(
      `network remove ${id}`,
      async (api, signal) => {
        await api.getNetwork(encodeURIComponent(id)).remove(withSignal({}, signal));
      },
      { idempotent: true },
    );
  }

  connectContainer(networkId: string, container: string): Promise<void> {
    return this.on(
      `network connect ${container}`,
      async (api, signal) => {
        await api.getNetwork(encodeURIComponent(networkId)).connect(withSignal({ Container: container }, signal));
      },
      { idempotent: false },
    );
  }

  disconnectContainer(networkId: string, container: string, force: boolean): Promise<void> {
    return this.on(
      `network disconnect ${container}`,
      async (api, signal) => {
        await api
          .getNetwork(encodeURIComponent(networkId))
          .disconnect(withSignal({ Container: container, Force: force }, signal));
      },
      { idempotent: true },
    );
  }

  inspectContainer(name: string): Promise<ContainerInspect> {
    return this.on(
      `container inspect ${name}`,
      (api, signal) => api.getContainer(encodeURIComponent(name)).inspect({ abortSignal: signal }),
      { idempotent: true },
    );
  }
}
