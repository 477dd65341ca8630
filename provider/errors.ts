/**
 * Typed errors at the boundary of the provider core.
 *
 * Every error Dockyard raises is a `DockyardError`: a short, actionable
 * `message` (what failed and what to do), a stable `code`, and the underlying
 * `cause` kept for debugging. Messages never contain secrets: keys, passwords
 * and passphrases are never interpolated into them.
 */

export type ErrorCode =
  | "VALIDATION"
  | "CONNECTION"
  | "AUTHENTICATION"
  | "HOST_KEY_MISMATCH"
  | "TIMEOUT"
  | "DOCKER_UNAVAILABLE"
  | "DOCKER_PERMISSION"
  | "DOCKER_API"
  | "NOT_FOUND"
  | "CONFLICT"
  | "UNSUPPORTED";

export class DockyardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An input is malformed. `field` names the input (dotted path for nested ones). */
export class ValidationError extends DockyardError {
  readonly field: string;
  constructor(field: string, message: string) {
    super("VALIDATION", `${field}: ${message}`);
    this.field = field;
  }
}

/** SSH could not be established or broke: host unreachable, refused, reset. Often transient. */
export class ConnectionError extends DockyardError {
  readonly target: string;
  /** Set when this came from dialling, after all `dialErrorLimit` attempts: retrying again is pointless. */
  dialExhausted = false;
  constructor(target: string, message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? "CONNECTION", `${target}: ${message}`, options);
    this.target = target;
  }
}

/** The server refused every credential offered. Never transient. */
export class AuthenticationError extends ConnectionError {
  constructor(target: string, message: string, options?: { cause?: unknown }) {
    super(target, message, { ...options, code: "AUTHENTICATION" });
  }
}

/** The server presented a host key other than the pinned or recorded one. Never transient. */
export class HostKeyMismatchError extends ConnectionError {
  readonly expected: string;
  readonly actual: string;
  constructor(target: string, expected: string, actual: string) {
    super(
      target,
      `host key mismatch: expected ${expected} but the server presented ${actual}. ` +
        `If the server's key was rotated on purpose, set \`hostKey\` to the new key or fingerprint; ` +
        `otherwise someone may be intercepting the connection.`,
      { code: "HOST_KEY_MISMATCH" },
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** A remote call did not finish within its timeout. */
export class TimeoutError extends ConnectionError {
  readonly timeoutMs: number;
  constructor(target: string, what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(target, `${what} timed out after ${timeoutMs} ms`, { ...options, code: "TIMEOUT" });
    this.timeoutMs = timeoutMs;
  }
}

/** SSH works, but the Docker daemon cannot be reached (stopped, socket missing, CLI missing). */
export class DockerUnavailableError extends DockyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DOCKER_UNAVAILABLE", message, options);
  }
}

/** SSH works, but the SSH user may not open the Docker socket. */
export class DockerPermissionError extends DockyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DOCKER_PERMISSION", message, options);
  }
}

/** The Docker daemon answered with an error status. */
export class DockerApiError extends DockyardError {
  readonly statusCode: number;
  constructor(statusCode: number, message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? "DOCKER_API", message, options);
    this.statusCode = statusCode;
  }
}

/** The Docker object does not exist (HTTP 404). */
export class NotFoundError extends DockerApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(404, message, { ...options, code: "NOT_FOUND" });
  }
}

/** The request conflicts with what exists on the server (a taken name, an overlapping subnet). */
export class ConflictError extends DockerApiError {
  constructor(statusCode: number, message: string, options?: { cause?: unknown }) {
    super(statusCode, message, { ...options, code: "CONFLICT" });
  }
}

/** The server cannot do what was asked (API too old, wrong swarm role). */
export class UnsupportedError extends DockyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("UNSUPPORTED", message, options);
  }
}

/** Whether an error is worth retrying for an idempotent call. */
export function isTransient(err: unknown): boolean {
  if (err instanceof AuthenticationError || err instanceof HostKeyMismatchError) return false;
  if (err instanceof ConnectionError) return !err.dialExhausted;
  return false;
}
