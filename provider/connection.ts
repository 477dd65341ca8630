/**
 * A `connection` given directly (to a Destination or to the network scan):
 * a Server's `connection` output, a stack reference's output, or written out
 * by hand. It is checked like a Server's SSH fields, with the same defaults,
 * failures naming `connection.<field>`.
 */
import { containsUnknown, type CheckFailure } from "./resource";
import { checkServer } from "./server/server-check";
import { connectionOf } from "./server/server-controller";
import type { ConnectionSpec } from "./transport/endpoint";
import { typeName } from "./validate";
import { CONNECTION_EXTRA_FIELDS, ENDPOINT_FIELDS } from "./server/server-fields";

/** A `Connection`'s fields: the SSH ones, the jump host and the socket (the field tables' `Connection` type). */
const CONNECTION_KEYS: readonly string[] = [...ENDPOINT_FIELDS, ...CONNECTION_EXTRA_FIELDS].map((f) => f.name);

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

type Defaults = Record<string, string | number | boolean>;

function defaultsOf(fields: readonly { name: string; default?: string | number | boolean }[]): Defaults {
  return Object.fromEntries(fields.filter((f) => f.default !== undefined).map((f) => [f.name, f.default as string | number | boolean]));
}

const ENDPOINT_DEFAULTS = defaultsOf(ENDPOINT_FIELDS);
const CONNECTION_DEFAULTS = { ...ENDPOINT_DEFAULTS, ...defaultsOf(CONNECTION_EXTRA_FIELDS) };

/**
 * A written-out connection with the field tables' defaults where it leaves a
 * field out (port 22, user root, …; its jump host's too). Validation is
 * `check`'s job; this only fills in.
 */
export function withConnectionDefaults<T>(v: T): T {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v;
  const fill = (o: Record<string, unknown>, d: Defaults) => {
    const out: Record<string, unknown> = { ...o };
    for (const [k, x] of Object.entries(d)) if (out[k] === undefined || out[k] === null) out[k] = x;
    return out;
  };
  const out = fill(v as Record<string, unknown>, CONNECTION_DEFAULTS);
  if (out.proxy && typeof out.proxy === "object" && !Array.isArray(out.proxy)) out.proxy = fill(out.proxy as Record<string, unknown>, ENDPOINT_DEFAULTS);
  return out as T;
}
