/**
 * A `connection` given directly (to a Destination or to the network scan):
 * a Server's `connection` output, a stack reference's output, or written out
 * by hand. It is checked like a Server's SSH fields, with the same defaults,
 * failures naming `connection.<field>`.
 */
import { containsUnknown, type CheckFailure } from "./resource";
import { checkServer } from "./server/check";
import { connectionOf } from "./server/controller";
import type { ConnectionSpec } from "./transport/types";
import { typeName } from "./validate";

const CONNECTION_KEYS = [
  "host",
  "port",
  "user",
  "privateKey",
  "privateKeyPassword",
  "password",
  "agentSocketPath",
  "hostKey",
  "perDialTimeout",
  "dialErrorLimit",
  "proxy",
  "dockerSocket",
];

export function checkConnection(
  v: unknown,
  property = "connection",
  env: NodeJS.ProcessEnv = process.env,
): { connection?: ConnectionSpec; failures: CheckFailure[] } {
  if (v === undefined || v === null) return { failures: [{ property, reason: "is required (a Server's connection output, or written out)" }] };
  // Not known yet (preview): judged when it is.
  if (containsUnknown(v)) return { connection: v as ConnectionSpec, failures: [] };
  if (typeof v !== "object" || Array.isArray(v)) {
    return { failures: [{ property, reason: `must be an object with the server's connection fields, got ${typeName(v)}` }] };
  }
  const raw = v as Record<string, unknown>;
  const failures: CheckFailure[] = Object.keys(raw)
    .filter((k) => !CONNECTION_KEYS.includes(k) && raw[k] !== undefined)
    .map((k) => ({ property: `${property}.${k}`, reason: `unknown field; expected one of: ${CONNECTION_KEYS.join(", ")}` }));
  const r = checkServer(Object.fromEntries(CONNECTION_KEYS.map((k) => [k, raw[k]])), env);
  failures.push(...r.failures.map((f) => ({ property: `${property}.${f.property}`, reason: f.reason })));
  return failures.length ? { failures } : { connection: connectionOf(r.inputs), failures };
}
