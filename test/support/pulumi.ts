// End-to-end harness: drives the real Pulumi engine through the Automation API.
//
// Every stack made here is an *inline program* (the program is a function in
// the test process; `pulumi` talks to it over gRPC, so no Node.js language host
// plugin is needed) living in a throw-away world:
//
//   - state:   a fresh `file://` backend in a temp dir (no Pulumi Cloud),
//   - secrets: the passphrase provider (PULUMI_CONFIG_PASSPHRASE),
//   - home:    PULUMI_HOME in the same temp dir (no plugins, no credentials),
//   - network: none: update checks and plugin downloads are switched off,
//   - CLI:     the `pulumi` built by scripts/pulumi-cli, whose bin dir also
//              holds pulumi-resource-pulumi-nodejs, the dynamic-provider
//              launcher; that dir and <repo>/node_modules/.bin go first on PATH.
//
// The workspace `workDir` is a fresh directory *inside* the repo
// (<repo>/.e2e-work/<random>, git-ignored). It matters: the engine starts the
// dynamic-provider process with cwd = workDir, and that process resolves
// @pulumi/pulumi and every `require(...)` inside a serialized provider from
// cwd's node_modules chain, i.e. from <repo>/node_modules.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import {
  ConfigMap,
  ConfigValue,
  Deployment,
  DestroyOptions,
  DestroyResult,
  LocalWorkspace,
  OpMap,
  OutputMap,
  PreviewOptions,
  PreviewResult,
  PulumiCommand,
  PulumiFn,
  RefreshOptions,
  RefreshResult,
  Stack,
  UpOptions,
  UpResult,
} from "@pulumi/pulumi/automation";

import { pathWith, repoRoot } from "./paths";

export { repoRoot };

/** Parent of every e2e workDir; listed in .gitignore. */
export const e2eWorkRoot: string = path.join(repoRoot, ".e2e-work");

/** Passphrase for the passphrase secrets provider of every test stack. */
export const TEST_PASSPHRASE = "dockyard-e2e-passphrase";

let cliBinDir: Promise<string> | undefined;

/**
 * Builds (first time on a machine) or finds the cached Pulumi CLI by running
 * scripts/pulumi-cli, at most once per process, and returns its bin dir
 * (containing `pulumi` and `pulumi-resource-pulumi-nodejs`). The script's
 * progress goes to this process's stderr. A cold build takes many minutes:
 * call it from a `beforeAll` with a long timeout, or run scripts/pulumi-cli
 * once beforehand.
 */
export function ensurePulumiCli(): Promise<string> {
  cliBinDir ??= runCliScript().catch((err: unknown) => {
    cliBinDir = undefined; // let a later call retry
    throw err;
  });
  return cliBinDir;
}

function runCliScript(): Promise<string> {
  const script = path.join(repoRoot, "scripts", "pulumi-cli");
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0) {
        reject(new Error(`scripts/pulumi-cli failed (${signal ?? `exit code ${code}`})`));
        return;
      }
      const bin = stdout.trim().split("\n").pop() ?? "";
      if (!bin || !fs.existsSync(path.join(bin, "pulumi"))) {
        reject(new Error(`scripts/pulumi-cli printed no usable bin dir: ${JSON.stringify(stdout)}`));
        return;
      }
      resolve(bin);
    });
  });
}

let command: Promise<PulumiCommand> | undefined;

/** The Automation API handle for the cached CLI (built if needed), once per process. */
export function pulumiCommand(): Promise<PulumiCommand> {
  command ??= ensurePulumiCli()
    .then((bin) => PulumiCommand.get({ root: path.dirname(bin), skipVersionCheck: true }))
    .catch((err: unknown) => {
      command = undefined;
      throw err;
    });
  return command;
}

/**
 * Environment for every `pulumi` invocation of a test stack (the Automation
 * API adds it on top of process.env). `binDir` is the CLI's bin dir,
 * `tempDir` the stack's private temp dir.
 */
export function pulumiEnv(binDir: string, tempDir: string): Record<string, string> {
  return {
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_BACKEND_URL: backendUrl(tempDir),
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // Our binary reports v3.276.0, but never fail on a version mismatch.
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The CLI bin dir (the engine also looks next to `pulumi` for the
    // launcher) and the repo's node_modules/.bin, whose `node` is the
    // Node 22 the project pins: the launcher runs the first `node` on PATH.
    PATH: pathWith(binDir),
  };
}

function backendUrl(tempDir: string): string {
  return "file://" + path.join(tempDir, "state");
}

/** A config value as accepted by {@link TestStack.setConfig}: plain string or {value, secret}. */
export type TestConfigValue = string | ConfigValue;

export interface TestStackOptions {
  /** The inline program. It runs in this process; only dynamic providers get serialized. */
  program: PulumiFn;
  /** Pulumi project name; default "dockyard-e2e". */
  projectName?: string;
  /** Stack name; default "test". Each TestStack has its own backend, so names never clash. */
  stackName?: string;
  /** Stack config to set before the first operation (keys may be "ns:key"; bare keys get the project namespace). */
  config?: Record<string, TestConfigValue>;
  /** Extra environment for `pulumi` (and thus for providers it starts); overrides the defaults. */
  envVars?: Record<string, string>;
}

export interface TestStack {
  readonly stack: Stack;
  readonly workspace: LocalWorkspace;
  /** <repo>/.e2e-work/<random>: the workspace dir and the providers' cwd. */
  readonly workDir: string;
  /** Private temp dir outside the repo (state backend, PULUMI_HOME). */
  readonly tempDir: string;
  /** The `file://` backend URL. */
  readonly backendUrl: string;
  /** The environment given to every `pulumi` invocation. */
  readonly env: Readonly<Record<string, string>>;

  up(opts?: UpOptions): Promise<UpResult>;
  preview(opts?: PreviewOptions): Promise<PreviewResult>;
  refresh(opts?: RefreshOptions): Promise<RefreshResult>;
  destroy(opts?: DestroyOptions): Promise<DestroyResult>;

  /** Stack outputs with their secret flags, as the Automation API returns them. */
  outputs(): Promise<OutputMap>;
  /** Stack outputs as plain values (secrets decrypted). */
  outputValues(): Promise<Record<string, unknown>>;
  /**
   * `pulumi stack export --show-secrets` (what the Automation API runs):
   * secret values appear in plaintext, still marked with the secret signature.
   */
  exportStack(): Promise<Deployment>;
  /** The checkpoint file as stored in the file backend (secrets encrypted), as text. */
  checkpointText(): string;
  /** `exportStack().deployment.resources` (empty when the stack has none). */
  resources(): Promise<ExportedResource[]>;

  /** Replaces the inline program used by later operations. */
  setProgram(program: PulumiFn): void;
  setConfig(key: string, value: TestConfigValue): Promise<void>;
  setAllConfig(config: Record<string, TestConfigValue>): Promise<void>;
  removeConfig(key: string): Promise<void>;
  getAllConfig(): Promise<ConfigMap>;

  /**
   * Destroys the stack's resources (unless `destroy: false`), removes the
   * stack and deletes workDir and tempDir. Best effort: every step runs;
   * the first error is rethrown at the end. Safe to call twice.
   */
  cleanup(opts?: { destroy?: boolean }): Promise<void>;
}

/** One resource of an exported checkpoint (the fields tests look at). */
export interface ExportedResource {
  urn: string;
  type: string;
  id?: string;
  custom?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  [field: string]: unknown;
}

const liveStacks = new Set<TestStack>();

/**
 * Creates a stack in a fresh file:// backend with a fresh PULUMI_HOME and a
 * fresh workDir inside the repo, using the cached CLI (built if needed).
 */
export async function createTestStack(opts: TestStackOptions): Promise<TestStack> {
  const pulumi = await pulumiCommand();
  const bin = path.dirname(pulumi.command);
  const projectName = opts.projectName ?? "dockyard-e2e";
  const stackName = opts.stackName ?? "test";

  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-e2e-"));
  fs.mkdirSync(e2eWorkRoot, { recursive: true });
  const workDir = path.join(e2eWorkRoot, `${projectName}-${randomBytes(6).toString("hex")}`);
  fs.mkdirSync(workDir);
  fs.mkdirSync(path.join(tempDir, "home"));
  fs.mkdirSync(path.join(tempDir, "state"));

  const env = { ...pulumiEnv(bin, tempDir), ...opts.envVars };
  let stack: Stack;
  try {
    stack = await LocalWorkspace.createStack(
      { projectName, stackName, program: opts.program },
      {
        workDir,
        pulumiHome: env.PULUMI_HOME,
        pulumiCommand: pulumi,
        envVars: env,
        secretsProvider: "passphrase",
        projectSettings: {
          name: projectName,
          runtime: "nodejs",
          backend: { url: env.PULUMI_BACKEND_URL ?? backendUrl(tempDir) },
        },
      },
    );
  } catch (err) {
    rmrf(workDir);
    rmrf(tempDir);
    throw err;
  }
  const workspace = stack.workspace as LocalWorkspace;
  let cleanedUp = false;

  /**
   * Now and then, on a loaded machine, the engine cannot reach the inline
   * program's gRPC server and gives up before any resource step
   * ("14 UNAVAILABLE: No connection established"). That is the harness's own
   * plumbing, not what a test checks: such a command runs once more.
   */
  async function onceMoreIfProgramUnreached<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const noStep = !/\b(creating|updating|deleting|replacing|reading|refreshing)\b/.test(msg);
      if (/14 UNAVAILABLE: No connection established/.test(msg) && noStep) return run();
      throw err;
    }
  }

  const testStack: TestStack = {
    stack,
    workspace,
    workDir,
    tempDir,
    backendUrl: env.PULUMI_BACKEND_URL ?? backendUrl(tempDir),
    env,

    up: (o) => onceMoreIfProgramUnreached(() => stack.up(o)),
    preview: (o) => onceMoreIfProgramUnreached(() => stack.preview(o)),
    refresh: (o) => onceMoreIfProgramUnreached(() => stack.refresh(o)),
    destroy: (o) => onceMoreIfProgramUnreached(() => stack.destroy(o)),

    outputs: () => stack.outputs(),
    async outputValues() {
      const out = await stack.outputs();
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
    },
    exportStack: () => stack.exportStack(),
    async resources() {
      const exported = await stack.exportStack();
      const resources = (exported.deployment as { resources?: ExportedResource[] } | undefined)?.resources;
      return resources ?? [];
    },

    checkpointText() {
      const stacks = path.join(tempDir, "state", ".pulumi", "stacks");
      for (const file of [
        path.join(stacks, projectName, `${stackName}.json`),
        path.join(stacks, `${stackName}.json`),
      ]) {
        if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
      }
      throw new Error(`no checkpoint file for stack ${stackName} under ${stacks}`);
    },

    setProgram(program) {
      workspace.program = program;
    },
    setConfig: (key, value) => stack.setConfig(key, toConfigValue(value)),
    setAllConfig: (config) =>
      stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, toConfigValue(v)]))),
    removeConfig: (key) => stack.removeConfig(key),
    getAllConfig: () => stack.getAllConfig(),

    async cleanup(o) {
      if (cleanedUp) return;
      cleanedUp = true;
      liveStacks.delete(testStack);
      const errors: unknown[] = [];
      if (o?.destroy !== false) {
        await stack.destroy().catch((e: unknown) => errors.push(e));
      }
      await workspace.removeStack(stackName, { force: true }).catch((e: unknown) => errors.push(e));
      for (const dir of [workDir, tempDir]) {
        try {
          rmrf(dir);
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length > 0) throw errors[0];
    },
  };
  liveStacks.add(testStack);

  if (opts.config) await testStack.setAllConfig(opts.config);
  return testStack;
}

/** Cleans up every TestStack of this process that wasn't cleaned up yet (for afterAll). */
export async function cleanupAllTestStacks(opts?: { destroy?: boolean }): Promise<void> {
  const errors: unknown[] = [];
  for (const s of [...liveStacks]) {
    await s.cleanup(opts).catch((e: unknown) => errors.push(e));
  }
  if (errors.length > 0) throw errors[0];
}

/**
 * The non-"same" entries of a change summary, e.g. `{ update: 1 }`;
 * `{}` means the operation changes nothing.
 */
export function changesOf(summary: OpMap | undefined): Partial<Record<string, number>> {
  const out: Partial<Record<string, number>> = {};
  for (const [op, n] of Object.entries(summary ?? {})) {
    if (op !== "same" && typeof n === "number" && n > 0) out[op] = n;
  }
  return out;
}

function toConfigValue(v: TestConfigValue): ConfigValue {
  return typeof v === "string" ? { value: v } : v;
}

function rmrf(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
