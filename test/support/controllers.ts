import { expect } from "vitest";
import {
  createControllers,
  type Controllers,
  type DestinationInputs,
  type DestinationState,
  type ServerState,
} from "../../provider";
import { rootServer, type TestHost } from "./testhost";

export interface HarnessOptions {
  /** Controllers to drive (default: fresh ones on a fresh transport, logging nothing). */
  controllers?: Controllers;
  /** The Pulumi project and stack the destinations' owner and URN name (default: itest, stack). */
  project?: string;
  stack?: string;
  /** Destination inputs every destination gets unless its own inputs say otherwise. */
  destinationDefaults?: Record<string, unknown>;
}

export type Harness = ReturnType<typeof harness>;

/** Controllers, plus helpers that run check first, as the engine does. */
export function harness(opts: HarnessOptions = {}) {
  const ctl: Controllers = opts.controllers ?? createControllers({ log: () => undefined });
  const project = opts.project ?? "itest";
  const stack = opts.stack ?? "stack";
  return {
    ctl,
    async createServer(news: Record<string, unknown>): Promise<{ id: string; state: ServerState }> {
      const checked = ctl.server.check(undefined, news);
      expect(checked.failures).toEqual([]);
      return ctl.server.create(checked.inputs);
    },
    async rootServer(h: TestHost, extra: Record<string, unknown> = {}) {
      return this.createServer(rootServer(h, extra));
    },
    /** A destination's checked inputs, with what the SDK derives from the server and the resource filled in. */
    checkDestination(
      server: ServerState,
      news: Record<string, unknown>,
      olds?: Record<string, unknown>,
    ): DestinationInputs {
      const name = String((news.network as string | undefined) ?? "dest");
      const checked = ctl.destination.check(olds, {
        connection: server.connection,
        serverName: server.name,
        serverSwarmRole: server.swarmRole,
        owner: `${project}/${stack}/${name}`,
        serverId: `${project}-server`,
        resourceUrn: `urn:pulumi:${stack}::${project}::pulumi-nodejs:dynamic/dockyard:Destination::${name}`,
        ...opts.destinationDefaults,
        ...news,
      });
      expect(checked.failures).toEqual([]);
      return checked.inputs;
    },
    async createDestination(
      server: ServerState,
      news: Record<string, unknown>,
    ): Promise<{ id: string; state: DestinationState }> {
      return ctl.destination.create(this.checkDestination(server, news));
    },
    close() {
      ctl.transport.closeAll();
    },
  };
}
