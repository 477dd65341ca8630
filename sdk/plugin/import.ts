/**
 * `pulumi import` of an existing network as a Destination. The engine's Read
 * for an import carries nothing but the id and the resource's URN (no inputs,
 * no state, and the provider takes no configuration), so the id says where
 * the network is:
 *
 *     <network name or id>@<user>@<host>[:<port>]      e.g. web@root@203.0.113.10:22
 *
 * and the credentials are the ssh-agent's at SSH_AUTH_SOCK in the environment
 * `pulumi` runs in (a private key never goes into an id). The imported
 * destination is adopted: Dockyard manages, and on delete removes, a network
 * it did not create, as `adopt: true` does (provider/destination/destination-import.ts).
 */
import { importNetwork } from "../../provider/destination/destination-import";
import type { DestinationState } from "../../provider/destination/destination-types";
import type { Controllers, ReadResult } from "../../provider";
import { ValidationError } from "../../provider/errors";
import type { OperationContext } from "../../provider/operation-context";
import { DEFAULTS, type ConnectionSpec } from "../../provider/transport/endpoint";

const IMPORT_ID =
  /^([a-zA-Z0-9][a-zA-Z0-9_.-]*)@([A-Za-z_][A-Za-z0-9_.-]{0,31})@(\[[0-9A-Fa-f:.]+\]|[^:@[\]\s]+)(?::(\d{1,5}))?$/;

export const IMPORT_FORM = "<network name or id>@<user>@<host>[:<port>]";

export function parseImportId(
  id: string,
  env: NodeJS.ProcessEnv = process.env,
): { network: string; connection: ConnectionSpec } {
  const m = IMPORT_ID.exec(id);
  if (!m) {
    throw new ValidationError(
      "id",
      `'${id.slice(0, 120)}' is not an import id of the form ${IMPORT_FORM}, e.g. web@root@203.0.113.10:22`,
    );
  }
  if (!env.SSH_AUTH_SOCK)
    throw new ValidationError("id", "importing uses the ssh-agent at SSH_AUTH_SOCK for credentials, and it is not set");
  const [, network, user, rawHost, port] = m as unknown as [string, string, string, string, string | undefined];
  const connection: ConnectionSpec = {
    host: rawHost.replace(/^\[|\]$/g, ""),
    port: port ? Number(port) : DEFAULTS.port,
    user,
    agentSocketPath: env.SSH_AUTH_SOCK,
    dockerSocket: DEFAULTS.dockerSocket,
    perDialTimeout: DEFAULTS.perDialTimeoutSeconds,
    dialErrorLimit: DEFAULTS.dialErrorLimit,
  };
  return { network, connection };
}

/** The state and id of the network an import id names; undefined when there is no such network. */
export async function importDestination(
  controllers: Controllers,
  id: string,
  ctx: OperationContext,
): Promise<ReadResult<DestinationState> | undefined> {
  const { network, connection } = parseImportId(id);
  return importNetwork(controllers.transport, controllers.destination, network, connection, ctx);
}
