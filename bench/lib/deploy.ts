// Pulumi deployments of one Server plus N standalone Destinations on the test
// host, driven through the Automation API with the CLI from scripts/pulumi-cli.
//
// Each stack lives in its own world: a file:// backend and PULUMI_HOME in a
// temp dir, the passphrase secrets provider, no update checks or plugin
// downloads. The workspace dir is inside the repo (bench/results/work-*, git-
// ignored) because the engine starts the dynamic-provider process there and
// that process resolves @pulumi/pulumi and pulumi-dockyard from its cwd.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  LocalWorkspace,
  PulumiCommand,
  type DestroyOptions,
  type DestroyResult,
  type PreviewOptions,
  type PreviewResult,
  type PulumiFn,
  type RefreshOptions,
  type RefreshResult,
  type Stack,
  type UpOptions,
  type UpResult,
} from "@pulumi/pulumi/automation";
import * as dockyard from "pulumi-dockyard";

import { nowMs } from "./stats";

/** The test host's env.json (scripts/testhost), as the benchmarks use it. */
export interface BenchHost {
  host: string;
  port: number;
  rootKey: string;
  hostPublicKey: string;
  dockerSocket: string;
  stateDir?: string;
  /** The main sshd's log (bench.ts adds it). */
  sshdLog: string;
}

/** The repository: the first directory up from here with the package's package.json (this file runs compiled, from bench/.build). */
function findRepoRoot(from: string): string {
  for (let d = from; d !== path.dirname(d); d = path.dirname(d)) {
    const pkg = path.join(d, "package.json");
    if (
      fs.existsSync(pkg) &&
      (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "pulumi-dockyard"
    )
      return d;
  }
  throw new Error(`no pulumi-dockyard package.json above ${from}`);
}

const repoRoot = findRepoRoot(__dirname);
const PASSPHRASE = "dockyard-bench";

/**
 * The Automation API's handle on the CLI, with every CLI invocation timed:
 * `lastRun[op]` is the wall time of the `pulumi <op>` process alone (the
 * Automation API also runs `pulumi stack output` and `pulumi stack history`
 * after an operation; those are not counted).
 */
/** The CLI handle, with its (undocumented) `run`, which every CLI invocation goes through. */
type RunningPulumiCommand = PulumiCommand & { run(args: string[], ...rest: unknown[]): Promise<unknown> };

export type TimedPulumiCommand = RunningPulumiCommand & { lastRun: Record<string, number> };

async function timedPulumiCommand(binDir: string): Promise<TimedPulumiCommand> {
  const cmd = (await PulumiCommand.get({ root: path.dirname(binDir), skipVersionCheck: true })) as TimedPulumiCommand;
  const run = cmd.run.bind(cmd);
  cmd.lastRun = {};
  cmd.run = async (args, ...rest) => {
    const t0 = nowMs();
    try {
      return await run(args, ...rest);
    } finally {
      cmd.lastRun[args[0]!] = nowMs() - t0;
    }
  };
  return cmd;
}

/** The inline program: one Server (key auth, host key pinned) and n Destinations. */
function program(h: BenchHost, privateKey: string, networks: string[]): PulumiFn {
  return async () => {
    const server = new dockyard.Server("server", {
      host: h.host,
      port: h.port,
      user: "root",
      privateKey: pulumi.secret(privateKey),
      hostKey: h.hostPublicKey,
    });
    networks.forEach((network, i) => new dockyard.Destination(`dest-${i}`, { server, network, type: "standalone" }));
    return {};
  };
}

/** Pulumi's floor, part one: a program with no resources at all. */
function emptyProgram(): PulumiFn {
  return async () => ({});
}

/**
 * A provider that makes no remote call: create echoes its inputs (plus a
 * network's outputs), diff reports no change, read returns what it holds.
 * Serialized by Pulumi like Dockyard's shim, so it must be self-contained.
 */
const noopProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, any>) {
    const extra = inputs.network
      ? { networkId: "0".repeat(64), driver: "bridge", scope: "local", subnets: ["10.96.0.0/24"], adopted: false }
      : {
          dockerVersion: "0",
          apiVersion: "0",
          os: "linux",
          architecture: "x86_64",
          swarmState: "active",
          swarmRole: "manager",
          connection: {
            host: inputs.host,
            port: inputs.port,
            user: inputs.user,
            privateKey: inputs.privateKey,
            hostKey: inputs.hostKey,
            dockerSocket: inputs.dockerSocket,
            perDialTimeout: inputs.perDialTimeout,
            dialErrorLimit: inputs.dialErrorLimit,
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

/** A dynamic resource of the no-op provider (pulumi.dynamic.Resource is abstract). */
export class NoopResource extends pulumi.dynamic.Resource {
  // Outputs, as the engine fills them in (declared, never assigned here).
  declare readonly connection: pulumi.Output<unknown>;
  declare readonly host: pulumi.Output<string>;
  declare readonly dockerSocket: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly swarmRole: pulumi.Output<string | undefined>;
}

/**
 * Pulumi's floor, part two: a Server-like resource and n Destination-like
 * resources whose inputs have the shape the SDK sends for a Destination (the
 * same keys, the connection a secret built from the Server's outputs), served
 * by `noopProvider`. The difference between Dockyard and this is Dockyard's
 * own work; `inputKeys` in bench.ts checks that the keys still match.
 */
function noopProgram(h: BenchHost, privateKey: string, networks: string[]): PulumiFn {
  return async () => {
    const server = new NoopResource(
      noopProvider,
      "server",
      {
        host: h.host,
        port: h.port,
        user: "root",
        privateKey: pulumi.secret(privateKey),
        hostKey: h.hostPublicKey,
        dockerSocket: "/var/run/docker.sock",
        perDialTimeout: 15,
        dialErrorLimit: 10,
        name: "server",
        swarmRole: undefined,
        connection: undefined,
      },
      { additionalSecretOutputs: ["privateKey", "connection"] },
      "bench",
      "NoopServer",
    );
    networks.forEach(
      (network, i) =>
        new NoopResource(
          noopProvider,
          `dest-${i}`,
          {
            connection: pulumi.secret(server.connection),
            daemon: { host: server.host, dockerSocket: server.dockerSocket, login: pulumi.secret("sha256:bench") },
            serverName: server.name,
            serverSwarmRole: server.swarmRole,
            owner: `${pulumi.getProject()}/${pulumi.getStack()}/dest-${i}`,
            serverId: server.id,
            resourceUrn: pulumi.createUrn(`dest-${i}`, "pulumi-nodejs:dynamic/bench:NoopDestination"),
            name: pulumi.interpolate`${server.name}-${network}`,
            network,
            type: "standalone",
            attachable: true,
            internal: false,
            ipv6: false,
            driverOptions: {},
            labels: {},
            connect: [],
            adopt: false,
            force: false,
          },
          { additionalSecretOutputs: ["connection"] },
          "bench",
          "NoopDestination",
        ),
    );
    return {};
  };
}

const PROGRAMS = { dockyard: program, empty: emptyProgram, noop: noopProgram };

export type BenchKind = keyof typeof PROGRAMS;

export interface BenchStackOptions {
  cmd: TimedPulumiCommand;
  binDir: string;
  h: BenchHost;
  networks: string[];
  projectName: string;
  parallel?: number;
  kind?: BenchKind;
}

export interface BenchStack {
  stack: Stack;
  up(more?: UpOptions): Promise<UpResult>;
  preview(more?: PreviewOptions): Promise<PreviewResult>;
  refresh(more?: RefreshOptions): Promise<RefreshResult>;
  destroy(more?: DestroyOptions): Promise<DestroyResult>;
  cleanup(o: { destroy: boolean }): Promise<void>;
}

/**
 * A stack for `networks` on the test host. `cmd` from timedPulumiCommand;
 * `kind` picks the program: "dockyard" (default), "empty" or "noop".
 * Returns { stack, ops, cleanup }.
 */
async function createBenchStack({
  cmd,
  binDir,
  h,
  networks,
  projectName,
  parallel,
  kind = "dockyard",
}: BenchStackOptions): Promise<BenchStack> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `${projectName}-`));
  const workDir = path.join(repoRoot, "bench", "results", `work-${projectName}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(workDir, { recursive: true });
  fs.mkdirSync(path.join(tempDir, "home"));
  fs.mkdirSync(path.join(tempDir, "state"));
  const backend = "file://" + path.join(tempDir, "state");
  const env = {
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_BACKEND_URL: backend,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The launcher pulumi-resource-pulumi-nodejs runs the first `node` on PATH: the repo's Node 22.
    PATH: [binDir, path.join(repoRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
  };
  const privateKey = fs.readFileSync(h.rootKey, "utf8");
  const rmDirs = () => {
    for (const d of [workDir, tempDir]) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  };
  let stack: Stack;
  try {
    stack = await LocalWorkspace.createStack(
      { projectName, stackName: "bench", program: PROGRAMS[kind](h, privateKey, networks) },
      {
        workDir,
        pulumiHome: env.PULUMI_HOME,
        pulumiCommand: cmd,
        envVars: env,
        secretsProvider: "passphrase",
        projectSettings: { name: projectName, runtime: "nodejs", backend: { url: backend } },
      },
    );
  } catch (err) {
    rmDirs();
    throw err;
  }
  const opts = parallel ? { parallel } : {};
  return {
    stack,
    up: (more?: UpOptions) => stack.up({ ...opts, ...more }),
    preview: (more?: PreviewOptions) => stack.preview({ ...opts, ...more }),
    refresh: (more?: RefreshOptions) => stack.refresh({ ...opts, ...more }),
    destroy: (more?: DestroyOptions) => stack.destroy({ ...opts, ...more }),
    async cleanup({ destroy }: { destroy: boolean }) {
      if (destroy) await stack.destroy(opts).catch(() => undefined);
      await stack.workspace.removeStack("bench", { force: true }).catch(() => undefined);
      rmDirs();
    },
  };
}

/**
 * Start lib/sampler.js (compiled, beside this file) watching this process's descendants. `stop()`
 * resolves to its JSON summary.
 */
export interface SamplerSummary {
  samples: number;
  intervalMs: number;
  providerPids: number[];
  providerPeakRssKb: number;
  enginePeakRssKb: number;
  providerCpuS: number;
  engineCpuS: number;
  sshClientPorts: number[];
}

function startSampler(sshPort: number, intervalMs = 50): { stop(): Promise<SamplerSummary>; kill(): void } {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, "sampler.js"), String(process.pid), String(sshPort), String(intervalMs)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d: string) => (out += d));
  const done = new Promise<SamplerSummary>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`sampler exited ${code} without a summary: ${out.slice(0, 200)}`));
      }
    });
  });
  return {
    stop() {
      child.stdin.end("stop\n");
      return done;
    },
    kill() {
      child.kill();
    },
  };
}

export { timedPulumiCommand, createBenchStack, startSampler, repoRoot };
