// The resource's identity is Pulumi's: the TypeScript SDK passes a
// Destination's URN (a dynamic provider's calls carry none), the plugin gets
// it from the engine, and the core derives the owner from it. The owner,
// network name and labels are the ones the SDK's own `owner` input gave
// before, so recorded stacks keep their networks. Pure logic: no transport.
import { describe, expect, it } from "vitest";
import {
  DestinationController,
  type DestinationInputs,
  type Daemons,
  type EngineApi,
  type NetworkCreateBody,
} from "../../provider";
import { checkDestination } from "../../provider/destination/destination-check";
import { ownerFromUrn } from "../../provider/destination/ownership";
import { UNKNOWN } from "../../provider/resource";
import { adapt } from "../../sdk/dynamic";

const unreachable: Daemons = {
  docker: () => {
    throw new Error("check must not reach a daemon");
  },
  hostKeySeen: () => undefined,
};
const connection = {
  host: "10.9.8.7",
  port: 22,
  user: "root",
  password: "pw",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};
const urnOf = (name: string, parents = "") =>
  `urn:pulumi:dev::proj::${parents}pulumi-nodejs:dynamic/dockyard:Destination::${name}`;
/** What the SDK's Destination sends now: no owner. */
const sent = (name: string) => ({
  connection,
  serverName: "web-1",
  serverSwarmRole: "none",
  serverId: "0b8e3c1e-1111-4111-8111-111111111111",
  resourceUrn: urnOf(name),
});
const logs: string[] = [];
const dynamic = adapt(new DestinationController(unreachable, (m) => logs.push(m)), (props) => props?.resourceUrn);

async function dynamicCheck(
  news: Record<string, unknown>,
  olds: Record<string, unknown> = {},
): Promise<DestinationInputs> {
  const r = await dynamic.check!(olds, news);
  expect(r.failures ?? []).toEqual([]);
  return r.inputs as DestinationInputs;
}

describe("the dynamic adapter derives a Destination's owner from its URN", () => {
  it("as `<project>/<stack>/<name>`, the owner the SDK used to send", async () => {
    const inputs = await dynamicCheck(sent("web"));
    expect(inputs.owner).toBe("proj/dev/web");
    expect(inputs.resourceUrn).toBe(urnOf("web"));
    expect(ownerFromUrn(urnOf("web", "app:Comp$"))).toBe("proj/dev/web");
  });

  it("and the same network name and inputs as the SDK's own owner gave", async () => {
    const before = checkDestination(undefined, { ...sent("web"), owner: "proj/dev/web" });
    expect(before.failures).toEqual([]);
    const now = await dynamicCheck(sent("web"));
    expect(now.network).toBe(before.inputs.network);
    expect(now.network).toMatch(/^web-[0-9a-f]{8}$/);
    // Every checked input is the same, so what stacks recorded before compares equal: no diff.
    expect(now).toEqual(before.inputs);
    const olds = before.inputs as unknown as Record<string, unknown>;
    expect(await dynamicCheck(sent("web"), olds)).toEqual(
      checkDestination(olds, { ...sent("web"), owner: "proj/dev/web" }).inputs,
    );
  });

  it("keeps the owner recorded at creation (0.1.0's state has no URN)", async () => {
    const olds = { owner: "dockyard-fixture/recorded/web", network: "recorded-web" };
    const inputs = await dynamicCheck(sent("web"), olds);
    expect(inputs.owner).toBe("dockyard-fixture/recorded/web");
    expect(inputs.network).toBe("recorded-web");
  });

  it("ignores an owner in the inputs when the URN is known", async () => {
    expect((await dynamicCheck({ ...sent("web"), owner: "someone/else/x" })).owner).toBe("proj/dev/web");
  });

  it("refuses a resourceUrn that is not a URN, naming it", async () => {
    const r = await dynamic.check!({}, { ...sent("web"), resourceUrn: "web" });
    expect((r.failures ?? []).map((f) => f.property)).toEqual(["resourceUrn"]);
  });

  it("leaves the owner and the network to be known when the URN is not", async () => {
    const inputs = await dynamicCheck({ ...sent("web"), resourceUrn: UNKNOWN });
    expect(inputs.owner).toBe(UNKNOWN);
    expect(inputs.network).toBe(UNKNOWN);
  });

  it("creates the network with the resource's name and owner in its labels", async () => {
    const bodies: NetworkCreateBody[] = [];
    const daemon = {
      target: "root@10.9.8.7:22",
      listNetworks: async () => [],
      findNetwork: async () => undefined,
      createNetwork: async (body: NetworkCreateBody) => {
        bodies.push(body);
        return "n1";
      },
      inspectNetwork: async () => ({
        Id: "n1",
        Name: bodies[0]!.Name,
        Driver: "bridge",
        Scope: "local",
        Labels: bodies[0]!.Labels,
      }),
    } as unknown as EngineApi;
    const creating = adapt(
      new DestinationController({ docker: () => daemon, hostKeySeen: () => undefined }),
      (props) => props?.resourceUrn,
    );
    const inputs = await dynamicCheck({ ...sent("web"), network: "web-net" });
    await creating.create(inputs);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.Labels).toMatchObject({
      "dockyard.managed": "true",
      "dockyard.destination": "web",
      "dockyard.owner": "proj/dev/web",
    });
    expect(logs).toEqual([]);
  });
});
