import { createHash } from "node:crypto";
import { parseUrn } from "../operation-context";
import type { NetworkInspect } from "../engine-api";
import type { DestinationState } from "./destination-types";
import { LABEL_MANAGED, LABEL_OWNER, LABEL_OWNER_ID } from "./destination-types";

/** Who a destination is, as far as its network's labels go. */
export interface Owner {
  /** `<project>/<stack>/<resource name>`: readable, but two stacks (or two components) can share it. */
  owner: string;
  /**
   * Unique to one resource of one stack: see {@link ownerIdOf}. Absent in
   * state recorded before owner ids existed (0.1.0).
   */
  ownerId?: string;
}

/**
 * The owner of the resource with this URN, `<project>/<stack>/<name>`: what
 * the label `dockyard.owner` says. Composed here only, from Pulumi's own
 * facts; written into a label and hashed into the owner id, never read back.
 */
export function ownerFromUrn(urn: string): string {
  const { project, stack, name } = parseUrn(urn);
  return `${project}/${stack}/${name}`;
}

/**
 * The resource name a caller that gives no context stands for (tests, a
 * program driving the controllers directly): the owner's last part. The
 * adapters always give the name, from the URN.
 */
export function resourceNameOf(owner: string): string {
  return owner.slice(owner.lastIndexOf("/") + 1);
}

/**
 * The owner id written on the network at creation: derived from the Server
 * resource's id (a random UUID recorded once in the stack's state, so two
 * stacks with the same project and stack names in two backends differ) and
 * the destination's full URN (so two components of one stack each declaring
 * `Destination("net")` differ). The same resource of the same stack gets the
 * same id on every run, also when a create was cut off before the engine
 * recorded it.
 */
export function ownerIdOf(who: { owner: string; serverId: string; resourceUrn: string }): string {
  return createHash("sha256")
    .update(JSON.stringify([who.owner, who.serverId, who.resourceUrn]))
    .digest("hex")
    .slice(0, 32);
}

/**
 * Whether a network with these labels belongs to this destination: the one
 * rule create (take over what an interrupted run left), read (follow by name),
 * update and delete share. It needs the managed label and the owner label,
 * and the owner id when the destination has one. A destination recorded
 * before owner ids owns only networks without an owner id: those were made by
 * the version that recorded it, never by a destination that has one.
 */
export function ownsNetwork(labels: Record<string, string> | null | undefined, who: Owner): boolean {
  const l = labels ?? {};
  if (l[LABEL_MANAGED] !== "true" || l[LABEL_OWNER] !== who.owner) return false;
  return who.ownerId !== undefined ? l[LABEL_OWNER_ID] === who.ownerId : l[LABEL_OWNER_ID] === undefined;
}

/** The owner a state records (without an owner id when it was recorded before them). */
export function recordedOwner(state: Owner): Owner {
  return state.ownerId === undefined ? { owner: state.owner } : { owner: state.owner, ownerId: state.ownerId };
}

/** Whether a network is this destination's to act on: its owner labels say so, or it is the very network adopted. */
export function isOurs(net: NetworkInspect, id: string, state: DestinationState): boolean {
  return ownsNetwork(net.Labels, recordedOwner(state)) || (state.adopted && net.Id === id);
}
