import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, LABEL_MANAGED, LABEL_OWNER, type ServerState } from "../../provider";
import { createBody } from "../../provider/destination/network-requests";
import { harness } from "../support/controllers";
import { cleanup, docker, dockerOk, testHost, uniq, type TestHost } from "../support/testhost";

let h: TestHost;
let server: ServerState;
const t = harness();
const P = uniq("dyit");

function inspect(name: string): {
  Id: string;
  Driver: string;
  Scope: string;
  Attachable: boolean;
  Internal: boolean;
  Labels: Record<string, string>;
  IPAM: { Config: Array<{ Subnet?: string; Gateway?: string }> };
  Options: Record<string, string>;
  Containers: Record<string, { Name: string }>;
} {
  return JSON.parse(docker("network", "inspect", name))[0];
}

function run(name: string, network: string): void {
  docker("run", "-d", "--name", name, "--network", network, h.image, "sleep", "600");
}

function ipOf(container: string, network: string): string {
  return docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

function canPing(from: string, ip: string): boolean {
  return dockerOk("exec", from, "ping", "-c", "1", "-W", "1", ip);
}

beforeAll(async () => {
  h = testHost();
  server = (await t.rootServer(h)).state;
});
afterAll(() => {
  cleanup(P);
  t.close();
});

describe("Destination lifecycle", () => {
  it("creates a standalone destination as a labelled bridge network", async () => {
    const network = `${P}-std`;
    const { id, state } = await t.createDestination(server, { network, type: "standalone", labels: { tier: "web" } });
    const net = inspect(network);
    expect(net.Id).toBe(id);
    expect(net.Driver).toBe("bridge");
    expect(net.Scope).toBe("local");
    expect(net.Labels).toMatchObject({
      tier: "web",
      [LABEL_MANAGED]: "true",
      [LABEL_OWNER]: `itest/stack/${network}`,
      "dockyard.destination": network,
    });
    expect(state).toMatchObject({
      networkId: id,
      driver: "bridge",
      scope: "local",
      type: "standalone",
      labels: { tier: "web" },
      adopted: false,
    });
    expect(state.subnets).toHaveLength(1);
    // What was recorded matches what exists: no spurious diff.
    const again = await t.ctl.destination.read(id, state);
    expect(
      t.ctl.destination.diff(
        id,
        again!.state,
        t.checkDestination(server, { network, type: "standalone", labels: { tier: "web" } }),
      ).changes,
    ).toBe(false);
  });

  it("creates a swarm destination (the default on a manager) as an attachable overlay network", async () => {
    const network = `${P}-swarm`;
    const { id, state } = await t.createDestination(server, { network });
    expect(state.type).toBe("swarm");
    const net = inspect(network);
    expect(net.Id).toBe(id);
    expect(net.Driver).toBe("overlay");
    expect(net.Scope).toBe("swarm");
    expect(net.Attachable).toBe(true);
    // A standalone container can join it.
    run(`${P}-swarm-c`, network);
    expect(Object.values(inspect(network).Containers ?? {}).map((c) => c.Name)).toContain(`${P}-swarm-c`);
    const again = await t.ctl.destination.read(id, state);
    expect(t.ctl.destination.diff(id, again!.state, t.checkDestination(server, { network })).changes).toBe(false);
  });

  it("applies IPAM, MTU, internal and driver options exactly", async () => {
    const network = `${P}-ipam`;
    const args = {
      network,
      type: "standalone",
      subnet: "10.251.7.0/24",
      gateway: "10.251.7.1",
      ipRange: "10.251.7.128/25",
      mtu: 1400,
      internal: true,
    };
    const { id, state } = await t.createDestination(server, args);
    const net = inspect(network);
    expect(net.IPAM.Config[0]).toMatchObject({
      Subnet: "10.251.7.0/24",
      Gateway: "10.251.7.1",
      IPRange: "10.251.7.128/25",
    });
    expect(net.Internal).toBe(true);
    expect(net.Options["com.docker.network.driver.mtu"]).toBe("1400");
    const again = await t.ctl.destination.read(id, state);
    expect(t.ctl.destination.diff(id, again!.state, t.checkDestination(server, args)).changes).toBe(false);
  });

  it("refuses a network name already taken, pointing at adopt, and changes nothing", async () => {
    const network = `${P}-taken`;
    docker("network", "create", network);
    const before = inspect(network).Id;
    const err = await t.createDestination(server, { network, type: "standalone" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(`a network named '${network}' already exists`);
    expect((err as Error).message).toContain("adopt: true");
    expect(inspect(network).Id).toBe(before);
  });

  it("the create request itself is refused for a name already taken (the daemon checks, Docker 20.10 too)", async () => {
    // Docker before 25 makes a second local network of a name in use unless
    // the request asks it to check: a name taken after the controller's
    // look-up would give a duplicate instead of the explained conflict.
    const network = `${P}-twice`;
    const body = createBody(t.checkDestination(server, { network, type: "standalone" }));
    const api = t.ctl.transport.docker(server.connection);
    const first = await api.createNetwork(body);
    const err = await api.createNetwork(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("already exists");
    const named = docker("network", "ls", "--no-trunc", "--format", "{{.ID}} {{.Name}}")
      .split("\n")
      .filter((line) => line.endsWith(` ${network}`));
    expect(named).toEqual([`${first} ${network}`]);
  });

  it("adopts a matching existing network, and deletes it when destroyed since it was adopted", async () => {
    const network = `${P}-adopt`;
    docker("network", "create", "--label", "team=ops", network);
    const id0 = inspect(network).Id;
    const { id, state } = await t.createDestination(server, {
      network,
      type: "standalone",
      adopt: true,
      labels: { team: "ops" },
    });
    expect(id).toBe(id0);
    expect(state.adopted).toBe(true);
    const again = await t.ctl.destination.read(id, state);
    expect(
      t.ctl.destination.diff(
        id,
        again!.state,
        t.checkDestination(server, { network, type: "standalone", adopt: true, labels: { team: "ops" } }),
      ).changes,
    ).toBe(false);
    await t.ctl.destination.delete(id, state);
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });

  it("refuses to adopt a network that does not match, saying how it differs", async () => {
    const network = `${P}-adopt-bad`;
    docker("network", "create", "--internal", network);
    const err = await t
      .createDestination(server, { network, type: "standalone", adopt: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("internal: network has true");
  });

  it("refuses a subnet that collides with an existing network, naming it", async () => {
    const other = `${P}-occupant`;
    docker("network", "create", "--subnet", "10.252.0.0/16", other);
    const network = `${P}-collide`;
    const err = await t
      .createDestination(server, { network, type: "standalone", subnet: "10.252.3.0/24" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(`'${other}' (10.252.0.0/16) overlaps 10.252.3.0/24`);
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });

  it("refresh: a network removed by hand leaves state; re-created by hand with its labels and other settings shows drift", async () => {
    const network = `${P}-drift`;
    const args = { network, type: "standalone", labels: { tier: "db" } };
    const { id, state } = await t.createDestination(server, args);
    const { tier: _tier, ...dockyardLabels } = inspect(network).Labels;
    docker("network", "rm", network);
    expect(await t.ctl.destination.read(id, state)).toBeUndefined();
    // Re-created by hand (say by a restore script) with Dockyard's labels but not the user's, and internal.
    // One made by hand without Dockyard's labels is someone else's: never taken for it (ownership.test.ts).
    docker(
      "network",
      "create",
      "--internal",
      ...Object.entries(dockyardLabels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
      network,
    );
    const drifted = await t.ctl.destination.read(id, state);
    expect(drifted).toBeDefined();
    expect(drifted!.id).not.toBe(id);
    const diff = t.ctl.destination.diff(drifted!.id, drifted!.state, t.checkDestination(server, args));
    expect(diff.replaces).toEqual(expect.arrayContaining(["internal", "labels"]));
    // Its owner labels make it this destination's: deleting it (as a replace would) removes it.
    await t.ctl.destination.delete(drifted!.id, drifted!.state);
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });

  it("a transport error on refresh is an error, never a removal", async () => {
    const network = `${P}-rt`;
    const { id, state } = await t.createDestination(server, { network, type: "standalone" });
    const broken = { ...state, connection: { ...state.connection, port: 2239, dialErrorLimit: 1, perDialTimeout: 2 } };
    await expect(t.ctl.destination.read(id, broken)).rejects.toThrow(/connection refused/);
  });

  it("connect: attaches listed containers, shows a detached one as drift, and re-attaches it on update", async () => {
    const proxy = `${P}-proxy`;
    docker("run", "-d", "--name", proxy, h.image, "sleep", "600");
    const network = `${P}-conn`;
    const args = { network, type: "standalone", connect: [proxy] };
    const { id, state } = await t.createDestination(server, args);
    expect(Object.values(inspect(network).Containers).map((c) => c.Name)).toContain(proxy);
    expect(state.connect).toEqual([proxy]);
    docker("network", "disconnect", network, proxy);
    const refreshed = (await t.ctl.destination.read(id, state))!;
    expect(refreshed.state.connect).toEqual([]);
    const news = t.checkDestination(server, args);
    const diff = t.ctl.destination.diff(id, refreshed.state, news);
    expect(diff).toMatchObject({ changes: true, replaces: [], updates: ["connect"] });
    const updated = await t.ctl.destination.update(id, refreshed.state, news);
    expect(updated.connect).toEqual([proxy]);
    expect(Object.values(inspect(network).Containers).map((c) => c.Name)).toContain(proxy);
    // Delete detaches connect containers first and needs no force.
    await t.ctl.destination.delete(id, updated);
    expect(dockerOk("network", "inspect", network)).toBe(false);
    expect(docker("inspect", "-f", "{{.State.Running}}", proxy)).toBe("true");
  });

  it("names a connect container that does not exist, and leaves nothing behind", async () => {
    const network = `${P}-noc`;
    const err = await t
      .createDestination(server, { network, type: "standalone", connect: [`${P}-ghost`] })
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain(`container '${P}-ghost' named in connect does not exist`);
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });

  it("delete refuses while foreign containers are attached, listing them; force disconnects them", async () => {
    const network = `${P}-busy`;
    const { id, state } = await t.createDestination(server, { network, type: "standalone" });
    run(`${P}-app1`, network);
    run(`${P}-app2`, network);
    const err = await t.ctl.destination.delete(id, state).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(
      new RegExp(`containers attached to network '${network}': .*${P}-app[12].*${P}-app[12]`),
    );
    expect((err as Error).message).toContain("force: true");
    expect(dockerOk("network", "inspect", network)).toBe(true);
    await t.ctl.destination.delete(id, { ...state, force: true });
    expect(dockerOk("network", "inspect", network)).toBe(false);
    expect(docker("inspect", "-f", "{{.State.Running}}", `${P}-app1`)).toBe("true");
  });

  it("a network already gone counts as deleted", async () => {
    const network = `${P}-gone`;
    const { id, state } = await t.createDestination(server, { network, type: "standalone" });
    docker("network", "rm", network);
    await expect(t.ctl.destination.delete(id, state)).resolves.toBeUndefined();
  });

  it("converges on a network left by an interrupted run of the same destination", async () => {
    const network = `${P}-resume`;
    const first = await t.createDestination(server, { network, type: "standalone" });
    // The engine never recorded it (say the process died): the next create takes it over.
    const second = await t.createDestination(server, { network, type: "standalone" });
    expect(second.id).toBe(first.id);
    expect(second.state.adopted).toBe(false);
  });

  it("converges the same way when the network name was generated: the next run picks the same name", async () => {
    const owner = `itest/stack/${P}-gen`;
    const first = await t.createDestination(server, { owner, type: "standalone" });
    expect(first.state.network).toMatch(new RegExp(`^${P}-gen-[0-9a-f]{8}$`));
    // Not recorded (the run was cut off): check runs again with no olds.
    const second = await t.createDestination(server, { owner, type: "standalone" });
    expect(second.state.network).toBe(first.state.network);
    expect(second.id).toBe(first.id);
    expect(second.state.adopted).toBe(false);
    await t.ctl.destination.delete(second.id, second.state);
    expect(dockerOk("network", "inspect", first.state.network)).toBe(false);
  });

  it("many destinations on one server side by side", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `${P}-many-${i}`);
    const created = await Promise.all(
      names.map((network) => t.createDestination(server, { network, type: "standalone" })),
    );
    expect(new Set(created.map((c) => c.id)).size).toBe(12);
    for (const n of names) expect(inspect(n).Driver).toBe("bridge");
    await Promise.all(created.map((c) => t.ctl.destination.delete(c.id, c.state)));
    for (const n of names) expect(dockerOk("network", "inspect", n)).toBe(false);
  });
});

describe("isolation, with real containers", () => {
  it("separates destinations; a container named in connect reaches both", async () => {
    const a = `${P}-iso-a`;
    const b = `${P}-iso-b`;
    const proxy = `${P}-iso-proxy`;
    docker("run", "-d", "--name", proxy, h.image, "sleep", "600");
    await t.createDestination(server, { network: a, type: "standalone", connect: [proxy] });
    await t.createDestination(server, { network: b, type: "standalone", connect: [proxy] });
    run(`${P}-a1`, a);
    run(`${P}-a2`, a);
    run(`${P}-b1`, b);
    const a2ip = ipOf(`${P}-a2`, a);
    const b1ip = ipOf(`${P}-b1`, b);
    expect(canPing(`${P}-a1`, a2ip)).toBe(true);
    expect(dockerOk("exec", `${P}-a1`, "ping", "-c", "1", "-W", "1", `${P}-a2`)).toBe(true);
    expect(canPing(`${P}-a1`, b1ip)).toBe(false);
    expect(canPing(`${P}-b1`, a2ip)).toBe(false);
    expect(canPing(proxy, a2ip)).toBe(true);
    expect(canPing(proxy, b1ip)).toBe(true);
  });
});
