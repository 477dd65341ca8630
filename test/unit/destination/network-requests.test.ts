import { describe, expect, it } from "vitest";
import { ConflictError, DockerApiError, DockyardError, UnsupportedError } from "../../../provider/errors";
import { checkDestination } from "../../../provider/destination/destination-check";
import { createBody, explainCreateError } from "../../../provider/destination/network-requests";

const inputs = checkDestination(undefined, {
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

describe("Docker's create errors, explained", () => {
  it("an exhausted address pool says what to do", () => {
    // The daemon's own wording when no default pool has room left.
    const raw = new DockerApiError(
      400,
      "network create prod: Docker answered 400: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
    );
    const err = explainCreateError(raw, inputs, "root@h:22");
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("default address pools are exhausted");
    expect((err as Error).message).toContain("Set subnet explicitly");
    expect((err as Error).message).toContain("default-address-pools");
  });
  it("an overlapping pool names the subnet", () => {
    const raw = new DockerApiError(
      403,
      "network create prod: Docker answered 403: Pool overlaps with other one on this address space",
    );
    expect((explainCreateError(raw, inputs, "root@h:22") as Error).message).toContain(
      "subnet 10.1.0.0/24 overlaps a network that already exists",
    );
  });
  it("a swarm network asked of a non-manager is an UnsupportedError", () => {
    const raw = new DockerApiError(
      503,
      'network create prod: Docker answered 503: This node is not a swarm manager. Use "docker swarm init"',
    );
    const err = explainCreateError(raw, inputs, "root@h:22");
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as DockyardError).code).toBe("UNSUPPORTED");
    expect((err as Error).message).toBe(
      "root@h:22: swarm destinations must be created through a swarm manager; this server is not one.",
    );
  });
  it("other errors pass through unchanged", () => {
    const raw = new DockerApiError(500, "boom");
    expect(explainCreateError(raw, inputs, "t")).toBe(raw);
  });
});

describe("the create request", () => {
  it("asks for a bridge with Dockyard's labels and the IPAM given", () => {
    const body = createBody(inputs);
    expect(body).toMatchObject({
      Name: "prod",
      CheckDuplicate: true,
      Driver: "bridge",
      Attachable: false,
      Internal: false,
      EnableIPv6: false,
      IPAM: { Driver: "default", Config: [{ Subnet: "10.1.0.0/24" }] },
      Labels: { "dockyard.managed": "true", "dockyard.owner": "p/s/prod", "dockyard.destination": "prod" },
    });
  });
  it("asks for an attachable overlay for swarm", () => {
    expect(createBody({ ...inputs, type: "swarm" })).toMatchObject({ Driver: "overlay", Attachable: true });
  });
});
