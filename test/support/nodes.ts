import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { read, repoRoot } from "./testhost";

/** One host started by `scripts/testhost-nodes up`, as nodes.json describes it. */
export interface Node {
  name: string;
  index: number;
  netns: string;
  address: string;
  sshPort: number;
  /** The node's Docker socket: a path on this machine, and so on the node too. */
  dockerSocket: string;
  dockerHost: string;
  hostKeyFingerprint: string;
  hostPublicKey: string;
  swarmRole: "manager" | "worker" | "none";
  swarmNodeId: string;
  bip: string;
  addressPool: string;
  dataRoot: string;
  execRoot: string;
  dockerdPid: number;
  sshdPid: number;
  dockerdLog: string;
  sshdLog: string;
}

export interface Nodes {
  count: number;
  bridge: string;
  subnet: string;
  gateway: string;
  image: string;
  user: string;
  rootKey: string;
  stateDir: string;
  swarm: {
    clusterId: string;
    manager: string;
    managerAddr: string;
    workerToken: string;
    managerToken: string;
    workerJoin: string;
    addressPool: string;
    addressPoolMaskLength: number;
  };
  nodes: Node[];
}

const script = join(repoRoot, "scripts", "testhost-nodes");

function stateDir(): string {
  return process.env.DOCKYARD_TESTHOST_DIR ?? "/var/lib/dockyard-testhost";
}

/** Run scripts/testhost-nodes; on failure the error carries its stderr. */
export function testhostNodes(...args: string[]): string {
  try {
    return execFileSync(script, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/testhost-nodes ${args.join(" ")} failed: ${e.message}\n${e.stderr ?? ""}`, { cause: err });
  }
}

/** The same, without blocking the event loop (for running it while a controller call is in flight). */
export function testhostNodesAsync(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(script, args, { encoding: "utf8", timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/testhost-nodes ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function readNodes(): Nodes {
  return JSON.parse(readFileSync(join(stateDir(), "nodes.json"), "utf8")) as Nodes;
}

/** Start (or reuse) N nodes and return their description. */
export function nodesUp(count = 3): Nodes {
  testhostNodes("up", String(count));
  return readNodes();
}

export function nodesDown(): void {
  testhostNodes("down");
}

/** The docker CLI against one node's own daemon. */
export function nodeDocker(node: Node, ...args: string[]): string {
  return execFileSync("docker", ["-H", node.dockerHost, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  }).trim();
}

export function nodeDockerOk(node: Node, ...args: string[]): boolean {
  try {
    nodeDocker(node, ...args);
    return true;
  } catch {
    return false;
  }
}

/** Names of the networks a node's daemon lists with exactly this name. */
export function networksNamed(node: Node, name: string): string[] {
  return nodeDocker(node, "network", "ls", "--filter", `name=${name}`, "--format", "{{.Name}}")
    .split("\n")
    .filter((n) => n === name);
}

/** Server inputs for root on a node over its own sshd, host key pinned. */
export function nodeServer(nodes: Nodes, node: Node, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: node.name,
    host: node.address,
    port: node.sshPort,
    user: "root",
    privateKey: read(nodes.rootKey),
    hostKey: node.hostPublicKey,
    dockerSocket: node.dockerSocket,
    ...extra,
  };
}

/**
 * What is left of the nodes on this machine (empty once `down` did its job):
 * network namespaces, links, processes, cgroups, nodes.json.
 */
export function nodeLeftovers(): string[] {
  const out: string[] = [];
  const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" }).trim();
  const netns = sh("ip netns list | awk '{print $1}' | grep '^dy-node' || true");
  if (netns) out.push(`network namespaces: ${netns.replace(/\n/g, " ")}`);
  const links = sh("ip -o link show | awk -F': ' '{print $2}' | grep -E '^(dybr0|dy-node[0-9]+)(@|$)' || true");
  if (links) out.push(`links: ${links.replace(/\n/g, " ")}`);
  const procs = sh(`ps -eo pid=,args= | grep -F '${stateDir()}/nodes/' | grep -v grep || true`);
  if (procs) out.push(`processes: ${procs.replace(/\n/g, "; ")}`);
  const cgroups = sh("ls -d /sys/fs/cgroup/*/dy-node* /sys/fs/cgroup/dy-node* 2>/dev/null || true");
  if (cgroups) out.push(`cgroups: ${cgroups.replace(/\n/g, " ")}`);
  const chains = sh("{ iptables -w -S; iptables -w -t raw -S; } 2>/dev/null | grep -F DYNODES || true");
  if (chains) out.push(`iptables: ${chains.replace(/\n/g, "; ")}`);
  const files = sh(`ls -d ${stateDir()}/nodes ${stateDir()}/nodes.json 2>/dev/null || true`);
  if (files) out.push(`files: ${files.replace(/\n/g, " ")}`);
  return out;
}

/** Network events (create, destroy, …) for `name` on any node since `since` (unix seconds), each as "<node>: <action> <name>". */
export function networkEvents(nodes: Nodes, name: string, since: number): string[] {
  const until = String(Math.ceil(Date.now() / 1000) + 1);
  return nodes.nodes.flatMap((n) =>
    nodeDocker(
      n,
      "events",
      "--since",
      String(since),
      "--until",
      until,
      "--filter",
      "type=network",
      "--format",
      "{{.Action}} {{.Actor.Attributes.name}}",
    )
      .split("\n")
      .filter((l) => l.endsWith(` ${name}`))
      .map((l) => `${n.name}: ${l}`),
  );
}

/** A container's address on one network, as its node sees it. */
export function ipOf(node: Node, container: string, network: string): string {
  return nodeDocker(node, "inspect", "-f", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

/** Ping from a container; overlay peers may need a moment until gossip has spread, so retry. */
export async function canPing(node: Node, from: string, target: string, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (nodeDockerOk(node, "exec", from, "ping", "-c", "1", "-W", "1", target)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
