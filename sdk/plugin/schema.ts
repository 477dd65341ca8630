/**
 * The plugin provider's Pulumi package schema, generated from the field
 * tables (provider/fields): every resource, type and function property has
 * the table's description.
 */
import { DESTINATION_FIELDS } from "../../provider/destination/destination-fields";
import type { Field, FieldType } from "../../provider/fields";
import { CONNECTION_EXTRA_FIELDS, ENDPOINT_FIELDS, SERVER_FIELDS } from "../../provider/server/server-fields";
import {
  ATTACHED_CONTAINER_FIELDS,
  GET_NETWORKS_DOC,
  NETWORK_INFO_FIELDS,
} from "../../provider/networks/networks-fields";

export const PACKAGE = "dockyard";
export const SERVER_TYPE = "dockyard:index:Server";
export const DESTINATION_TYPE = "dockyard:index:Destination";
export const GET_NETWORKS = "dockyard:index:getNetworks";

interface PropertySpec {
  type?: string;
  items?: { type: string } | { $ref: string };
  additionalProperties?: { type: string };
  $ref?: string;
  description: string;
  secret?: boolean;
  default?: string | number | boolean;
}

function typeSpec(t: FieldType): Omit<PropertySpec, "description"> {
  if (typeof t === "object") {
    return t.ref.startsWith("[]")
      ? { type: "array", items: { $ref: `#/types/dockyard:index:${t.ref.slice(2)}` } }
      : { $ref: `#/types/dockyard:index:${t.ref}` };
  }
  switch (t) {
    case "stringList":
      return { type: "array", items: { type: "string" } };
    case "stringMap":
      return { type: "object", additionalProperties: { type: "string" } };
    default:
      return { type: t };
  }
}

function property(f: Field, withDefault: boolean): PropertySpec {
  const p: PropertySpec = { ...typeSpec(f.type), description: f.doc };
  if (f.secret) p.secret = true;
  if (withDefault && f.default !== undefined) p.default = f.default;
  return p;
}

function properties(fields: readonly Field[], withDefaults: boolean): Record<string, PropertySpec> {
  return Object.fromEntries(fields.map((f) => [f.name, property(f, withDefaults)]));
}

const pluginInputs = (fields: readonly Field[]) => fields.filter((f) => f.input && !f.dynamicOnly);
const requiredInputs = (fields: readonly Field[]) =>
  pluginInputs(fields)
    .filter((f) => f.required)
    .map((f) => f.name);

/**
 * Outputs always present: every output-only field, and inputs with a
 * constant default or one the controller always fills in.
 */
function requiredOutputs(fields: readonly Field[], alwaysSet: readonly string[]): string[] {
  return fields
    .filter((f) => !f.input || f.required || f.default !== undefined || alwaysSet.includes(f.name))
    .map((f) => f.name);
}

function objectType(description: string, fields: readonly Field[], withDefaults = true) {
  return {
    type: "object",
    description,
    properties: properties(fields, withDefaults),
    required: fields.filter((f) => f.required).map((f) => f.name),
  };
}

export function schema(version: string): Record<string, unknown> {
  return {
    name: PACKAGE,
    displayName: "Dockyard",
    version,
    description: "Coolify-style Servers and Destinations on remote Docker daemons over SSH.",
    keywords: ["docker", "ssh", "coolify", "category/infrastructure"],
    license: "Apache-2.0",
    config: {},
    provider: {
      description: "The Dockyard provider. It takes no configuration: each resource says how to reach its server.",
    },
    types: {
      "dockyard:index:Proxy": objectType(
        "A jump host (bastion) a server is reached through: the same SSH fields as a server.",
        ENDPOINT_FIELDS,
      ),
      "dockyard:index:Connection": objectType(
        "Everything needed to reach a server's Docker daemon: a Server's `connection` output, or written out.",
        [...ENDPOINT_FIELDS, ...CONNECTION_EXTRA_FIELDS],
      ),
      "dockyard:index:AttachedContainer": objectType(
        "A container attached to a network.",
        ATTACHED_CONTAINER_FIELDS,
        false,
      ),
      "dockyard:index:NetworkInfo": objectType("A Docker network found on a server.", NETWORK_INFO_FIELDS, false),
    },
    resources: {
      [SERVER_TYPE]: {
        description:
          "A machine reachable over SSH whose Docker daemon Dockyard drives. Creating it checks that SSH works and Docker " +
          "answers, and records what it found. Deleting it only forgets it: the machine is never changed.",
        inputProperties: properties(pluginInputs(SERVER_FIELDS), true),
        requiredInputs: requiredInputs(SERVER_FIELDS),
        properties: properties(SERVER_FIELDS, false),
        required: requiredOutputs(SERVER_FIELDS, ["name"]),
      },
      [DESTINATION_TYPE]: {
        description:
          "A Docker network on one server: where applications, databases and services are deployed. Containers on " +
          "different destinations cannot reach each other unless connected explicitly (see `connect`).",
        inputProperties: properties(pluginInputs(DESTINATION_FIELDS), true),
        requiredInputs: requiredInputs(DESTINATION_FIELDS),
        properties: properties(DESTINATION_FIELDS, false),
        required: requiredOutputs(DESTINATION_FIELDS, [
          "serverName",
          "owner",
          "name",
          "network",
          "type",
          "driverOptions",
          "labels",
          "connect",
        ]),
      },
    },
    functions: {
      [GET_NETWORKS]: {
        description: GET_NETWORKS_DOC,
        inputs: {
          properties: {
            connection: {
              $ref: "#/types/dockyard:index:Connection",
              description: "How to reach the server: a Server's `connection` output, or written out.",
            },
          },
          required: ["connection"],
        },
        outputs: {
          properties: {
            networks: {
              type: "array",
              items: { $ref: "#/types/dockyard:index:NetworkInfo" },
              description: "Every network on the server, by name.",
            },
          },
          required: ["networks"],
        },
      },
    },
    language: {
      nodejs: { packageName: "@dockyard/pulumi-dockyard-plugin", dependencies: { "@pulumi/pulumi": "^3.0.0" } },
      python: { packageName: "pulumi_dockyard", requires: { pulumi: ">=3.0.0,<4.0.0" } },
      go: { importBasePath: "pulumi-dockyard/sdk/go/dockyard", generateResourceContainerTypes: false },
    },
  };
}
