import { isUnknown } from "../resource";
import type { ConnectionSpec } from "../transport/endpoint";
import { Checker, SAFE_ABSOLUTE_PATH, USER_PATTERN, isHost, typeName } from "../validate";

/** A whole number in [min, max], required (no default: the Server applied them). */
function whole(c: Checker, property: string, v: unknown, min: number, max: number): void {
  if (v === undefined || v === null) c.fail(property, "is required");
  else if (!isUnknown(v) && (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)) {
    c.fail(property, `must be a whole number from ${min} to ${max}`);
  }
}

/** The SSH fields of the connection or of its jump host, as the Server recorded them. */
function checkEndpoint(c: Checker, e: Record<string, unknown>, prefix: string): void {
  const p = (f: string) => prefix + f;
  if (!isUnknown(e.host) && (typeof e.host !== "string" || !isHost(e.host))) c.fail(p("host"), "must be a hostname or IP address");
  whole(c, p("port"), e.port, 1, 65535);
  c.string(p("user"), e.user, { required: true, pattern: USER_PATTERN, patternText: "must be a plain user name" });
  whole(c, p("perDialTimeout"), e.perDialTimeout, 1, 3600);
  whole(c, p("dialErrorLimit"), e.dialErrorLimit, 1, 100);
  for (const k of ["privateKey", "privateKeyPassword", "password", "hostKey"]) c.string(p(k), e[k], { max: 64 * 1024 });
  c.string(p("agentSocketPath"), e.agentSocketPath, { pattern: /^\//, patternText: "must be an absolute path" });
  if (e.proxy !== undefined && e.proxy !== null && !isUnknown(e.proxy)) {
    if (typeof e.proxy !== "object" || Array.isArray(e.proxy)) c.fail(p("proxy"), `must be a jump host's connection, got ${typeName(e.proxy)}`);
    else checkEndpoint(c, e.proxy as Record<string, unknown>, p("proxy."));
  }
}

/**
 * The Server's connection, as the SDK copies it into the destination. Every
 * field the transport uses is checked (a missing `dialErrorLimit` would give
 * NaN dial attempts); the value itself is passed on unchanged.
 */
export function checkConnection(c: Checker, v: unknown): ConnectionSpec | undefined {
  if (v === undefined || v === null) return c.fail("server", "is required (the Server this destination lives on)");
  if (isUnknown(v)) return v as ConnectionSpec;
  if (typeof v !== "object" || Array.isArray(v)) return c.fail("connection", "must be a Server's connection object");
  const conn = v as Record<string, unknown>;
  if (conn.host === undefined || conn.host === null || conn.host === "") c.fail("connection.host", "is required");
  else checkEndpoint(c, conn, "connection.");
  c.string("connection.dockerSocket", conn.dockerSocket, {
    required: true,
    max: 107,
    pattern: SAFE_ABSOLUTE_PATH,
    patternText: "must be an absolute path (letters, digits, '.', '_', '+', '-', '/')",
  });
  return conn as unknown as ConnectionSpec;
}
