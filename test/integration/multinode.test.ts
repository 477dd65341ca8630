// A real multi-node swarm: scripts/testhost-nodes starts three Docker hosts,
// each in its own network namespace with its own dockerd and sshd, joined in
// one swarm (dy-node1 manager, dy-node2 and dy-node3 workers). Everything
// below goes through the provider's controllers and the real SSH transport;
// the docker CLI against each node's own socket only sets up fixtures and
// checks results independently.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionError,
  DockerUnavailableError,
  DockyardError,
  UnsupportedError,
  type DestinationState,
  type ServerState,
} from "../../provider";
import type { NetworkCreateBody } from "../../provider/engine-api";
import { harness } from "../support/controllers";
import {
  canPing,
  ipOf,
  networkEvents,
  networksNamed,
  nodeDocker,
  nodeDockerOk,
  nodeLeftovers,
  nodeServer,
  nodesDown,
  nodesUp,
  testhostNodesAsync,
  type Node,
  type Nodes,
} from "../support/nodes";
import { uniq } from "../support/testhost";

let nodes: Nodes;
let manager: Node;
let workerA: Node;
let workerB: Node;
/** Servers in node order: [manager, workerA, workerB]. */
let servers: ServerState[];
const t = harness();
const P = uniq("dymn");

beforeAll(async () => {
  nodes = nodesUp(3);
  [manager, workerA, workerB] = nodes.nodes as [Node, Node, Node];
  servers = await Promise.all(nodes.nodes.map(async (n) => (await t.createServer(nodeServer(nodes, n))).state));
}, 240_000);

afterAll(() => {
  t.close();
  // Runs whether or not the tests passed; `down` also copes with a half-started tier.
  try {
    nodesDown();
  } finally {
    expect(nodeLeftovers()).toEqual([]);
  }
}, 180_000);

function run(node: Node, name: string, network: string): void {
  nodeDocker(node, "run", "-d", "--name", name, "--network", network, nodes.image, "sleep", "600");
}

function removeContainers(node: Node, ...names: string[]): void {
  nodeDockerOk(node, "rm", "-f", ...names);
}

/** Delete through the controller; a swarm network can be busy for a moment after its last container left. */
async function deleteDestination(id: string, state: DestinationState): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await t.ctl.destination.delete(id, state);
      return;
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function expectNowhere(network: string): void {
  for (const n of nodes.nodes) expect(networksNamed(n, network), `network ${network} on ${n.name}`).toEqual([]);
}

describe("multi-node swarm", () => {
  it("reports each node's role: node1 manager, node2 and node3 workers", async () => {
    const roles = servers.map((s) => s.swarmRole);
    expect(roles).toEqual(["manager", "worker", "worker"]);
    for (const [i, s] of servers.entries()) {
      const n = nodes.nodes[i]!;
      expect(s.swarmState).toBe("active");
      expect(s.swarmNodeId).toMatch(/^[a-z0-9]{25}$/);
      expect(s.swarmNodeId).toBe(n.swarmNodeId);
      expect(s.hostKeyFingerprint).toBe(n.hostKeyFingerprint);
      expect(s.name).toBe(n.name);
    }
    expect(new Set(servers.map((s) => s.swarmNodeId)).size).toBe(3);
    // The manager's own view of the cluster agrees.
    const listed = nodeDocker(manager, "node", "ls", "--format", "{{.ID}} {{.Hostname}} {{.ManagerStatus}}")
      .split("\n")
      .map((l) => l.trimEnd())
      .sort();
    expect(listed).toEqual(
      [
        `${manager.swarmNodeId} ${manager.name} Leader`,
        `${workerA.swarmNodeId} ${workerA.name} `,
        `${workerB.swarmNodeId} ${workerB.name} `,
      ]
        .map((l) => l.trimEnd())
        .sort(),
    );
    // A refresh (read) reconnects with the pinned host key and sees the same.
    const again = await t.ctl.server.read("id", servers[1]!);
    expect(again.state.swarmRole).toBe("worker");
  });

  it("a swarm destination created through the manager spans the cluster; a standalone one stays on its node", async () => {
    const overlay = `${P}-span`;
    const { id, state } = await t.createDestination(servers[0]!, { network: overlay });
    const std = `${P}-local`;
    let local: { id: string; state: DestinationState } | undefined;
    const [a, b, c, d] = [`${P}-a`, `${P}-b`, `${P}-c`, `${P}-d`];
    try {
      const { type, driver, scope, attachable, networkId } = state;
      expect({ type, driver, scope, attachable, networkId }).toEqual({
        type: "swarm",
        driver: "overlay",
        scope: "swarm",
        attachable: true,
        networkId: id,
      });

      // One container on each worker, started against the workers' own daemons.
      run(workerA, a, overlay);
      run(workerB, b, overlay);
      expect(nodeDocker(workerA, "network", "inspect", "-f", "{{.Id}} {{.Scope}}", overlay)).toBe(`${id} swarm`);
      expect(nodeDocker(workerB, "network", "inspect", "-f", "{{.Id}} {{.Scope}}", overlay)).toBe(`${id} swarm`);
      const ipA = ipOf(workerA, a, overlay);
      const ipB = ipOf(workerB, b, overlay);
      expect(ipA).not.toBe(ipB);
      expect(await canPing(workerA, a, ipB, 20)).toBe(true);
      expect(await canPing(workerB, b, ipA, 20)).toBe(true);
      expect(await canPing(workerB, b, a, 20)).toBe(true); // by name, resolved by the swarm's DNS

      // A standalone destination on worker A: a bridge only A has.
      local = await t.createDestination(servers[1]!, { network: std, type: "standalone" });
      expect(local.state).toMatchObject({ type: "standalone", driver: "bridge", scope: "local" });
      run(workerA, c, std);
      run(workerA, d, std);
      const ipC = ipOf(workerA, c, std);
      expect(await canPing(workerA, d, ipC, 20)).toBe(true); // reachable on A itself...
      expect(await canPing(workerB, b, ipC, 2)).toBe(false); // ...not from B
      expect(networksNamed(workerB, std)).toEqual([]);
      expect(networksNamed(manager, std)).toEqual([]);
    } finally {
      removeContainers(workerA, a, c, d);
      removeContainers(workerB, b);
      if (local) await deleteDestination(local.id, local.state);
      await deleteDestination(id, state);
    }
    expectNowhere(overlay);
    expectNowhere(std);
  });

  it("refuses a swarm destination through a worker before changing anything", async () => {
    const network = `${P}-via-worker`;
    const since = Math.floor(Date.now() / 1000) - 1;
    const err = await t.createDestination(servers[1]!, { network, type: "swarm" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    const msg = (err as Error).message;
    expect(msg).toContain(`root@${workerA.address}:22`);
    expect(msg).toContain(`a swarm worker (node ${workerA.swarmNodeId})`);
    expect(msg).toMatch(/Create it through a Server connected to a manager node/);
    expectNowhere(network);
    expect(networkEvents(nodes, network, since)).toEqual([]);
  });

  it("keeps two standalone destinations with the same network name on two servers apart", async () => {
    const network = "shared";
    const onA = await t.createDestination(servers[1]!, { network, type: "standalone", owner: "itest/stack/shared-a" });
    let onB: { id: string; state: DestinationState } | undefined;
    try {
      onB = await t.createDestination(servers[2]!, { network, type: "standalone", owner: "itest/stack/shared-b" });
      expect(onA.id).not.toBe(onB.id);
      expect(onA.state.name).toBe(`${workerA.name}-shared`);
      expect(onB.state.name).toBe(`${workerB.name}-shared`);
      expect(nodeDocker(workerA, "network", "inspect", "-f", "{{.Id}}", network)).toBe(onA.id);
      expect(nodeDocker(workerB, "network", "inspect", "-f", "{{.Id}}", network)).toBe(onB.id);
      expect(networksNamed(manager, network)).toEqual([]);
      // Each server's subnet comes from its own daemon's pool.
      expect(onA.state.subnets[0]).not.toBe(onB.state.subnets[0]);
      // Each reads back as its own network, with no drift.
      const readA = await t.ctl.destination.read(onA.id, onA.state);
      const readB = await t.ctl.destination.read(onB.id, onB.state);
      expect(readA?.id).toBe(onA.id);
      expect(readB?.id).toBe(onB.id);
      expect(
        t.ctl.destination.diff(onA.id, readA!.state, t.checkDestination(servers[1]!, { network, type: "standalone" }))
          .changes,
      ).toBe(false);
      // Removing one leaves the other alone.
      await t.ctl.destination.delete(onA.id, onA.state);
      expect(networksNamed(workerA, network)).toEqual([]);
      expect(networksNamed(workerB, network)).toEqual([network]);
    } finally {
      await t.ctl.destination.delete(onA.id, onA.state);
      if (onB) await t.ctl.destination.delete(onB.id, onB.state);
    }
    expectNowhere(network);
  });

  it("says what to do when the server's address pool is exhausted, and creates nothing", async () => {
    // Each node's local pool is a /20 handing out /24s: fill what is left of it.
    const filler: string[] = [];
    try {
      for (let i = 0; i < 32; i++) {
        const name = `${P}-fill-${i}`;
        if (!nodeDockerOk(workerB, "network", "create", name)) break;
        filler.push(name);
      }
      expect(filler.length).toBeGreaterThan(0);
      expect(filler.length).toBeLessThan(32);
      const network = `${P}-nopool`;
      const err = await t.createDestination(servers[2]!, { network, type: "standalone" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockyardError);
      expect((err as DockyardError).code).toBe("CONFLICT");
      expect((err as Error).message).toContain(`no free subnet left for '${network}'`);
      expect((err as Error).message).toContain("Set subnet explicitly");
      expect(networksNamed(workerB, network)).toEqual([]);
    } finally {
      for (const name of filler) nodeDockerOk(workerB, "network", "rm", name);
    }
  });

  describe("the manager goes away during a deploy", () => {
    /** After a failure: the manager is back, nothing is left, and the same create converges. */
    async function convergesAfterwards(network: string, server: ServerState): Promise<void> {
      expectNowhere(network);
      const { id, state } = await t.createDestination(server, { network });
      expect(state).toMatchObject({ type: "swarm", driver: "overlay", networkId: id });
      expect(networksNamed(manager, network)).toEqual([network]);
      await deleteDestination(id, state);
      expectNowhere(network);
    }

    it("dockerd stopped just before: a clear error, nothing created, a re-run converges", async () => {
      const network = `${P}-mgr-down`;
      await testhostNodesAsync("dockerd", "stop", "1");
      let err: unknown;
      try {
        expect(nodeDockerOk(manager, "version")).toBe(false);
        err = await t.createDestination(servers[0]!, { network }).catch((e: unknown) => e);
      } finally {
        // Waits until the restarted manager leads the swarm again and every node is Ready.
        await testhostNodesAsync("dockerd", "start", "1");
      }
      expect(err).toBeInstanceOf(DockerUnavailableError);
      const msg = (err as Error).message;
      expect(msg).toContain(`root@${manager.address}:22`);
      expect(msg).toContain(manager.dockerSocket);
      expect(msg).toMatch(/dockerd is not running/);
      await convergesAfterwards(network, servers[0]!);
    }, 180_000);

    it("dockerd stopped between the checks and the create call: a clear error, nothing half-done, a re-run converges", async () => {
      const network = `${P}-mgr-mid`;
      const client = t.ctl.transport.docker(servers[0]!.connection);
      const createNetwork = client.createNetwork;
      let stopped = false;
      // The controller has checked the role, the name and the subnets; the daemon goes away now.
      client.createNetwork = async (body: NetworkCreateBody) => {
        await testhostNodesAsync("dockerd", "stop", "1");
        stopped = true;
        return createNetwork.call(client, body);
      };
      let err: unknown;
      try {
        err = await t.createDestination(servers[0]!, { network }).catch((e: unknown) => e);
      } finally {
        client.createNetwork = createNetwork;
        await testhostNodesAsync("dockerd", "start", "1");
      }
      expect(stopped).toBe(true);
      expect(err).toBeInstanceOf(DockyardError);
      const msg = (err as Error).message;
      expect(msg).toContain(`root@${manager.address}:22`);
      expect(msg).toMatch(/dockerd is not running|failed in transit/);
      await convergesAfterwards(network, servers[0]!);
    }, 180_000);

    it("sshd stopped between the checks and the create call: a clear error, nothing half-done, a re-run converges", async () => {
      const network = `${P}-mgr-ssh`;
      // Few dial attempts, so the unreachable server is reported quickly.
      const server = (await t.createServer(nodeServer(nodes, manager, { dialErrorLimit: 2, perDialTimeout: 5 }))).state;
      const client = t.ctl.transport.docker(server.connection);
      const createNetwork = client.createNetwork;
      client.createNetwork = async (body: NetworkCreateBody) => {
        await testhostNodesAsync("sshd", "stop", "1");
        return createNetwork.call(client, body);
      };
      let err: unknown;
      try {
        err = await t.createDestination(server, { network }).catch((e: unknown) => e);
      } finally {
        client.createNetwork = createNetwork;
        await testhostNodesAsync("sshd", "start", "1");
      }
      expect(err).toBeInstanceOf(ConnectionError);
      const msg = (err as Error).message;
      expect(msg).toContain(`root@${manager.address}:22`);
      expect(msg).toMatch(/connection refused|reset|closed/i);
      await convergesAfterwards(network, server);
    }, 180_000);
  });
});
