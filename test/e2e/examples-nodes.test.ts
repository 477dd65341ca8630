// The swarm and multi-server examples through the real Pulumi engine, against
// the hosts of scripts/testhost-nodes: three Docker hosts, each in its own
// network namespace with its own dockerd and sshd (172.16.213.1x:22), joined
// in one swarm (dy-node1 manager, dy-node2 and dy-node3 workers). Results are
// checked independently with the docker CLI on each node's own socket.
//
// The examples run unchanged from their own directories with the `pulumi`
// binary (see example-stack.ts) and the config
// scripts/run-example.js gives them (nodesConfig), including each node's own
// Docker socket (`dockerSocket`): the nodes share this machine's filesystem,
// so the default /var/run/docker.sock would be the test host's daemon.
//
// beforeAll reuses nodes that are already up (scripts/testhost-nodes status),
// otherwise starts three and removes them again in afterAll.

import * as fs from "node:fs";
import * as path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { changesOf, ensurePulumiCli } from "../support/pulumi";
import {
  canPing,
  ipOf,
  networkEvents,
  networksNamed,
  nodeDocker,
  nodeDockerOk,
  readNodes,
  testhostNodes,
  type Node,
  type Nodes,
} from "../support/nodes";
import { testHost } from "../support/testhost";
import { cleanupAllExampleStacks, createExampleStack, type ExampleStack } from "./example-stack";
import { inspectNetwork, loadDockyard, loadExampleRunner, type NetworkInfo } from "./helpers";

const SERVER_TYPE = "pulumi-nodejs:dynamic/dockyard:Server";
const DESTINATION_TYPE = "pulumi-nodejs:dynamic/dockyard:Destination";

/** The @pulumi/pulumi the compiled examples load (Node's own require, not vitest's). */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const runner = loadExampleRunner();
let nodes: Nodes;
let manager: Node;
let workerA: Node;
let workerB: Node;
/** Whether this file started the nodes (and so removes them afterwards). */
let startedNodes = false;
/** Containers this file started, per node, removed in afterAll if a test left them. */
const containers: Array<[Node, string]> = [];

function nodesStatusOk(): boolean {
  try {
    testhostNodes("status");
    return true;
  } catch {
    return false;
  }
}

function nodesJsonExists(): boolean {
  const dir = process.env.DOCKYARD_TESTHOST_DIR ?? "/var/lib/dockyard-testhost";
  return fs.existsSync(path.join(dir, "nodes.json"));
}

beforeAll(async () => {
  await ensurePulumiCli(); // a cold build takes far longer than hookTimeout
  testHost(); // the nodes need the test host's keys and image: fails clearly when it is not up
  loadDockyard(); // fails when dist/ is missing, warns when it is stale

  // Nodes someone else started may be in the middle of a fault test (one
  // dockerd stopped and about to start again): give them a moment.
  let reuse = nodesStatusOk();
  for (let i = 0; !reuse && nodesJsonExists() && i < 30; i++) {
    await sleep(1000);
    reuse = nodesStatusOk();
  }
  if (reuse && readNodes().count >= 3) {
    nodes = readNodes();
  } else {
    startedNodes = !reuse;
    testhostNodes("up", "3");
    nodes = readNodes();
  }
  [manager, workerA, workerB] = nodes.nodes as [Node, Node, Node];
  expect([manager, workerA, workerB].map((n) => n.swarmRole)).toEqual(["manager", "worker", "worker"]);
}, 10 * 60_000);

afterAll(async () => {
  try {
    for (const [node, name] of containers) nodeDockerOk(node, "rm", "-f", name);
    await cleanupAllExampleStacks();
  } finally {
    if (startedNodes) testhostNodes("down");
  }
}, 5 * 60_000);

/** A stack of one example against some of the nodes. */
function exampleStack(
  name: "swarm" | "multi-server",
  servers: Record<string, Node>,
): Promise<{ s: ExampleStack; project: string; stackName: string }> {
  return createExampleStack(runner, name, (stackName) =>
    runner.nodesConfig(name, nodes, stackName, Object.values(servers)),
  );
}

/** `docker network inspect` on one node, or undefined when it has no network of that name. */
function inspectOn(node: Node, network: string): NetworkInfo | undefined {
  if (!nodeDockerOk(node, "network", "inspect", network)) return undefined;
  const [n] = JSON.parse(nodeDocker(node, "network", "inspect", network)) as NetworkInfo[];
  return n && n.Name === network ? n : undefined;
}

/** Where a network of this name exists: node names, plus "test host" for the test host's own daemon. */
function whereIs(network: string): string[] {
  const found = nodes.nodes.filter((n) => networksNamed(n, network).length > 0).map((n) => n.name);
  if (inspectNetwork(network)) found.push("test host");
  return found;
}

/** Dockyard's own labels (without pinning the whole set) and exactly the example's labels besides. */
function expectLabels(
  n: NetworkInfo,
  dockyard: { destination: string; owner: string },
  own: Record<string, string>,
): void {
  const labels = n.Labels ?? {};
  expect(labels).toMatchObject({
    "dockyard.managed": "true",
    "dockyard.destination": dockyard.destination,
    "dockyard.owner": dockyard.owner,
  });
  expect(Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith("dockyard.")))).toEqual(own);
}

/** Whether the network `inner` (a.b.c.d/n) lies inside `outer`. */
function inCidr(inner: string, outer: string): boolean {
  const parse = (cidr: string): [number, number] => {
    const [ip, bits] = cidr.split("/");
    return [ip!.split(".").reduce((acc, o) => acc * 256 + Number(o), 0), Number(bits ?? 32)];
  };
  const [a, an] = parse(inner);
  const [b, bn] = parse(outer);
  const block = 2 ** (32 - bn);
  return an >= bn && Math.floor(a / block) === Math.floor(b / block);
}

function run(node: Node, name: string, network: string): void {
  containers.push([node, name]);
  nodeDocker(node, "run", "-d", "--name", name, "--network", network, nodes.image, "sleep", "600");
}

async function waitFor(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await sleep(250);
  }
}

describe("examples on several nodes", () => {
  it("swarm on the manager: an attachable overlay that containers on two workers share", async () => {
    const { s, project, stackName } = await exampleStack("swarm", { manager });
    const network = `${stackName}-services`;
    const [a, b] = [`${stackName}-a`, `${stackName}-b`];
    try {
      const up = await s.up();
      expect(changesOf(up.summary.resourceChanges)).toEqual({ create: 3 }); // stack, server, destination

      const out = (await s.outputValues()) as Record<string, any>;
      // The manager's own daemon, identified by its swarm node id.
      expect(out.manager).toMatchObject({
        swarmState: "active",
        swarmRole: "manager",
        swarmNodeId: manager.swarmNodeId,
      });
      expect(out.manager.hostKeyFingerprint).toBe(manager.hostKeyFingerprint);
      expect(out.services).toMatchObject({
        network,
        type: "swarm",
        driver: "overlay",
        scope: "swarm",
        attachable: true,
      });

      const n = inspectOn(manager, network);
      expect(n, `network ${network} on ${manager.name}`).toBeDefined();
      expect(n).toMatchObject({ Id: out.services.networkId, Driver: "overlay", Scope: "swarm", Attachable: true });
      expectLabels(n!, { destination: "services", owner: `${project}/${stackName}/services` }, { purpose: "services" });
      // Only the manager has it until something attaches on a worker; the test host never.
      expect(whereIs(network)).toEqual([manager.name]);

      // A container on each worker, started against the workers' own daemons.
      run(workerA, a, network);
      run(workerB, b, network);
      for (const w of [workerA, workerB]) {
        expect(inspectOn(w, network)).toMatchObject({ Id: n!.Id, Scope: "swarm" });
      }
      const ipA = ipOf(workerA, a, network);
      const ipB = ipOf(workerB, b, network);
      expect(ipA).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(ipA).not.toBe(ipB);
      expect(await canPing(workerA, a, ipB, 40), `${a} on ${workerA.name} pings ${ipB}`).toBe(true);
      expect(await canPing(workerB, b, ipA, 40), `${b} on ${workerB.name} pings ${ipA}`).toBe(true);
      expect(await canPing(workerB, b, a, 40), `${b} pings ${a} by name`).toBe(true);

      expect(changesOf((await s.preview()).changeSummary)).toEqual({});

      // Once the containers are gone, the workers drop their copies of the network.
      nodeDocker(workerA, "rm", "-f", a);
      nodeDocker(workerB, "rm", "-f", b);
      await waitFor(`the workers to drop ${network}`, () => !whereIs(network).some((w) => w !== manager.name));

      const destroy = await s.destroy();
      expect(changesOf(destroy.summary.resourceChanges)).toEqual({ delete: 3 });
      expect(await s.resources()).toEqual([]);
      expect(whereIs(network)).toEqual([]);
    } finally {
      // After a failure: let the manager see the containers leave before the stack is destroyed.
      const removed = [nodeDockerOk(workerA, "rm", "-f", a), nodeDockerOk(workerB, "rm", "-f", b)];
      if (removed.some(Boolean)) {
        await waitFor(`the workers to drop ${network}`, () => !whereIs(network).some((w) => w !== manager.name)).catch(
          () => {},
        );
      }
      await s.cleanup();
    }
  });

  it("multi-server on two workers: the same network name on two daemons, each with its own id", async () => {
    const { s, project, stackName } = await exampleStack("multi-server", { server1: workerA, server2: workerB });
    const network = `${stackName}-apps`;
    try {
      const up = await s.up();
      expect(changesOf(up.summary.resourceChanges)).toEqual({ create: 5 }); // stack, 2 servers, 2 destinations

      const out = (await s.outputValues()) as Record<string, any>;
      const pairs = [
        ["server1", workerA],
        ["server2", workerB],
      ] as const;
      for (const [ns, node] of pairs) {
        expect(out[ns], ns).toMatchObject({
          host: node.address,
          port: node.sshPort,
          user: "root",
          swarmRole: "worker",
          hostKeyFingerprint: node.hostKeyFingerprint,
          network, // the same name on both: no per-server override
          driver: "bridge",
          scope: "local",
        });
        const n = inspectOn(node, network);
        expect(n, `network ${network} on ${node.name}`).toBeDefined();
        expect(n).toMatchObject({ Id: out[ns].networkId, Driver: "bridge", Scope: "local" });
        expectLabels(n!, { destination: `${ns}-apps`, owner: `${project}/${stackName}/${ns}-apps` }, { app: "apps" });
      }
      expect(out.server1.networkId).not.toBe(out.server2.networkId);
      // Each subnet comes from its own daemon's address pool.
      for (const [ns, node] of pairs) {
        const subnet = nodeDocker(node, "network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", network);
        expect(
          inCidr(subnet, node.addressPool),
          `${ns}'s subnet ${subnet} in ${node.name}'s pool ${node.addressPool}`,
        ).toBe(true);
      }
      expect(whereIs(network).sort()).toEqual([workerA.name, workerB.name].sort());

      expect(changesOf((await s.preview()).changeSummary)).toEqual({});

      const destroy = await s.destroy();
      expect(changesOf(destroy.summary.resourceChanges)).toEqual({ delete: 5 });
      expect(await s.resources()).toEqual([]);
      expect(whereIs(network)).toEqual([]);
    } finally {
      await s.cleanup();
    }
  });

  it("swarm pointed at a worker: up fails, naming the role and the way out, and creates nothing", async () => {
    const { s, stackName } = await exampleStack("swarm", { manager: workerA });
    const network = `${stackName}-services`;
    try {
      const since = Math.floor(Date.now() / 1000) - 1;
      const failure = await s.up().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure, "up should fail").toBeDefined();
      const msg = String((failure as Error).message ?? failure);
      // Which server, that it is a worker (and which node), and what to use instead: a manager.
      expect(msg).toContain(`root@${workerA.address}:22`);
      expect(msg).toMatch(/\bworker\b/);
      expect(msg).toContain(workerA.swarmNodeId);
      expect(msg).toMatch(/\bServer\b[^.]*\bmanager\b/);

      expect(whereIs(network)).toEqual([]);
      expect(networkEvents(nodes, network, since)).toEqual([]);

      const resources = await s.resources();
      expect(resources.filter((r) => r.type === DESTINATION_TYPE)).toEqual([]);
      // The Server itself is fine (a worker is a perfectly good server) and stays in the state.
      const server = resources.find((r) => r.type === SERVER_TYPE);
      expect(server?.outputs).toMatchObject({ swarmRole: "worker", swarmNodeId: workerA.swarmNodeId });
    } finally {
      await s.cleanup();
    }
    expect(whereIs(network)).toEqual([]);
  });
});
