import { describe, expect, it } from "vitest";
import { createControllers, type DestinationState } from "../../../provider";
import { checkDestination } from "../../../provider/destination/destination-check";

// Diff is pure: no transport is used.
const { destination } = createControllers();

const connection = {
  host: "10.9.8.7",
  port: 22,
  user: "root",
  password: "pw",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};
const destInputs = checkDestination(undefined, {
  connection,
  serverName: "web",
  serverSwarmRole: "none",
  owner: "p/s/prod",
  network: "prod",
  labels: { tier: "web" },
}).inputs;
const destState: DestinationState = {
  ...destInputs,
  networkId: "abc",
  driver: "bridge",
  scope: "local",
  adopted: false,
  subnets: ["172.20.0.0/16"],
};

describe("Destination diff", () => {
  it("reports no change for identical inputs", () => {
    expect(destination.diff("abc", destState, destInputs)).toMatchObject({ changes: false, replaces: [], updates: [] });
  });
  it("updates the display name, connect list, force and credentials in place", () => {
    const d = destination.diff("abc", destState, {
      ...destInputs,
      name: "Production",
      connect: ["proxy"],
      force: true,
      connection: { ...connection, password: "rotated", port: 2222 },
    });
    expect(d.replaces).toEqual([]);
    expect(d.updates).toEqual(["name", "connect", "force", "connection"]);
    expect(d.changes).toBe(true);
  });
  it("replaces on label, IPAM and driver changes, deleting first when the name stays", () => {
    const d = destination.diff("abc", destState, {
      ...destInputs,
      labels: { tier: "api" },
      subnet: "10.1.0.0/24",
      internal: true,
    });
    expect(d.replaces).toEqual(["internal", "subnet", "labels"]);
    expect(d.deleteBeforeReplace).toBe(true);
  });
  it("creates the new network first when the name changes", () => {
    const d = destination.diff("abc", destState, { ...destInputs, network: "prod2" });
    expect(d.replaces).toEqual(["network"]);
    expect(d.deleteBeforeReplace).toBe(false);
  });
  it("replaces when the server is another daemon", () => {
    expect(
      destination.diff("abc", destState, { ...destInputs, connection: { ...connection, host: "10.9.8.6" } }).replaces,
    ).toEqual(["connection"]);
  });
  it("shows drift recorded by refresh as a replacement", () => {
    const drifted = { ...destState, labels: {}, type: "swarm" as const };
    expect(destination.diff("abc", drifted, destInputs).replaces).toEqual(["type", "labels"]);
  });
});
