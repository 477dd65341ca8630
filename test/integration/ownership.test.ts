// Whose network is it: the owner id that two stacks cannot share, the state
// recorded before owner ids existed, refresh and update that never act on
// someone else's network, and a failed create that leaves nothing behind.
// Against the real dockerd behind the test host's sshd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  LABEL_MANAGED,
  LABEL_OWNER,
  LABEL_OWNER_ID,
  type DestinationInputs,
  type DestinationState,
  type ServerState,
} from "../../provider";
import { ownerIdOf } from "../../provider/destination/ownership";
import { harness } from "../support/controllers";
import { cleanup, docker, dockerOk, testHost, uniq, type TestHost } from "../support/testhost";

let h: TestHost;
let server: ServerState;
const t = harness();
const P = uniq("dyown");

function inspect(name: string): {
  Id: string;
  Labels: Record<string, string>;
  Containers: Record<string, { Name: string }> | null;
} {
  return JSON.parse(docker("network", "inspect", name))[0];
}

/** `docker network create` with these labels. */
function handMade(network: string, labels: Record<string, string>): string {
  docker("network", "create", ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), network);
  return inspect(network).Id;
}

/** A state for `inputs` pointing at network `id`, as some earlier run recorded it. */
function recorded(inputs: DestinationInputs, id: string, extra: Partial<DestinationState> = {}): DestinationState {
  return { ...inputs, networkId: id, driver: "bridge", scope: "local", adopted: false, subnets: [], ...extra };
}

/** A container on a network of this file's own (not Docker's default bridge), to be connected elsewhere. */
function runContainer(name: string): void {
  if (!dockerOk("network", "inspect", `${P}-home`)) docker("network", "create", `${P}-home`);
  docker("run", "-d", "--name", name, "--network", `${P}-home`, h.image, "sleep", "600");
}

function networksOf(container: string): string[] {
  return Object.keys(
    JSON.parse(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", container)) as Record<string, unknown>,
  );
}

beforeAll(async () => {
  h = testHost();
  server = (await t.rootServer(h)).state;
});
afterAll(() => {
  cleanup(P);
  t.close();
});

describe("an owner two stacks cannot share", () => {
  it("a stack with the same project and stack names in another backend (another Server id) neither takes over nor removes the network", async () => {
    const network = `${P}-twin`;
    const owner = "itest/stack/twin";
    const a = await t.createDestination(server, {
      network,
      owner,
      serverId: "server-in-backend-a",
      type: "standalone",
    });
    const bInputs = t.checkDestination(server, { network, owner, serverId: "server-in-backend-b", type: "standalone" });
    const err = await t.ctl.destination.create(bInputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(`a network named '${network}' already exists`);
    expect((err as Error).message).toContain("another stack");
    expect(inspect(network).Id).toBe(a.id);
    // Nor does B's refresh or delete, even with A's network id in B's state.
    const b = recorded(bInputs, a.id, { ownerId: ownerIdOf(bInputs) });
    expect(await t.ctl.destination.read(a.id, b)).toBeUndefined();
    await t.ctl.destination.delete(a.id, b);
    expect(inspect(network).Id).toBe(a.id);
    // A's own delete removes it.
    await t.ctl.destination.delete(a.id, a.state);
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });

  it('two components of one stack each declaring Destination("net") are two owners', async () => {
    const network = `${P}-comp`;
    const owner = "itest/stack/net";
    const urn = (component: string) =>
      `urn:pulumi:stack::itest::${component}$pulumi-nodejs:dynamic/dockyard:Destination::net`;
    const a = await t.createDestination(server, { network, owner, resourceUrn: urn("app:A"), type: "standalone" });
    const err = await t
      .createDestination(server, { network, owner, resourceUrn: urn("app:B"), type: "standalone" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(inspect(network).Id).toBe(a.id);
    expect(inspect(network).Labels[LABEL_OWNER_ID]).toBe(a.state.ownerId);
  });

  it("create and delete judge 'ours' by one rule: the owner labels without the managed label are not ours for either", async () => {
    const network = `${P}-unmanaged`;
    const inputs = t.checkDestination(server, { network, type: "standalone" });
    const id = handMade(network, { [LABEL_OWNER]: inputs.owner, [LABEL_OWNER_ID]: ownerIdOf(inputs) });
    const err = await t.ctl.destination.create(inputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    await t.ctl.destination.delete(id, recorded(inputs, id, { ownerId: ownerIdOf(inputs) }));
    expect(inspect(network).Id).toBe(id);
  });
});

describe("a destination recorded before owner ids (no ownerId in its state)", () => {
  it("keeps its network by the owner label alone: refresh follows it by name, diff shows nothing, destroy removes it", async () => {
    const network = `${P}-legacy`;
    const inputs = t.checkDestination(server, { network, type: "standalone", labels: { tier: "web" } });
    // The network as 0.1.0 labelled it, re-created (new id) while nobody looked.
    const id = handMade(network, {
      tier: "web",
      [LABEL_MANAGED]: "true",
      "dockyard.destination": network,
      [LABEL_OWNER]: inputs.owner,
    });
    const { serverId: _s, resourceUrn: _u, ...old } = inputs;
    const legacy = recorded(old as DestinationInputs, "0".repeat(64), { labels: { tier: "web" } });
    const refreshed = await t.ctl.destination.read("0".repeat(64), legacy);
    expect(refreshed?.id).toBe(id);
    expect(refreshed!.state.ownerId).toBeUndefined();
    expect(t.ctl.destination.diff(id, refreshed!.state, inputs).changes).toBe(false);
    await t.ctl.destination.delete(id, refreshed!.state);
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });

  it("never claims a network that carries an owner id (another stack's, of the same names)", async () => {
    const network = `${P}-legacy2`;
    const inputs = t.checkDestination(server, { network, type: "standalone" });
    const { serverId: _s, resourceUrn: _u, ...old } = inputs;
    const legacy = recorded(old as DestinationInputs, "0".repeat(64));
    const id = handMade(network, {
      [LABEL_MANAGED]: "true",
      [LABEL_OWNER]: inputs.owner,
      [LABEL_OWNER_ID]: "f".repeat(32),
    });
    expect(await t.ctl.destination.read("0".repeat(64), legacy)).toBeUndefined();
    await t.ctl.destination.delete(id, { ...legacy, networkId: id });
    expect(inspect(network).Id).toBe(id);
  });

  it("is replaced by a destination with an owner id (the engine checks with the old inputs, then creates)", async () => {
    const network = `${P}-migrate`;
    const inputs = t.checkDestination(server, { network, type: "standalone" });
    const { serverId: _s, resourceUrn: _u, ...old } = inputs;
    // check with the old inputs as olds, the new SDK's inputs as news: what a replacement is created from.
    const news = t.checkDestination(server, { network, type: "standalone" }, old);
    const { id, state } = await t.ctl.destination.create(news);
    expect(state.ownerId).toBe(ownerIdOf(news));
    expect(inspect(network).Labels[LABEL_OWNER_ID]).toBe(state.ownerId);
    await t.ctl.destination.delete(id, state);
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });
});

describe("refresh and update never act on someone else's network", () => {
  it("refresh does not take a network made by hand under the name for the destination's", async () => {
    const network = `${P}-stranger`;
    const { id, state } = await t.createDestination(server, { network, type: "standalone" });
    docker("network", "rm", network);
    const stranger = handMade(network, { team: "ops" });
    expect(await t.ctl.destination.read(id, state)).toBeUndefined();
    expect(inspect(network).Id).toBe(stranger);
  });

  it("nor one made by hand where an adopted network was", async () => {
    const network = `${P}-adopted`;
    handMade(network, { team: "ops" });
    const { id, state } = await t.createDestination(server, {
      network,
      type: "standalone",
      adopt: true,
      labels: { team: "ops" },
    });
    expect(state.adopted).toBe(true);
    docker("network", "rm", network);
    const stranger = handMade(network, { team: "ops" });
    expect(await t.ctl.destination.read(id, state)).toBeUndefined();
    expect(inspect(network).Id).toBe(stranger);
  });

  it("update attaches and detaches nothing on a network it neither owns nor adopted (an earlier version's refresh recorded its id)", async () => {
    const network = `${P}-stranger-upd`;
    const proxy = `${P}-stranger-proxy`;
    const theirs = `${P}-stranger-app`;
    runContainer(proxy);
    const { state } = await t.createDestination(server, { network, type: "standalone" });
    docker("network", "rm", network);
    const stranger = handMade(network, {});
    docker("run", "-d", "--name", theirs, "--network", network, h.image, "sleep", "600");
    const olds = { ...state, networkId: stranger, connect: [theirs] };
    expect(await t.ctl.destination.read(stranger, olds)).toBeUndefined();
    const news = t.checkDestination(server, { network, type: "standalone", connect: [proxy] });
    const err = await t.ctl.destination.update(stranger, olds, news).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("not this destination's");
    expect(networksOf(proxy)).not.toContain(network);
    expect(networksOf(theirs)).toContain(network);
  });
});

describe("a create that fails half-way", () => {
  it("detaches the containers it attached, so the network can be removed and nothing is left", async () => {
    const network = `${P}-half`;
    const proxy = `${P}-half-proxy`;
    runContainer(proxy);
    const err = await t
      .createDestination(server, { network, type: "standalone", connect: [proxy, `${P}-ghost`] })
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain(`container '${P}-ghost' named in connect does not exist`);
    expect((err as Error).message).not.toMatch(/left on the server/);
    expect(dockerOk("network", "inspect", network)).toBe(false);
    expect(networksOf(proxy)).not.toContain(network);
    expect(docker("inspect", "-f", "{{.State.Running}}", proxy)).toBe("true");
  });
});
