/**
 * The two checks of a connection, each with its own job:
 *
 * 1. `checkConnection`: a `connection` given directly (to a Destination of
 *    the plugin provider, or to the network scan): a Server's `connection`
 *    output, a stack reference's output, or written out by hand. It is
 *    checked like a Server's SSH fields, with the same defaults, failures
 *    naming `connection.<field>`; the result is complete.
 * 2. `checkRecordedConnection`: the complete connection a destination records,
 *    checked inside `checkDestination` on every call (whoever completed it).
 *
 * Two, because the first fills in defaults and judges credentials (an
 * encrypted key without its passphrase, no credentials at all) while the
 * second must not: a recorded connection is complete, and it may carry no
 * credential at all (its Server logged in with the agent at SSH_AUTH_SOCK).
 */
import { containsUnknown, isUnknown, type CheckFailure } from "./resource";
import { checkServer } from "./server/server-check";
import { connectionOf } from "./server/server-controller";
import type { ConnectionSpec } from "./transport/endpoint";
import { Checker, SAFE_ABSOLUTE_PATH, USER_PATTERN, isHost, typeName } from "./validate";
import { CONNECTION_EXTRA_FIELDS, ENDPOINT_FIELDS } from "./server/server-fields";

/** A `Connection`'s fields: the SSH ones, the jump host and the socket (the field tables' `Connection` type). */
const CONNECTION_KEYS: readonly string[] = [...ENDPOINT_FIELDS, ...CONNECTION_EXTRA_FIELDS].map((f) => f.name);

/** Job 1: a connection given directly, defaults applied. */
export function checkConnection(
  v: unknown,
  property = "connection",
  env: NodeJS.ProcessEnv = process.env,
): { connection?: ConnectionSpec; failures: CheckFailure[] } {
  if (v === undefined || v === null)
    return { failures: [{ property, reason: "is required (a Server's connection output, or written out)" }] };
  // Not known yet (preview): judged when it is.
  if (containsUnknown(v)) return { connection: v as ConnectionSpec, failures: [] };
  if (typeof v !== "object" || Array.isArray(v)) {
    return {
      failures: [{ property, reason: `must be an object with the server's connection fields, got ${typeName(v)}` }],
    };
  }
  const raw = v as Record<string, unknown>;
  const failures: CheckFailure[] = Object.keys(raw)
    .filter((k) => !CONNECTION_KEYS.includes(k) && raw[k] !== undefined)
    .map((k) => ({
      property: `${property}.${k}`,
      reason: `unknown field; expected one of: ${CONNECTION_KEYS.join(", ")}`,
    }));
  const r = checkServer(Object.fromEntries(CONNECTION_KEYS.map((k) => [k, raw[k]])), env);
  failures.push(...r.failures.map((f) => ({ property: `${property}.${f.property}`, reason: f.reason })));
  return failures.length ? { failures } : { connection: connectionOf(r.inputs), failures };
}

type Defaults = Record<string, string | number | boolean>;

function defaultsOf(fields: readonly { name: string; default?: string | number | boolean }[]): Defaults {
  return Object.fromEntries(
    fields.filter((f) => f.default !== undefined).map((f) => [f.name, f.default as string | number | boolean]),
  );
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
  if (out.proxy && typeof out.proxy === "object" && !Array.isArray(out.proxy))
    out.proxy = fill(out.proxy as Record<string, unknown>, ENDPOINT_DEFAULTS);
  return out as T;
}

/** A whole number in [min, max], required (no default: the Server applied them). */
function whole(checker: Checker, property: string, v: unknown, min: number, max: number): void {
  if (v === undefined || v === null) checker.fail(property, "is required");
  else if (!isUnknown(v) && (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)) {
    checker.fail(property, `must be a whole number from ${min} to ${max}`);
  }
}

/** The SSH fields of the connection or of its jump host, as the Server recorded them. */
function checkRecordedEndpoint(checker: Checker, e: Record<string, unknown>, prefix: string): void {
  const p = (f: string) => prefix + f;
  if (!isUnknown(e.host) && (typeof e.host !== "string" || !isHost(e.host)))
    checker.fail(p("host"), "must be a hostname or IP address");
  whole(checker, p("port"), e.port, 1, 65535);
  checker.string(p("user"), e.user, {
    required: true,
    pattern: USER_PATTERN,
    patternText: "must be a plain user name",
  });
  whole(checker, p("perDialTimeout"), e.perDialTimeout, 1, 3600);
  whole(checker, p("dialErrorLimit"), e.dialErrorLimit, 1, 100);
  for (const k of ["privateKey", "privateKeyPassword", "password", "hostKey"])
    checker.string(p(k), e[k], { max: 64 * 1024 });
  checker.string(p("agentSocketPath"), e.agentSocketPath, { pattern: /^\//, patternText: "must be an absolute path" });
  if (e.proxy !== undefined && e.proxy !== null && !isUnknown(e.proxy)) {
    if (typeof e.proxy !== "object" || Array.isArray(e.proxy))
      checker.fail(p("proxy"), `must be a jump host's connection, got ${typeName(e.proxy)}`);
    else checkRecordedEndpoint(checker, e.proxy as Record<string, unknown>, p("proxy."));
  }
}

/**
 * Job 2: the connection a destination records, as `checkDestination` sees it:
 * a Server's `connection` output, or one `checkConnection` (or the SDK's
 * `withConnectionDefaults`) completed. Nothing is filled in here, so every
 * field the transport uses must be present (a missing `dialErrorLimit` would
 * give NaN dial attempts); the credentials are not judged again (the Server,
 * or job 1, did). The value itself is passed on unchanged.
 */
export function checkRecordedConnection(checker: Checker, v: unknown): ConnectionSpec | undefined {
  if (v === undefined || v === null)
    return checker.fail("server", "is required (the Server this destination lives on)");
  if (isUnknown(v)) return v as ConnectionSpec;
  if (typeof v !== "object" || Array.isArray(v))
    return checker.fail("connection", "must be a Server's connection object");
  const conn = v as Record<string, unknown>;
  if (conn.host === undefined || conn.host === null || conn.host === "") checker.fail("connection.host", "is required");
  else checkRecordedEndpoint(checker, conn, "connection.");
  checker.string("connection.dockerSocket", conn.dockerSocket, {
    required: true,
    max: 107,
    pattern: SAFE_ABSOLUTE_PATH,
    patternText: "must be an absolute path (letters, digits, '.', '_', '+', '-', '/')",
  });
  return conn as unknown as ConnectionSpec;
}
