// Who owns a network: the rule create, read, update and delete share, and the
// generated network names that follow from it. Pure logic; the same rules
// against a real dockerd are in test/integration/ownership.test.ts.
import { describe, expect, it } from "vitest";
import { ownerIdOf, ownsNetwork } from "../../../provider/destination/ownership";
import { LABEL_MANAGED, LABEL_OWNER, LABEL_OWNER_ID } from "../../../provider/destination/destination-types";

const urnOf = (name: string, parents = "") =>
  `urn:pulumi:dev::proj::${parents}pulumi-nodejs:dynamic/dockyard:Destination::${name}`;
const base = {
  serverId: "0b8e3c1e-1111-4111-8111-111111111111",
  resourceUrn: urnOf("net"),
};

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
