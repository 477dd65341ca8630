/** How to reach one SSH endpoint. Field names follow pulumi-command's `remote.Connection`. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  privateKeyPassword?: string;
  password?: string;
  agentSocketPath?: string;
  /** The server's public key (`ssh-ed25519 AAAA…`) or its `SHA256:` fingerprint. */
  hostKey?: string;
  /** A jump host reached first; the target is dialled through it. */
  proxy?: SshEndpoint;
  /** Seconds one dial (TCP + handshake + auth) may take. */
  perDialTimeout: number;
  /** How many failed dials in a row are tolerated before giving up. */
  dialErrorLimit: number;
}

/** An SSH endpoint plus the Docker socket path on that machine. */
export interface ConnectionSpec extends SshEndpoint {
  dockerSocket: string;
}

export const DEFAULTS = {
  port: 22,
  user: "root",
  dockerSocket: "/var/run/docker.sock",
  /** Seconds, as in pulumi-command. */
  perDialTimeoutSeconds: 15,
  dialErrorLimit: 10,
  /** Milliseconds a single Docker API call may take. */
  callTimeoutMs: 30_000,
  /** Attempts for an idempotent call (first try included). */
  callAttempts: 3,
} as const;

/** `user@host:port`, for messages. Never contains secrets. */
export function describeEndpoint(e: Pick<SshEndpoint, "host" | "port" | "user" | "proxy">): string {
  const target = `${e.user}@${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
  return e.proxy ? `${target} (via ${describeEndpoint(e.proxy)})` : target;
}
