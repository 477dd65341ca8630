import { containsUnknown, diffKeys, isUnknown, jsonEqual, type DiffResult } from "../resource";
import type { ConnectionSpec } from "../transport/endpoint";
import { hostIdentity } from "../validate";
import {
  DESTINATION_INPUT_KEYS,
  DESTINATION_REPLACE_KEYS,
  type DestinationInputs,
  type DestinationState,
  type DaemonRef,
} from "./destination-types";

/**
 * The daemon a destination lives on: host (as `hostIdentity` compares
 * hosts) and socket. From the daemon reference, or,
 * in state recorded before it existed, from the connection.
 */
function daemonIdentity(daemon: DaemonRef | undefined, connection: ConnectionSpec | undefined): unknown {
  const ref = daemon ?? connection;
  if (ref === undefined || isUnknown(ref)) return ref;
  const host = typeof ref.host === "string" && !isUnknown(ref.host) ? hostIdentity(ref.host) : ref.host;
  return [host, ref.dockerSocket];
}

/**
 * How the server's side of a destination changed:
 * - `daemon`: another daemon (or one not known yet), so another network: replace;
 * - `login`: the same daemon reached another way (port, user, key, host key,
 *   proxy): update in place, recording the new connection;
 * - `none`: the same daemon, the same login. The connection may not be known
 *   yet during preview (the Server is being updated), but it comes out the
 *   same, so it is no change.
 */
function serverChange(olds: DestinationState, news: DestinationInputs): "daemon" | "unknown daemon" | "login" | "none" {
  const newDaemon = daemonIdentity(news.daemon, news.connection);
  if (containsUnknown(newDaemon)) return "unknown daemon";
  if (!jsonEqual(daemonIdentity(olds.daemon, olds.connection), newDaemon)) return "daemon";
  const known = olds.daemon?.login !== undefined && news.daemon !== undefined && !isUnknown(news.daemon);
  if (known) return containsUnknown(news.daemon?.login) || olds.daemon?.login !== news.daemon?.login ? "login" : "none";
  // No login digest to compare (state recorded before it existed): the connection decides.
  return containsUnknown(news.connection) || !jsonEqual(olds.connection, news.connection) ? "login" : "none";
}

/** Destination diff: see {@link serverChange} for how the server's side is judged. */
export function diffDestination(olds: DestinationState, news: DestinationInputs): DiffResult {
  const { replaces, updates } = diffKeys(
    olds as unknown as Record<string, unknown>,
    news as unknown as Record<string, unknown>,
    DESTINATION_INPUT_KEYS,
    DESTINATION_REPLACE_KEYS,
  );
  const change = serverChange(olds, news);
  const connectionDiffers = containsUnknown(news.connection) || !jsonEqual(olds.connection, news.connection);
  // Named after the input that told: the daemon reference, or in state
  // recorded before it existed, the connection.
  if (change === "daemon" || change === "unknown daemon")
    replaces.push(news.daemon !== undefined ? "daemon" : "connection");
  else if (change === "login") {
    if (news.daemon !== undefined && olds.daemon !== undefined && !jsonEqual(olds.daemon, news.daemon))
      updates.push("daemon");
    if (connectionDiffers) updates.push("connection");
  }
  const replacing = replaces.length > 0;
  return {
    changes: replacing || updates.length > 0,
    replaces,
    updates,
    stables: replacing ? [] : ["networkId", "network", "driver", "scope", "type"],
    // Two networks cannot share a name on one daemon: remove the old one
    // first. A name or daemon not known yet may turn out the same: delete
    // first then too. On another daemon the new network comes first.
    deleteBeforeReplace:
      replacing && change !== "daemon" && (containsUnknown(news.network) || news.network === olds.network),
    // State written since the daemon reference exists keeps the recorded
    // inputs in step with it (read returns them too).
    inputsInStep: olds.daemon !== undefined,
  };
}
