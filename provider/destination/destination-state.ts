/**
 * A Docker network in a Destination's terms: what is observed of it, how it
 * differs from what a destination asks for (adopt), and the state recorded
 * from it.
 */
import type { NetworkInspect } from "../engine-api";
import { parseCidr } from "./cidr";
import {
  IPAM_KEYS,
  MTU_OPTION,
  type DestinationInputs,
  type DestinationState,
  type DestinationType,
} from "./destination-types";

export function driverFor(type: DestinationType): "bridge" | "overlay" {
  return type === "swarm" ? "overlay" : "bridge";
}

/** The Destination type a network's driver stands for; another driver is named as it is. */
export function typeOfDriver(driver: string): string {
  if (driver === "bridge") return "standalone";
  if (driver === "overlay") return "swarm";
  return driver;
}

export function subnetsOf(net: NetworkInspect): string[] {
  return (net.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s);
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
  if (o.driver !== driverFor(inputs.type))
    out.push(`type: network uses driver '${o.driver}', destination wants ${inputs.type}`);
  if (o.internal !== inputs.internal) out.push(`internal: network has ${o.internal}`);
  if (o.ipv6 !== inputs.ipv6) out.push(`ipv6: network has ${o.ipv6}`);
  if (inputs.type === "swarm" && o.attachable !== inputs.attachable)
    out.push(`attachable: network has ${o.attachable}`);
  for (const k of IPAM_KEYS) {
    if (inputs[k] !== undefined && o.ipam[k] !== inputs[k]) out.push(`${k}: network has ${o.ipam[k] ?? "none"}`);
  }
  if (inputs.mtu !== undefined && o.options[MTU_OPTION] !== String(inputs.mtu))
    out.push(`mtu: network has ${o.options[MTU_OPTION] ?? "default"}`);
  for (const [k, v] of Object.entries(inputs.driverOptions)) {
    if (o.options[k] !== v) out.push(`driverOptions.${k}: network has ${o.options[k] ?? "none"}`);
  }
  for (const [k, v] of Object.entries(inputs.labels)) {
    if (o.labels[k] !== v) out.push(`labels.${k}: network has ${o.labels[k] ?? "none"}`);
  }
  return out;
}

/** Whether a container reference (name, or an id prefix of 12 or more) names this container. */
export function refersTo(c: Observed["containers"][number], ref: string): boolean {
  const name = ref.replace(/^\//, "");
  return c.name === name || (name.length >= 12 && c.id.startsWith(name));
}

/** Whether a container reference is among the attached ones. */
export function attached(o: Observed, ref: string): boolean {
  return o.containers.some((c) => refersTo(c, ref));
}

/** What the server has under the keys the user gave; keys it no longer has are left out. */
function observedUnderGivenKeys(
  given: Record<string, string>,
  observed: Record<string, string | undefined>,
): Record<string, string> {
  return Object.fromEntries(
    Object.keys(given)
      .filter((k) => observed[k] !== undefined)
      .map((k) => [k, observed[k] as string]),
  );
}

/**
 * The state to record: the inputs, overwritten by what the server actually
 * has for every field the user controls, so drift shows up in diff. `ownerId`
 * is the one written on the network (absent for a destination recorded
 * before owner ids).
 */
export function stateFrom(
  inputs: DestinationInputs,
  o: Observed,
  adopted: boolean,
  ownerId?: string,
): DestinationState {
  const s: DestinationState = {
    ...inputs,
    networkId: o.networkId,
    driver: o.driver,
    scope: o.scope,
    adopted,
    subnets: o.subnets,
    type: o.type as DestinationType,
    internal: o.internal,
    ipv6: o.ipv6,
  };
  if (ownerId !== undefined) s.ownerId = ownerId;
  else delete s.ownerId;
  // Docker only records attachable for swarm-scoped networks.
  if (o.type === "swarm") s.attachable = o.attachable;
  for (const k of IPAM_KEYS) {
    if (inputs[k] !== undefined) {
      if (o.ipam[k] !== undefined) s[k] = o.ipam[k];
      else delete s[k];
    }
  }
  if (inputs.mtu !== undefined) {
    const mtu = o.options[MTU_OPTION];
    if (mtu !== undefined) s.mtu = Number(mtu);
    else delete s.mtu;
  }
  s.driverOptions = observedUnderGivenKeys(inputs.driverOptions, o.options);
  s.labels = adopted ? observedUnderGivenKeys(inputs.labels, o.labels) : o.labels;
  s.connect = inputs.connect.filter((c) => attached(o, c));
  return s;
}
