/**
 * The SSH connections of a provider process: one per distinct connection
 * settings, shared by every resource and concurrent operation.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../../operation-context";
import { consoleLogger } from "../../operation-context";
import type { SshEndpoint } from "../endpoint";
import { SshSession } from "./ssh-session";

/** Counters a pool keeps, for tests and benchmarks. */
export interface TransportMetrics {
  /** Completed SSH handshakes (one per established connection). */
  handshakes: number;
  /** Dial attempts that failed. */
  dialFailures: number;
  /** Channels opened to Docker (forwarded sockets or dial-stdio). */
  channelsOpened: number;
  /** Channels open right now. */
  channelsOpen: number;
}

/**
 * Hash of everything that makes two endpoints different connections. The
 * expected host key is not part of it: callers expecting a key share the
 * connection and each has its expectation checked (see `SshSession.connect`).
 */
export function endpointKey(spec: SshEndpoint): string {
  const canon = (e: SshEndpoint): unknown => [
    e.host,
    e.port,
    e.user,
    e.privateKey ?? null,
    e.privateKeyPassword ?? null,
    e.password ?? null,
    e.agentSocketPath ?? null,
    e.perDialTimeout,
    e.dialErrorLimit,
    e.proxy ? canon(e.proxy) : null,
  ];
  return createHash("sha256")
    .update(JSON.stringify(canon(spec)))
    .digest("hex");
}

export class SshPool {
  private readonly sessions = new Map<string, SshSession>();
  readonly metrics: TransportMetrics = { handshakes: 0, dialFailures: 0, channelsOpened: 0, channelsOpen: 0 };
  /** Where each failed dial attempt is reported. */
  readonly log: Logger;

  constructor(opts: { log?: Logger } = {}) {
    this.log = opts.log ?? consoleLogger;
  }

  session(spec: SshEndpoint): SshSession {
    const key = endpointKey(spec);
    let session = this.sessions.get(key);
    if (!session) {
      session = new SshSession(spec, this);
      this.sessions.set(key, session);
    }
    return session;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Close every connection (the process can then exit). */
  closeAll(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }
}
