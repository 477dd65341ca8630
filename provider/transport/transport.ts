import type { Daemons } from "../engine-api";
import type { Logger } from "../operation-context";
import type { ConnectionSpec, SshEndpoint } from "./endpoint";
import { DockerClient } from "./docker/engine-client";
import { SshDockerSockets } from "./docker/docker-socket";
import type { SeenHostKey } from "./ssh/hostkey";
import { SshPool } from "./ssh/ssh-pool";
import type { SshSession } from "./ssh/ssh-session";

/**
 * The transport of a provider process: one SSH connection per distinct
 * connection settings, one Docker client per (connection, socket).
 */
export class Transport implements Daemons {
  readonly pool: SshPool;
  private readonly clients = new WeakMap<SshSession, Map<string, DockerClient>>();
  private readonly callTimeoutMs: number | undefined;

  constructor(opts: { pool?: SshPool; callTimeoutMs?: number; log?: Logger } = {}) {
    this.pool = opts.pool ?? new SshPool({ log: opts.log });
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
      client = new DockerClient(new SshDockerSockets(session), spec.dockerSocket, {
        timeoutMs: this.callTimeoutMs,
        hostKey: spec.hostKey,
      });
      bySocket.set(key, client);
    }
    return client;
  }

  hostKeySeen(endpoint: SshEndpoint): SeenHostKey | undefined {
    return this.pool.session(endpoint).hostKey;
  }

  closeAll(): void {
    this.pool.closeAll();
  }
}
