import { isCompared, isInput, isReplacing, isSecret, namesWhere } from "../fields";
import { DESTINATION_FIELDS } from "./destination-fields";
import type { ConnectionSpec } from "../transport/endpoint";

export type DestinationType = "standalone" | "swarm";

/**
 * The Server as the Destination sees it, from values known during preview:
 * which daemon (host and socket) and a digest of how it is logged into.
 * Another daemon is another network; another login is the same network.
 */
export interface DaemonRef {
  host: string;
  dockerSocket: string;
  /** A digest of the Server's login fields (port, user, credentials, host key, proxy, timeouts). */
  login?: string;
}

/** Checked Destination inputs, defaults applied. */
export interface DestinationInputs {
  /** The server's connection (host keys pinned). Secret. */
  connection: ConnectionSpec;
  /** The server's daemon and login. Absent in state recorded before 0.2. */
  daemon?: DaemonRef;
  /** The server's display name, for the default display name. */
  serverName: string;
  /** The server's swarm role when last seen; decides the default type at creation. */
  serverSwarmRole?: string;
  /**
   * Who owns the network: `<project>/<stack>/<resource name>`, from the
   * resource's URN (see `ownerFromUrn`). Written into a label so a network
   * left by an interrupted run of the same resource is recognised, and
   * nobody else's network is ever deleted.
   */
  owner: string;
  /**
   * The Server resource's id (set by the SDK when the destination is given a
   * Server; empty when it is given a connection): with `resourceUrn`, what makes
   * the owner id unique to one resource of one stack (see `ownerIdOf`).
   */
  serverId: string;
  /**
   * The destination's full URN: given by the engine to the plugin provider;
   * a dynamic provider's calls carry none, so the SDK passes it as this input
   * (`urn` itself is a name Pulumi keeps for its own).
   */
  resourceUrn: string;
  /** Display name. */
  name: string;
  /** Docker network name. */
  network: string;
  type: DestinationType;
  attachable: boolean;
  internal: boolean;
  ipv6: boolean;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  ipv6Subnet?: string;
  ipv6Gateway?: string;
  ipv6IpRange?: string;
  mtu?: number;
  driverOptions: Record<string, string>;
  labels: Record<string, string>;
  connect: string[];
  adopt: boolean;
  force: boolean;
}

export interface DestinationState extends DestinationInputs {
  networkId: string;
  /** `bridge` or `overlay` (as Docker reports it). */
  driver: string;
  /** `local` or `swarm`. */
  scope: string;
  /** True when Dockyard took over a network it did not create. */
  adopted: boolean;
  /**
   * The owner id written on the network (label `dockyard.owner-id`) when this
   * destination created or took it over. Absent in state recorded before owner
   * ids existed: such a destination owns only networks without one.
   */
  ownerId?: string;
  /** Subnets Docker assigned or was given, as observed. */
  subnets: string[];
}

export const LABEL_MANAGED = "dockyard.managed";
export const LABEL_DESTINATION = "dockyard.destination";
export const LABEL_OWNER = "dockyard.owner";
export const LABEL_OWNER_ID = "dockyard.owner-id";

export const MTU_OPTION = "com.docker.network.driver.mtu";

export const IPAM_KEYS = ["subnet", "gateway", "ipRange", "ipv6Subnet", "ipv6Gateway", "ipv6IpRange"] as const;

/** Inputs that replace the network when they change (Docker cannot edit a network). */
export const DESTINATION_REPLACE_KEYS: ReadonlySet<string> = new Set(namesWhere(DESTINATION_FIELDS, isReplacing));

/** Inputs compared by diff. `connection` is compared separately. */
export const DESTINATION_INPUT_KEYS: readonly (keyof DestinationInputs)[] = namesWhere(
  DESTINATION_FIELDS,
  isCompared,
) as (keyof DestinationInputs)[];

/** Every input: the server's (set by the SDK from the Server, or by the plugin) and the user's. */
export const DESTINATION_INPUT_NAMES: readonly string[] = namesWhere(DESTINATION_FIELDS, isInput);

/** The inputs that describe a state: what `read` hands back for Pulumi to record. */
export function inputsOf(state: DestinationState): Record<string, unknown> {
  const s = state as unknown as Record<string, unknown>;
  return Object.fromEntries(DESTINATION_INPUT_NAMES.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
}

export const DESTINATION_SECRET_KEYS: readonly string[] = namesWhere(DESTINATION_FIELDS, isSecret);
