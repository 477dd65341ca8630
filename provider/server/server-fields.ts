import { DEFAULTS } from "../transport/endpoint";
import type { Field } from "../fields";

/** The SSH fields a server shares with its jump host (`proxy`) and with a `Connection`. */
export const ENDPOINT_FIELDS = [
  {
    name: "host",
    type: "string",
    input: true,
    required: true,
    change: "replaces",
    doc: "Address: a hostname, IPv4 or IPv6 address. On a Server, changing it replaces the Server.",
  },
  {
    name: "port",
    type: "integer",
    input: true,
    default: DEFAULTS.port,
    change: "updates",
    doc: "SSH port. Default `22`. Changes in place.",
  },
  {
    name: "user",
    type: "string",
    input: true,
    default: DEFAULTS.user,
    change: "updates",
    doc: "User to log in as. Default `root`. On a Server, a non-root user must be in the `docker` group. Changes in place.",
  },
  {
    name: "privateKey",
    type: "string",
    input: true,
    secret: true,
    change: "updates",
    doc: "Private key (OpenSSH or PEM text). Stored as a secret; never shown in plaintext.",
  },
  {
    name: "privateKeyPassword",
    type: "string",
    input: true,
    secret: true,
    change: "updates",
    doc: "Passphrase of `privateKey`, if it is encrypted. Stored as a secret.",
  },
  {
    name: "password",
    type: "string",
    input: true,
    secret: true,
    change: "updates",
    doc: "Password for password or keyboard-interactive login. Stored as a secret.",
  },
  {
    name: "agentSocketPath",
    type: "string",
    input: true,
    change: "updates",
    doc: "Path of an ssh-agent socket to authenticate with. Falls back to `SSH_AUTH_SOCK` when no other credential is set.",
  },
  {
    name: "hostKey",
    type: "string",
    input: true,
    change: "updates",
    doc:
      "The host's public key (`ssh-ed25519 AAAA…`) or its fingerprint (`SHA256:…`), enforced on every connection. " +
      "Without it, the key seen when the Server is created is recorded and enforced from then on.",
  },
  {
    name: "perDialTimeout",
    type: "integer",
    input: true,
    default: DEFAULTS.perDialTimeoutSeconds,
    change: "updates",
    doc: "Seconds one connection attempt (TCP, SSH handshake, authentication) may take. Default `15`.",
  },
  {
    name: "dialErrorLimit",
    type: "integer",
    input: true,
    default: DEFAULTS.dialErrorLimit,
    change: "updates",
    doc: "Failed connection attempts in a row before giving up; all of them take at most `perDialTimeout × dialErrorLimit`. Default `10`.",
  },
] as const satisfies readonly Field[];

/** Every field of a Server: its inputs (recorded as outputs too) and what Dockyard found. */
export const SERVER_FIELDS = [
  ...ENDPOINT_FIELDS,
  {
    name: "proxy",
    type: { ref: "Proxy" },
    input: true,
    secret: true,
    change: "updates",
    doc: "A jump host to reach the server through. Stored as a secret (it may hold credentials).",
  },
  {
    name: "dockerSocket",
    type: "string",
    input: true,
    default: DEFAULTS.dockerSocket,
    change: "replaces",
    doc: "Path of the Docker daemon's socket on the server. Default `/var/run/docker.sock`. Changing it replaces the Server.",
  },
  { name: "name", type: "string", input: true, change: "updates", doc: "Display name. Default: `host`." },
  { name: "description", type: "string", input: true, change: "updates", doc: "Free-form description." },
  { name: "dockerVersion", type: "string", input: false, doc: "Docker Engine version, e.g. `26.1.5`." },
  { name: "apiVersion", type: "string", input: false, doc: "Engine API version, e.g. `1.45`." },
  { name: "os", type: "string", input: false, doc: "Operating system as Docker reports it." },
  { name: "architecture", type: "string", input: false, doc: "CPU architecture as Docker reports it, e.g. `x86_64`." },
  { name: "kernelVersion", type: "string", input: false, doc: "Kernel version as Docker reports it." },
  { name: "cpus", type: "integer", input: false, doc: "Number of CPUs Docker sees." },
  { name: "memoryBytes", type: "integer", input: false, doc: "Memory Docker sees, in bytes." },
  { name: "swarmState", type: "string", input: false, doc: "Docker's swarm node state: `inactive`, `active`, …" },
  {
    name: "swarmRole",
    type: "string",
    input: false,
    doc: "`manager`, `worker` or `none`. Decides the default type of new destinations.",
  },
  {
    name: "swarmNodeId",
    type: "string",
    input: false,
    doc: "The swarm node's id; empty when the daemon is not in a swarm.",
  },
  {
    name: "hostKeyFingerprint",
    type: "string",
    input: false,
    doc: "Fingerprint (`SHA256:…`) of the host key the server presented.",
  },
  {
    name: "hostPublicKey",
    type: "string",
    input: false,
    doc: "The host key the server presented, enforced from then on.",
  },
  {
    name: "connection",
    type: { ref: "Connection" },
    input: false,
    secret: true,
    doc: "Everything needed to reach this server's Docker daemon, host keys pinned. Secret.",
  },
] as const satisfies readonly Field[];

/** The fields of a `Connection` beyond the SSH ones. */
export const CONNECTION_EXTRA_FIELDS = [
  {
    name: "proxy",
    type: { ref: "Proxy" },
    input: true,
    doc: "A jump host the server is reached through.",
  },
  {
    name: "dockerSocket",
    type: "string",
    input: true,
    default: DEFAULTS.dockerSocket,
    doc: "Path of the Docker daemon's socket on the server. Default `/var/run/docker.sock`.",
  },
] as const satisfies readonly Field[];
