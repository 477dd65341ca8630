// The `pulumi` binary run the way users run it: in a program directory
// (Pulumi.yaml, package.json, tsconfig.json, index.ts), `pulumi up`,
// `preview`, `refresh`, `destroy`. The engine starts `pulumi-language-nodejs`
// from $PATH; here that is the test stand-in in test/support/language-host
// (docs/language-host.md), which runs the program through the program's own
// @pulumi/pulumi (its runner, ts-node type checking, its node_modules).
//
// Each world is throw-away, like the Automation API harness in pulumi.ts:
// a fresh file:// backend and PULUMI_HOME in a temp dir, the passphrase
// secrets provider, no update checks or plugin downloads.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ensurePulumiCli, pulumiEnv, repoRoot } from "./pulumi";

/** The directory holding the test stand-in `pulumi-language-nodejs`. */
export const languageHostDir: string = path.join(repoRoot, "test", "support", "language-host");

/**
 * Environment for the CLI in one world: pulumiEnv's (backend, home,
 * passphrase, no network) with the language host's directory first on PATH,
 * before the CLI's bin dir and the repository's node_modules/.bin (whose
 * `node` is Node 22: the language host and the program run the first `node`
 * on PATH).
 */
export function cliEnv(binDir: string, tempDir: string): Record<string, string> {
  const env = pulumiEnv(binDir, tempDir);
  return { ...env, PATH: [languageHostDir, env.PATH].join(path.delimiter) };
}

export interface PulumiRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunPulumiOptions {
  /** Text for the CLI's stdin (e.g. a secret for `config set --secret`). */
  input?: string;
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFailure?: boolean;
}

/** Where the `pulumi` binary of scripts/pulumi-cli is, once per process. */
export async function pulumiBinary(): Promise<string> {
  return path.join(await ensurePulumiCli(), "pulumi");
}

/**
 * Runs `pulumi <args>` in `dir` with exactly `env` on top of process.env
 * (build it with cliEnv). Rejects when the exit code is not 0 (unless
 * allowFailure), with the command, its exit code and both outputs in the
 * message.
 */
export async function runPulumi(
  dir: string,
  args: string[],
  env: Record<string, string>,
  opts: RunPulumiOptions = {},
): Promise<PulumiRun> {
  const bin = await pulumiBinary();
  const result = await new Promise<PulumiRun>((resolve, reject) => {
    const child = spawn(bin, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
  if (result.code !== 0 && !opts.allowFailure) {
    throw new Error(
      `pulumi ${args.join(" ")} (in ${dir}) exited with code ${result.code}\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}

/** A throw-away backend and PULUMI_HOME for CLI runs; `run` is runPulumi with this world's env. */
export interface CliWorld {
  readonly tempDir: string;
  readonly env: Record<string, string>;
  run(dir: string, args: string[], opts?: RunPulumiOptions): Promise<PulumiRun>;
  /** `pulumi <args> --json` parsed. */
  json<T = unknown>(dir: string, args: string[], opts?: RunPulumiOptions): Promise<T>;
  /** Deletes the temp dir (state included). */
  cleanup(): void;
}

export async function createCliWorld(extraEnv: Record<string, string> = {}): Promise<CliWorld> {
  const bin = await ensurePulumiCli();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-cli-"));
  fs.mkdirSync(path.join(tempDir, "home"));
  fs.mkdirSync(path.join(tempDir, "state"));
  const env = { ...cliEnv(bin, tempDir), ...extraEnv };
  const run = (dir: string, args: string[], opts?: RunPulumiOptions) => runPulumi(dir, args, env, opts);
  return {
    tempDir,
    env,
    run,
    async json<T>(dir: string, args: string[], opts?: RunPulumiOptions) {
      const r = await run(dir, [...args, "--json"], opts);
      try {
        return JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(`pulumi ${args.join(" ")} --json printed no JSON:\n${r.stdout}\n--- stderr\n${r.stderr}`);
      }
    },
    cleanup() {
      fs.rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** The test programs' directory (test/programs): one npm project, one Pulumi project per subdirectory. */
export const programsDir: string = path.join(repoRoot, "test", "programs");

/** One step of `pulumi preview --json` (and of `refresh --preview-only --json`). */
export interface PreviewStep {
  op: string;
  urn: string;
  /** The changed inputs the engine names (the engine events' `diffs`). */
  diffReasons?: string[];
  /** The inputs that force a replacement (the engine events' `keys`). */
  replaceReasons?: string[];
  detailedDiff?: Record<string, unknown>;
}

export interface PreviewJson {
  steps?: PreviewStep[];
  changeSummary?: Record<string, number>;
}

/** A stack of a program directory, with a world of its own; every command gets `--stack`. */
export interface ProgramStack {
  readonly dir: string;
  readonly stackName: string;
  readonly world: CliWorld;
  /** `pulumi <args> --stack <stack>` in the program's directory. */
  run(args: string[], opts?: RunPulumiOptions): Promise<PulumiRun>;
  /** `pulumi config set [--secret] <key> -- <value>`: the value exactly as given. */
  setConfig(key: string, value: string, opts?: { secret?: boolean }): Promise<void>;
  /**
   * `pulumi preview --json --show-sames --show-replacement-steps` plus `args`:
   * every resource's step, unchanged ones too, and a replacement's
   * `create-replacement` and `delete-replaced` steps in the order the engine
   * runs them (the old one's deletion first when it deletes before replacing).
   */
  preview(args?: string[]): Promise<PreviewJson>;
  /** `pulumi up --yes --skip-preview` plus `args`; the change counts the update recorded. */
  up(args?: string[]): Promise<Record<string, number>>;
  /** `pulumi refresh --preview-only --json`. */
  previewRefresh(): Promise<PreviewJson>;
  /** `pulumi refresh --yes --skip-preview`; the change counts it recorded. */
  refresh(): Promise<Record<string, number>>;
  /** The latest entry of `pulumi stack history --json`. */
  lastUpdate(): Promise<{ result?: string; resourceChanges?: Record<string, number> }>;
  /** The resources of `pulumi stack export --show-secrets`. */
  resources(): Promise<Array<{ urn: string; type: string; outputs?: Record<string, unknown>; [k: string]: unknown }>>;
  /** The checkpoint file as stored in the file backend (secrets encrypted), as text. */
  checkpointText(): string;
  /** destroy (unless `destroy: false`), `stack rm` (which removes Pulumi.<stack>.yaml), the world's temp dir. Best effort; first error rethrown. */
  cleanup(opts?: { destroy?: boolean }): Promise<void>;
}

/**
 * `pulumi stack init` of a fresh stack (default name `e2e-<random>`) in
 * test/programs/<program>, in a world of its own. Install the programs'
 * dependencies first (installExample(programsDir), test/e2e/example-stack.ts).
 */
export async function createProgramStack(program: string, opts: { stackName?: string } = {}): Promise<ProgramStack> {
  const dir = path.join(programsDir, program);
  const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"))?.[1];
  if (!project) throw new Error(`${dir}/Pulumi.yaml names no project`);
  const stackName = opts.stackName ?? `e2e-${randomBytes(4).toString("hex")}`;
  const world = await createCliWorld();
  const run = (args: string[], o?: RunPulumiOptions) => world.run(dir, [...args, "--stack", stackName], o);
  const json = async <T>(args: string[]): Promise<T> => world.json<T>(dir, [...args, "--stack", stackName]);
  const lastUpdate = async () =>
    (await json<Array<{ result?: string; resourceChanges?: Record<string, number> }>>(["stack", "history"]))[0] ?? {};
  let cleanedUp = false;
  const s: ProgramStack = {
    dir,
    stackName,
    world,
    run,
    async setConfig(key, value, o) {
      // On the command line, not stdin (where the CLI drops a trailing newline, a key file's last
      // byte); `--` ends the flags, as a value may start with dashes (a PEM key).
      await world.run(dir, [
        "config",
        "set",
        "--stack",
        stackName,
        ...(o?.secret ? ["--secret"] : []),
        key,
        "--",
        value,
      ]);
    },
    preview: (args = []) => json<PreviewJson>(["preview", "--show-sames", "--show-replacement-steps", ...args]),
    async up(args = []) {
      await run(["up", "--yes", "--skip-preview", ...args]);
      return (await lastUpdate()).resourceChanges ?? {};
    },
    previewRefresh: () => json<PreviewJson>(["refresh", "--preview-only"]),
    async refresh() {
      await run(["refresh", "--yes", "--skip-preview"]);
      return (await lastUpdate()).resourceChanges ?? {};
    },
    lastUpdate,
    async resources() {
      const r = await run(["stack", "export", "--show-secrets"]);
      return (JSON.parse(r.stdout) as { deployment?: { resources?: [] } }).deployment?.resources ?? [];
    },
    checkpointText() {
      const stacks = path.join(world.tempDir, "state", ".pulumi", "stacks");
      for (const file of [path.join(stacks, project, `${stackName}.json`), path.join(stacks, `${stackName}.json`)]) {
        if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
      }
      throw new Error(`no checkpoint file for stack ${stackName} under ${stacks}`);
    },
    async cleanup(o) {
      if (cleanedUp) return;
      cleanedUp = true;
      const errors: unknown[] = [];
      if (o?.destroy !== false) await run(["destroy", "--yes", "--skip-preview"]).catch((e: unknown) => errors.push(e));
      await run(["stack", "rm", "--yes", "--force"]).catch((e: unknown) => errors.push(e));
      fs.rmSync(path.join(dir, `Pulumi.${stackName}.yaml`), { force: true });
      try {
        world.cleanup();
      } catch (e) {
        errors.push(e);
      }
      if (errors.length > 0) throw errors[0];
    },
  };
  try {
    await world.run(dir, ["stack", "init", stackName, "--secrets-provider", "passphrase"]);
  } catch (err) {
    await s.cleanup({ destroy: false }).catch(() => {});
    throw err;
  }
  return s;
}
