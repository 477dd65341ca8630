import * as pulumi from "@pulumi/pulumi";
import { withConnectionDefaults } from "../provider/connection";
import { DESTINATION_FIELDS } from "../provider/destination/destination-fields";
import { DESTINATION_SECRET_KEYS } from "../provider/destination/destination-types";
import { loginOf, type Server, type SshArgs } from "./server";
import { shim } from "./shim";

/**
 * Which daemon the destination lives on, and a digest of the login, known
 * while a preview updates the Server (unlike its `connection` output). So a
 * Server edit that keeps the daemon (name, description, port, key, ...) is
 * not mistaken for a move to another daemon, and one that keeps the login
 * (name, description) is no change at all. Each field stays unknown on its
 * own when it is computed by another resource.
 */
function daemonRefOf(server: Server): Record<string, pulumi.Input<string> | undefined> {
  return { host: server.host, dockerSocket: server.dockerSocket, login: loginOf(server) };
}

/** A written-out connection: a Server's SSH fields, its jump host and the Docker socket path. */
export interface ConnectionArgs extends SshArgs {
  proxy?: pulumi.Input<SshArgs>;
  dockerSocket?: pulumi.Input<string>;
}

/** Inputs of a {@link Destination}. Fields marked "replaces" re-create the network when changed. */
export interface DestinationArgs {
  /**
   * The server the network lives on. Its connection is kept (as a secret) so the destination can be deleted later.
   * Give this or `connection`.
   */
  server?: Server;
  /**
   * How to reach the server's Docker daemon: a Server's `connection` output, a stack reference's output, or written out.
   * Kept as a secret so the destination can be deleted later. A change of port or credentials updates in place;
   * another `host` or `dockerSocket` replaces the network.
   */
  connection?: pulumi.Input<ConnectionArgs>;
  /** The server's display name (a Server's `name`), for the default display name. */
  serverName?: pulumi.Input<string>;
  /** The server's swarm role (a Server's `swarmRole`): decides the default `type` when the destination is created. */
  serverSwarmRole?: pulumi.Input<string>;
  /** Display name. Default: `<server name>-<network>`. Changes in place. */
  name?: pulumi.Input<string>;
  /**
   * Docker network name, unique per server: `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`, at most 255 characters; for
   * `swarm`, what swarmkit accepts: at most 63 letters, digits, `-` and `_`, starting and ending with a letter
   * or digit. Default: the resource name plus a suffix derived from the project, stack and resource name,
   * the Server's id and the URN (at most 63 characters), so a re-run after an interrupted create picks the
   * same name and takes over what it left, and another stack with the same names picks another. Chosen
   * once. Replaces.
   */
  network?: pulumi.Input<string>;
  /**
   * `standalone` (a bridge network on this server) or `swarm` (an attachable overlay network, created through
   * a swarm manager). Default: `swarm` when the server is a swarm manager, otherwise `standalone`; decided
   * when the destination is created and kept. Replaces.
   */
  type?: pulumi.Input<"standalone" | "swarm">;
  /** Whether standalone containers may attach to a swarm network. Default `true`. Replaces. */
  attachable?: pulumi.Input<boolean>;
  /** Cut the network off from the outside (no external routing). Default `false`. Replaces. */
  internal?: pulumi.Input<boolean>;
  /** Enable IPv6 on the network. Default `false`. Required for `ipv6Subnet`. Replaces. */
  ipv6?: pulumi.Input<boolean>;
  /** IPv4 subnet in CIDR notation, e.g. `10.20.0.0/24`. Default: Docker picks one. Replaces. */
  subnet?: pulumi.Input<string>;
  /** IPv4 gateway, inside `subnet`. Replaces. */
  gateway?: pulumi.Input<string>;
  /** IPv4 range containers get addresses from, inside `subnet`. Replaces. */
  ipRange?: pulumi.Input<string>;
  /** IPv6 subnet in CIDR notation. Needs `ipv6: true`. Replaces. */
  ipv6Subnet?: pulumi.Input<string>;
  /** IPv6 gateway, inside `ipv6Subnet`. Replaces. */
  ipv6Gateway?: pulumi.Input<string>;
  /** IPv6 range containers get addresses from, inside `ipv6Subnet`. Replaces. */
  ipv6IpRange?: pulumi.Input<string>;
  /** MTU of the network's interfaces (68 to 65535). Replaces. */
  mtu?: pulumi.Input<number>;
  /**
   * Other driver options (`docker network create -o`). `com.docker.network.bridge.name` is refused: it can put
   * the network on an existing host bridge. Replaces.
   */
  driverOptions?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Labels on the network (string values; the `dockyard.` and `com.docker.` prefixes are reserved). Replaces. */
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Names of existing containers to attach, e.g. a reverse proxy: the explicit link across destinations. An id
   * must have at least 12 characters (a container whose name is all hex digits is written `/name`). Changes in
   * place. A container detached by hand is re-attached by the next `pulumi up --refresh` (a plain `pulumi up` does
   * not read the server, so it does not notice). As an output: those of them that are attached.
   */
  connect?: pulumi.Input<pulumi.Input<string>[]>;
  /** Take over an existing network of this name if it matches, instead of failing. Default `false`. */
  adopt?: pulumi.Input<boolean>;
  /** On delete, disconnect containers not listed in `connect` instead of refusing. Default `false`. */
  force?: pulumi.Input<boolean>;
}

/** The type token Pulumi gives this dynamic resource. */
const DESTINATION_TYPE = "pulumi-nodejs:dynamic/dockyard:Destination";

/**
 * A Docker network on one server: where applications, databases and services
 * are deployed. Containers on different destinations cannot reach each other
 * unless connected explicitly (see `connect`).
 */
export class Destination extends pulumi.dynamic.Resource {
  /** Display name. Default: `<server name>-<network>`. Changes in place. */
  declare public readonly name: pulumi.Output<string>;
  /**
   * Docker network name, unique per server: `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`, at most 255 characters; for `swarm`, what
   * swarmkit accepts: at most 63 letters, digits, `-` and `_`, starting and ending with a letter or digit. Default:
   * the resource name plus a suffix derived from the project, stack and resource name, the Server's id and the URN
   * (at most 63 characters), so a re-run after an interrupted create picks the same name and takes over what it left,
   * and another stack with the same names picks another. Chosen once. Replaces.
   */
  declare public readonly network: pulumi.Output<string>;
  /** Docker's id of the network. */
  declare public readonly networkId: pulumi.Output<string>;
  /**
   * `standalone` (a bridge network on this server) or `swarm` (an attachable overlay network, created through a swarm
   * manager). Default: `swarm` when the server is a swarm manager, otherwise `standalone`; decided when the
   * destination is created and kept. Replaces.
   */
  declare public readonly type: pulumi.Output<"standalone" | "swarm">;
  /** `bridge` or `overlay`. */
  declare public readonly driver: pulumi.Output<string>;
  /** `local` or `swarm`. */
  declare public readonly scope: pulumi.Output<string>;
  /** Whether standalone containers may attach to a swarm network. Default `true`. Replaces. */
  declare public readonly attachable: pulumi.Output<boolean>;
  /** Cut the network off from the outside (no external routing). Default `false`. Replaces. */
  declare public readonly internal: pulumi.Output<boolean>;
  /** Enable IPv6 on the network. Default `false`. Required for `ipv6Subnet`. Replaces. */
  declare public readonly ipv6: pulumi.Output<boolean>;
  /** Subnets of the network, as Docker reports them. */
  declare public readonly subnets: pulumi.Output<string[]>;
  /** Labels on the network (string values; the `dockyard.` and `com.docker.` prefixes are reserved). Replaces. */
  declare public readonly labels: pulumi.Output<Record<string, string>>;
  /**
   * Names of existing containers to attach, e.g. a reverse proxy: the explicit link across destinations. An id must
   * have at least 12 characters (a container whose name is all hex digits is written `/name`). Changes in place. A
   * container detached by hand is re-attached by the next `pulumi up --refresh` (a plain `pulumi up` does not read
   * the server, so it does not notice). As an output: those of them that are attached.
   */
  declare public readonly connect: pulumi.Output<string[]>;
  /** True when Dockyard took over a network it did not create. */
  declare public readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: DestinationArgs, opts?: pulumi.CustomResourceOptions) {
    const { server, connection, serverName, serverSwarmRole, ...rest } = args;
    const props: Record<string, unknown> = {
      // Every field is an output (inputs are recorded as outputs too), filled in by the provider
      // where the arguments leave it out.
      ...Object.fromEntries(DESTINATION_FIELDS.map((f) => [f.name, undefined])),
      ...rest,
      // Secret here too, whatever the Server's output is marked (inputs and outputs in state).
      // Without either, check says the server is required.
      connection: server
        ? pulumi.secret(server.connection)
        : connection === undefined
          ? undefined
          : pulumi.secret(pulumi.output(connection).apply(withConnectionDefaults)),
      daemon: server ? daemonRefOf(server) : undefined,
      serverName: server ? server.name : serverName,
      serverSwarmRole: server ? server.swarmRole : serverSwarmRole,
      // Pulumi's facts about this resource, which the provider cannot learn otherwise (a
      // dynamic provider's calls carry no URN): its URN, from which the provider derives the
      // owner, and the Server's id (a UUID recorded once in this stack's state), which with the
      // URN makes the owner id unique to this resource of this stack.
      serverId: server?.id,
      resourceUrn: pulumi.createUrn(name, DESTINATION_TYPE, opts?.parent),
    };
    super(
      shim("destination"),
      name,
      props,
      { ...opts, additionalSecretOutputs: [...DESTINATION_SECRET_KEYS, ...(opts?.additionalSecretOutputs ?? [])] },
      "dockyard",
      "Destination",
    );
  }
}
