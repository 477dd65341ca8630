import type { Field } from "../fields";

export const GET_NETWORKS_DOC =
  "Scan a server's existing Docker networks (what Coolify calls \"Scan for Destinations\"): each network's name, id, " +
  "driver, scope, whether Dockyard manages it, and the containers attached to it. Reads only; changes nothing.";

/** A container attached to a scanned network. */
export const ATTACHED_CONTAINER_FIELDS = [
  { name: "name", type: "string", input: false, required: true, doc: "The container's name." },
  { name: "id", type: "string", input: false, required: true, doc: "The container's id." },
] as const satisfies readonly Field[];

/** One network found by `getNetworks`. */
export const NETWORK_INFO_FIELDS = [
  { name: "name", type: "string", input: false, required: true, doc: "The network's name." },
  { name: "id", type: "string", input: false, required: true, doc: "Docker's id of the network." },
  {
    name: "driver",
    type: "string",
    input: false,
    required: true,
    doc: "The network's driver: `bridge`, `overlay`, `host`, `null`, …",
  },
  { name: "scope", type: "string", input: false, required: true, doc: "`local` or `swarm`." },
  {
    name: "managed",
    type: "boolean",
    input: false,
    required: true,
    doc: "True when Dockyard manages the network (it carries the `dockyard.managed` label).",
  },
  {
    name: "owner",
    type: "string",
    input: false,
    doc: "For a managed network: the `<project>/<stack>/<resource>` that owns it.",
  },
  {
    name: "containers",
    type: { ref: "[]AttachedContainer" },
    input: false,
    required: true,
    doc: "Containers attached to the network (as this node sees them).",
  },
] as const satisfies readonly Field[];
