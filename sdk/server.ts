import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { isSecret } from "../provider/fields";
import { SERVER_FIELDS } from "../provider/server/server-fields";
import { ENDPOINT_KEYS, SERVER_SECRET_KEYS } from "../provider/server/server-types";
import { shim } from "./shim";

/** How to log in over SSH: the fields a server shares with its jump host. */
export interface SshArgs {
  /** Address: a hostname, IPv4 or IPv6 address. On a Server, changing it replaces the Server. */
  host: pulumi.Input<string>;
  /** SSH port. Default `22`. Changes in place. */
  port?: pulumi.Input<number>;
  /** User to log in as. Default `root`. On a Server, a non-root user must be in the `docker` group. Changes in place. */
  user?: pulumi.Input<string>;
  /** Private key (OpenSSH or PEM text). Stored as a secret; never shown in plaintext. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of `privateKey`, if it is encrypted. Stored as a secret. */
  privateKeyPassword?: pulumi.Input<string>;
  /** Password for password or keyboard-interactive login. Stored as a secret. */
  password?: pulumi.Input<string>;
  /** Path of an ssh-agent socket to authenticate with. Falls back to `SSH_AUTH_SOCK` when no other credential is set. */
  agentSocketPath?: pulumi.Input<string>;
  /**
   * The host's public key (`ssh-ed25519 AAAA…`) or its fingerprint (`SHA256:…`), enforced on every connection.
   * Without it, the key seen when the Server is created is recorded and enforced from then on.
   */
  hostKey?: pulumi.Input<string>;
  /** Seconds one connection attempt (TCP, SSH handshake, authentication) may take. Default `15`. */
  perDialTimeout?: pulumi.Input<number>;
  /** Failed connection attempts in a row before giving up; all of them take at most `perDialTimeout × dialErrorLimit`. Default `10`. */
  dialErrorLimit?: pulumi.Input<number>;
}

/** A jump host (bastion) the server is reached through. */
export type ProxyArgs = SshArgs;

/** Inputs of a {@link Server}. */
export interface ServerArgs extends SshArgs {
  /** A jump host to reach the server through. Stored as a secret (it may hold credentials). */
  proxy?: pulumi.Input<ProxyArgs>;
  /** Path of the Docker daemon's socket on the server. Default `/var/run/docker.sock`. Changing it replaces the Server. */
  dockerSocket?: pulumi.Input<string>;
  /** Display name. Default: `host`. */
  name?: pulumi.Input<string>;
  /** Free-form description. */
  description?: pulumi.Input<string>;
}

/**
 * The arguments that decide how a server's daemon is logged into: everything in
 * its connection but host and socket (the endpoint's fields, in the field
 * table's order, which the digest depends on, and the jump host).
 */
const LOGIN_FIELDS: readonly (keyof ServerArgs)[] = [...ENDPOINT_KEYS.filter((k) => k !== "host"), "proxy"];

const logins = new WeakMap<Server, pulumi.Output<string>>();

/**
 * A digest of the Server's login arguments, for its Destinations. It is made
 * from the arguments themselves, not from the Server's outputs: an optional
 * argument left out has no output, and such an output is unknown during a
 * preview. Undefined for a Server made by another copy of this package.
 */
export function loginOf(server: Server): pulumi.Output<string> | undefined {
  return logins.get(server);
}

function loginDigest(args: ServerArgs): pulumi.Output<string> {
  return pulumi
    .all(LOGIN_FIELDS.map((k) => pulumi.output(args[k] as pulumi.Input<unknown>)))
    .apply((values) => "sha256:" + createHash("sha256").update(canonical(values)).digest("hex"));
}

/** JSON with object keys sorted and absent values as null: one text for one value. */
function canonical(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined && o[k] !== null)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Every field of a Server is an output (inputs are recorded as outputs too): each is a property of the resource. */
const OUTPUTS = SERVER_FIELDS.map((f) => f.name);

/** Secret inputs are wrapped here; secret outputs are declared to the engine. */
const SECRET_INPUTS = SERVER_FIELDS.filter((f) => f.input && isSecret(f)).map((f) => f.name);

function secret<T>(v: pulumi.Input<T> | undefined): pulumi.Output<unknown> | undefined {
  return v === undefined ? undefined : pulumi.secret(v);
}

/**
 * A machine reachable over SSH whose Docker daemon Dockyard drives.
 *
 * Creating it checks that SSH works and Docker answers, and records what it
 * found. Deleting it only forgets it: the machine is never changed.
 */
export class Server extends pulumi.dynamic.Resource {
  /** Display name. Default: `host`. */
  declare public readonly name: pulumi.Output<string>;
  /** Address: a hostname, IPv4 or IPv6 address. On a Server, changing it replaces the Server. */
  declare public readonly host: pulumi.Output<string>;
  /** SSH port. Default `22`. Changes in place. */
  declare public readonly port: pulumi.Output<number>;
  /** User to log in as. Default `root`. On a Server, a non-root user must be in the `docker` group. Changes in place. */
  declare public readonly user: pulumi.Output<string>;
  /** Path of the Docker daemon's socket on the server. Default `/var/run/docker.sock`. Changing it replaces the Server. */
  declare public readonly dockerSocket: pulumi.Output<string>;
  /** Docker Engine version, e.g. `26.1.5`. */
  declare public readonly dockerVersion: pulumi.Output<string>;
  /** Engine API version, e.g. `1.45`. */
  declare public readonly apiVersion: pulumi.Output<string>;
  /** Operating system as Docker reports it. */
  declare public readonly os: pulumi.Output<string>;
  /** CPU architecture as Docker reports it, e.g. `x86_64`. */
  declare public readonly architecture: pulumi.Output<string>;
  /** Kernel version as Docker reports it. */
  declare public readonly kernelVersion: pulumi.Output<string>;
  /** Number of CPUs Docker sees. */
  declare public readonly cpus: pulumi.Output<number>;
  /** Memory Docker sees, in bytes. */
  declare public readonly memoryBytes: pulumi.Output<number>;
  /** Docker's swarm node state: `inactive`, `active`, … */
  declare public readonly swarmState: pulumi.Output<string>;
  /** `manager`, `worker` or `none`. Decides the default type of new destinations. */
  declare public readonly swarmRole: pulumi.Output<"manager" | "worker" | "none">;
  /** The swarm node's id; empty when the daemon is not in a swarm. */
  declare public readonly swarmNodeId: pulumi.Output<string>;
  /** Fingerprint (`SHA256:…`) of the host key the server presented. */
  declare public readonly hostKeyFingerprint: pulumi.Output<string>;
  /** The host key the server presented, enforced from then on. */
  declare public readonly hostPublicKey: pulumi.Output<string>;
  /** Everything needed to reach this server's Docker daemon, host keys pinned. Secret. */
  declare public readonly connection: pulumi.Output<Record<string, unknown>>;

  constructor(name: string, args: ServerArgs, opts?: pulumi.CustomResourceOptions) {
    // Outputs, filled in by the provider where the arguments leave them out.
    const props: Record<string, unknown> = Object.fromEntries(OUTPUTS.map((k) => [k, undefined]));
    Object.assign(props, args);
    for (const k of SECRET_INPUTS) props[k] = secret(args[k as keyof ServerArgs]);
    super(
      shim("server"),
      name,
      props,
      { ...opts, additionalSecretOutputs: [...SERVER_SECRET_KEYS, ...(opts?.additionalSecretOutputs ?? [])] },
      "dockyard",
      "Server",
    );
    logins.set(this, loginDigest(args));
  }
}
