// The examples (examples/*) run the way their READMEs tell users to run them:
// in the example's own directory, with the `pulumi` binary (`stack init`,
// `config set-all`, `up`, `preview`, `refresh`, `destroy`), the program
// loaded by the language host (in tests the stand-in of
// test/support/language-host) through the example's own node_modules, with
// TypeScript type checking on.
//
// Each example installs this working tree's package as a packed copy
// (`file:../..` with install-links=true in its .npmrc), so before the first
// stack of a run the copy is installed afresh from the current dist/.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { createCliWorld, type CliWorld } from "../support/cli";
import { pathWith } from "../support/paths";
import type { ExportedResource } from "../support/pulumi";
import type { ExampleRunner } from "./helpers";

export type ConfigMap = Record<string, { value: string; secret?: boolean }>;

/** The change counts of one operation (as the engine records them in the stack's history). */
export interface ChangeSummary {
  [op: string]: number;
}

export interface ExampleStack {
  readonly dir: string;
  readonly stackName: string;
  readonly world: CliWorld;
  /** `pulumi up --yes`; the recorded changes of that update. */
  up(): Promise<{ summary: { resourceChanges: ChangeSummary } }>;
  /** `pulumi preview --json`. */
  preview(): Promise<{ changeSummary: ChangeSummary; steps: Array<{ op: string; urn: string }> }>;
  /** `pulumi refresh --yes`; the recorded changes. */
  refresh(): Promise<{ summary: { resourceChanges: ChangeSummary } }>;
  /** `pulumi destroy --yes`; the recorded changes. */
  destroy(): Promise<{ summary: { resourceChanges: ChangeSummary } }>;
  /** `pulumi stack output --json --show-secrets`. */
  outputValues(): Promise<Record<string, unknown>>;
  /** The resources of `pulumi stack export --show-secrets`. */
  resources(): Promise<ExportedResource[]>;
  /** destroy (unless `destroy: false`), `stack rm`, and the world's temp dir. Best effort; first error rethrown. */
  cleanup(opts?: { destroy?: boolean }): Promise<void>;
}

const installed = new Set<string>();
const liveStacks = new Set<ExampleStack>();

/** Cleans up every ExampleStack of this process that wasn't cleaned up yet (for afterAll). */
export async function cleanupAllExampleStacks(): Promise<void> {
  const errors: unknown[] = [];
  for (const s of [...liveStacks]) await s.cleanup().catch((e: unknown) => errors.push(e));
  if (errors.length > 0) throw errors[0];
}

/**
 * `npm install` in the example's directory, with this working tree's package
 * packed anew (its `prepare` builds dist/), and a check that the example
 * then has exactly one @pulumi/pulumi. Once per example per process.
 */
export function installExample(dir: string): void {
  if (installed.has(dir)) return;
  fs.rmSync(path.join(dir, "node_modules", "pulumi-dockyard"), { recursive: true, force: true });
  try {
    execFileSync("npm", ["install", "--no-audit", "--no-fund"], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: pathWith() },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm install in ${dir} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`, { cause: err });
  }
  // One @pulumi/pulumi, the program's own: the packed package brings none.
  const copies = execFileSync("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable"], { cwd: dir, encoding: "utf8" })
    .split("\n")
    .filter((l) => l.endsWith(path.join("node_modules", "@pulumi", "pulumi")));
  if (copies.length !== 1)
    throw new Error(`${dir} has ${copies.length} copies of @pulumi/pulumi, not 1:\n${copies.join("\n")}`);
  installed.add(dir);
}

/** Everything but `key=value` would be read as a flag by `config set-all`; keys are ours, values are not flags. */
function configArgs(config: ConfigMap): string[] {
  const args: string[] = [];
  for (const [key, { value, secret }] of Object.entries(config))
    args.push(secret ? "--secret" : "--plaintext", `${key}=${value}`);
  return args;
}

/**
 * A fresh stack (random name, its own file:// backend) of example `name`,
 * made in the example's directory; `config` is made for that stack name.
 */
export async function createExampleStack(
  runner: ExampleRunner,
  name: string,
  config: (stackName: string) => ConfigMap,
): Promise<{ s: ExampleStack; project: string; stackName: string }> {
  const dir = runner.exampleDir(name);
  installExample(dir);
  const project = runner.projectOf(name).name;
  const stackName = `t${randomBytes(4).toString("hex")}`;
  const world = await createCliWorld();
  const run = (args: string[]) => world.run(dir, args);

  const lastUpdate = async () => {
    const history = await world.json<Array<{ resourceChanges?: ChangeSummary }>>(dir, [
      "stack",
      "history",
      "--stack",
      stackName,
    ]);
    return { summary: { resourceChanges: history[0]?.resourceChanges ?? {} } };
  };
  let cleanedUp = false;
  const s: ExampleStack = {
    dir,
    stackName,
    world,
    async up() {
      await run(["up", "--yes", "--skip-preview", "--stack", stackName]);
      return lastUpdate();
    },
    async preview() {
      const out = await world.json<{ changeSummary?: ChangeSummary; steps?: Array<{ op: string; urn: string }> }>(dir, [
        "preview",
        "--stack",
        stackName,
      ]);
      return { changeSummary: out.changeSummary ?? {}, steps: out.steps ?? [] };
    },
    async refresh() {
      await run(["refresh", "--yes", "--skip-preview", "--stack", stackName]);
      return lastUpdate();
    },
    async destroy() {
      await run(["destroy", "--yes", "--skip-preview", "--stack", stackName]);
      return lastUpdate();
    },
    outputValues: () =>
      world.json<Record<string, unknown>>(dir, ["stack", "output", "--show-secrets", "--stack", stackName]),
    async resources() {
      const r = await run(["stack", "export", "--show-secrets", "--stack", stackName]);
      return (JSON.parse(r.stdout) as { deployment?: { resources?: ExportedResource[] } }).deployment?.resources ?? [];
    },
    async cleanup(o) {
      if (cleanedUp) return;
      cleanedUp = true;
      liveStacks.delete(s);
      const errors: unknown[] = [];
      if (o?.destroy !== false) await s.destroy().catch((e: unknown) => errors.push(e));
      // Also removes the stack's settings file, examples/<name>/Pulumi.<stack>.yaml.
      await run(["stack", "rm", "--yes", "--force", "--stack", stackName]).catch((e: unknown) => errors.push(e));
      try {
        world.cleanup();
      } catch (e) {
        errors.push(e);
      }
      if (errors.length > 0) throw errors[0];
    },
  };
  liveStacks.add(s);
  try {
    await run(["stack", "init", stackName, "--secrets-provider", "passphrase"]);
    await run(["config", "set-all", "--stack", stackName, ...configArgs(config(stackName))]);
  } catch (err) {
    await s.cleanup({ destroy: false }).catch(() => {});
    throw err;
  }
  return { s, project, stackName };
}
