/**
 * Taking an existing network in as a Destination (`pulumi import`): the
 * destination is adopted, as `adopt: true` does, its inputs are what the
 * network has, and its connection pins the host key seen now, as a Server
 * does on creation.
 */
import type { Daemons } from "../engine-api";
import { ValidationError } from "../errors";
import type { OperationContext } from "../operation-context";
import type { ReadResult } from "../resource";
import type { ConnectionSpec } from "../transport/endpoint";
import type { DestinationController } from "./destination-controller";
import { checkDestination } from "./destination-check";
import { observe } from "./destination-state";
import type { DestinationState } from "./destination-types";

/** The state and id of the network named `network` on this connection's daemon; undefined when there is no such network. */
export async function importNetwork(
  daemons: Daemons,
  destination: DestinationController,
  network: string,
  connection: ConnectionSpec,
  ctx: OperationContext,
): Promise<ReadResult<DestinationState> | undefined> {
  const docker = daemons.docker(connection);
  const net = await docker.findNetwork(network);
  if (!net) return undefined;
  const found = observe(net);
  const seen = daemons.hostKeySeen(connection);
  const pinned = seen ? { ...connection, hostKey: seen.publicKey } : connection;
  const { inputs, failures } = checkDestination(
    undefined,
    {
      connection: pinned,
      serverName: connection.host,
      network: net.Name,
      type: found.type,
      internal: found.internal,
      ipv6: found.ipv6,
      ...(found.type === "swarm" ? { attachable: found.attachable } : {}),
      ...found.ipam,
      labels: found.labels,
      adopt: true,
    },
    ctx,
  );
  if (failures.length)
    throw new ValidationError(
      "id",
      `network '${net.Name}' cannot be imported: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
    );
  const state = {
    ...inputs,
    networkId: net.Id,
    driver: found.driver,
    scope: found.scope,
    adopted: true,
    subnets: found.subnets,
  } as DestinationState;
  return destination.read(net.Id, state, ctx);
}
