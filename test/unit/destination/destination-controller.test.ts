// Every path of the Destination controller (create, rollback, read, update,
// delete), on the in-memory daemon of test/support/fake-engine.ts. The same
// behaviour against a real dockerd: test/integration/destination.test.ts,
// ownership.test.ts, faults.test.ts and multinode.test.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConflictError,
  ConnectionError,
  DockerApiError,
  DockyardError,
  NotFoundError,
  TimeoutError,
  UnsupportedError,
} from "../../../provider/errors";
import type { DestinationState } from "../../../provider/destination/destination-types";
import { DestinationController } from "../../../provider/destination/destination-controller";
import { checkDestination } from "../../../provider/destination/destination-check";
import type { Transport } from "../../../provider/transport/transport";
import { world } from "../../support/fake-world";

afterEach(() => {
  vi.useRealTimers();
});

/** The settled outcome of a promise, with every pending timer run (fake timers). */
async function settle<T>(p: Promise<T>): Promise<T> {
  const out = p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  await vi.runAllTimersAsync();
  const r = await out;
  if (!r.ok) throw r.e;
  return r.v;
}

const reset = () => new ConnectionError("root@web1:22", "connection reset by the server");

describe("create, standalone", () => {
  it("creates a labelled bridge with the IPAM, MTU, options and flags asked for, and records what the daemon has", async () => {
    const w = world();
    const inputs = w.inputs({
      subnet: "10.251.7.0/24",
      gateway: "10.251.7.1",
      ipRange: "10.251.7.128/25",
      mtu: 1400,
      internal: true,
      labels: { tier: "web" },
      driverOptions: { "com.docker.network.bridge.enable_icc": "false" },
    });
    const { id, state } = await w.destinations.create(inputs);
    const net = w.daemon.peek("prod")!;
    expect(net.Id).toBe(id);
    expect(net).toMatchObject({
      Driver: "bridge",
      Scope: "local",
      Internal: true,
      Attachable: false,
      IPAM: { Config: [{ Subnet: "10.251.7.0/24", Gateway: "10.251.7.1", IPRange: "10.251.7.128/25" }] },
      Options: { "com.docker.network.driver.mtu": "1400", "com.docker.network.bridge.enable_icc": "false" },
      Labels: {
        tier: "web",
        "dockyard.managed": "true",
        "dockyard.owner": "p/s/prod",
        "dockyard.destination": "prod",
        "dockyard.owner-id": state.ownerId,
      },
    });
    expect(state).toMatchObject({
      networkId: id,
      driver: "bridge",
      scope: "local",
      type: "standalone",
      adopted: false,
      subnets: ["10.251.7.0/24"],
      labels: { tier: "web" },
      mtu: 1400,
    });
    expect(state.ownerId).toMatch(/^[0-9a-f]{32}$/);
    // What was recorded matches what exists: no spurious diff after a refresh.
    const again = await w.destinations.read(id, state);
    expect(w.destinations.diff(id, again!.state, inputs).changes).toBe(false);
  });

  it("takes a default subnet from the daemon when none is given", async () => {
    const w = world();
    const { state } = await w.destinations.create(w.inputs());
    expect(state.subnets).toHaveLength(1);
    expect(state.subnet).toBeUndefined();
  });

  it("attaches the containers named in connect, by name or by full id", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    const appId = w.daemon.addContainer("app");
    const { id, state } = await w.destinations.create(w.inputs({ connect: ["proxy", appId] }));
    expect(
      Object.values(w.daemon.peek(id)!.Containers ?? {})
        .map((c) => c.Name)
        .sort(),
    ).toEqual(["app", "proxy"]);
    expect(state.connect).toEqual(["proxy", appId]);
  });

  it("a container attached meanwhile (a call that had gone through) counts as attached", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    w.daemon.before("connectContainer", () => w.daemon.attach("prod", "proxy"));
    const { state } = await w.destinations.create(w.inputs({ connect: ["proxy"] }));
    expect(state.connect).toEqual(["proxy"]);
    expect(w.daemon.callsTo("connectContainer")).toHaveLength(1);
  });
});

describe("create, swarm", () => {
  it("on a manager: an attachable overlay, its allocation waited for", async () => {
    vi.useFakeTimers();
    const w = world({ swarm: "manager", allocationInspects: 3 });
    const { id, state } = await settle(w.destinations.create(w.inputs({ type: "swarm" })));
    expect(w.daemon.peek(id)).toMatchObject({ Driver: "overlay", Scope: "swarm", Attachable: true });
    expect(state).toMatchObject({ type: "swarm", driver: "overlay", scope: "swarm", attachable: true });
    // Never recorded unallocated: the subnet the swarm gave is there.
    expect(state.subnets).toHaveLength(1);
    expect(w.daemon.callsTo("inspectNetwork").length).toBeGreaterThanOrEqual(4);
  });

  it("an allocation that never comes is a TimeoutError, and the network is removed again", async () => {
    vi.useFakeTimers();
    const w = world({ swarm: "manager", allocationInspects: Number.MAX_SAFE_INTEGER });
    const err = await settle(w.destinations.create(w.inputs({ type: "swarm" }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe(
      "root@web1:22: allocation of network 'prod' by the swarm timed out after 15000 ms",
    );
    expect(w.daemon.userNetworks()).toEqual(["docker_gwbridge"]);
  });

  it("refused on a worker before anything changes, naming the node", async () => {
    const w = world({ swarm: "worker" });
    const err = await w.destinations.create(w.inputs({ type: "swarm" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe(
      `root@web1:22: swarm destination 'web1-prod' needs a swarm manager, but this server is a swarm worker (node ${w.daemon.nodeId}). ` +
        "Create it through a Server connected to a manager node.",
    );
    expect(w.daemon.callsTo("createNetwork")).toEqual([]);
  });

  it("refused on a server in no swarm", async () => {
    const w = world();
    const err = await w.destinations.create(w.inputs({ type: "swarm" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toContain(
      'but this server is not in a swarm. Use type: "standalone", or join the server to a swarm as a manager.',
    );
    expect(w.daemon.callsTo("createNetwork")).toEqual([]);
  });

  it("a manager demoted between the role check and the create: the daemon's refusal is an UnsupportedError", async () => {
    const w = world({ swarm: "manager" });
    w.daemon.before("createNetwork", () => w.daemon.setSwarmRole("worker"));
    const err = await w.destinations.create(w.inputs({ type: "swarm" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe(
      "root@web1:22: swarm destinations must be created through a swarm manager; this server is not one.",
    );
  });

  it("a network found by name while still unallocated is waited for before it is judged", async () => {
    vi.useFakeTimers();
    const w = world({ swarm: "manager" });
    const first = await w.destinations.create(w.inputs({ type: "swarm" }));
    w.daemon.edit("prod", (n) => (n.unallocatedInspects = 2));
    const second = await settle(w.destinations.create(w.inputs({ type: "swarm" })));
    expect(second.id).toBe(first.id);
    expect(second.state.driver).toBe("overlay");
  });
});

describe("create, when the name is taken", () => {
  it("someone else's network: refused, pointing at adopt, nothing changed", async () => {
    const w = world();
    const before = w.daemon.addNetwork({ Name: "prod" });
    const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      `root@web1:22: a network named 'prod' already exists (id ${before.slice(0, 12)}, driver bridge). Choose another network name, or set adopt: true to take it over.`,
    );
    expect(w.daemon.peek("prod")!.Id).toBe(before);
    expect(w.daemon.callsTo("createNetwork")).toEqual([]);
  });

  it("a network with this destination's owner name but another owner id: says it is another stack's", async () => {
    const w = world();
    const a = await w.destinations.create(w.inputs());
    const err = await w.destinations.create(w.inputs({ serverId: "another-backend" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(
      "It carries this destination's owner name (p/s/prod) but not its owner id: it belongs to another stack",
    );
    expect(w.daemon.peek("prod")!.Id).toBe(a.id);
  });

  it("the managed label missing: not ours, though the owner labels match", async () => {
    const w = world();
    const { state } = await w.destinations.create(w.inputs());
    const labels = { ...w.daemon.peek("prod")!.Labels };
    delete labels["dockyard.managed"];
    w.daemon.removeByHand("prod");
    w.daemon.addNetwork({ Name: "prod", Labels: labels });
    await expect(w.destinations.create(w.inputs())).rejects.toBeInstanceOf(ConflictError);
    expect(state.adopted).toBe(false);
  });

  it("ours, left by an interrupted run: taken over, not adopted, missing containers attached", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    const first = await w.destinations.create(w.inputs());
    const second = await w.destinations.create(w.inputs({ connect: ["proxy"] }));
    expect(second.id).toBe(first.id);
    expect(second.state).toMatchObject({ adopted: false, connect: ["proxy"], ownerId: first.state.ownerId });
    expect(w.daemon.callsTo("createNetwork")).toHaveLength(1);
  });

  it("ours but no longer matching the inputs: refused, saying how it differs", async () => {
    const w = world();
    await w.destinations.create(w.inputs());
    const err = await w.destinations
      .create(w.inputs({ internal: true, labels: { tier: "db" } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(
      /^root@web1:22: network 'prod' exists \(id [0-9a-f]{12}\) but differs from this destination: internal: network has false; labels\.tier: network has none\. Remove it, or change the destination to match\.$/,
    );
  });

  it("adopt: a matching unlabelled network is taken over as it is", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    const existing = w.daemon.addNetwork({ Name: "prod", Labels: { team: "ops", other: "x" } });
    const { id, state } = await w.destinations.create(
      w.inputs({ adopt: true, labels: { team: "ops" }, connect: ["proxy"] }),
    );
    expect(id).toBe(existing);
    expect(state).toMatchObject({ adopted: true, labels: { team: "ops" }, connect: ["proxy"] });
    expect(state.ownerId).toMatch(/^[0-9a-f]{32}$/);
    // Its labels stay as they were: Docker cannot relabel a network.
    expect(w.daemon.peek(id)!.Labels).toEqual({ team: "ops", other: "x" });
    expect(w.daemon.callsTo("createNetwork")).toEqual([]);
  });

  it("adopt: a network that does not match is refused", async () => {
    const w = world();
    w.daemon.addNetwork({ Name: "prod", Internal: true, IPAM: { Config: [{ Subnet: "10.9.0.0/24" }] } });
    const err = await w.destinations
      .create(w.inputs({ adopt: true, subnet: "10.9.1.0/24", mtu: 1400 }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(
      "internal: network has true; subnet: network has 10.9.0.0/24; mtu: network has default",
    );
  });

  it("adopt of a swarm network through a manager", async () => {
    const w = world({ swarm: "manager" });
    const existing = w.daemon.addNetwork({ Name: "prod", Driver: "overlay", Attachable: true });
    const { id, state } = await w.destinations.create(w.inputs({ type: "swarm", adopt: true }));
    expect(id).toBe(existing);
    expect(state).toMatchObject({ adopted: true, type: "swarm", attachable: true });
  });

  it("a name taken between the check and the create: the daemon's refusal says what to do", async () => {
    const w = world({ swarm: "manager" });
    w.daemon.before(
      "createNetwork",
      () => void w.daemon.addNetwork({ Name: "prod", Driver: "overlay", Attachable: true }),
    );
    const err = await w.destinations.create(w.inputs({ type: "swarm" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      "root@web1:22: a network named 'prod' already exists. Choose another name, or set adopt: true to take it over.",
    );
  });
});

describe("create, when the name is taken after the look-up", () => {
  it("a plain bridge of that name made just before the create (Docker 20.10): refused and explained, nothing created", async () => {
    // The default fake daemon accepts a duplicate local name unless the request sets CheckDuplicate, as 20.10 does.
    const w = world();
    let racer = "";
    w.daemon.before("createNetwork", () => void (racer = w.daemon.addNetwork({ Name: "prod" })));
    const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      "root@web1:22: a network named 'prod' already exists. Choose another name, or set adopt: true to take it over.",
    );
    expect(w.daemon.callsTo("createNetwork")).toHaveLength(1);
    expect(w.daemon.userNetworks()).toEqual(["prod"]);
    expect(w.daemon.peek("prod")?.Id).toBe(racer);
    expect(w.daemon.peek("prod")?.Labels ?? {}).not.toHaveProperty("dockyard.managed");
  });
});

describe("create, when the subnet is taken", () => {
  it("a subnet overlapping an existing network is refused before creating, naming it", async () => {
    const w = world();
    w.daemon.addNetwork({ Name: "occupant", IPAM: { Config: [{ Subnet: "10.252.0.0/16" }] } });
    const err = await w.destinations.create(w.inputs({ subnet: "10.252.3.0/24" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      "root@web1:22: requested subnet is taken: 'occupant' (10.252.0.0/16) overlaps 10.252.3.0/24. Choose a free subnet.",
    );
    expect(w.daemon.callsTo("createNetwork")).toEqual([]);
  });

  it("an IPv6 subnet is compared too", async () => {
    const w = world();
    w.daemon.addNetwork({ Name: "v6", EnableIPv6: true, IPAM: { Config: [{ Subnet: "fd00:1::/48" }] } });
    const err = await w.destinations
      .create(w.inputs({ ipv6: true, ipv6Subnet: "fd00:1:0:5::/64" }))
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain("'v6' (fd00:1::/48) overlaps fd00:1:0:5::/64");
  });

  it("taken between the check and the create: the daemon's 'Pool overlaps' is explained", async () => {
    const w = world();
    w.daemon.before(
      "createNetwork",
      () => void w.daemon.addNetwork({ Name: "racer", IPAM: { Config: [{ Subnet: "10.40.0.0/24" }] } }),
    );
    const err = await w.destinations.create(w.inputs({ subnet: "10.40.0.0/24" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      "root@web1:22: subnet 10.40.0.0/24 overlaps a network that already exists. Choose a free subnet.",
    );
  });

  it("the default pools exhausted: says what to do, creates nothing", async () => {
    const w = world({ localPool: "10.96.0.0/23" });
    // The default bridge has the first /24; one more is left.
    w.daemon.addNetwork({ Name: "filler" });
    const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockyardError);
    expect((err as DockyardError).code).toBe("CONFLICT");
    expect((err as Error).message).toContain("no free subnet left for 'prod'");
    expect(w.daemon.userNetworks()).toEqual(["filler"]);
  });
});

describe("create, when the link breaks at the create call", () => {
  it("after the daemon made the network: converges on it (its owner labels say it is this destination's)", async () => {
    const w = world();
    w.daemon.fail("createNetwork", reset(), { after: true });
    const { id, state } = await w.destinations.create(w.inputs());
    expect(w.daemon.peek("prod")!.Id).toBe(id);
    expect(state.adopted).toBe(false);
  });

  it("before it reached the daemon: the connection error, nothing made", async () => {
    const w = world();
    const broken = reset();
    w.daemon.fail("createNetwork", broken);
    const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
    expect(err).toBe(broken);
    expect(w.daemon.userNetworks()).toEqual([]);
  });

  it("and the look-up after it fails too: the original error", async () => {
    const w = world();
    const broken = reset();
    w.daemon.fail("createNetwork", broken, { after: true });
    w.daemon.fail("listNetworks", reset(), {
      match: (args) => args.length > 0 && w.daemon.callsTo("createNetwork").length > 0,
    });
    const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
    expect(err).toBe(broken);
  });

  it("someone else's network of that name is never taken for the one asked for", async () => {
    const w = world();
    const broken = reset();
    w.daemon.fail("createNetwork", broken);
    w.daemon.before("listNetworks", () => void w.daemon.addNetwork({ Name: "prod" }), {
      match: () => w.daemon.callsTo("createNetwork").length > 0,
    });
    const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
    expect(err).toBe(broken);
  });
});

describe("create rolls back what it made when setting it up fails", () => {
  it("a container in connect that does not exist: detaches those attached, removes the network, names the container", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    const err = await w.destinations.create(w.inputs({ connect: ["proxy", "ghost"] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe(
      "root@web1:22: container 'ghost' named in connect does not exist on this server.",
    );
    expect(w.daemon.userNetworks()).toEqual([]);
    expect(w.daemon.callsTo("disconnectContainer")).toEqual([[expect.any(String), "proxy", true]]);
  });

  it("a container removed meanwhile counts as detached", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    w.daemon.fail("inspectNetwork", reset(), { match: () => w.daemon.callsTo("connectContainer").length > 0 });
    w.daemon.before("disconnectContainer", () => w.daemon.removeContainer("proxy"));
    const err = await w.destinations.create(w.inputs({ connect: ["proxy"] })).catch((e: unknown) => e);
    expect((err as Error).message).toBe("root@web1:22: connection reset by the server");
    expect(w.daemon.callsTo("removeNetwork")).toHaveLength(1);
    expect(w.daemon.userNetworks()).toEqual([]);
  });

  it("a connect that fails otherwise: the failure, after the network is removed again", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    const broken = reset();
    w.daemon.fail("connectContainer", broken);
    const err = await w.destinations.create(w.inputs({ connect: ["proxy"] })).catch((e: unknown) => e);
    expect(err).toBe(broken);
    expect(w.daemon.userNetworks()).toEqual([]);
  });

  it("a container that cannot be detached again: the network is left, and the message says so", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    w.daemon.fail("inspectNetwork", new TimeoutError("root@web1:22", "Docker network inspect x", 30_000), {
      match: () => w.daemon.callsTo("connectContainer").length > 0,
    });
    w.daemon.fail("disconnectContainer", reset());
    const err = await w.destinations.create(w.inputs({ connect: ["proxy"] })).catch((e: unknown) => e);
    expect((err as DockyardError).code).toBe("TIMEOUT");
    expect((err as Error).message).toMatch(
      /was created but setting it up failed \(Docker network inspect x timed out after 30000 ms\)\. Removing it failed too/,
    );
    expect(w.daemon.callsTo("removeNetwork")).toEqual([]);
    expect(w.daemon.userNetworks()).toEqual(["prod"]);
  });

  it("a failure after the network was made removes it and reports the failure", async () => {
    const w = world();
    const broken = reset();
    w.daemon.fail("inspectNetwork", broken);
    const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
    expect(err).toBe(broken);
    expect(w.daemon.userNetworks()).toEqual([]);
  });

  describe("and the removal fails too", () => {
    const left = (why: string) =>
      `root@web1:22: network 'prod' (id ${"x".repeat(12)}) was created but setting it up failed (${why}). ` +
      "Removing it failed too, so it is left on the server; the next `pulumi up` takes it over.";
    const masked = (err: unknown) => (err as Error).message.replace(/\(id [0-9a-f]{12}\)/, `(id ${"x".repeat(12)})`);

    function failing(setup: Error): ReturnType<typeof world> {
      const w = world();
      w.daemon.fail("inspectNetwork", setup);
      w.daemon.fail(
        "removeNetwork",
        new ConnectionError("root@web1:22", "connection refused: is sshd listening on port 22?"),
      );
      return w;
    }

    it("names the network left behind, keeps a broken link a ConnectionError, and the next create takes it over", async () => {
      const w = failing(reset());
      const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as DockyardError).code).toBe("CONNECTION");
      expect(masked(err)).toBe(left("connection reset by the server"));
      const again = await w.destinations.create(w.inputs());
      expect(again.id).toBe(w.daemon.peek("prod")!.Id);
      expect(w.daemon.callsTo("createNetwork")).toHaveLength(1);
    });

    it("keeps a TimeoutError's code", async () => {
      const w = failing(new TimeoutError("root@web1:22", "Docker network inspect x", 30_000));
      const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as DockyardError).code).toBe("TIMEOUT");
      expect(masked(err)).toBe(left("Docker network inspect x timed out after 30000 ms"));
    });

    it("keeps an UnsupportedError one", async () => {
      const w = failing(new UnsupportedError("root@web1:22: the daemon cannot do that"));
      const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect(masked(err)).toBe(left("the daemon cannot do that"));
    });

    it("keeps another Dockyard error's code", async () => {
      const w = failing(new DockerApiError(500, "root@web1:22: network inspect x: Docker answered 500: boom"));
      const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockyardError);
      expect((err as DockyardError).code).toBe("DOCKER_API");
      expect(masked(err)).toBe(left("network inspect x: Docker answered 500: boom"));
    });

    it("a thrown value that is not an Error is named as it is", async () => {
      const w = failing("a string" as unknown as Error);
      const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
      expect((err as DockyardError).code).toBe("CONNECTION");
      expect(masked(err)).toBe(left("a string"));
    });

    it("an error that is not Dockyard's counts as a connection failure", async () => {
      const w = failing(new Error("something odd"));
      const err = await w.destinations.create(w.inputs()).catch((e: unknown) => e);
      expect((err as DockyardError).code).toBe("CONNECTION");
      expect(masked(err)).toBe(left("something odd"));
    });
  });
});

describe("read", () => {
  it("present: the state as the daemon has it, and the inputs that describe it", async () => {
    const w = world();
    const { id, state } = await w.destinations.create(w.inputs({ labels: { tier: "web" } }));
    const r = await w.destinations.read(id, state);
    expect(r!.id).toBe(id);
    expect(r!.state).toEqual(state);
    expect(r!.inputs).toMatchObject({ network: "prod", labels: { tier: "web" }, connection: state.connection });
    expect(r!.inputs).not.toHaveProperty("networkId");
  });

  it("gone: undefined", async () => {
    const w = world();
    const { id, state } = await w.destinations.create(w.inputs());
    w.daemon.removeByHand("prod");
    expect(await w.destinations.read(id, state)).toBeUndefined();
  });

  it("re-created with its owner labels (a restore): followed by name, its drift shows", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    const inputs = w.inputs({ labels: { tier: "db" }, connect: ["proxy"] });
    const { id, state } = await w.destinations.create(inputs);
    const { tier: _t, ...dockyard } = w.daemon.peek("prod")!.Labels!;
    w.daemon.removeByHand("prod");
    const again = w.daemon.addNetwork({ Name: "prod", Internal: true, Labels: dockyard });
    const r = (await w.destinations.read(id, state))!;
    expect(r.id).toBe(again);
    expect(r.state).toMatchObject({ networkId: again, internal: true, labels: {}, connect: [] });
    const d = w.destinations.diff(r.id, r.state, inputs);
    expect(d.replaces).toEqual(expect.arrayContaining(["internal", "labels"]));
    expect(d.updates).toEqual(["connect"]);
  });

  it("re-created by someone else under the name: never taken for this destination's", async () => {
    const w = world();
    const { id, state } = await w.destinations.create(w.inputs());
    w.daemon.removeByHand("prod");
    w.daemon.addNetwork({ Name: "prod", Labels: { team: "ops" } });
    expect(await w.destinations.read(id, state)).toBeUndefined();
  });

  it("an id that now names a network not ours (recorded by an earlier version): undefined", async () => {
    const w = world();
    const { state } = await w.destinations.create(w.inputs());
    w.daemon.removeByHand("prod");
    const stranger = w.daemon.addNetwork({ Name: "prod" });
    expect(await w.destinations.read(stranger, { ...state, networkId: stranger })).toBeUndefined();
  });

  it("an adopted network is followed by its id, and only by it", async () => {
    const w = world();
    w.daemon.addNetwork({ Name: "prod", Labels: { team: "ops" } });
    const { id, state } = await w.destinations.create(w.inputs({ adopt: true, labels: { team: "ops" } }));
    const r = (await w.destinations.read(id, state))!;
    expect(r.state).toMatchObject({ adopted: true, labels: { team: "ops" } });
    w.daemon.removeByHand("prod");
    w.daemon.addNetwork({ Name: "prod", Labels: { team: "ops" } });
    expect(await w.destinations.read(id, state)).toBeUndefined();
  });

  it("drift: labels, options and containers as the daemon has them now", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    w.daemon.addContainer("intruder");
    const inputs = w.inputs({
      labels: { tier: "web" },
      connect: ["proxy"],
      driverOptions: { "com.docker.network.bridge.enable_icc": "false" },
    });
    const { id, state } = await w.destinations.create(inputs);
    w.daemon.edit(id, (n) => {
      n.Labels.tier = "db";
      n.Options["com.docker.network.bridge.enable_icc"] = "true";
    });
    w.daemon.detach(id, "proxy");
    w.daemon.attach(id, "intruder");
    const r = (await w.destinations.read(id, state))!;
    expect(r.state).toMatchObject({
      labels: { tier: "db" },
      connect: [],
      driverOptions: { "com.docker.network.bridge.enable_icc": "true" },
    });
    const d = w.destinations.diff(id, r.state, inputs);
    expect(d.replaces).toEqual(expect.arrayContaining(["labels", "driverOptions"]));
    expect(d.updates).toEqual(["connect"]);
  });

  it("a swarm network found unallocated is waited for", async () => {
    vi.useFakeTimers();
    const w = world({ swarm: "manager" });
    const { id, state } = await w.destinations.create(w.inputs({ type: "swarm" }));
    w.daemon.edit(id, (n) => (n.unallocatedInspects = 2));
    const r = await settle(w.destinations.read(id, state));
    expect(r!.state.driver).toBe("overlay");
  });

  it("the daemon's load-balancer endpoint is not a container", async () => {
    const w = world({ swarm: "manager" });
    w.daemon.addContainer("app");
    const { id, state } = await w.destinations.create(w.inputs({ type: "swarm", connect: ["app"] }));
    expect(Object.keys(w.daemon.peek(id)!.Containers!)).toContain("lb-prod");
    const r = (await w.destinations.read(id, state))!;
    expect(r.state.connect).toEqual(["app"]);
  });

  it("a transport error is an error, never a removal", async () => {
    const w = world();
    const { id, state } = await w.destinations.create(w.inputs());
    w.daemons.server("web1").up = false;
    await expect(w.destinations.read(id, state)).rejects.toThrow(
      /^could not connect to root@web1:22 after 10 attempts: connection refused/,
    );
  });
});

describe("update", () => {
  async function created(connect: string[]) {
    const w = world();
    for (const c of ["proxy", "app", "new"]) w.daemon.addContainer(c);
    const { id, state } = await w.destinations.create(w.inputs({ connect }));
    return { w, id, state };
  }

  it("detaches containers no longer listed and attaches new ones, in place", async () => {
    const { w, id, state } = await created(["proxy", "app"]);
    const updated = await w.destinations.update(id, state, w.inputs({ connect: ["proxy", "new"], name: "renamed" }));
    expect(updated).toMatchObject({ networkId: id, connect: ["proxy", "new"], name: "renamed" });
    expect(
      Object.values(w.daemon.peek(id)!.Containers!)
        .map((c) => c.Name)
        .sort(),
    ).toEqual(["new", "proxy"]);
    expect(w.daemon.callsTo("disconnectContainer")).toEqual([[id, "app", false]]);
  });

  it("re-attaches a container detached by hand, and does not disconnect one that already left", async () => {
    const { w, id, state } = await created(["proxy", "app"]);
    w.daemon.detach(id, "proxy");
    w.daemon.detach(id, "app");
    const updated = await w.destinations.update(id, state, w.inputs({ connect: ["proxy"] }));
    expect(updated.connect).toEqual(["proxy"]);
    expect(w.daemon.callsTo("disconnectContainer")).toEqual([]);
  });

  it("keeps whether the network was adopted and its owner id", async () => {
    const w = world();
    w.daemon.addContainer("proxy");
    w.daemon.addNetwork({ Name: "prod" });
    const { id, state } = await w.destinations.create(w.inputs({ adopt: true }));
    const updated = await w.destinations.update(id, state, w.inputs({ adopt: true, connect: ["proxy"] }));
    expect(updated).toMatchObject({ adopted: true, ownerId: state.ownerId, connect: ["proxy"] });
  });

  it("a container to attach that does not exist is named", async () => {
    const { w, id, state } = await created([]);
    await expect(w.destinations.update(id, state, w.inputs({ connect: ["ghost"] }))).rejects.toThrow(
      "root@web1:22: container 'ghost' named in connect does not exist on this server.",
    );
  });

  it("the network gone: says to refresh", async () => {
    const { w, id, state } = await created([]);
    w.daemon.removeByHand(id);
    const err = await w.destinations.update(id, state, w.inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe(
      `root@web1:22: network 'prod' (id ${id.slice(0, 12)}) no longer exists. Run \`pulumi refresh\`, then \`pulumi up\` re-creates it.`,
    );
  });

  it("a network not ours: attaches and detaches nothing", async () => {
    const { w, state } = await created([]);
    w.daemon.removeByHand("prod");
    const stranger = w.daemon.addNetwork({ Name: "prod" });
    w.daemon.attach(stranger, "app");
    const err = await w.destinations
      .update(stranger, { ...state, networkId: stranger, connect: ["app"] }, w.inputs({ connect: ["proxy"] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(
      "is not this destination's: it lacks its owner labels and was not adopted",
    );
    expect(w.daemon.callsTo("connectContainer")).toHaveLength(0);
    expect(w.daemon.callsTo("disconnectContainer")).toHaveLength(0);
  });
});

describe("delete", () => {
  async function created(over: Record<string, unknown> = {}, opts: Parameters<typeof world>[0] = {}) {
    const w = world(opts);
    for (const c of ["proxy", "app1", "app2"]) w.daemon.addContainer(c);
    const { id, state } = await w.destinations.create(w.inputs(over));
    return { w, id, state };
  }

  it("an empty network is removed", async () => {
    const { w, id, state } = await created();
    await w.destinations.delete(id, state);
    expect(w.daemon.userNetworks()).toEqual([]);
  });

  it("containers named in connect are disconnected first, without force", async () => {
    const { w, id, state } = await created({ connect: ["proxy"] });
    await w.destinations.delete(id, state);
    expect(w.daemon.userNetworks()).toEqual([]);
    expect(w.daemon.callsTo("disconnectContainer")).toEqual([[id, expect.stringMatching(/^[0-9a-f]{64}$/), true]]);
  });

  it("refused while other containers are attached, listing them; nothing is disconnected", async () => {
    const { w, id, state } = await created({ connect: ["proxy"] });
    w.daemon.attach(id, "app1");
    w.daemon.attach(id, "app2");
    const err = await w.destinations.delete(id, state).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      "root@web1:22: destination 'web1-prod' still has containers attached to network 'prod': app1, app2. " +
        "Stop them or disconnect them (docker network disconnect prod <container>), or set force: true to have Dockyard disconnect them, then run again.",
    );
    expect(w.daemon.peek(id)).toBeDefined();
    expect(w.daemon.callsTo("disconnectContainer")).toEqual([]);
  });

  it("force disconnects them all, then removes the network", async () => {
    const { w, id, state } = await created({ connect: ["proxy"] });
    w.daemon.attach(id, "app1");
    await w.destinations.delete(id, { ...state, force: true });
    expect(w.daemon.userNetworks()).toEqual([]);
    expect(w.daemon.callsTo("disconnectContainer")).toHaveLength(2);
  });

  it("a container gone meanwhile counts as disconnected; another failure is reported", async () => {
    const { w, id, state } = await created({ connect: ["proxy", "app1"] });
    w.daemon.before("disconnectContainer", () => w.daemon.removeContainer("proxy"));
    w.daemon.fail("disconnectContainer", reset());
    await expect(w.destinations.delete(id, state)).rejects.toThrow("root@web1:22: connection reset by the server");
    expect(w.daemon.peek(id)).toBeDefined();
    await w.destinations.delete(id, state);
    expect(w.daemon.userNetworks()).toEqual([]);
  });

  it("a network not ours is left in place and forgotten, with a warning", async () => {
    const { w, state } = await created();
    const stranger = w.daemon.addNetwork({ Name: "other" });
    await w.destinations.delete(stranger, { ...state, networkId: stranger });
    expect(w.daemon.peek(stranger)).toBeDefined();
    expect(w.logs).toEqual([
      `root@web1:22: network 'other' (id ${stranger.slice(0, 12)}) was not created by this destination and was not adopted; leaving it in place and forgetting it.`,
    ]);
    expect(w.daemon.callsTo("removeNetwork")).toEqual([]);
  });

  it("without a logger of its own, the warning goes to console.warn", async () => {
    const w = world();
    const { state } = await w.destinations.create(w.inputs());
    const stranger = w.daemon.addNetwork({ Name: "other" });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await new DestinationController(w.daemons).delete(stranger, { ...state, networkId: stranger });
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining("was not created by this destination and was not adopted"),
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("an adopted network is removed (it was taken over on request)", async () => {
    const w = world();
    const existing = w.daemon.addNetwork({ Name: "prod" });
    const { id, state } = await w.destinations.create(w.inputs({ adopt: true }));
    await w.destinations.delete(id, state);
    expect(w.daemon.peek(existing)).toBeUndefined();
  });

  it("already gone counts as deleted, also when it goes between the look-up and the removal", async () => {
    const { w, id, state } = await created();
    w.daemon.before("removeNetwork", () => w.daemon.removeByHand(id));
    await expect(w.destinations.delete(id, state)).resolves.toBeUndefined();
    await expect(w.destinations.delete(id, state)).resolves.toBeUndefined();
  });

  it("a swarm network still in use a moment after its containers left is removed once released", async () => {
    vi.useFakeTimers();
    const { w, id, state } = await created(
      { type: "swarm", connect: ["proxy"] },
      { swarm: "manager", lingerAfterLastEndpoint: 3 },
    );
    await settle(w.destinations.delete(id, state));
    expect(w.daemon.peek(id)).toBeUndefined();
    expect(w.daemon.callsTo("removeNetwork")).toHaveLength(4);
  });

  it("held by tasks on other swarm nodes: gives up after 15 s, saying what probably holds it", async () => {
    vi.useFakeTimers();
    const { w, id, state } = await created({ type: "swarm" }, { swarm: "manager" });
    w.daemon.holdRemotely(id);
    const err = await settle(w.destinations.delete(id, state)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      "root@web1:22: network 'prod' still has endpoints after 15 s: containers or services on other swarm nodes are probably attached to it. Stop or disconnect them, then run again.",
    );
    expect(w.daemon.peek(id)).toBeDefined();
  });

  it("a standalone network that keeps active endpoints: gives up after 15 s", async () => {
    vi.useFakeTimers();
    const { w, id, state } = await created();
    const inUse = () =>
      new DockerApiError(
        403,
        `root@web1:22: network remove ${id}: Docker answered 403: error while removing network: network prod id ${id} has active endpoints`,
      );
    for (let i = 0; i < 40; i++) w.daemon.fail("removeNetwork", inUse());
    const err = await settle(w.destinations.delete(id, state)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      "root@web1:22: network 'prod' still has endpoints after 15 s. Stop or disconnect them, then run again.",
    );
    expect((err as DockyardError).cause).toBeInstanceOf(DockerApiError);
  });

  it("another removal failure is reported as it is", async () => {
    const { w, id, state } = await created();
    const broken = reset();
    w.daemon.fail("removeNetwork", broken);
    await expect(w.destinations.delete(id, state)).rejects.toBe(broken);
  });

  it("state recorded before owner ids owns the network by its owner label alone", async () => {
    const w = world();
    const inputs = w.inputs();
    const { id, state } = await w.destinations.create(inputs);
    const { "dockyard.owner-id": _id, ...legacyLabels } = w.daemon.peek(id)!.Labels!;
    w.daemon.removeByHand(id);
    const legacy = w.daemon.addNetwork({ Name: "prod", Labels: legacyLabels });
    const { ownerId: _o, ...old } = state;
    const recorded = old as DestinationState;
    const r = (await w.destinations.read("0".repeat(64), recorded))!;
    expect(r.id).toBe(legacy);
    expect(r.state.ownerId).toBeUndefined();
    await w.destinations.delete(legacy, r.state);
    expect(w.daemon.peek(legacy)).toBeUndefined();
  });
});

// A stand-in client (only the calls this path makes), from before the fake engine existed.
const cutOffInputs = checkDestination(undefined, {
  connection: {
    host: "h",
    port: 22,
    user: "root",
    dockerSocket: "/var/run/docker.sock",
    perDialTimeout: 15,
    dialErrorLimit: 10,
  },
  serverName: "web",
  serverSwarmRole: "none",
  owner: "p/s/prod",
  network: "prod",
  subnet: "10.1.0.0/24",
}).inputs;

describe("a create cut off after Docker made the network", () => {
  const target = "root@h:22";
  const created = "0123456789abcdef0123456789abcdef";
  /** A client whose link breaks right after the create call; `removeFails` decides whether the rollback gets through. */
  function brokenAfterCreate(
    removeFails: boolean,
    failure: () => Error = () => new ConnectionError(target, "connection reset by the server"),
  ) {
    const removed: string[] = [];
    const client = {
      target,
      listNetworks: async () => [],
      createNetwork: async () => created,
      inspectNetwork: async () => {
        throw failure();
      },
      removeNetwork: async (id: string) => {
        if (removeFails) throw new ConnectionError(target, "connection refused: is sshd listening on port 22?");
        removed.push(id);
      },
    };
    const ctl = new DestinationController({ docker: () => client } as unknown as Transport, () => {});
    return { ctl, removed };
  }

  it("removes it again and reports the original failure", async () => {
    const { ctl, removed } = brokenAfterCreate(false);
    const err = await ctl.create(cutOffInputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe("root@h:22: connection reset by the server");
    expect(removed).toEqual([created]);
  });

  it("when removing fails too, names the network left behind once, keeps the error's kind and says what the next up does", async () => {
    const { ctl } = brokenAfterCreate(true);
    const err = await ctl.create(cutOffInputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe("CONNECTION");
    expect((err as Error).message).toBe(
      "root@h:22: network 'prod' (id 0123456789ab) was created but setting it up failed (connection reset by the server). " +
        "Removing it failed too, so it is left on the server; the next `pulumi up` takes it over.",
    );
  });

  it("when removing fails too, an UnsupportedError stays one", async () => {
    const { ctl } = brokenAfterCreate(true, () => new UnsupportedError(`${target}: the daemon cannot do that`));
    const err = await ctl.create(cutOffInputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as DockyardError).code).toBe("UNSUPPORTED");
    expect((err as Error).message).toBe(
      "root@h:22: network 'prod' (id 0123456789ab) was created but setting it up failed (the daemon cannot do that). " +
        "Removing it failed too, so it is left on the server; the next `pulumi up` takes it over.",
    );
  });
});
