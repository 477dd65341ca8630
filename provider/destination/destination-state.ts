import type { NetworkInspect } from "../engine-api";
import type { Observed } from "./network";
import { ownsNetwork, type Owner } from "./ownership";
import { IPAM_KEYS, MTU_OPTION, type DestinationInputs, type DestinationState, type DestinationType } from "./destination-types";

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
function observedFor(given: Record<string, string>, observed: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(given)
      .filter((k) => observed[k] !== undefined)
      .map((k) => [k, observed[k] as string]),
  );
}

/** Whether a network is this destination's to act on: its owner labels say so, or it is the very network adopted. */
export function isMine(net: NetworkInspect, id: string, state: DestinationState): boolean {
  return ownsNetwork(net.Labels, ownerOf(state)) || (state.adopted && net.Id === id);
}

export function ownerOf(state: Owner): Owner {
  return state.ownerId === undefined ? { owner: state.owner } : { owner: state.owner, ownerId: state.ownerId };
}

/**
 * The state to record: the inputs, overwritten by what the server actually
 * has for every field the user controls, so drift shows up in diff. `ownerId`
 * is the one written on the network (absent for a destination recorded
 * before owner ids).
 */
export function stateFrom(inputs: DestinationInputs, o: Observed, adopted: boolean, ownerId?: string): DestinationState {
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
  s.driverOptions = observedFor(inputs.driverOptions, o.options);
  s.labels = adopted ? observedFor(inputs.labels, o.labels) : o.labels;
  s.connect = inputs.connect.filter((c) => attached(o, c));
  return s;
}
