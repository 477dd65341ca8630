// Dockyard benchmarks against the local test host (scripts/testhost), every
// figure measured in one run. Run through `npm run bench` (bench/run), which
// first brings the test host up if it is down, finds the Pulumi CLI, builds
// dist/ and compiles bench/ (to bench/.build). See docs/benchmarks.md for what is measured and how.
//
// Environment knobs (defaults in brackets):
//   DYBENCH_SIZES            destination counts for the deployments [10,50,200]
//   DYBENCH_INSPECT_SAMPLES  inspect samples per method [200]
//   DYBENCH_CREATE_SAMPLES   create+remove samples per method [50]
//   DYBENCH_PARALLEL         pulumi --parallel; empty = the CLI's default [empty]
//   DYBENCH_REPEATS          runs of each preview and refresh; the median is reported [3]
//   DYBENCH_PULUMI_BIN       bin dir printed by scripts/pulumi-cli (bench/run sets it)
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as net from "node:net";

import Docker from "dockerode";
import { Transport } from "pulumi-dockyard/provider";

import { DockerCli } from "./lib/dockercli";
import {
  createBenchStack,
  startSampler,
  timedPulumiCommand,
  repoRoot,
  type BenchHost,
  type BenchKind,
  type BenchStack,
  type TimedPulumiCommand,
} from "./lib/deploy";
import { rawHttp } from "./lib/rawhttp";
import { SshdLogWindow } from "./lib/sshdlog";
import { nowMs, timed, summary } from "./lib/stats";
import * as report from "./lib/report";
import type { Deployment, FloorOp, Machine, Op, OpMeasure, PerOperation, Results } from "./lib/results";
import type { Flavour } from "./lib/dockercli";
import type { DestroyResult, PreviewResult, RefreshResult, Stack, UpResult } from "@pulumi/pulumi/automation";

type OpResult = UpResult | PreviewResult | RefreshResult | DestroyResult;

const envList = (name: string, dflt: number[]): number[] =>
  process.env[name] ? process.env[name].split(",").map((s) => Number(s.trim())) : dflt;
const envNum = (name: string, dflt: number): number => (process.env[name] ? Number(process.env[name]) : dflt);

const SIZES = envList("DYBENCH_SIZES", [10, 50, 200]);
const INSPECT_SAMPLES = envNum("DYBENCH_INSPECT_SAMPLES", 200);
const CREATE_SAMPLES = envNum("DYBENCH_CREATE_SAMPLES", 50);
const WARMUP = 10;
const REPEATS = envNum("DYBENCH_REPEATS", 3);
const PARALLEL = process.env.DYBENCH_PARALLEL ? Number(process.env.DYBENCH_PARALLEL) : undefined;

/** pulumi's operations in flight: --parallel if given, else the CLI's default (read from `pulumi up --help`). */
let FLOOR_CONCURRENCY = PARALLEL ?? 8;
const RUN_ID = randomBytes(3).toString("hex");
const PREFIX = `dybench-${RUN_ID}`;

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

function testHost(): BenchHost {
  const dir = process.env.DOCKYARD_TESTHOST_DIR || "/var/lib/dockyard-testhost";
  const h: BenchHost = JSON.parse(fs.readFileSync(path.join(dir, "env.json"), "utf8"));
  h.sshdLog = path.join(h.stateDir || dir, "sshd-main.log");
  return h;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "?";
  }
}

function loadavg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

async function machine(local: Docker, binDir: string): Promise<Machine> {
  const v = await local.version();
  const helpText = sh(path.join(binDir, "pulumi"), ["up", "--help"]);
  const m = /--parallel int32 .*\(default (\d+)\)/.exec(helpText);
  if (!PARALLEL && m) FLOOR_CONCURRENCY = Number(m[1]);
  return {
    nproc: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "?",
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    os: sh("sh", ["-c", '. /etc/os-release && echo "$PRETTY_NAME"']),
    dockerServer: v.Version,
    dockerApi: v.ApiVersion,
    dockerCli: sh("docker", ["version", "--format", "{{.Client.Version}}"]),
    openssh: sh("sh", ["-c", "ssh -V 2>&1"]),
    node: process.version,
    pulumi: sh(path.join(binDir, "pulumi"), ["version"]),
    parallel: PARALLEL ?? `default (${m ? m[1] : "?"})`,
  };
}

// ---------------------------------------------------------------------------
// Part 1: per-operation latency.

async function perOperation(h: BenchHost, local: Docker, cli: DockerCli): Promise<PerOperation> {
  const out: Omit<Partial<PerOperation>, "methods"> & {
    methods: Record<string, Record<string, ReturnType<typeof summary>>>;
  } = { methods: {} };
  const spec = {
    host: h.host,
    port: h.port,
    user: "root",
    privateKey: fs.readFileSync(h.rootKey, "utf8"),
    hostKey: h.hostPublicKey,
    perDialTimeout: 15,
    dialErrorLimit: 10,
    dockerSocket: h.dockerSocket,
  };
  const transport = new Transport();
  const dy = transport.docker(spec);
  const labels = { "dybench.run": RUN_ID };

  const probe = await local.createNetwork({ Name: `${PREFIX}-probe`, Driver: "bridge", Labels: labels });
  const probeId = probe.id;

  // (a) Dockyard and (b) the local socket, interleaved so background load hits both alike.
  const methods: Record<
    string,
    {
      inspect: () => Promise<unknown>;
      create?: (name: string) => Promise<string>;
      remove?: (id: string) => Promise<unknown>;
    }
  > = {
    dockyard: {
      inspect: () => dy.inspectNetwork(probeId),
      create: (name: string) => dy.createNetwork({ Name: name, Driver: "bridge", Labels: labels }),
      remove: (id: string) => dy.removeNetwork(id),
    },
    local: {
      inspect: () =>
        (local.getNetwork(probeId) as unknown as { inspect(o: { verbose: boolean }): Promise<unknown> }).inspect({
          verbose: false,
        }),
      create: async (name: string) => (await local.createNetwork({ Name: name, Driver: "bridge", Labels: labels })).id,
      remove: (id: string) => local.getNetwork(id).remove(),
    },
  };
  const [connectMs] = await timed(() => dy.ping()); // SSH handshake + first channel + one call
  out.dockyardFirstCallMs = connectMs;

  // Where inspect's time goes: the same GET as bare HTTP/1.1 on one kept-alive
  // stream, an SSH channel of the same connection and a local socket connection.
  const inspectPath = `/networks/${encodeURIComponent(probeId)}?verbose=false`;
  const sshStream = dy.socketSource.openDockerSocket(h.dockerSocket, 30_000, spec.hostKey);
  const localStream = net.connect(h.dockerSocket);
  const rawSsh = rawHttp(sshStream);
  const rawLocal = rawHttp(localStream);
  methods.rawSsh = { inspect: () => rawSsh(inspectPath) };
  methods.rawLocal = { inspect: () => rawLocal(inspectPath) };

  const samples: Record<string, Partial<Record<Op, number[]>>> = {
    dockyard: { inspect: [], create: [], remove: [] },
    local: { inspect: [], create: [], remove: [] },
    rawSsh: { inspect: [] },
    rawLocal: { inspect: [] },
  };
  const inspectors = ["dockyard", "local", "rawSsh", "rawLocal"];
  log(
    `per-operation: inspect x${INSPECT_SAMPLES} (+${WARMUP} warm-up), Dockyard transport and local socket (and bare HTTP on each)`,
  );
  for (let i = 0; i < WARMUP + INSPECT_SAMPLES; i++) {
    // Interleaved, and who goes first rotates, so background load hits all alike.
    for (let k = 0; k < inspectors.length; k++) {
      const m = inspectors[(i + k) % inspectors.length]!;
      const [ms] = await timed(methods[m]!.inspect);
      if (i >= WARMUP) samples[m]!.inspect!.push(ms);
    }
  }
  sshStream.destroy();
  localStream.destroy();
  const order = (i: number) => (i % 2 ? ["dockyard", "local"] : ["local", "dockyard"]);
  log(`per-operation: create+remove x${CREATE_SAMPLES}, Dockyard transport and local socket`);
  for (let i = 0; i < CREATE_SAMPLES; i++) {
    for (const m of order(i)) {
      const [c, id] = await timed(() => methods[m]!.create!(`${PREFIX}-op-${m}-${i}`));
      const [r] = await timed(() => methods[m]!.remove!(id));
      samples[m]!.create!.push(c);
      samples[m]!.remove!.push(r);
    }
  }
  out.dockyardMetrics = { ...transport.pool.metrics };
  out.dockyardCalls = 1 + 2 * (WARMUP + INSPECT_SAMPLES) + 2 * CREATE_SAMPLES; // the bare-HTTP inspects ride the same connection
  transport.closeAll();

  // (c) the docker CLI over SSH, plain and with connection sharing.
  for (const flavour of ["plain", "mux"] as Flavour[]) {
    const s: Record<Op, number[]> = { inspect: [], create: [], remove: [] };
    const before = cli.sshCount(flavour);
    const win = new SshdLogWindow(h.sshdLog);
    log(`per-operation: docker CLI over ssh (${flavour}): inspect x${INSPECT_SAMPLES}, create+rm x${CREATE_SAMPLES}`);
    await cli.run(flavour, ["network", "inspect", probeId]); // warm-up (page cache; the mux master)
    const masterBefore = flavour === "mux" ? cli.masterPid() : undefined;
    for (let i = 0; i < INSPECT_SAMPLES; i++) s.inspect.push(await cli.run(flavour, ["network", "inspect", probeId]));
    for (let i = 0; i < CREATE_SAMPLES; i++) {
      const name = `${PREFIX}-op-cli-${flavour}-${i}`;
      s.create.push(await cli.run(flavour, ["network", "create", "--label", `dybench.run=${RUN_ID}`, name]));
      s.remove.push(await cli.run(flavour, ["network", "rm", name]));
    }
    samples[`cli-${flavour}`] = s;
    out[`cli-${flavour}` as const] = {
      sshProcesses: cli.sshCount(flavour) - before,
      sshdAcceptedAll: win.accepted().length,
      commands: 1 + INSPECT_SAMPLES + 2 * CREATE_SAMPLES,
    };
    if (flavour === "mux") {
      // One master for the whole section means one SSH handshake for all its commands.
      const masterAfter = cli.masterPid();
      out["cli-mux"]!.masterPids = [masterBefore, masterAfter];
      out["cli-mux"]!.oneMaster = masterBefore !== undefined && masterBefore === masterAfter;
    }
  }
  await local.getNetwork(probeId).remove();

  for (const [m, s] of Object.entries(samples)) {
    out.methods[m] = Object.fromEntries(Object.entries(s).map(([op, xs]) => [op, summary(xs)]));
  }
  return out as PerOperation;
}

// ---------------------------------------------------------------------------
// Part 2: deployments of one Server + N Destinations, and the same N networks by the docker CLI.

async function countNetworks(local: Docker, prefix: string): Promise<number> {
  const nets = await local.listNetworks({ filters: { name: [prefix] } });
  return nets.filter((n) => n.Name.startsWith(prefix)).length;
}

function changes(summaryMap: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(summaryMap ?? {}).filter(([op, n]) => op !== "same" && n > 0));
}

/** A `measureMedian` check that the operation changed nothing (preview results carry changeSummary, the others summary.resourceChanges). */
function expectNoChanges(what: string): (r: OpResult) => void {
  return (r) => {
    const c = changes("summary" in r ? r.summary.resourceChanges : r.changeSummary);
    if (Object.keys(c).length) throw new Error(`${what}: expected no changes, got ${JSON.stringify(c)}`);
  };
}

/** The first diagnostic of a failed pulumi command, for the report. */
function firstError(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const m = /^\s*error: (?!update failed)(.+)$/m.exec(text);
  return (m ? m[1]! : text.split("\n")[0]!).trim().slice(0, 300);
}

/** Run fn over items, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function measureOp<R>(
  h: BenchHost,
  cmd: TimedPulumiCommand,
  name: string,
  fn: () => Promise<R>,
): Promise<OpMeasure & { result: R }> {
  const sampler = startSampler(h.port);
  const win = new SshdLogWindow(h.sshdLog);
  const t0 = nowMs();
  const cpu0 = process.cpuUsage();
  let result: R | undefined;
  let error: unknown;
  try {
    result = await fn();
  } catch (err) {
    error = err;
  }
  const totalMs = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const watched = await sampler.stop();
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the measured operation threw, unchanged
  if (error) throw error;
  const accepted = win.accepted();
  const ports = new Set(watched.sshClientPorts);
  return {
    result: result as R,
    wallMs: cmd.lastRun[name]!,
    automationMs: totalMs,
    handshakes: accepted.filter((a) => ports.has(a.port)).length,
    sshdAcceptedAll: accepted.length,
    providerConnections: ports.size,
    providerProcesses: watched.providerPids.length,
    providerPeakRssMiB: watched.providerPeakRssKb / 1024,
    enginePeakRssMiB: watched.enginePeakRssKb / 1024,
    // CPU seconds: this process (the inline program's language host, plus the Automation API), the engine, the provider.
    cpuS: { program: (cpu.user + cpu.system) / 1e6, engine: watched.engineCpuS, provider: watched.providerCpuS },
  };
}

/**
 * `measureOp` REPEATS times; the run with the median wall time is reported,
 * with every run's time, the most handshakes and the highest peak RSS of any
 * run, and sshd's other connections summed. `check` sees each run's result.
 */
async function measureMedian<R>(
  h: BenchHost,
  cmd: TimedPulumiCommand,
  name: string,
  fn: () => Promise<R>,
  check: (r: R) => void = () => {},
): Promise<OpMeasure & { result: R }> {
  const runs: Array<OpMeasure & { result: R }> = [];
  for (let i = 0; i < REPEATS; i++) {
    const r = await measureOp(h, cmd, name, fn);
    check(r.result);
    runs.push(r);
  }
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const handshakes = Math.max(...runs.map((r) => r.handshakes));
  const others = runs.reduce((a, r) => a + r.sshdAcceptedAll - r.handshakes, 0);
  return {
    ...mid,
    runsMs: runs.map((r) => r.wallMs),
    handshakes,
    sshdAcceptedAll: handshakes + others,
    providerPeakRssMiB: Math.max(...runs.map((r) => r.providerPeakRssMiB)),
  };
}

/** Input keys of the first resource of `type` in a stack's state, without the serialized provider. */
async function inputKeys(stack: Stack, typeSuffix: string): Promise<string[]> {
  const resources: Array<{ type: string; urn: string; inputs?: Record<string, unknown> }> =
    (await stack.exportStack()).deployment?.resources ?? [];
  const r = resources.find((x) => x.type.endsWith(typeSuffix));
  if (!r) throw new Error(`no ${typeSuffix} in the stack`);
  return Object.keys(r.inputs ?? {})
    .filter((k) => k !== "__provider")
    .sort();
}

/**
 * Pulumi's own floor at this N: preview and refresh of (1) a program with no
 * resources and (2) the same number of no-op resources shaped like Dockyard's
 * (bench/lib/deploy.ts), no SSH, no Docker. `destKeys` are the input keys of a
 * real Destination: the no-op one must have the same, or the comparison is off.
 */
async function pulumiFloor(
  h: BenchHost,
  cmd: TimedPulumiCommand,
  binDir: string,
  n: number,
  live: Set<BenchStack>,
  destKeys: string[] | undefined,
): Promise<NonNullable<Deployment["pulumiFloor"]>> {
  const out: Partial<NonNullable<Deployment["pulumiFloor"]>> = {};
  for (const kind of ["empty", "noop"] as const satisfies BenchKind[]) {
    const networks = Array.from({ length: n }, (_, i) => `${PREFIX}-${kind}-n${n}-${i}`);
    const s = await createBenchStack({
      cmd,
      binDir,
      h,
      networks,
      projectName: `${PREFIX}-${kind}-n${n}`,
      parallel: PARALLEL,
      kind,
    });
    live.add(s);
    try {
      log(`N=${n}: Pulumi's floor, ${kind === "empty" ? "no resources" : "no-op resources"}: up, preview, refresh`);
      await s.up();
      if (kind === "noop") {
        const keys = await inputKeys(s.stack, ":NoopDestination");
        if (JSON.stringify(keys) !== JSON.stringify(destKeys)) {
          throw new Error(
            `the no-op Destination's inputs (${keys.join(",")}) no longer match a Destination's (${(destKeys ?? []).join(",")}): update bench/lib/deploy.ts`,
          );
        }
      }
      const preview = await measureMedian(h, cmd, "preview", s.preview, expectNoChanges(`${kind}: preview`));
      const refresh = await measureMedian(h, cmd, "refresh", () => s.refresh(), expectNoChanges(`${kind}: refresh`));
      const floorOp = (m: OpMeasure): FloorOp => ({ wallMs: m.wallMs, runsMs: m.runsMs, cpuS: m.cpuS });
      out[kind] = { preview: floorOp(preview), refresh: floorOp(refresh) };
    } finally {
      await s.cleanup({ destroy: true });
      live.delete(s);
    }
  }
  return out as NonNullable<Deployment["pulumiFloor"]>;
}

async function deployment(
  h: BenchHost,
  local: Docker,
  cli: DockerCli,
  cmd: TimedPulumiCommand,
  binDir: string,
  n: number,
  live: Set<BenchStack>,
  { cliLoops = true }: { cliLoops?: boolean } = {},
): Promise<Deployment> {
  const prefix = `${PREFIX}-n${n}-`;
  const networks = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const res = { n, ops: {}, cli: {} } as Deployment & {
    ops: Partial<Deployment["ops"]>;
    cli: Partial<Deployment["cli"]>;
  };
  const s = await createBenchStack({ cmd, binDir, h, networks, projectName: `${PREFIX}-n${n}`, parallel: PARALLEL });
  live.add(s);
  let destroyed = false;
  try {
    log(`N=${n}: pulumi up`);
    const up = await measureOp(h, cmd, "up", () => s.up());
    const created = changes(up.result.summary.resourceChanges);
    if (created.create !== n + 2) throw new Error(`up: expected ${n + 2} creates, got ${JSON.stringify(created)}`);
    const onServer = await countNetworks(local, prefix);
    if (onServer !== n) throw new Error(`up: expected ${n} networks on the server, found ${onServer}`);
    res.ops.up = up;

    log(`N=${n}: pulumi preview (no changes)`);
    const preview = await measureMedian<OpResult>(h, cmd, "preview", () => s.preview(), expectNoChanges("preview"));
    res.ops.preview = preview;

    log(`N=${n}: pulumi refresh`);
    let refresh: OpMeasure & { result: RefreshResult };
    try {
      refresh = await measureMedian(h, cmd, "refresh", () => s.refresh());
    } catch (err) {
      // Measure the Destinations' refresh even when the Server's fails, and say so in the report.
      res.refreshFailure = firstError(err);
      log(`N=${n}: pulumi refresh failed (${res.refreshFailure}); measuring it again with the Server excluded`);
      const resources: Array<{ type: string; urn: string }> = (await s.stack.exportStack()).deployment?.resources ?? [];
      const server = resources.find((r) => r.type.endsWith(":Server"));
      if (!server) throw err;
      refresh = await measureMedian(h, cmd, "refresh", () => s.refresh({ exclude: [server.urn] }));
      refresh.excluded = [server.urn];
    }
    res.ops.refresh = refresh;
    res.refreshChanges = changes(refresh.result.summary.resourceChanges);
    if (n > 0) res.destKeys = await inputKeys(s.stack, ":Destination");

    log(`N=${n}: pulumi destroy`);
    const destroy = await measureOp(h, cmd, "destroy", () => s.destroy());
    destroyed = true;
    const left = await countNetworks(local, prefix);
    if (left !== 0) throw new Error(`destroy: ${left} networks left on the server`);
    res.ops.destroy = destroy;
    for (const op of Object.values(res.ops)) delete op.result;
  } finally {
    await s.cleanup({ destroy: !destroyed });
    live.delete(s);
  }

  if (!cliLoops) return res;

  res.pulumiFloor = await pulumiFloor(h, cmd, binDir, n, live, res.destKeys);

  // The daemon's floor: the same N networks created and removed straight on the local socket,
  // as many at a time as pulumi runs operations, no SSH and no Pulumi.
  const floorPrefix = `${PREFIX}-floor-n${n}-`;
  const floorNames = Array.from({ length: n }, (_, i) => `${floorPrefix}${i}`);
  log(`N=${n}: local socket, ${FLOOR_CONCURRENCY} at a time: ${n} x create, ${n} x remove`);
  const ids: string[] = [];
  const [createMs] = await timed(() =>
    pool(floorNames, FLOOR_CONCURRENCY, async (name: string) =>
      ids.push((await local.createNetwork({ Name: name, Driver: "bridge", Labels: { "dybench.run": RUN_ID } })).id),
    ),
  );
  const [removeMs] = await timed(() => pool(ids, FLOOR_CONCURRENCY, (id: string) => local.getNetwork(id).remove()));
  res.floor = { concurrency: FLOOR_CONCURRENCY, createMs, removeMs };

  // The docker CLI over ssh, one command per network, sequential, as a script would.
  const cliPrefix = `${PREFIX}-cli-n${n}-`;
  const names = Array.from({ length: n }, (_, i) => `${cliPrefix}${i}`);
  for (const verb of ["create", "inspect", "rm"] as const) {
    log(`N=${n}: docker CLI over ssh: ${n} x network ${verb}`);
    const before = cli.sshCount("plain");
    const win = new SshdLogWindow(h.sshdLog);
    const ms = await cli.loop("plain", verb, names);
    res.cli[verb] = { wallMs: ms, handshakes: cli.sshCount("plain") - before, sshdAcceptedAll: win.accepted().length };
  }
  return res;
}

// ---------------------------------------------------------------------------

/**
 * Others share the test host and may stop its dockerd or sshd for a moment
 * (their "daemon down" tests). A section that fails is run once more, after
 * the daemon answers again and this run's leftovers are removed; the retry is
 * recorded in the results.
 */
const retries: Array<{ what: string; error: string }> = [];
async function retryOnce<T>(what: string, local: Docker, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    log(
      `${what} failed: ${String((err as Error)?.message ?? err).split("\n")[0]}; waiting for the daemon, then trying once more`,
    );
    retries.push({ what, error: String((err as Error)?.message ?? err).slice(0, 500) });
    for (let i = 0; i < 120; i++) {
      if (
        await local.ping().then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await removeLeftovers(local);
    return fn();
  }
}

async function removeLeftovers(local: Docker): Promise<void> {
  const nets = await local.listNetworks({ filters: { name: [PREFIX] } }).catch(() => []);
  for (const n of nets) {
    if (n.Name.startsWith(PREFIX))
      await local
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
}

async function main() {
  const binDir = process.env.DYBENCH_PULUMI_BIN;
  if (!binDir || !fs.existsSync(path.join(binDir, "pulumi"))) {
    throw new Error("DYBENCH_PULUMI_BIN must be the bin dir printed by scripts/pulumi-cli (run `npm run bench`)");
  }
  const h = testHost();
  const local = new Docker({ socketPath: h.dockerSocket });
  const cli = new DockerCli(h, { prefix: PREFIX });
  const cmd = await timedPulumiCommand(binDir);
  const live = new Set<BenchStack>();
  let interrupted = false;
  const onSignal = async (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: cleaning up`);
    for (const s of live) await s.cleanup({ destroy: false }).catch(() => undefined);
    await removeLeftovers(local);
    cli.close();
    process.exit(130);
  };
  process.on("SIGINT", (sig) => void onSignal(sig));
  process.on("SIGTERM", (sig) => void onSignal(sig));

  const started = new Date();
  const t0 = nowMs();
  const results: Partial<Results> & Pick<Results, "runId" | "started" | "loadStart"> = {
    runId: RUN_ID,
    started: started.toISOString(),
    loadStart: loadavg(),
  };
  try {
    results.machine = await machine(local, binDir);
    log(`run ${RUN_ID}; load average ${results.loadStart}`);
    results.perOp = await retryOnce("per-operation latency", local, () => perOperation(h, local, cli));
    // Unmeasured: the first deployment of a process pays for cold caches (CLI, plugins, node modules).
    log("warm-up deployment (N=1, not measured)");
    await retryOnce("warm-up", local, () => deployment(h, local, cli, cmd, binDir, 1, live, { cliLoops: false }));
    results.deployments = [];
    for (const n of SIZES) {
      const loadBefore = loadavg();
      const d = await retryOnce(`N=${n}`, local, () => deployment(h, local, cli, cmd, binDir, n, live));
      d.loadBefore = loadBefore;
      results.deployments.push(d);
    }
  } finally {
    for (const s of live) await s.cleanup({ destroy: true }).catch(() => undefined);
    await removeLeftovers(local);
    cli.close();
  }
  results.loadEnd = loadavg();
  results.retries = retries;
  results.durationS = (nowMs() - t0) / 1000;
  results.sizes = SIZES;
  results.repeats = REPEATS;

  const text = report.render(results as Results);
  process.stdout.write(text);
  const dir = path.join(repoRoot, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  fs.writeFileSync(path.join(dir, `${stamp}.json`), JSON.stringify(results, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, `${stamp}.md`), text);
  log(`results in bench/results/${stamp}.{md,json}`);
}

main().catch((err) => {
  process.stderr.write(`bench: FAILED: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
