import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  DockerApiError,
  DockerPermissionError,
  DockerUnavailableError,
  DockyardError,
  HostKeyMismatchError,
  NotFoundError,
  TimeoutError,
  UnsupportedError,
  ValidationError,
  isTransient,
} from "../../provider/errors";

describe("the error classes", () => {
  it("each carries its stable code and its own class name, and is a DockyardError", () => {
    const cases: [DockyardError, string, string][] = [
      [new ValidationError("port", "must be a number"), "VALIDATION", "ValidationError"],
      [new ConnectionError("root@h:22", "refused"), "CONNECTION", "ConnectionError"],
      [new AuthenticationError("root@h:22", "denied"), "AUTHENTICATION", "AuthenticationError"],
      [new HostKeyMismatchError("root@h:22", "SHA256:a", "SHA256:b"), "HOST_KEY_MISMATCH", "HostKeyMismatchError"],
      [new TimeoutError("root@h:22", "ping", 500), "TIMEOUT", "TimeoutError"],
      [new DockerUnavailableError("no daemon"), "DOCKER_UNAVAILABLE", "DockerUnavailableError"],
      [new DockerPermissionError("no access"), "DOCKER_PERMISSION", "DockerPermissionError"],
      [new DockerApiError(500, "boom"), "DOCKER_API", "DockerApiError"],
      [new NotFoundError("gone"), "NOT_FOUND", "NotFoundError"],
      [new ConflictError(409, "taken"), "CONFLICT", "ConflictError"],
      [new UnsupportedError("too old"), "UNSUPPORTED", "UnsupportedError"],
    ];
    for (const [err, code, name] of cases) {
      expect(err).toBeInstanceOf(DockyardError);
      expect(err).toBeInstanceOf(Error);
      expect([err.code, err.name]).toEqual([code, name]);
    }
  });

  it("name the field or target in the message, and keep their details", () => {
    const v = new ValidationError("proxy.port", "must be between 1 and 65535");
    expect(v.message).toBe("proxy.port: must be between 1 and 65535");
    expect(v.field).toBe("proxy.port");

    const t = new TimeoutError("root@h:22", "Docker ping", 1500);
    expect(t.message).toBe("root@h:22: Docker ping timed out after 1500 ms");
    expect([t.target, t.timeoutMs]).toEqual(["root@h:22", 1500]);
    expect(t).toBeInstanceOf(ConnectionError);

    const m = new HostKeyMismatchError("root@h:22", "SHA256:old", "SHA256:new");
    expect(m.message).toMatch(
      /^root@h:22: host key mismatch: expected SHA256:old but the server presented SHA256:new\./,
    );
    expect([m.expected, m.actual]).toEqual(["SHA256:old", "SHA256:new"]);

    expect(new NotFoundError("gone").statusCode).toBe(404);
    expect(new ConflictError(409, "taken").statusCode).toBe(409);
    expect(new DockerApiError(503, "busy").statusCode).toBe(503);
  });

  it("keep the underlying cause", () => {
    const cause = new Error("ECONNRESET");
    expect(new ConnectionError("t", "reset", { cause }).cause).toBe(cause);
    expect(new AuthenticationError("t", "denied", { cause }).cause).toBe(cause);
    expect(new TimeoutError("t", "x", 1, { cause }).cause).toBe(cause);
    expect(new DockerUnavailableError("x", { cause }).cause).toBe(cause);
    expect(new DockerPermissionError("x", { cause }).cause).toBe(cause);
    expect(new DockerApiError(500, "x", { cause }).cause).toBe(cause);
    expect(new NotFoundError("x", { cause }).cause).toBe(cause);
    expect(new ConflictError(409, "x", { cause }).cause).toBe(cause);
    expect(new UnsupportedError("x", { cause }).cause).toBe(cause);
  });
});

describe("isTransient", () => {
  it("retries a broken or timed-out connection", () => {
    expect(isTransient(new ConnectionError("t", "reset"))).toBe(true);
    expect(isTransient(new TimeoutError("t", "x", 1))).toBe(true);
  });

  it("never retries a refused login, a host key mismatch or an exhausted dial", () => {
    expect(isTransient(new AuthenticationError("t", "denied"))).toBe(false);
    expect(isTransient(new HostKeyMismatchError("t", "a", "b"))).toBe(false);
    const exhausted = new ConnectionError("t", "after 10 attempts");
    exhausted.dialExhausted = true;
    expect(isTransient(exhausted)).toBe(false);
  });

  it("never retries a daemon's answer or anything that is not a connection failure", () => {
    expect(isTransient(new DockerApiError(500, "x"))).toBe(false);
    expect(isTransient(new NotFoundError("x"))).toBe(false);
    expect(isTransient(new DockerUnavailableError("x"))).toBe(false);
    expect(isTransient(new ValidationError("f", "x"))).toBe(false);
    expect(isTransient(new Error("plain"))).toBe(false);
    expect(isTransient("ECONNRESET")).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});
