/**
 * One SSH dial: TCP (or a jump host's stream), handshake with the host key
 * checked, authentication; and what its failures mean, as Dockyard's errors.
 */
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import type { Duplex } from "node:stream";
import {
  AuthenticationError,
  ConnectionError,
  DockyardError,
  HostKeyMismatchError,
  TimeoutError,
  ValidationError,
} from "../../errors";
import type { SshEndpoint } from "../endpoint";
import { describeHostKey, type SeenHostKey } from "./hostkey";

const KEEPALIVE_INTERVAL_MS = 10_000;
const KEEPALIVE_COUNT_MAX = 3;

export interface DialRequest {
  spec: SshEndpoint;
  /** `user@host:port`, for messages. */
  target: string;
  /** The fingerprint the server must present; any key is accepted without one. */
  expected: string | undefined;
  /** Host-key algorithms to offer: the expected key's, so a server with several keys presents that one. */
  keyAlgorithms: ServerHostKeyAlgorithm[] | undefined;
  /** A stream to dial over (a jump host's forwarded TCP stream) instead of TCP. */
  sock?: Duplex;
  /**
   * Called once the connection is ready, before the promise resolves, with the
   * key the server presented: the caller records it (and watches the client's
   * `close`) before anything else can happen on the connection.
   */
  onReady(client: Client, seen: SeenHostKey | undefined): void;
}

/** Dial once. Rejects with a DockyardError saying what failed. */
export function dialOnce(req: DialRequest): Promise<Client> {
  const { spec, target, expected } = req;
  const timeoutMs = spec.perDialTimeout * 1000;
  let mismatch: HostKeyMismatchError | undefined;
  let seen: SeenHostKey | undefined;

  const config: ConnectConfig = {
    host: spec.host,
    port: spec.port,
    username: spec.user,
    readyTimeout: timeoutMs,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    hostVerifier: (key: Buffer) => {
      seen = describeHostKey(key);
      if (expected && seen.fingerprint !== expected) {
        mismatch = new HostKeyMismatchError(target, expected, seen.fingerprint);
        return false;
      }
      return true;
    },
  };
  if (req.sock) config.sock = req.sock;
  if (req.keyAlgorithms) config.algorithms = { serverHostKey: req.keyAlgorithms };
  if (spec.privateKey) {
    config.privateKey = spec.privateKey;
    if (spec.privateKeyPassword) config.passphrase = spec.privateKeyPassword;
  }
  if (spec.password) {
    config.password = spec.password;
    config.tryKeyboard = true;
  }
  const agent = agentSocketOf(spec);
  if (agent) config.agent = agent;

  const client = new Client();
  if (spec.password) {
    const password = spec.password;
    client.on("keyboard-interactive", (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)));
  }

  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(mismatch ?? dialError(spec, target, err));
    };
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      req.onReady(client, seen);
      resolve(client);
    });
    // `on`, not `once`: ssh2 may emit more errors after the first, and an
    // unheard error event would crash the process.
    client.on("error", fail);
    client.once("close", () => fail(new Error("connection closed during handshake")));
    try {
      client.connect(config);
      // Set before the handshake, not after: the handshake and every request
      // later are small request/response exchanges, and Nagle's algorithm
      // would add a delayed-ACK wait (~40 ms) to each of them (five during
      // key exchange and public-key authentication alone).
      client.setNoDelay(true);
    } catch (err) {
      fail(err);
    }
  });
}

/** The agent a dial offers: the one named, or SSH_AUTH_SOCK's when no other credential is given. */
function agentSocketOf(spec: SshEndpoint): string | undefined {
  return spec.agentSocketPath ?? (!spec.privateKey && !spec.password ? process.env.SSH_AUTH_SOCK : undefined);
}

/** What a failed dial means, as one of Dockyard's errors. */
function dialError(spec: SshEndpoint, target: string, err: unknown): DockyardError {
  if (err instanceof DockyardError) return err;
  const e = err as Error & { level?: string; code?: string };
  const msg = e?.message ?? String(err);
  if (e?.level === "client-authentication") {
    const methods = [
      spec.privateKey ? "private key" : undefined,
      spec.password ? "password" : undefined,
      agentSocketOf(spec) ? "agent" : undefined,
    ].filter(Boolean);
    return new AuthenticationError(
      target,
      `authentication refused for user '${spec.user}' (offered: ${methods.join(", ") || "nothing"}). ` +
        `Check that the key is in the user's ~/.ssh/authorized_keys, or that the password is right.`,
      { cause: err },
    );
  }
  if (e?.level === "client-timeout" || /Timed out while waiting for handshake/i.test(msg)) {
    return new TimeoutError(target, "SSH handshake", spec.perDialTimeout * 1000, { cause: err });
  }
  if (
    /Cannot parse privateKey|Unsupported key format|no passphrase given|Bad passphrase|Encrypted private/i.test(msg)
  ) {
    const field = /passphrase/i.test(msg) ? "privateKeyPassword" : "privateKey";
    return new ValidationError(field, msg.replace(/^Cannot parse privateKey: /, "cannot be used: "));
  }
  switch (e?.code) {
    case "ECONNREFUSED":
      return new ConnectionError(target, `connection refused: is sshd listening on port ${spec.port}?`, { cause: err });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ConnectionError(target, `cannot resolve host '${spec.host}'`, { cause: err });
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new ConnectionError(target, `host unreachable`, { cause: err });
    case "ECONNRESET":
      return new ConnectionError(target, `connection reset by the server`, { cause: err });
  }
  return new ConnectionError(target, `SSH connection failed: ${msg}`, { cause: err });
}
