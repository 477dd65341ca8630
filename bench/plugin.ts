// The dynamic provider against the plugin provider (`npm run bench` runs this
// after bench.ts; alone: DYBENCH_PLUGIN_ONLY=1 npm run bench).
// At each N: one Server and N standalone Destinations on the test host, once
// through the TypeScript SDK (dynamic provider) and once as
// dockyard:index:Server/Destination (the plugin, bin/pulumi-resource-dockyard),
// then Pulumi's floor for each: the same resources served by a provider that
// makes no remote call (a no-op dynamic provider; a no-op plugin,
// bench/lib/noop-plugin). Reported: `pulumi preview` (no changes) and
// `pulumi refresh`, median of DYBENCH_REPEATS runs, wall time of the CLI
// process. Every program runs inline (Automation API), so the program side is
// the same for all four.
//
//   DYBENCH_SIZES [10,50,200]  DYBENCH_REPEATS [3]  DYBENCH_PULUMI_BIN (bench/run sets it)
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import {
  LocalWorkspace,
  type PreviewResult,
  type PulumiFn,
  type RefreshResult,
  type UpResult,
} from "@pulumi/pulumi/automation";
import * as dockyard from "pulumi-dockyard";

import { NoopResource, timedPulumiCommand, repoRoot, type BenchHost, type TimedPulumiCommand } from "./lib/deploy";

type Kind = "dynamic" | "dynamic-noop" | "plugin" | "plugin-noop";

interface Median {
  ms: number;
  runs: number[];
}

type SizeResult = { n: number } & Partial<Record<Kind, { preview: Median; refresh: Median }>>;

const SIZES = process.env.DYBENCH_SIZES ? process.env.DYBENCH_SIZES.split(",").map(Number) : [10, 50, 200];
const REPEATS = Number(process.env.DYBENCH_REPEATS || 3);
const RUN_ID = randomBytes(3).toString("hex");
const log = (m: string) => process.stderr.write(`bench(plugin): ${m}\n`);

function testHost(): BenchHost {
  const dir = process.env.DOCKYARD_TESTHOST_DIR || "/var/lib/dockyard-testhost";
  return JSON.parse(fs.readFileSync(path.join(dir, "env.json"), "utf8"));
}

const noopDynamic: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, any>) {
    const extra = inputs.network
      ? { networkId: "0".repeat(64), driver: "bridge", scope: "local", subnets: ["10.96.0.0/24"], adopted: false }
      : {
          name: "server",
          swarmRole: "manager",
          dockerVersion: "0",
          connection: {
            host: inputs.host,
            port: inputs.port,
            user: inputs.user,
            privateKey: inputs.privateKey,
            hostKey: inputs.hostKey,
          },
        };
    return { id: `noop-${Math.random().toString(16).slice(2)}`, outs: { ...inputs, ...extra } };
  },
  async diff() {
    return { changes: false, replaces: [], stables: [], deleteBeforeReplace: false };
  },
  async read(id: string, props?: Record<string, unknown>) {
    return { id, props };
  },
};

/** A resource of a plugin provider (pulumi.CustomResource is abstract), with the outputs the program uses. */
class PluginResource extends pulumi.CustomResource {
  declare readonly connection: pulumi.Output<unknown>;
  declare readonly name: pulumi.Output<string>;
}

/** The inline program of one kind: Server + n Destinations. */
function program(kind: Kind, h: BenchHost, privateKey: string, networks: string[]): PulumiFn {
  return async () => {
    const serverArgs = {
      host: h.host,
      port: h.port,
      user: "root",
      privateKey: pulumi.secret(privateKey),
      hostKey: h.hostPublicKey,
    };
    if (kind === "dynamic") {
      const server = new dockyard.Server("server", serverArgs);
      networks.forEach((network, i) => new dockyard.Destination(`dest-${i}`, { server, network, type: "standalone" }));
    } else if (kind === "dynamic-noop") {
      const server = new NoopResource(
        noopDynamic,
        "server",
        { ...serverArgs, name: undefined, swarmRole: undefined, connection: undefined },
        { additionalSecretOutputs: ["connection"] },
        "bench",
        "NoopServer",
      );
      networks.forEach(
        (network, i) =>
          new NoopResource(
            noopDynamic,
            `dest-${i}`,
            { connection: server.connection, serverName: server.name, network, type: "standalone" },
            { additionalSecretOutputs: ["connection"] },
            "bench",
            "NoopDestination",
          ),
      );
    } else {
      const pkg = kind === "plugin" ? "dockyard" : "dybenchnoop";
      const outs = { name: undefined, swarmRole: undefined, connection: undefined };
      const server = new PluginResource(`${pkg}:index:Server`, "server", { ...serverArgs, ...outs });
      networks.forEach(
        (network, i) =>
          new PluginResource(`${pkg}:index:Destination`, `dest-${i}`, {
            connection: server.connection,
            serverName: server.name,
            network,
            type: "standalone",
            networkId: undefined,
          }),
      );
    }
    return {};
  };
}

async function createStack(cmd: TimedPulumiCommand, binDir: string, h: BenchHost, kind: Kind, networks: string[]) {
  const projectName = `dybp-${RUN_ID}-${kind}-n${networks.length}`;
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `${projectName}-`));
  const workDir = path.join(repoRoot, "bench", "results", `work-${projectName}`);
  fs.mkdirSync(workDir, { recursive: true });
  for (const d of ["home", "state"]) fs.mkdirSync(path.join(tempDir, d));
  const backend = "file://" + path.join(tempDir, "state");
  const env = {
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_BACKEND_URL: backend,
    PULUMI_CONFIG_PASSPHRASE: "dockyard-bench",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The engine finds both plugins on PATH; they and the dynamic-provider launcher run the repo's Node 22.
    PATH: [
      binDir,
      path.join(repoRoot, "bin"),
      path.join(repoRoot, "bench", "lib", "noop-plugin"),
      path.join(repoRoot, "node_modules", ".bin"),
      process.env.PATH ?? "",
    ].join(path.delimiter),
  };
  const privateKey = fs.readFileSync(h.rootKey, "utf8");
  const stack = await LocalWorkspace.createStack(
    { projectName, stackName: "bench", program: program(kind, h, privateKey, networks) },
    {
      workDir,
      pulumiHome: env.PULUMI_HOME,
      pulumiCommand: cmd,
      envVars: env,
      secretsProvider: "passphrase",
      projectSettings: { name: projectName, runtime: "nodejs", backend: { url: backend } },
    },
  );
  return {
    stack,
    async cleanup() {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack("bench", { force: true }).catch(() => undefined);
      for (const d of [workDir, tempDir]) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

const changed = (m: Record<string, number> | undefined) =>
  Object.fromEntries(Object.entries(m ?? {}).filter(([op, n]) => op !== "same" && n > 0));

async function median(
  cmd: TimedPulumiCommand,
  op: string,
  fn: () => Promise<UpResult | PreviewResult | RefreshResult>,
): Promise<Median> {
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const r = await fn();
    const c = changed("summary" in r ? r.summary.resourceChanges : r.changeSummary);
    if (Object.keys(c).length) throw new Error(`${op}: expected no changes, got ${JSON.stringify(c)}`);
    runs.push(cmd.lastRun[op]!);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { ms: sorted[Math.floor((sorted.length - 1) / 2)]!, runs };
}

async function measure(cmd: TimedPulumiCommand, binDir: string, h: BenchHost, kind: Kind, n: number) {
  const networks = Array.from({ length: n }, (_, i) => `dybp-${RUN_ID}-${kind}-n${n}-${i}`);
  const s = await createStack(cmd, binDir, h, kind, networks);
  try {
    log(`N=${n} ${kind}: up`);
    await s.stack.up();
    const dests = ((await s.stack.exportStack()).deployment?.resources ?? []).filter((r: { type: string }) =>
      r.type.endsWith("Destination"),
    );
    if (dests.length !== n) throw new Error(`${kind} up: ${dests.length} destinations in the stack, expected ${n}`);
    log(`N=${n} ${kind}: preview x${REPEATS}, refresh x${REPEATS}`);
    const preview = await median(cmd, "preview", () => s.stack.preview());
    const refresh = await median(cmd, "refresh", () => s.stack.refresh());
    return { preview, refresh };
  } finally {
    await s.cleanup();
  }
}

function render(results: { started: string; sizes: SizeResult[] }): string {
  const f = (x: number) => (x / 1000).toFixed(2);
  const lines = [
    `Run ${RUN_ID}, ${results.started}, ${REPEATS} runs each (median; all runs in brackets), seconds of the \`pulumi\` process.`,
    "",
    "| N | op | dynamic | its floor | dynamic − floor | plugin | its floor | plugin − floor |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results.sizes) {
    for (const op of ["preview", "refresh"] as const) {
      const at = (k: Kind) => r[k]![op];
      const d = at("dynamic").ms,
        df = at("dynamic-noop").ms,
        p = at("plugin").ms,
        pf = at("plugin-noop").ms;
      const runs = (k: Kind) => `${f(at(k).ms)} (${at(k).runs.map(f).join(", ")})`;
      lines.push(
        `| ${r.n} | ${op} | ${runs("dynamic")} | ${runs("dynamic-noop")} | ${f(d - df)} | ${runs("plugin")} | ${runs("plugin-noop")} | ${f(p - pf)} |`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

async function main() {
  const binDir = process.env.DYBENCH_PULUMI_BIN;
  if (!binDir)
    throw new Error("DYBENCH_PULUMI_BIN must be the bin dir printed by scripts/pulumi-cli (run `npm run bench`)");
  const h = testHost();
  const cmd = await timedPulumiCommand(binDir);
  const results: { runId: string; started: string; sizes: SizeResult[] } = {
    runId: RUN_ID,
    started: new Date().toISOString(),
    sizes: [],
  };
  // Not measured: the first deployment of each kind pays for cold caches.
  for (const kind of ["dynamic", "plugin"] as const) await measure(cmd, binDir, h, kind, 1);
  for (const n of SIZES) {
    const r: SizeResult = { n };
    for (const kind of ["dynamic", "dynamic-noop", "plugin", "plugin-noop"] as const)
      r[kind] = await measure(cmd, binDir, h, kind, n);
    results.sizes.push(r);
  }
  const text = render(results);
  process.stdout.write(text);
  const dir = path.join(repoRoot, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const stamp = results.started.replace(/[:.]/g, "-");
  fs.writeFileSync(path.join(dir, `plugin-${stamp}.json`), JSON.stringify(results, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, `plugin-${stamp}.md`), text);
  log(`results in bench/results/plugin-${stamp}.{md,json}`);
}

main().catch((err) => {
  process.stderr.write(`bench(plugin): FAILED: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
