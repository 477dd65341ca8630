import { ConflictError, DockerApiError, UnsupportedError } from "../errors";
import type { EngineApi, NetworkCreateBody, NetworkInspect } from "../engine-api";
import { cidrsOverlap, parseCidr, type Cidr } from "./cidr";
import { ownerIdOf } from "./ownership";
import {
  IPAM_KEYS,
  LABEL_DESTINATION,
  LABEL_MANAGED,
  LABEL_OWNER,
  LABEL_OWNER_ID,
  MTU_OPTION,
  resourceNameOf,
  type DestinationInputs,
  type DestinationType,
} from "./destination-types";

export function driverFor(type: DestinationType): "bridge" | "overlay" {
  return type === "swarm" ? "overlay" : "bridge";
}

export function typeOfDriver(driver: string): DestinationType | string {
  if (driver === "bridge") return "standalone";
  if (driver === "overlay") return "swarm";
  return driver;
}

/** The labels Dockyard puts on networks it creates. */
export function managedLabels(inputs: DestinationInputs, ownerId: string = ownerIdOf(inputs)): Record<string, string> {
  return {
    ...inputs.labels,
    [LABEL_MANAGED]: "true",
    [LABEL_DESTINATION]: resourceNameOf(inputs.owner),
    [LABEL_OWNER]: inputs.owner,
    [LABEL_OWNER_ID]: ownerId,
  };
}

export function createBody(inputs: DestinationInputs, ownerId: string = ownerIdOf(inputs)): NetworkCreateBody {
  const options: Record<string, string> = { ...inputs.driverOptions };
  if (inputs.mtu !== undefined) options[MTU_OPTION] = String(inputs.mtu);
  const config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> = [];
  if (inputs.subnet) config.push(strip({ Subnet: inputs.subnet, Gateway: inputs.gateway, IPRange: inputs.ipRange }));
  if (inputs.ipv6Subnet) config.push(strip({ Subnet: inputs.ipv6Subnet, Gateway: inputs.ipv6Gateway, IPRange: inputs.ipv6IpRange }));
  const body: NetworkCreateBody = {
    Name: inputs.network,
    Driver: driverFor(inputs.type),
    Attachable: inputs.type === "swarm" ? inputs.attachable : false,
    Internal: inputs.internal,
    EnableIPv6: inputs.ipv6,
    Options: options,
    Labels: managedLabels(inputs, ownerId),
  };
  if (config.length) body.IPAM = { Driver: "default", Config: config };
  return body;
}

function strip<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A network with exactly this name (Docker's name filter matches substrings). */
export async function findByName(docker: EngineApi, name: string): Promise<NetworkInspect | undefined> {
  const list = await docker.listNetworks({ name: [name] });
  const hit = list.find((n) => n.Name === name);
  return hit ? docker.findNetwork(hit.Id) : undefined;
}

function subnetsOf(net: NetworkInspect): string[] {
  return (net.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s);
}

/** Existing networks whose subnets overlap the ones requested. */
export async function overlappingNetworks(docker: EngineApi, inputs: DestinationInputs): Promise<string[]> {
  const wanted = [inputs.subnet, inputs.ipv6Subnet]
    .filter((s): s is string => !!s)
    .map(parseCidr)
    .filter((c): c is Cidr => typeof c !== "string");
  if (wanted.length === 0) return [];
  const found: string[] = [];
  for (const net of await docker.listNetworks()) {
    for (const s of subnetsOf(net)) {
      const have = parseCidr(s);
      if (typeof have === "string") continue;
      for (const w of wanted) if (cidrsOverlap(w, have)) found.push(`'${net.Name}' (${s}) overlaps ${w.text}`);
    }
  }
  return found;
}

/** Turn Docker's create errors into messages that say what to do. */
export function explainCreateError(err: unknown, inputs: DestinationInputs, target: string): unknown {
  if (!(err instanceof DockerApiError)) return err;
  const msg = err.message;
  if (/overlaps with other one|Pool overlaps/i.test(msg)) {
    return new ConflictError(
      err.statusCode,
      `${target}: subnet ${inputs.subnet ?? inputs.ipv6Subnet} overlaps a network that already exists. Choose a free subnet.`,
      { cause: err },
    );
  }
  if (/could not find an available, non-overlapping/i.test(msg) || /no available network/i.test(msg)) {
    return new ConflictError(
      err.statusCode,
      `${target}: Docker's default address pools are exhausted: no free subnet left for '${inputs.network}'. ` +
        `Set subnet explicitly, remove unused networks (docker network prune), or widen default-address-pools in daemon.json.`,
      { cause: err },
    );
  }
  if (/already exists/i.test(msg)) {
    return new ConflictError(
      err.statusCode,
      `${target}: a network named '${inputs.network}' already exists. Choose another name, or set adopt: true to take it over.`,
      { cause: err },
    );
  }
  if (/This node is not a swarm manager/i.test(msg)) {
    return new UnsupportedError(`${target}: swarm destinations must be created through a swarm manager; this server is not one.`, {
      cause: err,
    });
  }
  return err;
}

/** What Dockyard observes of a network, in the shape of Destination fields. */
export interface Observed {
  networkId: string;
  driver: string;
  scope: string;
  type: string;
  attachable: boolean;
  internal: boolean;
  ipv6: boolean;
  subnets: string[];
  ipam: Partial<Pick<DestinationInputs, (typeof IPAM_KEYS)[number]>>;
  options: Record<string, string>;
  /** Labels without Dockyard's own. */
  labels: Record<string, string>;
  rawLabels: Record<string, string>;
  /** Attached containers (this node's view). */
  containers: Array<{ id: string; name: string }>;
}

export function observe(net: NetworkInspect): Observed {
  const ipam: Observed["ipam"] = {};
  for (const c of net.IPAM?.Config ?? []) {
    if (!c.Subnet) continue;
    const parsed = parseCidr(c.Subnet);
    const v6 = typeof parsed !== "string" ? parsed.family === 6 : c.Subnet.includes(":");
    if (v6) {
      ipam.ipv6Subnet = c.Subnet;
      if (c.Gateway) ipam.ipv6Gateway = c.Gateway;
      if (c.IPRange) ipam.ipv6IpRange = c.IPRange;
    } else {
      ipam.subnet = c.Subnet;
      if (c.Gateway) ipam.gateway = c.Gateway;
      if (c.IPRange) ipam.ipRange = c.IPRange;
    }
  }
  const rawLabels = net.Labels ?? {};
  const labels = Object.fromEntries(Object.entries(rawLabels).filter(([k]) => !k.startsWith("dockyard.")));
  return {
    networkId: net.Id,
    driver: net.Driver,
    scope: net.Scope,
    type: typeOfDriver(net.Driver),
    attachable: net.Attachable,
    internal: net.Internal,
    ipv6: net.EnableIPv6,
    subnets: subnetsOf(net),
    ipam,
    options: net.Options ?? {},
    labels,
    rawLabels,
    containers: Object.entries(net.Containers ?? {})
      // Swarm lists its load-balancer endpoint as a pseudo-container.
      .filter(([id, c]) => c.Name && !id.startsWith("lb-"))
      .map(([id, c]) => ({ id, name: c.Name })),
  };
}

/**
 * Fields of `inputs` that an existing network does not satisfy (for adopt).
 * Only what the user asked for explicitly is compared.
 */
export function mismatches(o: Observed, inputs: DestinationInputs): string[] {
  const out: string[] = [];
  if (o.driver !== driverFor(inputs.type)) out.push(`type: network uses driver '${o.driver}', destination wants ${inputs.type}`);
  if (o.internal !== inputs.internal) out.push(`internal: network has ${o.internal}`);
  if (o.ipv6 !== inputs.ipv6) out.push(`ipv6: network has ${o.ipv6}`);
  if (inputs.type === "swarm" && o.attachable !== inputs.attachable) out.push(`attachable: network has ${o.attachable}`);
  for (const k of IPAM_KEYS) {
    if (inputs[k] !== undefined && o.ipam[k] !== inputs[k]) out.push(`${k}: network has ${o.ipam[k] ?? "none"}`);
  }
  if (inputs.mtu !== undefined && o.options[MTU_OPTION] !== String(inputs.mtu)) out.push(`mtu: network has ${o.options[MTU_OPTION] ?? "default"}`);
  for (const [k, v] of Object.entries(inputs.driverOptions)) {
    if (o.options[k] !== v) out.push(`driverOptions.${k}: network has ${o.options[k] ?? "none"}`);
  }
  for (const [k, v] of Object.entries(inputs.labels)) {
    if (o.labels[k] !== v) out.push(`labels.${k}: network has ${o.labels[k] ?? "none"}`);
  }
  return out;
}
