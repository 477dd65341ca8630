/**
 * Dockyard's provider core: controllers for each resource and the SSH
 * transport they share. Nothing here depends on how Pulumi calls it.
 */
import { DestinationController } from "./destination/destination-controller";
import type { Daemons } from "./engine-api";
import type { Logger } from "./operation-context";
import { ServerController } from "./server/server-controller";
import { Transport } from "./transport/transport";

export * from "./errors";
export * from "./resource";
export { Transport } from "./transport/transport";
export { DockerClient, MAX_CHANNELS, negotiateApiVersion } from "./transport/docker/engine-client";
export { SshPool, type TransportMetrics } from "./transport/ssh/ssh-pool";
export { SshSession } from "./transport/ssh/ssh-session";
export type { ConnectionSpec, SshEndpoint } from "./transport/endpoint";
export type {
  Daemons,
  EngineApi,
  NetworkInspect,
  NetworkCreateBody,
  SystemInfo,
  VersionInfo,
  ContainerInspect,
} from "./engine-api";
export { ServerController, connectionOf } from "./server/server-controller";
export * from "./server/server-types";
export { checkServer } from "./server/server-check";
export { DestinationController } from "./destination/destination-controller";
export { contextForUrn, parseUrn, type Logger, type OperationContext, type UrnParts } from "./operation-context";
export * from "./destination/destination-types";
export { checkDestination } from "./destination/destination-check";

/**
 * The controllers and what they reach the daemons through: the SSH transport
 * unless another `Daemons` is given (say, an in-memory one in tests).
 */
export interface Controllers<D extends Daemons = Transport> {
  transport: D;
  server: ServerController;
  destination: DestinationController;
}

/** Controllers sharing one transport (one SSH connection per server). */
export function createControllers(opts?: { log?: Logger }): Controllers;
/** Controllers on the daemons given (a `Transport`, or another `Daemons`). */
export function createControllers<D extends Daemons>(opts: { transport: D; log?: Logger }): Controllers<D>;
export function createControllers(opts: { transport?: Daemons; log?: Logger } = {}): Controllers<Daemons> {
  const transport = opts.transport ?? new Transport({ log: opts.log });
  return {
    transport,
    server: new ServerController(transport),
    destination: new DestinationController(transport, opts.log),
  };
}
