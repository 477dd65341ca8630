/**
 * An in-memory Docker daemon behind the controllers' interfaces
 * (`EngineApi`, `Daemons` of provider/engine-api.ts), for unit tests.
 *
 * It models what the controllers rely on from a real dockerd, as the
 * real-daemon tiers (test/integration/) and the test host's Docker 20.10
 * show it:
 *
 * - networks: ids (64 hex digits locally, 25 base-36 characters for swarm
 *   networks), inspect in dockerode's shape (`Containers` is `{}` on a bridge
 *   and `null` on an empty overlay; a swarm network with a container attached
 *   lists its load balancer as `lb-<name>`), lookups by id, name or unique id
 *   prefix, list filters (`name` matches substrings, `id` prefixes,
 *   `label` `key` or `key=value`, `driver`, `scope`), the predefined networks;
 * - names: a swarm-scoped clash is refused (409); a local one is accepted as
 *   Docker 20.10 does unless `CheckDuplicate` is set, or `uniqueNames` models
 *   Docker 25 and later; then a name lookup is ambiguous (400);
 * - subnets: given ones overlapping another local network are refused
 *   ("Pool overlaps", 403), overlays are not checked against each other (the
 *   swarm's address space), defaults come from a local and a swarm pool of
 *   /24s, and an exhausted pool is refused;
 * - containers: connect (404 for an unknown container, 403 when attached
 *   already), disconnect (500 when not attached, 404 for an unknown
 *   container), removal refused while endpoints are active (403 on a bridge,
 *   400 "in use by task" on an overlay), also for a while after the last one
 *   left, or while tasks on other nodes hold it (`holdRemotely`);
 * - swarm: the node's role; overlays only through a manager; a new overlay
 *   that shows an empty driver for its first `allocationInspects` inspects;
 * - SSH: a server per host and port with its host key, seen once connected;
 *   a pinned host key that differs fails the call; a server that is down
 *   fails like an exhausted dial; a socket without a daemon is a
 *   DockerUnavailableError.
 *
 * Daemon answers become the typed errors `DockerClient` maps them to (same
 * classes, same messages: test/unit/transport/docker/engine-client.test.ts serves
 * this fake over HTTP to the real client and compares).
 *
 * Fault injection: `daemon.fail(method, error)` makes the next such call fail
 * (before it takes effect, or with `{ after: true }` after: the answer was
 * lost), `daemon.hang(method)` holds the next one until released or its
 * signal aborts, `daemon.before(method, hook)` runs a hook (say, a hand-made
 * change) just before it is handled. `daemon.calls` records every call.
 */
import { createHash, randomBytes } from "node:crypto";
import type {
  ContainerInspect,
  Daemons,
  EngineApi,
  NetworkCreateBody,
  NetworkInspect,
  SystemInfo,
  VersionInfo,
} from "../../provider/engine-api";
import {
  ConflictError,
  ConnectionError,
  DockerApiError,
  DockerUnavailableError,
  HostKeyMismatchError,
  NotFoundError,
  ValidationError,
  type DockyardError,
} from "../../provider/errors";
import { cidrsOverlap, parseCidr, type Cidr } from "../../provider/destination/cidr";
import { describeEndpoint, type ConnectionSpec, type SshEndpoint } from "../../provider/transport/endpoint";
import { describeHostKey, hostKeyFingerprint, type SeenHostKey } from "../../provider/transport/ssh/hostkey";

/** The calls of `EngineApi`. */
export type EngineMethod = Exclude<keyof EngineApi, "target">;

/** A daemon's error answer, shaped as docker-modem rejects with it. */
export class DaemonAnswer extends Error {
  readonly json: { message: string };
  constructor(
    readonly statusCode: number,
    text: string,
  ) {
    super(`(HTTP code ${statusCode}) ${text}`);
    this.json = { message: text };
  }
}

/** What `DockerClient` makes of a daemon's error answer to the call `what`. */
export function mapAnswer(target: string, what: string, answer: DaemonAnswer): DockyardError {
  const text = answer.json.message;
  if (answer.statusCode === 404) return new NotFoundError(`${target}: ${what}: ${text}`, { cause: answer });
  if (answer.statusCode === 409) return new ConflictError(409, `${target}: ${what}: ${text}`, { cause: answer });
  return new DockerApiError(answer.statusCode, `${target}: ${what}: Docker answered ${answer.statusCode}: ${text}`, {
    cause: answer,
  });
}

/** How the daemon names the call in its errors, as `DockerClient` does. */
function whatOf(method: EngineMethod, args: unknown[]): string {
  switch (method) {
    case "listNetworks":
      return "network list";
    case "inspectNetwork":
    case "findNetwork":
      return `network inspect ${String(args[0])}`;
    case "createNetwork":
      return `network create ${(args[0] as NetworkCreateBody).Name}`;
    case "removeNetwork":
      return `network remove ${String(args[0])}`;
    case "connectContainer":
      return `network connect ${String(args[1])}`;
    case "disconnectContainer":
      return `network disconnect ${String(args[1])}`;
    case "inspectContainer":
      return `container inspect ${String(args[0])}`;
    default:
      return method;
  }
}

export interface Call {
  method: EngineMethod;
  args: unknown[];
}

/** One injected fault, used by the next call it matches. */
export interface Fault {
  /** Only calls whose arguments this accepts (default: any). */
  match?: (args: unknown[]) => boolean;
  /** Run first (a change made by hand, another process's call, a daemon going away). */
  before?: () => void | Promise<void>;
  /** Fail with this; `after`: once the call took effect (its answer was lost). */
  error?: unknown;
  after?: boolean;
}

/** A held call: `started` resolves once the call arrived; `release` lets it go on (or fail). */
export interface Hang {
  started: Promise<void>;
  release(error?: unknown): void;
}

type Endpoints = Record<
  string,
  { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }
>;

interface NetRecord {
  Id: string;
  Name: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: null; Config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** Attached containers by container id (the load balancer's endpoint is derived). */
  endpoints: Map<string, Endpoints[string]>;
  predefined: boolean;
  /** Inspects left that show a swarm network not allocated yet. */
  unallocatedInspects: number;
  /** Removals still refused as in use after the last endpoint left. */
  lingering: number;
  /** Tasks on other nodes holding the network (this node cannot see them). */
  remoteTasks: string[];
}

export interface FakeContainer {
  Id: string;
  Name: string;
}

export interface FakeDaemonOptions {
  /** How errors name this daemon (set by `FakeDaemons` to the connection's). */
  target?: string;
  /** The node's swarm role (default `none`). */
  swarm?: "manager" | "worker" | "none";
  /** Docker 25 and later refuse every duplicate name; 20.10 only a swarm-scoped clash or with CheckDuplicate (default). */
  uniqueNames?: boolean;
  /** Inspects of a new overlay network that show it not allocated yet (empty driver, no subnets). */
  allocationInspects?: number;
  /** Removals of an overlay refused as in use after its last container left. */
  lingerAfterLastEndpoint?: number;
  /** Where local networks' default subnets come from (default 10.96.0.0/16, in /24s, as on the test host). */
  localPool?: string;
  /** Where swarm networks' default subnets come from (default 10.0.0.0/8, in /24s). */
  swarmPool?: string;
  version?: Partial<VersionInfo> & { MinAPIVersion?: string };
  info?: SystemInfo;
  /** Whether the default bridge exists (a daemon started with `--bridge=none` has none). */
  defaultBridge?: boolean;
}

const POOL_SIZE = 24;

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

function swarmId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(25), (b) => alphabet[b % alphabet.length]).join("");
}

function v4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 255n).toString()).join(".");
}

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (typeof c === "string") throw new Error(`fake engine: ${c}`);
  return c;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** One Docker daemon's state, and its Engine API. */
export class FakeDaemon implements EngineApi {
  target: string;
  readonly networks = new Map<string, NetRecord>();
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: Call[] = [];
  swarmRole: "manager" | "worker" | "none";
  readonly nodeId: string;
  readonly options: Required<
    Pick<
      FakeDaemonOptions,
      "uniqueNames" | "allocationInspects" | "lingerAfterLastEndpoint" | "localPool" | "swarmPool"
    >
  >;
  versionInfo: VersionInfo & { MinAPIVersion?: string };
  /** Extra `/info` fields (the swarm part is derived from the role). */
  infoExtra: SystemInfo;
  private readonly faults: Array<{ method: EngineMethod; fault: Fault }> = [];
  private clock = Date.parse("2026-01-01T00:00:00Z");

  constructor(opts: FakeDaemonOptions = {}) {
    this.target = opts.target ?? "root@fake:22";
    this.swarmRole = opts.swarm ?? "none";
    this.nodeId = swarmId();
    this.options = {
      uniqueNames: opts.uniqueNames ?? false,
      allocationInspects: opts.allocationInspects ?? 0,
      lingerAfterLastEndpoint: opts.lingerAfterLastEndpoint ?? 0,
      localPool: opts.localPool ?? "10.96.0.0/16",
      swarmPool: opts.swarmPool ?? "10.0.0.0/8",
    };
    this.versionInfo = {
      Version: "20.10.24+dfsg1",
      ApiVersion: "1.41",
      MinAPIVersion: "1.12",
      Os: "linux",
      Arch: "amd64",
      KernelVersion: "6.1.0-fake",
      GitCommit: "5d6db84",
      GoVersion: "go1.19.8",
      BuildTime: new Date(0),
      Components: [],
      ...opts.version,
    } as VersionInfo & { MinAPIVersion?: string };
    this.infoExtra = {
      OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
      OSType: "linux",
      Architecture: "x86_64",
      KernelVersion: "6.1.0-fake",
      NCPU: 2,
      MemTotal: 4 * 2 ** 30,
      ...opts.info,
    };
    this.predefined("none", "null", []);
    this.predefined("host", "host", []);
    if (opts.defaultBridge ?? true)
      this.predefined("bridge", "bridge", [{ Subnet: this.freeSubnet("local") }], {
        "com.docker.network.bridge.default_bridge": "true",
      });
    if (this.swarmRole !== "none") this.joinSwarm();
  }

  // ---- setting the scene (what a test does by hand with the docker CLI) ----

  /** A container (running, on no network of interest); returns its id. */
  addContainer(name: string, id: string = hex(32)): string {
    this.containers.set(id, { Id: id, Name: name });
    return id;
  }

  /** `docker rm -f`: the container and its endpoints go. */
  removeContainer(ref: string): void {
    const c = this.container(ref);
    this.containers.delete(c.Id);
    for (const n of this.networks.values()) n.endpoints.delete(c.Id);
  }

  /** `docker network create`: a network made by hand; returns its id. */
  addNetwork(body: NetworkCreateBody): string {
    return this.create(body);
  }

  /** `docker run --network` / `docker network connect` by hand. */
  attach(network: string, container: string): void {
    this.connect(this.network(network), this.container(container));
  }

  /** `docker network disconnect` by hand. */
  detach(network: string, container: string): void {
    const net = this.network(network);
    net.endpoints.delete(this.container(container).Id);
  }

  /** `docker network rm` by hand (endpoints or not). */
  removeByHand(network: string): void {
    this.networks.delete(this.network(network).Id);
  }

  /** Change what a network's inspect shows (labels edited, settings different). */
  edit(network: string, change: (net: NetRecord) => void): void {
    change(this.network(network));
  }

  /** Tasks on other swarm nodes keep `network` in use until `release` is called. */
  holdRemotely(network: string): { release(): void } {
    const net = this.network(network);
    const task = swarmId();
    net.remoteTasks.push(task);
    return { release: () => void net.remoteTasks.splice(net.remoteTasks.indexOf(task), 1) };
  }

  /** Set the node's swarm role (init or join; leave with `none`). */
  setSwarmRole(role: "manager" | "worker" | "none"): void {
    const was = this.swarmRole;
    this.swarmRole = role;
    if (was === "none" && role !== "none") this.joinSwarm();
    if (role === "none")
      for (const n of [...this.networks.values()]) if (n.Scope === "swarm") this.networks.delete(n.Id);
  }

  /** The network (by id, name or id prefix) as a snapshot, or undefined. */
  peek(idOrName: string): NetworkInspect | undefined {
    try {
      return this.snapshot(this.network(idOrName));
    } catch {
      return undefined;
    }
  }

  /** Names of the networks that are not predefined. */
  userNetworks(): string[] {
    return [...this.networks.values()].filter((n) => !n.predefined).map((n) => n.Name);
  }

  // ---- faults and the call record ----

  /** Inject a fault into the next call of `method` that it matches. */
  inject(method: EngineMethod, fault: Fault): void {
    this.faults.push({ method, fault });
  }

  /** The next call of `method` fails with `error` (with `after`, once it took effect). */
  fail(method: EngineMethod, error: unknown, opts: { after?: boolean; match?: Fault["match"] } = {}): void {
    this.inject(method, { error, ...opts });
  }

  /** Run `hook` just before the next call of `method` is handled. */
  before(method: EngineMethod, hook: () => void | Promise<void>, opts: { match?: Fault["match"] } = {}): void {
    this.inject(method, { before: hook, ...opts });
  }

  /** Hold the next call of `method` until released, or until `signal` aborts. */
  hang(method: EngineMethod, opts: { signal?: AbortSignal; match?: Fault["match"] } = {}): Hang {
    let arrived: () => void = () => undefined;
    const started = new Promise<void>((r) => (arrived = r));
    let release: (error?: unknown) => void = () => undefined;
    const released = new Promise<unknown>((r) => (release = r));
    this.inject(method, {
      match: opts.match,
      before: async () => {
        arrived();
        const error = await new Promise<unknown>((resolve, reject) => {
          void released.then(resolve);
          const s = opts.signal;
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the signal's abort reason as it is, which need not be an Error
          if (s?.aborted) reject(s.reason);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the signal's abort reason as it is, which need not be an Error
          s?.addEventListener("abort", () => reject(s.reason), { once: true });
        });
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the error a hang is released with may deliberately be a non-Error: the code under test must handle it
        if (error !== undefined) throw error;
      },
    });
    return { started, release };
  }

  /** Arguments of the calls made to `method`, in order. */
  callsTo(method: EngineMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Faults injected and not used yet. */
  get pendingFaults(): number {
    return this.faults.length;
  }

  private takeFault(method: EngineMethod, args: unknown[]): Fault | undefined {
    const i = this.faults.findIndex((f) => f.method === method && (!f.fault.match || f.fault.match(args)));
    if (i < 0) return undefined;
    return this.faults.splice(i, 1)[0]!.fault;
  }

  /** One call: recorded, faults applied, the daemon's answer mapped as `DockerClient` maps it. */
  private async handle<T>(method: EngineMethod, args: unknown[], effect: () => T): Promise<T> {
    this.calls.push({ method, args: clone(args) });
    await Promise.resolve();
    const fault = this.takeFault(method, args);
    if (fault?.before) await fault.before();
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- an injected fault may deliberately be a non-Error: the code under test must handle it
    if (fault?.error !== undefined && !fault.after) throw fault.error;
    let result: T;
    try {
      result = effect();
    } catch (err) {
      if (err instanceof DaemonAnswer) throw mapAnswer(this.target, whatOf(method, args), err);
      throw err;
    }
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- an injected fault may deliberately be a non-Error: the code under test must handle it
    if (fault?.error !== undefined) throw fault.error;
    await Promise.resolve();
    return result;
  }

  // ---- EngineApi ----

  ping(): Promise<string> {
    return this.handle("ping", [], () => "OK");
  }

  version(): Promise<VersionInfo> {
    return this.handle("version", [], () => clone(this.versionInfo));
  }

  info(): Promise<SystemInfo> {
    return this.handle("info", [], () => this.systemInfo());
  }

  listNetworks(filters?: Record<string, string[]>): Promise<NetworkInspect[]> {
    return this.handle("listNetworks", filters === undefined ? [] : [filters], () => this.list(filters));
  }

  inspectNetwork(idOrName: string): Promise<NetworkInspect> {
    return this.handle("inspectNetwork", [idOrName], () => this.inspect(idOrName));
  }

  /** As `DockerClient.findNetwork`: an inspect, undefined when there is no such network. */
  async findNetwork(idOrName: string): Promise<NetworkInspect | undefined> {
    try {
      return await this.inspectNetwork(idOrName);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  createNetwork(body: NetworkCreateBody): Promise<string> {
    return this.handle("createNetwork", [body], () => this.create(body));
  }

  removeNetwork(id: string): Promise<void> {
    return this.handle("removeNetwork", [id], () => this.remove(id));
  }

  connectContainer(networkId: string, container: string): Promise<void> {
    return this.handle("connectContainer", [networkId, container], () => {
      const c = this.containerOr404(container);
      this.connect(this.networkForConnect(networkId), c);
    });
  }

  disconnectContainer(networkId: string, container: string, force: boolean): Promise<void> {
    return this.handle("disconnectContainer", [networkId, container, force], () =>
      this.disconnect(networkId, container, force),
    );
  }

  inspectContainer(name: string): Promise<ContainerInspect> {
    return this.handle("inspectContainer", [name], () => {
      const c = this.containerOr404(name);
      const networks = Object.fromEntries(
        [...this.networks.values()]
          .filter((n) => n.endpoints.has(c.Id))
          .map((n) => [n.Name, { NetworkID: n.Id, EndpointID: n.endpoints.get(c.Id)!.EndpointID }]),
      );
      // Only what Dockyard could read of it; dockerode's type describes far more.
      return {
        Id: c.Id,
        Name: `/${c.Name}`,
        State: { Running: true, Status: "running" },
        NetworkSettings: { Networks: networks },
      } as unknown as ContainerInspect;
    });
  }

  // ---- the daemon's rules ----

  private systemInfo(): SystemInfo {
    const role = this.swarmRole;
    return {
      ID: "FAKE:DAEMON",
      Name: "fake",
      ServerVersion: this.versionInfo.Version,
      ...clone(this.infoExtra),
      Swarm:
        role === "none"
          ? { LocalNodeState: "inactive", ControlAvailable: false, NodeID: "" }
          : {
              LocalNodeState: "active",
              ControlAvailable: role === "manager",
              NodeID: this.nodeId,
              Nodes: 1,
              Managers: role === "manager" ? 1 : 0,
            },
    };
  }

  private joinSwarm(): void {
    if (![...this.networks.values()].some((n) => n.Name === "ingress")) {
      const ingress = this.predefined("ingress", "overlay", [{ Subnet: "10.0.0.0/24", Gateway: "10.0.0.1" }], {
        "com.docker.network.driver.overlay.vxlanid_list": "4096",
      });
      ingress.Scope = "swarm";
      ingress.Ingress = true;
      this.predefined("docker_gwbridge", "bridge", [{ Subnet: this.freeSubnet("local") }]);
    }
  }

  private predefined(
    name: string,
    driver: string,
    config: NetRecord["IPAM"]["Config"],
    options: Record<string, string> = {},
  ): NetRecord {
    const net = this.record(name, { Driver: driver, Scope: "local", Options: options, Config: config });
    net.predefined = name !== "docker_gwbridge";
    this.networks.set(net.Id, net);
    return net;
  }

  private record(
    name: string,
    o: { Driver: string; Scope: string; Options: Record<string, string>; Config: NetRecord["IPAM"]["Config"] },
  ): NetRecord {
    this.clock += 1000;
    return {
      Id: o.Scope === "swarm" ? swarmId() : hex(32),
      Name: name,
      Created: new Date(this.clock).toISOString(),
      Scope: o.Scope,
      Driver: o.Driver,
      EnableIPv6: false,
      IPAM: { Driver: "default", Options: null, Config: o.Config },
      Internal: false,
      Attachable: false,
      Ingress: false,
      Options: o.Options,
      Labels: {},
      endpoints: new Map(),
      predefined: false,
      unallocatedInspects: 0,
      lingering: 0,
      remoteTasks: [],
    };
  }

  /** Docker's lookup: full id, then exact name, then unique id prefix. */
  private lookup(idOrName: string): NetRecord {
    const all = [...this.networks.values()];
    const byId = all.find((n) => n.Id === idOrName);
    if (byId) return byId;
    const byName = all.filter((n) => n.Name === idOrName);
    if (byName.length > 1)
      throw new DaemonAnswer(400, `${byName.length} matches found based on name: network ${idOrName} is ambiguous`);
    if (byName[0]) return byName[0];
    const byPrefix = idOrName ? all.filter((n) => n.Id.startsWith(idOrName)) : [];
    if (byPrefix.length > 1)
      throw new DaemonAnswer(
        400,
        `network ${idOrName} is ambiguous (${byPrefix.length} matches found based on ID prefix)`,
      );
    if (byPrefix[0]) return byPrefix[0];
    throw new DaemonAnswer(404, `network ${idOrName} not found`);
  }

  private network(idOrName: string): NetRecord {
    return this.lookup(idOrName);
  }

  private networkForConnect(idOrName: string): NetRecord {
    try {
      return this.lookup(idOrName);
    } catch (err) {
      // A node in a swarm asks the swarm for a network it does not know.
      if (err instanceof DaemonAnswer && err.statusCode === 404 && this.swarmRole !== "none") {
        throw new DaemonAnswer(
          500,
          `Could not attach to network ${idOrName}: rpc error: code = NotFound desc = network ${idOrName} not found`,
        );
      }
      throw err;
    }
  }

  private findContainer(ref: string): FakeContainer | undefined {
    const name = ref.replace(/^\//, "");
    const all = [...this.containers.values()];
    return (
      all.find((c) => c.Id === ref) ??
      all.find((c) => c.Name === name) ??
      (ref.length > 0 ? all.find((c) => c.Id.startsWith(ref)) : undefined)
    );
  }

  private containerOr404(ref: string): FakeContainer {
    const c = this.findContainer(ref);
    if (!c) throw new DaemonAnswer(404, `No such container: ${ref}`);
    return c;
  }

  private container(ref: string): FakeContainer {
    const c = this.findContainer(ref);
    if (!c) throw new Error(`fake engine: no container ${ref}`);
    return c;
  }

  private snapshot(n: NetRecord, allocationView = false): NetworkInspect {
    const containers: Endpoints = {};
    for (const [id, e] of n.endpoints) containers[id] = { ...e, Name: this.containers.get(id)?.Name ?? e.Name };
    if (n.Scope === "swarm" && n.endpoints.size > 0 && !n.Ingress) {
      containers[`lb-${n.Name}`] = {
        Name: `${n.Name}-endpoint`,
        EndpointID: hex(32),
        MacAddress: "02:42:0a:00:00:ff",
        IPv4Address: "",
        IPv6Address: "",
      };
    }
    const unallocated = allocationView && n.unallocatedInspects > 0;
    const out = {
      Name: n.Name,
      Id: n.Id,
      Created: n.Created,
      Scope: n.Scope,
      Driver: unallocated ? "" : n.Driver,
      EnableIPv6: n.EnableIPv6,
      IPAM: clone(unallocated ? { ...n.IPAM, Config: [] } : n.IPAM),
      Internal: n.Internal,
      Attachable: n.Attachable,
      Ingress: n.Ingress,
      ConfigFrom: { Network: "" },
      ConfigOnly: false,
      // Docker gives a swarm network without local endpoints no map at all.
      Containers: n.Scope === "swarm" && Object.keys(containers).length === 0 ? null : containers,
      Options: clone(unallocated ? {} : n.Options),
      Labels: clone(n.Labels),
    };
    return out as unknown as NetworkInspect;
  }

  private inspect(idOrName: string): NetworkInspect {
    const n = this.lookup(idOrName);
    const view = this.snapshot(n, true);
    if (n.unallocatedInspects > 0) n.unallocatedInspects--;
    return view;
  }

  private list(filters: Record<string, string[]> | undefined): NetworkInspect[] {
    const known = ["name", "id", "label", "driver", "scope", "type", "dangling"];
    for (const k of Object.keys(filters ?? {}))
      if (!known.includes(k)) throw new DaemonAnswer(400, `Invalid filter '${k}'`);
    const f = filters ?? {};
    const any = (values: string[] | undefined, test: (v: string) => boolean) =>
      !values || values.length === 0 || values.some(test);
    return [...this.networks.values()]
      .filter((n) => any(f.name, (v) => n.Name.includes(v)))
      .filter((n) => any(f.id, (v) => n.Id.startsWith(v)))
      .filter((n) =>
        (f.label ?? []).every((l) => {
          const eq = l.indexOf("=");
          return eq < 0 ? l in n.Labels : n.Labels[l.slice(0, eq)] === l.slice(eq + 1);
        }),
      )
      .filter((n) => any(f.driver, (v) => n.Driver === v))
      .filter((n) => any(f.scope, (v) => n.Scope === v))
      .filter((n) => any(f.type, (v) => (v === "builtin") === n.predefined))
      .map((n) => this.snapshot(n));
  }

  /** Subnets in use in an address space: local networks', or the swarm's. */
  private subnetsIn(space: "local" | "swarm"): Cidr[] {
    const out: Cidr[] = [];
    for (const n of this.networks.values()) {
      if ((n.Scope === "swarm") !== (space === "swarm")) continue;
      for (const c of n.IPAM.Config) {
        const p = c.Subnet ? parseCidr(c.Subnet) : undefined;
        if (p && typeof p !== "string") out.push(p);
      }
    }
    return out;
  }

  /** The first free /24 of the space's default pool, or undefined when it is exhausted. */
  private freeSubnet(space: "local" | "swarm"): string | undefined {
    const pool = cidr(space === "local" ? this.options.localPool : this.options.swarmPool);
    const taken = this.subnetsIn(space);
    const step = 1n << BigInt(32 - POOL_SIZE);
    const count = 1n << BigInt(POOL_SIZE - pool.prefix);
    for (let i = 0n; i < count; i++) {
      const candidate = cidr(`${v4(pool.base + i * step)}/${POOL_SIZE}`);
      if (!taken.some((t) => cidrsOverlap(t, candidate))) return candidate.text;
    }
    return undefined;
  }

  private create(body: NetworkCreateBody): string {
    const driver = body.Driver || "bridge";
    const scope = driver === "overlay" ? "swarm" : "local";
    if (
      ["bridge", "host", "none", "ingress"].includes(body.Name) &&
      [...this.networks.values()].some((n) => n.predefined && n.Name === body.Name)
    ) {
      throw new DaemonAnswer(403, `operation is not permitted on predefined ${body.Name} network `);
    }
    if (scope === "swarm" && this.swarmRole !== "manager") {
      throw this.swarmRole === "none"
        ? new DaemonAnswer(
            500,
            `This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.`,
          )
        : new DaemonAnswer(
            503,
            "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
          );
    }
    const same = [...this.networks.values()].filter((n) => n.Name === body.Name);
    if (
      same.length &&
      (scope === "swarm" || same.some((n) => n.Scope === "swarm") || body.CheckDuplicate || this.options.uniqueNames)
    ) {
      throw new DaemonAnswer(409, `network with name ${body.Name} already exists`);
    }
    const space = scope === "swarm" ? "swarm" : "local";
    const config: NetRecord["IPAM"]["Config"] = [];
    const given = body.IPAM?.Config ?? [];
    for (const c of given) {
      if (!c.Subnet) continue;
      const p = parseCidr(c.Subnet);
      if (typeof p === "string") throw new DaemonAnswer(400, `invalid subnet ${c.Subnet}: ${p}`);
      // Docker checks given pools against its local address space; the swarm's allocator does not refuse overlaps.
      if (space === "local" && this.subnetsIn("local").some((t) => cidrsOverlap(t, p))) {
        throw new DaemonAnswer(403, "Pool overlaps with other one on this address space");
      }
      const entry: { Subnet: string; Gateway?: string; IPRange?: string } = { Subnet: c.Subnet };
      if (c.Gateway) entry.Gateway = c.Gateway;
      // The swarm fills in a gateway for an IPv4 subnet given without one.
      else if (space === "swarm" && p.family === 4) entry.Gateway = v4(p.base + 1n);
      if (c.IPRange) entry.IPRange = c.IPRange;
      config.push(entry);
    }
    const hasV4 = config.some((c) => !c.Subnet?.includes(":"));
    if (!hasV4) {
      const free = this.freeSubnet(space);
      if (!free)
        throw new DaemonAnswer(
          400,
          "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
        );
      config.unshift({ Subnet: free, Gateway: v4(cidr(free).base + 1n) });
    }
    const options: Record<string, string> = { ...body.Options };
    if (driver === "overlay")
      options["com.docker.network.driver.overlay.vxlanid_list"] = String(4096 + this.networks.size);
    const net = this.record(body.Name, { Driver: driver, Scope: scope, Options: options, Config: config });
    net.EnableIPv6 = !!body.EnableIPv6;
    net.Internal = !!body.Internal;
    net.Attachable = !!body.Attachable;
    net.Labels = { ...body.Labels };
    if (scope === "swarm") net.unallocatedInspects = this.options.allocationInspects;
    this.networks.set(net.Id, net);
    return net.Id;
  }

  private remove(idOrName: string): void {
    const n = this.lookup(idOrName);
    if (n.predefined) throw new DaemonAnswer(403, `${n.Name} is a pre-defined network and cannot be removed`);
    if (n.Scope === "swarm") {
      const task = n.remoteTasks[0] ?? (n.endpoints.size > 0 || n.lingering > 0 ? swarmId() : undefined);
      if (n.endpoints.size === 0 && n.lingering > 0) n.lingering--;
      if (task)
        throw new DaemonAnswer(
          400,
          `rpc error: code = FailedPrecondition desc = network ${n.Id} is in use by task ${task}`,
        );
    } else if (n.endpoints.size > 0) {
      throw new DaemonAnswer(403, `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
    }
    this.networks.delete(n.Id);
  }

  private connect(n: NetRecord, c: FakeContainer): void {
    if (n.Scope === "swarm" && !n.Attachable && !n.Ingress) {
      throw new DaemonAnswer(
        403,
        `Could not attach to network ${n.Name}: rpc error: code = PermissionDenied desc = network ${n.Name} not manually attachable`,
      );
    }
    if (n.endpoints.has(c.Id))
      throw new DaemonAnswer(403, `endpoint with name ${c.Name} already exists in network ${n.Name}`);
    const subnet = n.IPAM.Config.find((x) => x.Subnet && !x.Subnet.includes(":"))?.Subnet;
    const base = subnet ? cidr(subnet) : undefined;
    const prefix = base ? base.prefix : 24;
    const ip = base ? `${v4(base.base + BigInt(n.endpoints.size + 2))}/${prefix}` : "";
    n.endpoints.set(c.Id, {
      Name: c.Name,
      EndpointID: hex(32),
      MacAddress: "02:42:0a:00:00:02",
      IPv4Address: ip,
      IPv6Address: "",
    });
  }

  private disconnect(idOrName: string, ref: string, force: boolean): void {
    const n = this.lookup(idOrName);
    const c = this.findContainer(ref);
    if (!c) throw new DaemonAnswer(404, force ? `endpoint ${ref} not found` : `No such container: ${ref}`);
    if (!n.endpoints.has(c.Id)) {
      throw new DaemonAnswer(500, `container ${c.Id} is not connected to ${force ? "the " : ""}network ${n.Name}`);
    }
    n.endpoints.delete(c.Id);
    if (n.Scope === "swarm" && n.endpoints.size === 0) n.lingering = this.options.lingerAfterLastEndpoint;
  }
}

/** An SSH server of the fake world: a host key and the daemons behind its sockets. */
export class FakeServer {
  /** False while its sshd is down: every connection is refused. */
  up = true;
  readonly daemons = new Map<string, FakeDaemon>();
  constructor(
    readonly host: string,
    readonly port: number,
    readonly hostKey: SeenHostKey,
  ) {}
}

/** A random ed25519 host key, as a server presents it. */
export function fakeHostKey(): SeenHostKey {
  const type = Buffer.from("ssh-ed25519");
  const blob = Buffer.alloc(4 + type.length + 4 + 32);
  blob.writeUInt32BE(type.length, 0);
  type.copy(blob, 4);
  blob.writeUInt32BE(32, 4 + type.length);
  randomBytes(32).copy(blob, 8 + type.length);
  return describeHostKey(blob);
}

function serverKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

/** The connection settings that make two clients different, as the real pool keys its sessions. */
function sessionKey(e: SshEndpoint): string {
  const canon = (x: SshEndpoint): unknown => [
    x.host,
    x.port,
    x.user,
    x.privateKey ?? null,
    x.password ?? null,
    x.proxy ? canon(x.proxy) : null,
  ];
  return createHash("sha256")
    .update(JSON.stringify(canon(e)))
    .digest("hex");
}

/**
 * The fake world's transport: which daemon a connection leads to, and which
 * host keys were seen. `docker(spec)` hands out one client per connection and
 * socket; each call first "connects" (sshd up, host key as pinned), then runs
 * on the daemon.
 */
export class FakeDaemons implements Daemons {
  readonly servers = new Map<string, FakeServer>();
  /** Every `docker(spec)` asked for. */
  readonly connections: ConnectionSpec[] = [];
  private readonly seen = new Map<string, SeenHostKey>();
  private readonly clients = new Map<string, EngineApi>();

  /** An SSH server at host:port (created on first mention). */
  server(host: string, port = 22): FakeServer {
    const key = serverKey(host, port);
    let s = this.servers.get(key);
    if (!s) {
      s = new FakeServer(host, port, fakeHostKey());
      this.servers.set(key, s);
    }
    return s;
  }

  /** The daemon on host:port behind `socket` (created on first mention). */
  daemon(host: string, opts: FakeDaemonOptions & { port?: number; socket?: string } = {}): FakeDaemon {
    const s = this.server(host, opts.port ?? 22);
    const socket = opts.socket ?? "/var/run/docker.sock";
    let d = s.daemons.get(socket);
    if (!d) {
      d = new FakeDaemon({ target: `root@${host.includes(":") ? `[${host}]` : host}:${opts.port ?? 22}`, ...opts });
      s.daemons.set(socket, d);
    }
    return d;
  }

  docker(spec: ConnectionSpec): EngineApi {
    this.connections.push(clone(spec));
    const key = `${sessionKey(spec)}\u0000${spec.dockerSocket}\u0000${spec.hostKey ?? ""}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.client(spec);
      this.clients.set(key, client);
    }
    return client;
  }

  hostKeySeen(endpoint: SshEndpoint): SeenHostKey | undefined {
    return this.seen.get(sessionKey(endpoint));
  }

  /** Reach `e` (through its jump host first): sshd up, host key as expected; the key is then seen. */
  private reach(e: SshEndpoint): FakeServer {
    if (e.proxy) this.reach(e.proxy);
    const target = describeEndpoint(e);
    const s = this.servers.get(serverKey(e.host, e.port));
    if (!s || !s.up) {
      const limit = Math.max(1, e.dialErrorLimit);
      const err = new ConnectionError(target, "connection refused");
      err.message = `could not connect to ${target} after ${limit} attempt${limit === 1 ? "" : "s"}: connection refused: is sshd listening on port ${e.port}?`;
      err.dialExhausted = true;
      throw err;
    }
    if (e.hostKey) {
      const expected = hostKeyFingerprint(e.hostKey);
      if (!expected)
        throw new ValidationError("hostKey", "is neither an SSH public key line nor a SHA256: fingerprint");
      if (expected !== s.hostKey.fingerprint) throw new HostKeyMismatchError(target, expected, s.hostKey.fingerprint);
    }
    this.seen.set(sessionKey(e), s.hostKey);
    return s;
  }

  private client(spec: ConnectionSpec): EngineApi {
    const target = describeEndpoint(spec);
    const daemonOf = (): FakeDaemon => {
      const s = this.reach(spec);
      const d = s.daemons.get(spec.dockerSocket);
      if (!d) {
        throw new DockerUnavailableError(
          `${target}: no Docker socket at ${spec.dockerSocket}: dockerd is not running (start it, e.g. systemctl start docker), ` +
            `or set dockerSocket to where it listens.`,
        );
      }
      d.target = target;
      return d;
    };
    const on =
      <A extends unknown[], R>(f: (d: FakeDaemon, ...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> =>
        f(daemonOf(), ...args);
    return {
      target,
      ping: on((d) => d.ping()),
      version: on((d) => d.version()),
      info: on((d) => d.info()),
      listNetworks: on((d, filters?: Record<string, string[]>) => d.listNetworks(filters)),
      inspectNetwork: on((d, id: string) => d.inspectNetwork(id)),
      findNetwork: on((d, id: string) => d.findNetwork(id)),
      createNetwork: on((d, body: NetworkCreateBody) => d.createNetwork(body)),
      removeNetwork: on((d, id: string) => d.removeNetwork(id)),
      connectContainer: on((d, net: string, c: string) => d.connectContainer(net, c)),
      disconnectContainer: on((d, net: string, c: string, force: boolean) => d.disconnectContainer(net, c, force)),
      inspectContainer: on((d, name: string) => d.inspectContainer(name)),
    };
  }
}
