import { isCompared, isReplacing, isSecret, namesWhere } from "../fields/field";
import { DESTINATION_FIELDS } from "../fields/destination";
import type { ConnectionSpec } from "../transport/types";

export type DestinationType = "standalone" | "swarm";

/** Checked Destination inputs, defaults applied. */
export interface DestinationInputs {
  /** The server's connection (host keys pinned). Secret. */
  connection: ConnectionSpec;
  /** The server's display name, for the default display name. */
  serverName: string;
  /** The server's swarm role when last seen; decides the default type at creation. */
  serverSwarmRole?: string;
  /**
   * Who owns the network: `<project>/<stack>/<resource name>`. Written into a
   * label so a network left by an interrupted run of the same resource is
   * recognised, and nobody else's network is ever deleted.
   */
  owner: string;
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
  /** Subnets Docker assigned or was given, as observed. */
  subnets: string[];
}

export const LABEL_MANAGED = "dockyard.managed";
export const LABEL_DESTINATION = "dockyard.destination";
export const LABEL_OWNER = "dockyard.owner";

/** The resource name in an owner (`<project>/<stack>/<resource>`). */
export function resourceNameOf(owner: string): string {
  return owner.slice(owner.lastIndexOf("/") + 1);
}
export const MTU_OPTION = "com.docker.network.driver.mtu";

export const IPAM_KEYS = ["subnet", "gateway", "ipRange", "ipv6Subnet", "ipv6Gateway", "ipv6IpRange"] as const;

/** Inputs that replace the network when they change (Docker cannot edit a network). */
export const DESTINATION_REPLACE_KEYS: ReadonlySet<string> = new Set(namesWhere(DESTINATION_FIELDS, isReplacing));

/** Inputs compared by diff. `connection` is compared separately. */
export const DESTINATION_INPUT_KEYS: readonly (keyof DestinationInputs)[] = namesWhere(DESTINATION_FIELDS, isCompared) as (keyof DestinationInputs)[];

export const DESTINATION_SECRET_KEYS: readonly string[] = namesWhere(DESTINATION_FIELDS, isSecret);
