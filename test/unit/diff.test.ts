import { describe, expect, it } from "vitest";
import { createControllers, UNKNOWN, type DestinationState, type ServerState } from "../../provider";
import { checkDestination } from "../../provider/destination/destination-check";
import { checkServer } from "../../provider/server/server-check";

// Diff is pure: no transport is used.
const { server, destination } = createControllers();

const serverInputs = checkServer({ host: "10.9.8.7", password: "pw" }, {}).inputs;
const serverState = { ...serverInputs, connection: { ...serverInputs, dockerSocket: serverInputs.dockerSocket } } as unknown as ServerState;

describe("Server diff", () => {
  it("reports no change for identical inputs", () => {
    expect(server.diff("id", serverState, serverInputs)).toMatchObject({ changes: false, replaces: [], updates: [] });
  });
  it("updates connection settings in place", () => {
    const d = server.diff("id", serverState, { ...serverInputs, port: 2222, user: "deploy", password: "rotated" });
    expect(d).toMatchObject({ changes: true, replaces: [] });
    expect(d.updates).toEqual(["port", "user", "password"]);
  });
  it("replaces on a different host or socket", () => {
    expect(server.diff("id", serverState, { ...serverInputs, host: "10.9.8.6" }).replaces).toEqual(["host"]);
    expect(server.diff("id", serverState, { ...serverInputs, dockerSocket: "/run/other.sock" }).replaces).toEqual(["dockerSocket"]);
  });
  it("treats unknown values as changes", () => {
    expect(server.diff("id", serverState, { ...serverInputs, host: UNKNOWN }).replaces).toEqual(["host"]);
  });
  it("keeps the recorded host key stable through in-place updates, except a new hostKey", () => {
    expect(server.diff("id", serverState, { ...serverInputs, port: 2222 }).stables).toEqual(["hostPublicKey", "hostKeyFingerprint"]);
    const rotated = server.diff("id", serverState, { ...serverInputs, hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" });
    expect(rotated).toMatchObject({ changes: true, replaces: [], updates: ["hostKey"] });
    expect(rotated.stables).not.toContain("hostPublicKey");
    expect(rotated.stables).not.toContain("hostKeyFingerprint");
    const unknown = server.diff("id", serverState, { ...serverInputs, hostKey: UNKNOWN });
    expect(unknown.stables).not.toContain("hostPublicKey");
  });
  it("updates in place, keeping the host key outputs, when the host differs only in letter case (same machine)", () => {
    const named = { ...serverState, host: "Web-1.Example.COM" } as ServerState;
    const d = server.diff("id", named, { ...serverInputs, host: "web-1.example.com" });
    expect(d).toMatchObject({ changes: true, replaces: [], updates: ["host"] });
    expect(d.stables).toEqual(["hostPublicKey", "hostKeyFingerprint"]);
    expect(server.diff("id", named, { ...serverInputs, host: "web-2.example.com" }).replaces).toEqual(["host"]);
  });
});

const connection = { host: "10.9.8.7", port: 22, user: "root", password: "pw", dockerSocket: "/var/run/docker.sock", perDialTimeout: 15, dialErrorLimit: 10 };
const destInputs = checkDestination(undefined, {
  connection,
  serverName: "web",
  serverSwarmRole: "none",
  owner: "p/s/prod",
  network: "prod",
  labels: { tier: "web" },
}).inputs;
const destState: DestinationState = { ...destInputs, networkId: "abc", driver: "bridge", scope: "local", adopted: false, subnets: ["172.20.0.0/16"] };

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
    const d = destination.diff("abc", destState, { ...destInputs, labels: { tier: "api" }, subnet: "10.1.0.0/24", internal: true });
    expect(d.replaces).toEqual(["internal", "subnet", "labels"]);
    expect(d.deleteBeforeReplace).toBe(true);
  });
  it("creates the new network first when the name changes", () => {
    const d = destination.diff("abc", destState, { ...destInputs, network: "prod2" });
    expect(d.replaces).toEqual(["network"]);
    expect(d.deleteBeforeReplace).toBe(false);
  });
  it("replaces when the server is another daemon", () => {
    expect(destination.diff("abc", destState, { ...destInputs, connection: { ...connection, host: "10.9.8.6" } }).replaces).toEqual(["connection"]);
  });
  it("shows drift recorded by refresh as a replacement", () => {
    const drifted = { ...destState, labels: {}, type: "swarm" as const };
    expect(destination.diff("abc", drifted, destInputs).replaces).toEqual(["type", "labels"]);
  });
});
