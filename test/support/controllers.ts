import { createControllers, type Controllers, type DestinationState, type ServerState } from "../../provider";
import { rootServer, type TestHost } from "./testhost";

/** Controllers on a fresh transport, plus helpers that run check first, as the engine does. */
export function harness() {
  const ctl: Controllers = createControllers({ log: () => undefined });
  return {
    ctl,
    async createServer(news: Record<string, unknown>): Promise<{ id: string; state: ServerState }> {
      const checked = ctl.server.check(undefined, news);
      if (checked.failures.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
      return ctl.server.create(checked.inputs);
    },
    async rootServer(h: TestHost, extra: Record<string, unknown> = {}) {
      return this.createServer(rootServer(h, extra));
    },
    checkDestination(server: ServerState, news: Record<string, unknown>, olds?: Record<string, unknown>) {
      const checked = ctl.destination.check(olds, {
        connection: server.connection,
        serverName: server.name,
        serverSwarmRole: server.swarmRole,
        owner: `itest/stack/${String(news.network ?? "dest")}`,
        serverId: "itest-server",
        resourceUrn: `urn:pulumi:stack::itest::pulumi-nodejs:dynamic/dockyard:Destination::${String(news.network ?? "dest")}`,
        ...news,
      });
      if (checked.failures.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
      return checked.inputs;
    },
    async createDestination(server: ServerState, news: Record<string, unknown>): Promise<{ id: string; state: DestinationState }> {
      return ctl.destination.create(this.checkDestination(server, news));
    },
    close() {
      ctl.transport.closeAll();
    },
  };
}
