// Importing an existing network as a Destination, on the fake engine: the
// destination is adopted, its inputs are what the network has, and its
// connection pins the host key seen.
import { describe, expect, it } from "vitest";
import { importNetwork } from "../../../provider/destination/destination-import";
import { ValidationError } from "../../../provider/errors";
import { contextForUrn } from "../../../provider/operation-context";
import { CONNECTION, HOST, world } from "../../support/fake-world";

/** The context of `pulumi import`: the new resource's URN is known. */
const ctx = contextForUrn("urn:pulumi:s::p::dockyard:index:Destination::imported", () => undefined);

describe("importing a network", () => {
  it("is undefined when there is no such network", async () => {
    const w = world();
    expect(await importNetwork(w.daemons, w.destinations, "nothing", CONNECTION, ctx)).toBeUndefined();
  });

  it("adopts the network with the settings and labels it has, pinning the host key seen", async () => {
    const w = world();
    const id = w.daemon.addNetwork({
      Name: "legacy",
      Internal: true,
      IPAM: { Config: [{ Subnet: "10.42.0.0/24", Gateway: "10.42.0.1" }] },
      Labels: { tier: "web" },
    });
    const r = await importNetwork(w.daemons, w.destinations, "legacy", CONNECTION, ctx);
    expect(r?.id).toBe(id);
    expect(r?.state).toMatchObject({
      network: "legacy",
      networkId: id,
      driver: "bridge",
      type: "standalone",
      adopted: true,
      adopt: true,
      internal: true,
      subnet: "10.42.0.0/24",
      gateway: "10.42.0.1",
      labels: { tier: "web" },
      serverName: HOST,
      owner: "p/s/imported",
    });
    const seen = w.daemons.hostKeySeen(CONNECTION);
    expect(seen).toBeDefined();
    expect(r?.state.connection.hostKey).toBe(seen!.publicKey);
    // Reads only: the network is as it was.
    expect(w.daemon.callsTo("createNetwork")).toEqual([]);
    expect(w.daemon.callsTo("removeNetwork")).toEqual([]);
    expect(w.daemon.peek("legacy")?.Labels).toEqual({ tier: "web" });
  });

  it("refuses a network no Destination can describe, naming why", async () => {
    const w = world();
    w.daemon.addNetwork({ Name: "odd", Driver: "macvlan" });
    const err = await importNetwork(w.daemons, w.destinations, "odd", CONNECTION, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe("id");
    expect((err as Error).message).toMatch(
      /^id: network 'odd' cannot be imported: type: must be 'standalone' or 'swarm', got 'macvlan'$/,
    );
  });
});
