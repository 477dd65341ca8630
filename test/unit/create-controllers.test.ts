// createControllers on daemons other than the SSH transport: the typed
// in-memory daemons of test/support/fake-engine.ts go through the same entry
// point the SDK uses, and the controllers it returns run on them.
import { describe, expect, it } from "vitest";
import { createControllers, type Controllers } from "../../provider";
import { FakeDaemons } from "../support/fake-engine";
import { CONNECTION, HOST } from "../support/fake-world";

describe("createControllers({ transport }) with any Daemons", () => {
  it("creates, reads and deletes a destination through the controllers it returns", async () => {
    const daemons = new FakeDaemons();
    const daemon = daemons.daemon(HOST);
    const ctl: Controllers<FakeDaemons> = createControllers({ transport: daemons, log: () => undefined });
    expect(ctl.transport).toBe(daemons);

    const server = ctl.server.check(undefined, { host: HOST, password: "pw" });
    expect(server.failures).toEqual([]);
    const { state: serverState } = await ctl.server.create(server.inputs);
    expect(serverState.connection).toMatchObject({ host: HOST, port: 22, user: "root" });

    const checked = ctl.destination.check(undefined, {
      connection: CONNECTION,
      serverName: HOST,
      serverSwarmRole: serverState.swarmRole,
      owner: "p/s/prod",
      serverId: "0b6f2c1e-5d1a-4c3e-9f7a-2a1b3c4d5e6f",
      resourceUrn: "urn:pulumi:s::p::pulumi-nodejs:dynamic/dockyard:Destination::prod",
      network: "prod",
      type: "standalone",
      subnet: "10.77.0.0/24",
    });
    expect(checked.failures).toEqual([]);
    const { id, state } = await ctl.destination.create(checked.inputs);
    expect(daemon.peek("prod")?.Id).toBe(id);
    expect(state).toMatchObject({ networkId: id, driver: "bridge", subnets: ["10.77.0.0/24"] });

    const read = await ctl.destination.read(id, state);
    expect(read?.id).toBe(id);
    expect(read?.state).toMatchObject({ networkId: id, subnets: ["10.77.0.0/24"] });

    await ctl.destination.delete(id, state);
    expect(daemon.peek("prod")).toBeUndefined();
    expect(await ctl.destination.read(id, state)).toBeUndefined();
    // Every call went to the daemons given, none elsewhere.
    expect(daemons.connections.length).toBeGreaterThan(0);
    expect(daemons.connections.every((c) => c.host === HOST)).toBe(true);
  });
});
