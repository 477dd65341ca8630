// Who owns a network: the rule create, read, update and delete share, and the
// generated network names that follow from it. Pure logic; the same rules
// against a real dockerd are in test/integration/ownership.test.ts.
import { describe, expect, it } from "vitest";
import { checkDestination } from "../../provider/destination/destination-check";
import { ownerIdOf, ownsNetwork } from "../../provider/destination/ownership";
import { LABEL_MANAGED, LABEL_OWNER, LABEL_OWNER_ID } from "../../provider/destination/destination-types";

const connection = { host: "127.0.0.1", port: 22, user: "root", dockerSocket: "/var/run/docker.sock", perDialTimeout: 15, dialErrorLimit: 10 };
const urnOf = (name: string, parents = "") =>
  `urn:pulumi:dev::proj::${parents}pulumi-nodejs:dynamic/dockyard:Destination::${name}`;
const base = {
  connection,
  serverName: "web-1",
  owner: "proj/dev/net",
  serverId: "0b8e3c1e-1111-4111-8111-111111111111",
  resourceUrn: urnOf("net"),
};
const SWARM_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

function generated(extra: Record<string, unknown> = {}): string {
  const r = checkDestination(undefined, { ...base, ...extra });
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

  it("differ for two components of one stack each declaring Destination(\"net\")", () => {
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
    const r = checkDestination(undefined, { ...base, serverId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
    expect(r.failures).toEqual([]);
    expect(r.inputs.network).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });
});

describe("names checked against swarmkit's rule for swarm networks only", () => {
  it("accepts a dotted name for a standalone network, and a swarm-valid one for swarm", () => {
    expect(checkDestination(undefined, { ...base, type: "standalone", network: "prod.v2" }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...base, type: "swarm", network: "prod_v2-x" }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...base, type: "swarm", network: "a".repeat(63) }).failures).toEqual([]);
  });
});

describe("containers named in connect", () => {
  it("refuses a short id, pointing at the name or 12 characters of the id; a hex name can be written with '/'", () => {
    const r = checkDestination(undefined, { ...base, connect: ["cafe"] });
    expect(r.failures.map((f) => f.property)).toEqual(["connect[0]"]);
    expect(r.failures[0]!.reason).toMatch(/short container id/);
    expect(r.failures[0]!.reason).toContain("'/cafe'");
    expect(checkDestination(undefined, { ...base, connect: ["/cafe"] }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...base, connect: ["3f4e1a2b9c0d"] }).failures).toEqual([]);
    expect(checkDestination(undefined, { ...base, connect: ["traefik"] }).failures).toEqual([]);
  });
});

describe("ownership: one rule for create, read, update and delete", () => {
  const owner = "proj/dev/net";
  const ownerId = ownerIdOf({ owner, serverId: base.serverId, resourceUrn: base.resourceUrn });
  const labels = (extra: Record<string, string>) => ({ [LABEL_MANAGED]: "true", [LABEL_OWNER]: owner, ...extra });

  it("the owner id depends on the server id and the full URN", () => {
    expect(ownerIdOf({ owner, serverId: base.serverId, resourceUrn: base.resourceUrn })).toBe(ownerId);
    expect(ownerIdOf({ owner, serverId: "another", resourceUrn: base.resourceUrn })).not.toBe(ownerId);
    expect(ownerIdOf({ owner, serverId: base.serverId, resourceUrn: urnOf("net", "app:A$") })).not.toBe(ownerId);
  });

  it("a destination with an owner id owns only networks carrying that id, the owner and the managed label", () => {
    const who = { owner, ownerId };
    expect(ownsNetwork(labels({ [LABEL_OWNER_ID]: ownerId }), who)).toBe(true);
    expect(ownsNetwork(labels({ [LABEL_OWNER_ID]: "f".repeat(32) }), who)).toBe(false); // the same names, another stack
    expect(ownsNetwork(labels({}), who)).toBe(false); // a network of a destination recorded before owner ids
    expect(ownsNetwork({ [LABEL_OWNER]: owner, [LABEL_OWNER_ID]: ownerId }, who)).toBe(false); // not managed
    expect(ownsNetwork({ ...labels({ [LABEL_OWNER_ID]: ownerId }), [LABEL_OWNER]: "proj/dev/other" }, who)).toBe(false);
    expect(ownsNetwork(undefined, who)).toBe(false);
  });

  it("a destination recorded before owner ids (no ownerId in state) owns networks with its owner label and no owner id", () => {
    const legacy = { owner };
    expect(ownsNetwork(labels({}), legacy)).toBe(true);
    expect(ownsNetwork(labels({ [LABEL_OWNER_ID]: ownerId }), legacy)).toBe(false);
    expect(ownsNetwork({ [LABEL_OWNER]: owner }, legacy)).toBe(false);
    expect(ownsNetwork(labels({ [LABEL_OWNER]: "proj/dev/other" }), legacy)).toBe(false);
  });
});
