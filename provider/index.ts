/**
 * Dockyard's provider core: controllers for each resource and the SSH
 * transport they share. Nothing here depends on how Pulumi calls it.
 */
import { DestinationController, type Logger } from "./destination/controller";
import { ServerController } from "./server/controller";
import { Transport } from "./transport/docker";

export * from "./errors";
export * from "./resource";
export { Transport, DockerClient, MAX_CHANNELS, negotiateApiVersion } from "./transport/docker";
export { SshPool, SshSession, type TransportMetrics } from "./transport/ssh";
export type { ConnectionSpec, SshEndpoint } from "./transport/types";
export { ServerController, connectionOf } from "./server/controller";
export * from "./server/types";
export { checkServer } from "./server/check";
export { DestinationController, type Logger } from "./destination/controller";
export * from "./destination/types";
export { checkDestination } from "./destination/check";

export interface Controllers {
  transport: Transport;
  server: ServerController;
  destination: DestinationController;
}

/** Controllers sharing one transport (one SSH connection per server). */
export function createControllers(opts: { transport?: Transport; log?: Logger } = {}): Controllers {
  const transport = opts.transport ?? new Transport({ log: opts.log });
  return {
    transport,
    server: new ServerController(transport),
    destination: new DestinationController(transport, opts.log),
  };
}
