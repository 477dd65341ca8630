import { createHash } from "node:crypto";
import { containsUnknown, isUnknown, UNKNOWN, type CheckResult } from "../resource";
import type { ConnectionSpec } from "../transport/endpoint";
import { Checker } from "../validate";
import { cidrContains, cidrWithin, parseAddress, parseCidr, type Cidr } from "./cidr";
import { checkRecordedConnection } from "../connection";
import type { OperationContext } from "../operation-context";
import {
  DESTINATION_INPUT_NAMES,
  type DaemonRef,
  type DestinationInputs,
  type DestinationType,
} from "./destination-types";
import { ownerFromUrn, resourceNameOf } from "./ownership";

export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** What swarmkit accepts for a swarm (overlay) network's name, at most 63 characters. */
export const SWARM_NETWORK_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
const SWARM_NAME_MAX = 63;
/** A short container id: Docker accepts it, but it never matches the full id Docker reports. */
const SHORT_ID = /^[0-9a-f]{1,11}$/;
/** Driver options Dockyard does not pass on: they let Docker take over something on the host. */
const HOST_TAKING_OPTIONS: Record<string, string> = {
  "com.docker.network.bridge.name":
    "would let Docker put the network on a host bridge of that name, one that may exist already (its segment then joins the network); Docker names the bridge itself",
};
const BUILTIN_NETWORKS = new Set(["bridge", "host", "none", "ingress", "docker_gwbridge"]);
const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const MAX_LABELS = 100;
/** `urn:pulumi:<stack>::<project>::<type>::<name>` (the name may contain `::`). */
const PULUMI_URN = /^urn:pulumi:[^:]+::[^:]+::[^:]+(?::[^:]+)*::.+$/;

/**
 * A Docker network name derived from the resource name, with a suffix derived
 * from the owner, the Server resource's id and the destination's URN. The
 * same resource of the same stack gets the same name on every run: a network
 * left by a create that was cut off before the engine recorded it is found
 * and taken over by the next run (its owner labels match). Two stacks with the
 * same project and stack names (two backends: two Server ids) and two
 * components each declaring `Destination("net")` (two URNs) get different
 * names. Valid for swarm networks too (at most 63 characters, no dots).
 */
export function generateNetworkName(resourceName: string, owner: string, serverId?: string, urn?: string): string {
  const base = resourceName.replace(/[^a-zA-Z0-9_-]/g, "-").replace(/^[^a-zA-Z0-9]+/, "");
  const suffix = createHash("sha256")
    .update(serverId === undefined && urn === undefined ? owner : JSON.stringify([owner, serverId, urn]))
    .digest("hex")
    .slice(0, 8);
  return `${(base || "dest").slice(0, SWARM_NAME_MAX - 9)}-${suffix}`;
}

function checkCidr(checker: Checker, property: string, v: string | undefined, family: 4 | 6): Cidr | undefined {
  if (v === undefined || isUnknown(v)) return undefined;
  const parsed = parseCidr(v);
  if (typeof parsed === "string") return checker.fail(property, parsed);
  if (parsed.family !== family)
    return checker.fail(property, `must be an IPv${family} network, got IPv${parsed.family} '${v}'`);
  return parsed;
}

/**
 * The subnet a gateway or range must lie in: parsed, absent, or given but
 * unparsed (not known yet during preview, or itself malformed and reported
 * already), so nothing can be said about what lies in it.
 */
type Within = Cidr | "absent" | "unparsed";

function within(text: string | undefined, parsed: Cidr | undefined): Within {
  if (text === undefined) return "absent";
  return parsed ?? "unparsed";
}

function checkGateway(
  checker: Checker,
  property: string,
  v: string | undefined,
  subnet: Within,
  subnetField: string,
  family: 4 | 6,
): void {
  if (v === undefined || isUnknown(v)) return;
  const addr = parseAddress(v);
  if (!addr || addr.family !== family) {
    checker.fail(property, `'${v}' is not an IPv${family} address`);
    return;
  }
  if (subnet === "unparsed") return;
  if (subnet === "absent") {
    checker.fail(property, `needs ${subnetField}: a gateway is only meaningful inside a subnet you choose`);
    return;
  }
  if (!cidrContains(subnet, addr)) checker.fail(property, `${v} is outside ${subnetField} ${subnet.text}`);
}

function checkRange(
  checker: Checker,
  property: string,
  range: Cidr | undefined,
  subnet: Within,
  subnetField: string,
): void {
  if (!range || subnet === "unparsed") return;
  if (subnet === "absent") {
    checker.fail(property, `needs ${subnetField}`);
    return;
  }
  if (!cidrWithin(range, subnet)) checker.fail(property, `${range.text} is not within ${subnetField} ${subnet.text}`);
}

function checkDaemonRef(checker: Checker, v: unknown): DaemonRef | undefined {
  if (v === undefined || v === null) return undefined;
  if (isUnknown(v)) return v as unknown as DaemonRef;
  if (typeof v !== "object" || Array.isArray(v))
    return checker.fail(
      "daemon",
      "must be the Server's daemon reference (host, dockerSocket, login; set by the Destination from its server)",
    );
  const raw = v as Record<string, unknown>;
  checker.onlyKnown(raw, ["host", "dockerSocket", "login"], "daemon.");
  const host = checker.string("daemon.host", raw.host, { required: true, nonEmpty: true, max: 253 });
  const dockerSocket = checker.string("daemon.dockerSocket", raw.dockerSocket, {
    required: true,
    nonEmpty: true,
    max: 107,
  });
  const login = checker.string("daemon.login", raw.login, { max: 128 });
  const ref: DaemonRef = { host: host as string, dockerSocket: dockerSocket as string };
  if (login !== undefined) ref.login = login;
  return ref;
}

/**
 * `check` for Destination: validates every field, applies defaults, and keeps
 * what was decided at creation (owner, generated network name, default type)
 * stable. The resource's identity comes from `resource` where the caller
 * knows its URN (both adapters do): its owner and URN are then Pulumi's,
 * whatever the inputs say. A caller that knows none gives them as the
 * `owner` and `resourceUrn` inputs.
 */
export function checkDestination(
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown>,
  resource?: Pick<OperationContext, "urn" | "name">,
): CheckResult<DestinationInputs> {
  const checker = new Checker();
  checker.onlyKnown(news, DESTINATION_INPUT_NAMES);
  const connection = checkRecordedConnection(checker, news.connection);
  const daemon = checkDaemonRef(checker, news.daemon);
  const serverName = checker.string("serverName", news.serverName) ?? "";
  // Only the default type at creation depends on the server's role: once
  // created, the recorded role is kept, so a role not known during a
  // preview (the Server is being updated) is no change.
  const serverSwarmRole =
    typeof olds?.serverSwarmRole === "string"
      ? olds.serverSwarmRole
      : checker.string("serverSwarmRole", news.serverSwarmRole);
  const fromContext = resource?.urn !== undefined;
  const urn =
    checker.string("resourceUrn", fromContext ? resource.urn : news.resourceUrn, { required: true, max: 4096 }) ?? "";
  if (fromContext && urn && !isUnknown(urn) && !PULUMI_URN.test(urn))
    checker.fail("resourceUrn", "is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)");
  // The owner is fixed at creation: it is written into the network's labels.
  const owner =
    typeof olds?.owner === "string" && olds.owner
      ? olds.owner
      : fromContext
        ? isUnknown(urn)
          ? UNKNOWN
          : urn && ownerFromUrn(urn)
        : (checker.string("owner", news.owner, { required: true, max: 1024 }) ?? "");
  // Given a Server (the SDK sends its daemon reference), its id is part of the
  // owner id and required. Empty when the destination was given a connection
  // (the plugin provider, a written-out connection): the URN alone then tells
  // two resources apart, not two stacks of the same names in two backends.
  const serverId =
    checker.string("serverId", news.serverId, {
      required: news.daemon !== undefined && news.daemon !== null,
      max: 1024,
    }) ?? "";

  let network = checker.string("network", news.network, {
    nonEmpty: true,
    max: 255,
    pattern: NETWORK_NAME,
    patternText: "must start with a letter or digit and contain only letters, digits, '_', '.', '-'",
  });
  if (network !== undefined && BUILTIN_NETWORKS.has(network)) {
    checker.fail("network", `'${network}' is one of Docker's built-in networks; choose another name`);
  }
  if (news.network === undefined || news.network === null) {
    if (typeof olds?.network === "string") network = olds.network;
    else
      network = containsUnknown([owner, serverId, urn])
        ? UNKNOWN
        : generateNetworkName(resource?.name ?? resourceNameOf(owner), owner, serverId, urn);
  }

  let type = checker.string("type", news.type) as DestinationType | undefined;
  if (type !== undefined && !isUnknown(type) && type !== "standalone" && type !== "swarm") {
    checker.fail("type", `must be 'standalone' or 'swarm', got '${String(type).slice(0, 40)}'`);
    type = undefined;
  }
  if (type === undefined) {
    // The default follows the server, decided once: later changes of the
    // server's role do not silently flip (and replace) existing destinations.
    if (olds?.type === "standalone" || olds?.type === "swarm") type = olds.type;
    else if (serverSwarmRole === undefined || isUnknown(serverSwarmRole))
      type = (serverSwarmRole ?? "standalone") as DestinationType;
    else type = serverSwarmRole === "manager" ? "swarm" : "standalone";
  }
  if (
    type === "swarm" &&
    typeof network === "string" &&
    !isUnknown(network) &&
    news.network !== undefined &&
    news.network !== null
  ) {
    if (network.length > SWARM_NAME_MAX || !SWARM_NETWORK_NAME.test(network)) {
      checker.fail(
        "network",
        `'${network.slice(0, 80)}' is not a valid swarm network name: at most ${SWARM_NAME_MAX} letters, digits, '-' and '_', ` +
          `starting and ending with a letter or digit (no '.')`,
      );
    }
  }

  const attachable = checker.boolean("attachable", news.attachable, true) as boolean;
  const internal = checker.boolean("internal", news.internal, false) as boolean;
  const ipv6 = checker.boolean("ipv6", news.ipv6, false) as boolean;
  const adopt = checker.boolean("adopt", news.adopt, false) as boolean;
  const force = checker.boolean("force", news.force, false) as boolean;

  const str = (k: string) => checker.string(k, news[k], { nonEmpty: true, max: 64 });
  const subnet = str("subnet");
  const gateway = str("gateway");
  const ipRange = str("ipRange");
  const ipv6Subnet = str("ipv6Subnet");
  const ipv6Gateway = str("ipv6Gateway");
  const ipv6IpRange = str("ipv6IpRange");
  const s4 = within(subnet, checkCidr(checker, "subnet", subnet, 4));
  checkGateway(checker, "gateway", gateway, s4, "subnet", 4);
  checkRange(checker, "ipRange", checkCidr(checker, "ipRange", ipRange, 4), s4, "subnet");
  const s6 = within(ipv6Subnet, checkCidr(checker, "ipv6Subnet", ipv6Subnet, 6));
  checkGateway(checker, "ipv6Gateway", ipv6Gateway, s6, "ipv6Subnet", 6);
  checkRange(checker, "ipv6IpRange", checkCidr(checker, "ipv6IpRange", ipv6IpRange, 6), s6, "ipv6Subnet");
  if (ipv6Subnet !== undefined && ipv6 === false)
    checker.fail("ipv6Subnet", "is set but ipv6 is false: set ipv6: true");

  const mtu = checker.integer("mtu", news.mtu, 68, 65535);
  const driverOptions =
    checker.stringMap("driverOptions", news.driverOptions, {
      keyPattern: /^[A-Za-z0-9_.-]+$/,
      maxKey: 255,
      maxValue: 1024,
    }) ?? {};
  if (!isUnknown(driverOptions)) {
    for (const [k, why] of Object.entries(HOST_TAKING_OPTIONS))
      if (driverOptions[k] !== undefined) checker.fail(`driverOptions.${k}`, `is not accepted: it ${why}`);
  }
  if (mtu !== undefined && driverOptions["com.docker.network.driver.mtu"] !== undefined) {
    checker.fail("driverOptions.com.docker.network.driver.mtu", "conflicts with mtu: set one of them");
  }
  const labels = checker.stringMap("labels", news.labels, { keyPattern: LABEL_KEY, maxKey: 255, maxValue: 4096 }) ?? {};
  if (!isUnknown(labels)) {
    if (Object.keys(labels).length > MAX_LABELS) checker.fail("labels", `at most ${MAX_LABELS} labels`);
    for (const k of Object.keys(labels)) {
      if (k.startsWith("dockyard."))
        checker.fail(`labels.${k}`, "the 'dockyard.' prefix is reserved for Dockyard's own labels");
      if (k.startsWith("com.docker.")) checker.fail(`labels.${k}`, "the 'com.docker.' prefix is reserved by Docker");
    }
  }
  const connect =
    checker.stringList("connect", news.connect, (p, s) => {
      if (!CONTAINER_NAME.test(s) || s.length > 255)
        checker.fail(p, `'${s.slice(0, 60)}' is not a container name or id`);
      else if (SHORT_ID.test(s)) {
        checker.fail(
          p,
          `'${s}' looks like a short container id: give the container's name, or at least 12 characters of its id (a container named '${s}' can be written '/${s}')`,
        );
      }
    }) ?? [];
  if (!isUnknown(connect) && new Set(connect).size !== connect.length)
    checker.fail("connect", "lists a container twice");

  const name =
    checker.string("name", news.name, { nonEmpty: true, max: 255 }) ??
    (serverName && !isUnknown(serverName) && network && !isUnknown(network)
      ? `${serverName}-${network}`
      : (network ?? ""));

  const inputs: DestinationInputs = {
    connection: connection as ConnectionSpec,
    ...(daemon !== undefined ? { daemon } : {}),
    serverName,
    owner,
    serverId,
    resourceUrn: urn,
    name,
    network: network as string,
    type,
    attachable,
    internal,
    ipv6,
    driverOptions,
    labels,
    connect,
    adopt,
    force,
  };
  if (serverSwarmRole !== undefined) inputs.serverSwarmRole = serverSwarmRole;
  const optional = { subnet, gateway, ipRange, ipv6Subnet, ipv6Gateway, ipv6IpRange, mtu };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (inputs as unknown as Record<string, unknown>)[k] = v;
  return { inputs, failures: checker.failures };
}
