import { describe, expect, it } from "vitest";
import { checkDestination } from "../../../provider/destination/destination-check";
import { UNKNOWN } from "../../../provider/resource";

const connection = {
  host: "127.0.0.1",
  port: 22,
  user: "root",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};
const base = {
  connection,
  serverName: "web-1",
  owner: "proj/dev/prod",
  serverId: "5a1c0e6e-0000-4000-8000-000000000001",
  resourceUrn: "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/dockyard:Destination::prod",
  network: "prod",
};

function failures(extra: Record<string, unknown>) {
  return checkDestination(undefined, { ...base, ...extra }).failures.map((f) => f.property);
}

describe("Destination check", () => {
  it("applies defaults", () => {
    const r = checkDestination(undefined, { ...base, serverSwarmRole: "none" });
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({
      name: "web-1-prod",
      network: "prod",
      type: "standalone",
      attachable: true,
      internal: false,
      ipv6: false,
      labels: {},
      connect: [],
      adopt: false,
      force: false,
    });
  });

  it("defaults to swarm on a manager, and keeps the type chosen at creation", () => {
    expect(checkDestination(undefined, { ...base, serverSwarmRole: "manager" }).inputs.type).toBe("swarm");
    expect(checkDestination(undefined, { ...base, serverSwarmRole: "worker" }).inputs.type).toBe("standalone");
    // The server was promoted later: the existing destination keeps its type.
    const later = checkDestination({ ...base, type: "standalone" }, { ...base, serverSwarmRole: "manager" });
    expect(later.inputs.type).toBe("standalone");
  });

  it("generates a network name once and keeps it", () => {
    const { network: _n, ...noName } = base;
    const first = checkDestination(undefined, noName).inputs.network;
    expect(first).toMatch(/^prod-[0-9a-f]{8}$/);
    expect(checkDestination({ ...noName, network: first }, noName).inputs.network).toBe(first);
  });

  it("generates the same name on every run for the same owner, and other names for other owners", () => {
    const { network: _n, ...noName } = base;
    const name = (owner: string) => checkDestination(undefined, { ...noName, owner }).inputs.network;
    // A create cut off before the engine recorded it is retried with no olds: the name must not change.
    expect(name("proj/dev/prod")).toBe(name("proj/dev/prod"));
    expect(name("proj/prod/prod")).not.toBe(name("proj/dev/prod"));
    expect(name("other/dev/prod")).not.toBe(name("proj/dev/prod"));
    expect(name("proj/dev/prod")).toMatch(/^prod-[0-9a-f]{8}$/);
  });

  it("keeps the owner recorded at creation", () => {
    const r = checkDestination({ ...base, owner: "proj/dev/old-name" }, { ...base, owner: "proj/dev/new-name" });
    expect(r.inputs.owner).toBe("proj/dev/old-name");
  });

  it.each([
    [{ network: "-bad" }, "network"],
    [{ network: "has space" }, "network"],
    [{ network: "a/b" }, "network"],
    [{ network: "x".repeat(256) }, "network"],
    [{ network: "bridge" }, "network"],
    [{ network: 7 }, "network"],
    [{ type: "overlay" }, "type"],
    [{ subnet: "10.0.0.0" }, "subnet"],
    [{ subnet: "10.0.0.0/33" }, "subnet"],
    [{ subnet: "10.0.0.1/24" }, "subnet"],
    [{ subnet: "999.0.0.0/8" }, "subnet"],
    [{ subnet: "fd00::/64" }, "subnet"],
    [{ subnet: "10.1.0.0/24", gateway: "10.2.0.1" }, "gateway"],
    [{ gateway: "10.2.0.1" }, "gateway"],
    [{ subnet: "10.1.0.0/24", gateway: "not-ip" }, "gateway"],
    [{ subnet: "10.1.0.0/24", ipRange: "10.1.1.0/25" }, "ipRange"],
    [{ ipv6Subnet: "fd00:1::/64" }, "ipv6Subnet"],
    [{ ipv6: true, ipv6Subnet: "10.0.0.0/8" }, "ipv6Subnet"],
    [{ ipv6: true, ipv6Subnet: "fd00:1::/64", ipv6Gateway: "fd00:2::1" }, "ipv6Gateway"],
    [{ labels: { tier: 3 } }, "labels.tier"],
    [{ labels: { tier: { nested: "x" } } }, "labels.tier"],
    [{ labels: { ok: "x".repeat(5000) } }, "labels.ok"],
    [{ labels: { "dockyard.managed": "false" } }, "labels.dockyard.managed"],
    [{ labels: "tier=web" }, "labels"],
    [{ labels: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])) }, "labels"],
    [{ mtu: 10 }, "mtu"],
    [
      { mtu: 1500, driverOptions: { "com.docker.network.driver.mtu": "1400" } },
      "driverOptions.com.docker.network.driver.mtu",
    ],
    [{ driverOptions: { opt: 1 } }, "driverOptions.opt"],
    [{ connect: "proxy" }, "connect"],
    [{ connect: ["proxy; rm"] }, "connect[0]"],
    [{ connect: ["proxy", "proxy"] }, "connect"],
    [{ attachable: "yes" }, "attachable"],
    [{ force: 1 }, "force"],
    [{ subnet: "10.1.0.0/24", netwrk: "typo" }, "netwrk"],
    [{ connection: undefined }, "server"],
  ])("rejects %j naming %s", (extra, field) => {
    expect(failures(extra)).toContain(field);
  });

  it("accepts a full, valid IPAM and driver configuration", () => {
    expect(
      failures({
        subnet: "10.30.0.0/24",
        gateway: "10.30.0.1",
        ipRange: "10.30.0.128/25",
        ipv6: true,
        ipv6Subnet: "fd00:30::/64",
        ipv6Gateway: "fd00:30::1",
        mtu: 1400,
        driverOptions: { "com.docker.network.bridge.enable_icc": "true" },
        labels: { tier: "web", "com.example.team": "ops" },
        connect: ["proxy"],
      }),
    ).toEqual([]);
  });

  it("does not judge values that are not known yet (preview)", () => {
    expect(failures({ connection: UNKNOWN, subnet: UNKNOWN, labels: UNKNOWN })).toEqual([]);
  });
});

// Generated network names, and the rules for swarm network names and for containers named in connect.
const urnOf = (name: string, parents = "") =>
  `urn:pulumi:dev::proj::${parents}pulumi-nodejs:dynamic/dockyard:Destination::${name}`;
const unnamed = {
  connection,
  serverName: "web-1",
  owner: "proj/dev/net",
  serverId: "0b8e3c1e-1111-4111-8111-111111111111",
  resourceUrn: urnOf("net"),
};
const SWARM_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

function generated(extra: Record<string, unknown> = {}): string {
  const r = checkDestination(undefined, { ...unnamed, ...extra });
  expect(r.failures).toEqual([]);
  return r.inputs.network;
}

describe("generated network names", () => {
  it("are the same on every run of the same resource of the same stack", () => {
    // A create cut off before the engine recorded it is retried with no olds.
    expect(generated()).toBe(generated());
    expect(generated()).toMatch(/^net-[0-9a-f]{8}$/);
  });

  it("without a Server id (a destination given a connection) still differ by URN, and stay the same per resource", () => {
    const noServer = { serverId: undefined };
    expect(generated(noServer)).toBe(generated(noServer));
    expect(generated(noServer)).not.toBe(generated());
    expect(generated({ ...noServer, resourceUrn: urnOf("net", "app:A$") })).not.toBe(generated(noServer));
  });

  it("differ for a stack with the same project and stack names in another backend (another Server id)", () => {
    expect(generated({ serverId: "7c2d9f00-2222-4222-8222-222222222222" })).not.toBe(generated());
  });

  it('differ for two components of one stack each declaring Destination("net")', () => {
    const a = generated({ resourceUrn: urnOf("net", "app:A$") });
    const b = generated({ resourceUrn: urnOf("net", "app:B$") });
    expect(a).not.toBe(b);
    expect(a).toMatch(/^net-/);
    expect(b).toMatch(/^net-/);
  });

  it("are valid swarm network names (at most 63 characters) whatever the resource name", () => {
    for (const name of ["x".repeat(250), "web.front.v2", "a..b", "9-lives_", "-lead"]) {
      for (const type of ["swarm", "standalone"]) {
        const n = generated({ owner: `proj/dev/${name}`, resourceUrn: urnOf(name), type });
        expect(n.length, n).toBeLessThanOrEqual(63);
        expect(n, n).toMatch(SWARM_NAME);
      }
    }
  });

  it("are not known while the Server's id is not (a preview of a new stack)", () => {
    const r = checkDestination(undefined, { ...unnamed, serverId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
    expect(r.failures).toEqual([]);
    expect(r.inputs.network).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });
});

describe("names checked against swarmkit's rule for swarm networks only", () => {
  it("accepts a dotted name for a standalone network, and a swarm-valid one for swarm", () => {
    expect(checkDestination(undefined, { ...unnamed, type: "standalone", network: "prod.v2" }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...unnamed, type: "swarm", network: "prod_v2-x" }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...unnamed, type: "swarm", network: "a".repeat(63) }).failures).toEqual([]);
  });
});

describe("containers named in connect", () => {
  it("refuses a short id, pointing at the name or 12 characters of the id; a hex name can be written with '/'", () => {
    const r = checkDestination(undefined, { ...unnamed, connect: ["cafe"] });
    expect(r.failures.map((f) => f.property)).toEqual(["connect[0]"]);
    expect(r.failures[0]!.reason).toMatch(/short container id/);
    expect(r.failures[0]!.reason).toContain("'/cafe'");
    expect(checkDestination(undefined, { ...unnamed, connect: ["/cafe"] }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...unnamed, connect: ["3f4e1a2b9c0d"] }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...unnamed, connect: ["traefik"] }).failures).toEqual([]);
  });
});

/** A Destination's checked inputs, as a preview has them recorded. */
const recorded = (() => {
  const r = checkDestination(undefined, {
    connection: { ...connection, host: "web1.example.com", password: "pw" },
    daemon: { host: "web1.example.com", dockerSocket: "/var/run/docker.sock", login: "sha256:aaaa" },
    serverName: "web1",
    serverSwarmRole: "none",
    owner: "p/s/prod",
    serverId: "0b6f2c1e-5d1a-4c3e-9f7a-2a1b3c4d5e6f",
    resourceUrn: "urn:pulumi:s::p::pulumi-nodejs:dynamic/dockyard:Destination::prod",
    network: "prod",
    labels: { tier: "web" },
  });
  expect(r.failures).toEqual([]);
  return r.inputs;
})();

describe("Destination check, against recorded inputs", () => {
  it("keeps the server's swarm role recorded at creation, so a role not known yet is no change", () => {
    const again = checkDestination(recorded as unknown as Record<string, unknown>, {
      ...recorded,
      serverSwarmRole: UNKNOWN,
    });
    expect(again.inputs.serverSwarmRole).toBe("none");
  });
  it("rejects a malformed server field, naming it", () => {
    const r = checkDestination(undefined, {
      connection: { ...connection, host: "web1.example.com", password: "pw" },
      daemon: { host: 5 },
      serverName: "w",
      owner: "p/s/x",
    });
    expect(r.failures.map((f) => f.property)).toContain("daemon.host");
  });
});
