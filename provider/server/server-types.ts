import { isCompared, isInput, isReplacing, isSecret, namesWhere } from "../fields";
import { ENDPOINT_FIELDS, SERVER_FIELDS } from "./server-fields";
import type { ConnectionSpec, SshEndpoint } from "../transport/endpoint";

/** A jump host: the same SSH fields as a server, without Docker. */
export type ProxyInputs = Omit<SshEndpoint, "proxy">;

/** Checked Server inputs, defaults applied. */
export interface ServerInputs extends ProxyInputs {
  proxy?: ProxyInputs;
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
export const SERVER_REPLACE_KEYS: ReadonlySet<string> = new Set(namesWhere(SERVER_FIELDS, isReplacing));

/** The SSH fields a server shares with its jump host. */
export const ENDPOINT_KEYS: readonly (keyof ProxyInputs)[] = namesWhere(ENDPOINT_FIELDS, isInput);

/** Inputs compared by diff, in display order. */
export const SERVER_INPUT_KEYS: readonly (keyof ServerInputs)[] = namesWhere(
  SERVER_FIELDS,
  isCompared,
) as (keyof ServerInputs)[];

/** Inputs (and outputs) that hold secrets. */
export const SERVER_SECRET_KEYS: readonly string[] = namesWhere(SERVER_FIELDS, isSecret);
