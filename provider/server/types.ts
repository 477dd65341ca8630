import type { ConnectionSpec } from "../transport/types";

/** A jump host: the same connection fields as a server, without Docker. */
export interface ProxyInputs {
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  privateKeyPassword?: string;
  password?: string;
  agentSocketPath?: string;
  hostKey?: string;
  perDialTimeout: number;
  dialErrorLimit: number;
}

/** Checked Server inputs, defaults applied. */
export interface ServerInputs {
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  privateKeyPassword?: string;
  password?: string;
  agentSocketPath?: string;
  hostKey?: string;
  proxy?: ProxyInputs;
  perDialTimeout: number;
  dialErrorLimit: number;
  dockerSocket: string;
  name: string;
  description?: string;
}

/** What Dockyard found on the server. */
export interface ServerFacts {
  dockerVersion: string;
  apiVersion: string;
  os: string;
  architecture: string;
  kernelVersion: string;
  cpus: number;
  memoryBytes: number;
  /** Docker's LocalNodeState: `inactive`, `active`, `pending`, `error` or `locked`. */
  swarmState: string;
  swarmRole: "manager" | "worker" | "none";
  /** Empty when the daemon is not in a swarm. */
  swarmNodeId: string;
}

/** The state Pulumi keeps for a Server: inputs, facts, and the connection to reuse. */
export interface ServerState extends ServerInputs, ServerFacts {
  /** Fingerprint of the host key the server presented (`SHA256:…`). */
  hostKeyFingerprint: string;
  /** The host key the server presented; enforced on every later connection. */
  hostPublicKey: string;
  /**
   * Everything needed to reach this server's Docker daemon again, host keys
   * pinned. Destinations keep a copy so they can be deleted later. Secret.
   */
  connection: ConnectionSpec;
}

/** Inputs whose change replaces the Server (it is then another machine or daemon). */
export const SERVER_REPLACE_KEYS: ReadonlySet<string> = new Set(["host", "dockerSocket"]);

/** Inputs compared by diff, in display order. */
export const SERVER_INPUT_KEYS = [
  "host",
  "port",
  "user",
  "privateKey",
  "privateKeyPassword",
  "password",
  "agentSocketPath",
  "hostKey",
  "proxy",
  "perDialTimeout",
  "dialErrorLimit",
  "dockerSocket",
  "name",
  "description",
] as const;

/** Inputs (and outputs) that hold secrets. */
export const SERVER_SECRET_KEYS = ["privateKey", "privateKeyPassword", "password", "proxy", "connection"] as const;
