// The pull-request workflow example (examples/github-actions/preview.yml):
// parsed with a real YAML parser, and its `pulumi` commands as argument lists,
// so tests run the very commands it runs.
import * as fs from "node:fs";
import * as path from "node:path";

import { parse } from "yaml";

import { repoRoot } from "./pulumi";

export const WORKFLOW = path.join(repoRoot, "examples", "github-actions", "preview.yml");

export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<
    string,
    { needs?: string | string[]; environment?: string; steps: WorkflowStep[]; [k: string]: unknown }
  >;
  [k: string]: unknown;
}

/** The workflow, parsed strictly (duplicate keys and other YAML errors throw). */
export function loadWorkflow(): Workflow {
  return parse(fs.readFileSync(WORKFLOW, "utf8"), { strict: true, uniqueKeys: true, prettyErrors: true }) as Workflow;
}

/** Words of a one-line shell command; double-quoted words lose their quotes. No other shell syntax is accepted. */
export function words(command: string): string[] {
  if (/[;&|<>`$(){}\\\n]/.test(command.replace(/"\$[A-Z_]+"/g, ""))) throw new Error(`not a plain command: ${command}`);
  return command
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/^"(.*)"$/, "$1"));
}

/** The `pulumi <verb> ...` run steps of a job, as argument lists after `pulumi`. */
export function pulumiCommands(wf: Workflow, job: string): string[][] {
  return wf.jobs[job]!.steps.filter((s) => typeof s.run === "string" && s.run.trim().startsWith("pulumi ")).map((s) =>
    words(s.run!).slice(1),
  );
}
