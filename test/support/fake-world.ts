/**
 * Controllers on the fake engine (fake-engine.ts): one server `web1` with its
 * daemon, inputs checked by the controllers' own `check`, as the engine runs
 * them.
 */
import { DestinationController } from "../../provider/destination/destination-controller";
import type { DestinationInputs } from "../../provider/destination/destination-types";
import { ServerController } from "../../provider/server/server-controller";
import type { ServerInputs } from "../../provider/server/server-types";
import type { ConnectionSpec } from "../../provider/transport/endpoint";
import { FakeDaemons, type FakeDaemon, type FakeDaemonOptions } from "./fake-engine";

export const HOST = "web1";

/** The connection a Server on `web1` hands its destinations (no host key pinned: the fake accepts it). */
export const CONNECTION: ConnectionSpec = {
  host: HOST,
  port: 22,
  user: "root",
  password: "pw",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};

export interface World {
  daemons: FakeDaemons;
  daemon: FakeDaemon;
  destinations: DestinationController;
  servers: ServerController;
  /** What the destination controller logged. */
  logs: string[];
  /** Destination inputs as `check` makes them (network `prod`, standalone, owner `p/s/prod` unless overridden). */
  inputs(over?: Record<string, unknown>): DestinationInputs;
  /** Server inputs as `check` makes them (host `web1`, password auth unless overridden). */
  serverInputs(over?: Record<string, unknown>): ServerInputs;
}

export function world(opts: FakeDaemonOptions = {}): World {
  const daemons = new FakeDaemons();
  const daemon = daemons.daemon(HOST, opts);
  const logs: string[] = [];
  const destinations = new DestinationController(daemons, (m) => logs.push(m));
  const servers = new ServerController(daemons);
  return {
    daemons,
    daemon,
    destinations,
    servers,
    logs,
    inputs(over = {}) {
      const network = String((over.network as string | undefined) ?? "prod");
      const r = destinations.check(undefined, {
        connection: CONNECTION,
        serverName: HOST,
        serverSwarmRole: daemon.swarmRole,
        owner: `p/s/${network}`,
        serverId: "0b6f2c1e-5d1a-4c3e-9f7a-2a1b3c4d5e6f",
        resourceUrn: `urn:pulumi:s::p::pulumi-nodejs:dynamic/dockyard:Destination::${network}`,
        network,
        type: "standalone",
        ...over,
      });
      if (r.failures.length) throw new Error(`check failed: ${JSON.stringify(r.failures)}`);
      return r.inputs;
    },
    serverInputs(over = {}) {
      const r = servers.check(undefined, { host: HOST, password: "pw", ...over });
      if (r.failures.length) throw new Error(`check failed: ${JSON.stringify(r.failures)}`);
      return r.inputs;
    },
  };
}
