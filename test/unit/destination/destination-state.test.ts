import { describe, expect, it } from "vitest";
import { checkDestination } from "../../../provider/destination/destination-check";
import {
  attached,
  driverFor,
  mismatches,
  observe,
  refersTo,
  stateFrom,
  typeOfDriver,
} from "../../../provider/destination/destination-state";
import type { DestinationInputs } from "../../../provider/destination/destination-types";
import type { NetworkInspect } from "../../../provider/engine-api";

const connection = {
  host: "127.0.0.1",
  port: 22,
  user: "root",
  password: "pw",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};

function inputs(extra: Record<string, unknown> = {}): DestinationInputs {
  const r = checkDestination(undefined, {
    connection,
    serverName: "web-1",
    serverSwarmRole: "none",
    owner: "proj/dev/prod",
    serverId: "5a1c0e6e-0000-4000-8000-000000000001",
    resourceUrn: "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/dockyard:Destination::prod",
    network: "prod",
    ...extra,
  });
  expect(r.failures).toEqual([]);
  return r.inputs;
}

const ID = "c0ffee".repeat(10) + "abcd";

function network(over: Partial<NetworkInspect> = {}): NetworkInspect {
  return {
    Name: "prod",
    Id: "n1",
    Created: "2024-01-01T00:00:00Z",
    Scope: "local",
    Driver: "bridge",
    EnableIPv6: false,
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    IPAM: {
      Driver: "default",
      Config: [
        { Subnet: "172.20.0.0/16", Gateway: "172.20.0.1", IPRange: "172.20.5.0/24" },
        { Subnet: "fd00:1::/64", Gateway: "fd00:1::1" },
      ],
    },
    Options: { "com.docker.network.driver.mtu": "1400", "x.opt": "a" },
    Labels: { tier: "web", "dockyard.owner": "proj/dev/prod", "dockyard.managed": "true" },
    Containers: {
      [ID]: { Name: "traefik", EndpointID: "e1", MacAddress: "", IPv4Address: "", IPv6Address: "" },
      "lb-prod": { Name: "prod-endpoint", EndpointID: "e2", MacAddress: "", IPv4Address: "", IPv6Address: "" },
    },
    ...over,
  };
}

describe("drivers and types", () => {
  it("maps a Destination type to its driver and back; another driver keeps its name", () => {
    expect(driverFor("standalone")).toBe("bridge");
    expect(driverFor("swarm")).toBe("overlay");
    expect(typeOfDriver("bridge")).toBe("standalone");
    expect(typeOfDriver("overlay")).toBe("swarm");
    expect(typeOfDriver("macvlan")).toBe("macvlan");
  });
});

describe("observe", () => {
  it("reads a network into Destination fields: IPv4 and IPv6 IPAM apart, Dockyard's labels split off", () => {
    const o = observe(network());
    expect(o).toMatchObject({
      networkId: "n1",
      driver: "bridge",
      scope: "local",
      type: "standalone",
      attachable: false,
      internal: false,
      ipv6: false,
      subnets: ["172.20.0.0/16", "fd00:1::/64"],
      ipam: {
        subnet: "172.20.0.0/16",
        gateway: "172.20.0.1",
        ipRange: "172.20.5.0/24",
        ipv6Subnet: "fd00:1::/64",
        ipv6Gateway: "fd00:1::1",
      },
      labels: { tier: "web" },
      rawLabels: { tier: "web", "dockyard.owner": "proj/dev/prod", "dockyard.managed": "true" },
    });
    expect(o.ipam.ipv6IpRange).toBeUndefined();
  });

  it("lists attached containers without swarm's load-balancer endpoint", () => {
    expect(observe(network()).containers).toEqual([{ id: ID, name: "traefik" }]);
  });

  it("copes with a network with no IPAM config, options, labels or containers", () => {
    const o = observe(network({ IPAM: undefined, Options: undefined, Labels: undefined, Containers: undefined }));
    expect(o).toMatchObject({ subnets: [], ipam: {}, options: {}, labels: {}, rawLabels: {}, containers: [] });
  });
});

describe("refersTo and attached", () => {
  const o = observe(network());
  it("name a container by its name (with or without '/') or by 12 or more characters of its id", () => {
    const c = o.containers[0]!;
    expect(refersTo(c, "traefik")).toBe(true);
    expect(refersTo(c, "/traefik")).toBe(true);
    expect(refersTo(c, ID.slice(0, 12))).toBe(true);
    expect(refersTo(c, ID)).toBe(true);
    expect(refersTo(c, ID.slice(0, 11))).toBe(false);
    expect(refersTo(c, "traefik-2")).toBe(false);
    expect(attached(o, "traefik")).toBe(true);
    expect(attached(o, "prod-endpoint")).toBe(false);
    expect(attached(o, "other")).toBe(false);
  });
});

describe("mismatches", () => {
  it("is empty for a network that has what was asked", () => {
    const o = observe(network());
    expect(mismatches(o, inputs({ subnet: "172.20.0.0/16", mtu: 1400, labels: { tier: "web" } }))).toEqual([]);
  });

  it("names every field asked for that the network does not have", () => {
    const o = observe(network({ Internal: true }));
    expect(
      mismatches(
        o,
        inputs({
          subnet: "10.1.0.0/16",
          ipv6: true,
          ipv6Subnet: "fd00:1::/64",
          ipv6IpRange: "fd00:1::/80",
          mtu: 1500,
          driverOptions: { "x.opt": "b", other: "1" },
          labels: { tier: "db", app: "x" },
        }),
      ),
    ).toEqual([
      "internal: network has true",
      "ipv6: network has false",
      "subnet: network has 172.20.0.0/16",
      "ipv6IpRange: network has none",
      "mtu: network has 1400",
      "driverOptions.x.opt: network has a",
      "driverOptions.other: network has none",
      "labels.tier: network has web",
      "labels.app: network has none",
    ]);
  });

  it("names a driver other than the type's, and attachable only for swarm", () => {
    const overlay = observe(network({ Driver: "overlay", Scope: "swarm", Attachable: false }));
    expect(mismatches(overlay, inputs())).toEqual([
      "type: network uses driver 'overlay', destination wants standalone",
    ]);
    expect(mismatches(overlay, inputs({ type: "swarm", serverSwarmRole: "manager", attachable: true }))).toEqual([
      "attachable: network has false",
    ]);
    expect(mismatches(observe(network({ Attachable: true })), inputs({ attachable: false }))).toEqual([]);
  });
});

describe("stateFrom", () => {
  it("records what the server has for every field the user gave, over the inputs", () => {
    const given = inputs({
      subnet: "10.1.0.0/16",
      ipv6: true,
      ipv6Subnet: "fd00:1::/64",
      ipv6Gateway: "fd00:1::9",
      mtu: 1500,
      driverOptions: { "x.opt": "b", gone: "1" },
      connect: ["traefik", "missing"],
    });
    const s = stateFrom(given, observe(network()), false, "owner-1");
    expect(s).toMatchObject({
      networkId: "n1",
      driver: "bridge",
      scope: "local",
      adopted: false,
      type: "standalone",
      subnets: ["172.20.0.0/16", "fd00:1::/64"],
      subnet: "172.20.0.0/16",
      ipv6Gateway: "fd00:1::1",
      mtu: 1400,
      driverOptions: { "x.opt": "a" },
      // Created by Dockyard: every label the network has, Dockyard's own left out.
      labels: { tier: "web" },
      connect: ["traefik"],
      ownerId: "owner-1",
    });
    // Fields not given stay out of the state.
    expect(s.gateway).toBeUndefined();
    expect(s.ipRange).toBeUndefined();
  });

  it("drops a given IPAM field or MTU the network does not have", () => {
    const s = stateFrom(
      inputs({ ipv6: true, ipv6Subnet: "fd00:1::/64", ipv6IpRange: "fd00:1::/80", mtu: 1500 }),
      observe(network({ Options: {} })),
      false,
      "owner-1",
    );
    expect("ipv6IpRange" in s).toBe(false);
    expect("mtu" in s).toBe(false);
  });

  it("for an adopted network, records only the labels the user gave", () => {
    const s = stateFrom(inputs({ labels: { tier: "db", app: "x" } }), observe(network()), true);
    expect(s.adopted).toBe(true);
    expect(s.labels).toEqual({ tier: "web" });
  });

  it("records no owner id when none is given, and attachable only for swarm", () => {
    const given = { ...inputs({ attachable: true }), ownerId: "stale" } as DestinationInputs;
    const bridge = stateFrom(given, observe(network({ Attachable: false })), false);
    expect("ownerId" in bridge).toBe(false);
    expect(bridge.attachable).toBe(true);
    const swarm = stateFrom(given, observe(network({ Driver: "overlay", Attachable: false })), false);
    expect(swarm.attachable).toBe(false);
    expect(swarm.type).toBe("swarm");
  });
});
