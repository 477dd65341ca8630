/**
 * What the controllers ask of a server's Docker daemon, and of the transport
 * that reaches it. The real ones are `DockerClient` and `Transport`
 * (`transport/docker/engine-client.ts`, `transport/transport.ts`: the Engine
 * API through dockerode over SSH channels); the unit tests put an in-memory daemon behind the same
 * interfaces. Nothing outside `transport/` needs to know how a daemon is
 * reached.
 */
import type Dockerode from "dockerode";
import type { ConnectionSpec, SshEndpoint } from "./transport/endpoint";
import type { SeenHostKey } from "./transport/ssh/hostkey";

/** Docker's JSON shapes we use: dockerode's types where it has them. */
export type NetworkInspect = Dockerode.NetworkInspectInfo;
export type VersionInfo = Dockerode.DockerVersion;
export type ContainerInspect = Dockerode.ContainerInspectInfo;
export type NetworkCreateBody = Omit<Dockerode.NetworkCreateOptions, "abortSignal">;

/** `GET /info`, the part Dockyard reads (dockerode types it as `any`). */
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

/** One daemon's Engine API, the calls Dockyard makes. Errors are the typed ones of `errors.ts`. */
export interface EngineApi {
  /** How errors name this daemon: `user@host:port`, and the socket where it is not the default. */
  readonly target: string;
  ping(): Promise<string>;
  version(): Promise<VersionInfo>;
  info(): Promise<SystemInfo>;
  listNetworks(filters?: Record<string, string[]>): Promise<NetworkInspect[]>;
  /** Throws `NotFoundError` when there is no such network. */
  inspectNetwork(idOrName: string): Promise<NetworkInspect>;
  /** Inspect, or undefined when the network does not exist. */
  findNetwork(idOrName: string): Promise<NetworkInspect | undefined>;
  /** The new network's id. */
  createNetwork(body: NetworkCreateBody): Promise<string>;
  removeNetwork(id: string): Promise<void>;
  connectContainer(networkId: string, container: string): Promise<void>;
  disconnectContainer(networkId: string, container: string, force: boolean): Promise<void>;
  inspectContainer(name: string): Promise<ContainerInspect>;
}

/** What the controllers ask of the transport. */
export interface Daemons {
  /** The daemon a connection leads to (one client per connection and socket). */
  docker(spec: ConnectionSpec): EngineApi;
  /** The host key the endpoint's server presented, once connected. */
  hostKeySeen(endpoint: SshEndpoint): SeenHostKey | undefined;
}
