import type { Field } from "../fields";

const REPLACES = "Replaces." as const;

/** Every field of a Destination, in display order: inputs (recorded as outputs too), then what Docker reports. */
export const DESTINATION_FIELDS = [
  {
    name: "connection",
    type: { ref: "Connection" },
    input: true,
    required: true,
    secret: true,
    change: "controller",
    doc:
      "How to reach the server's Docker daemon: a Server's `connection` output, a stack reference's output, or written out. " +
      "Kept as a secret so the destination can be deleted later. A change of port or credentials updates in place; " +
      "another `host` or `dockerSocket` replaces the network.",
  },
  {
    name: "serverName",
    type: "string",
    input: true,
    doc: "The server's display name (a Server's `name`), for the default display name.",
  },
  {
    name: "serverSwarmRole",
    type: "string",
    input: true,
    doc: "The server's swarm role (a Server's `swarmRole`): decides the default `type` when the destination is created.",
  },
  {
    name: "owner",
    type: "string",
    input: true,
    dynamicOnly: true,
    doc: "Who owns the network, `<project>/<stack>/<resource name>` (derived from the URN), written into a label. Fixed at creation.",
  },
  {
    name: "daemon",
    type: "stringMap",
    input: true,
    dynamicOnly: true,
    doc:
      "Which daemon the destination lives on (the Server's `host` and `dockerSocket`) and a digest of its login, " +
      "set by the SDK from the Server: known during a preview that updates the Server, unlike its `connection`.",
  },
  {
    name: "serverId",
    type: "string",
    input: true,
    dynamicOnly: true,
    doc: "The Server resource's id, set by the SDK when the destination is given a Server: part of the owner id.",
  },
  {
    name: "resourceUrn",
    type: "string",
    input: true,
    dynamicOnly: true,
    doc: "The destination's own URN, set by the SDK (the plugin provider takes it from the engine): part of the owner id.",
  },
  {
    name: "name",
    type: "string",
    input: true,
    change: "updates",
    doc: "Display name. Default: `<server name>-<network>`. Changes in place.",
  },
  {
    name: "network",
    type: "string",
    input: true,
    change: "replaces",
    doc: "Docker network name, unique per server: `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`, at most 255 characters; for `swarm`, what swarmkit accepts: at most 63 letters, digits, `-` and `_`, starting and ending with a letter or digit. Default: the resource name plus a suffix derived from the project, stack and resource name, the Server's id and the URN (at most 63 characters), so a re-run after an interrupted create picks the same name and takes over what it left, and another stack with the same names picks another. Chosen once. Replaces.",
  },
  {
    name: "type",
    type: "string",
    input: true,
    change: "replaces",
    doc:
      "`standalone` (a bridge network on this server) or `swarm` (an attachable overlay network, created through " +
      "a swarm manager). Default: `swarm` when the server is a swarm manager, otherwise `standalone`; decided " +
      "when the destination is created and kept. Replaces.",
  },
  {
    name: "attachable",
    type: "boolean",
    input: true,
    default: true,
    change: "replaces",
    doc: `Whether standalone containers may attach to a swarm network. Default \`true\`. ${REPLACES}`,
  },
  {
    name: "internal",
    type: "boolean",
    input: true,
    default: false,
    change: "replaces",
    doc: `Cut the network off from the outside (no external routing). Default \`false\`. ${REPLACES}`,
  },
  {
    name: "ipv6",
    type: "boolean",
    input: true,
    default: false,
    change: "replaces",
    doc: `Enable IPv6 on the network. Default \`false\`. Required for \`ipv6Subnet\`. ${REPLACES}`,
  },
  {
    name: "subnet",
    type: "string",
    input: true,
    change: "replaces",
    doc: `IPv4 subnet in CIDR notation, e.g. \`10.20.0.0/24\`. Default: Docker picks one. ${REPLACES}`,
  },
  {
    name: "gateway",
    type: "string",
    input: true,
    change: "replaces",
    doc: `IPv4 gateway, inside \`subnet\`. ${REPLACES}`,
  },
  {
    name: "ipRange",
    type: "string",
    input: true,
    change: "replaces",
    doc: `IPv4 range containers get addresses from, inside \`subnet\`. ${REPLACES}`,
  },
  {
    name: "ipv6Subnet",
    type: "string",
    input: true,
    change: "replaces",
    doc: `IPv6 subnet in CIDR notation. Needs \`ipv6: true\`. ${REPLACES}`,
  },
  {
    name: "ipv6Gateway",
    type: "string",
    input: true,
    change: "replaces",
    doc: `IPv6 gateway, inside \`ipv6Subnet\`. ${REPLACES}`,
  },
  {
    name: "ipv6IpRange",
    type: "string",
    input: true,
    change: "replaces",
    doc: `IPv6 range containers get addresses from, inside \`ipv6Subnet\`. ${REPLACES}`,
  },
  {
    name: "mtu",
    type: "integer",
    input: true,
    change: "replaces",
    doc: `MTU of the network's interfaces (68 to 65535). ${REPLACES}`,
  },
  {
    name: "driverOptions",
    type: "stringMap",
    input: true,
    change: "replaces",
    doc: "Other driver options (`docker network create -o`). `com.docker.network.bridge.name` is refused: it can put the network on an existing host bridge. Replaces.",
  },
  {
    name: "labels",
    type: "stringMap",
    input: true,
    change: "replaces",
    doc: `Labels on the network (string values; the \`dockyard.\` and \`com.docker.\` prefixes are reserved). ${REPLACES}`,
  },
  {
    name: "connect",
    type: "stringList",
    input: true,
    change: "updates",
    doc: "Names of existing containers to attach, e.g. a reverse proxy: the explicit link across destinations. An id must have at least 12 characters (a container whose name is all hex digits is written `/name`). Changes in place. A container detached by hand is re-attached by the next `pulumi up --refresh` (a plain `pulumi up` does not read the server, so it does not notice). As an output: those of them that are attached.",
  },
  {
    name: "adopt",
    type: "boolean",
    input: true,
    default: false,
    change: "updates",
    doc: "Take over an existing network of this name if it matches, instead of failing. Default `false`.",
  },
  {
    name: "force",
    type: "boolean",
    input: true,
    default: false,
    change: "updates",
    doc: "On delete, disconnect containers not listed in `connect` instead of refusing. Default `false`.",
  },
  { name: "networkId", type: "string", input: false, doc: "Docker's id of the network." },
  { name: "driver", type: "string", input: false, doc: "`bridge` or `overlay`." },
  { name: "scope", type: "string", input: false, doc: "`local` or `swarm`." },
  { name: "adopted", type: "boolean", input: false, doc: "True when Dockyard took over a network it did not create." },
  { name: "subnets", type: "stringList", input: false, doc: "Subnets of the network, as Docker reports them." },
  {
    name: "ownerId",
    type: "string",
    input: false,
    doc: "The owner id written on the network (label `dockyard.owner-id`) when this destination created or took it over.",
  },
] as const satisfies readonly Field[];
