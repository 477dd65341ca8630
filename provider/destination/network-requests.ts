/** What Dockyard asks Docker about networks: find one by name, the create request, and its errors explained. */
import { ConflictError, DockerApiError, UnsupportedError } from "../errors";
import type { EngineApi, NetworkCreateBody, NetworkInspect } from "../engine-api";
import { cidrsOverlap, parseCidr, type Cidr } from "./cidr";
import { driverFor, subnetsOf } from "./destination-state";
import { ownerIdOf, resourceNameOf } from "./ownership";
import {
  LABEL_DESTINATION,
  LABEL_MANAGED,
  LABEL_OWNER,
  LABEL_OWNER_ID,
  MTU_OPTION,
  type DestinationInputs,
} from "./destination-types";

/** The labels Dockyard puts on networks it creates; `resourceName` is the destination's name in its program. */
export function managedLabels(
  inputs: DestinationInputs,
  ownerId: string = ownerIdOf(inputs),
  resourceName: string = resourceNameOf(inputs.owner),
): Record<string, string> {
  return {
    ...inputs.labels,
    [LABEL_MANAGED]: "true",
    [LABEL_DESTINATION]: resourceName,
    [LABEL_OWNER]: inputs.owner,
    [LABEL_OWNER_ID]: ownerId,
  };
}

export function createBody(
  inputs: DestinationInputs,
  ownerId: string = ownerIdOf(inputs),
  resourceName: string = resourceNameOf(inputs.owner),
): NetworkCreateBody {
  const options: Record<string, string> = { ...inputs.driverOptions };
  if (inputs.mtu !== undefined) options[MTU_OPTION] = String(inputs.mtu);
  const config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> = [];
  if (inputs.subnet) config.push(strip({ Subnet: inputs.subnet, Gateway: inputs.gateway, IPRange: inputs.ipRange }));
  if (inputs.ipv6Subnet)
    config.push(strip({ Subnet: inputs.ipv6Subnet, Gateway: inputs.ipv6Gateway, IPRange: inputs.ipv6IpRange }));
  const body: NetworkCreateBody = {
    Name: inputs.network,
    // Docker before 25 (API < 1.44) accepts a second local network of a name
    // already in use unless asked to check; later versions always refuse one
    // and ignore the field. A name taken after the controller's look-up is
    // then refused, not duplicated.
    CheckDuplicate: true,
    Driver: driverFor(inputs.type),
    Attachable: inputs.type === "swarm" ? inputs.attachable : false,
    Internal: inputs.internal,
    EnableIPv6: inputs.ipv6,
    Options: options,
    Labels: managedLabels(inputs, ownerId, resourceName),
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
    return new UnsupportedError(
      `${target}: swarm destinations must be created through a swarm manager; this server is not one.`,
      {
        cause: err,
      },
    );
  }
  return err;
}
