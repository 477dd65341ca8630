// Helpers for the Dockyard end-to-end tests: the package as the dynamic
// provider process loads it, Docker network inspection, engine event capture
// and the recorded-state fixture's placeholders.

import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";

import type { EngineEvent } from "@pulumi/pulumi/automation";

import { ensurePulumiCli, repoRoot } from "../support/pulumi";
import { docker, dockerOk, testHost, type TestHost } from "../support/testhost";

const nativeRequire = createRequire(__filename);

/**
 * The compiled package (dist/), loaded with Node's own `require` as a user's
 * program would load it. (Importing it through vitest would hand the closure
 * serializer transformed code.) Fails when `npm run build` was not run.
 */
export function loadDockyard(): typeof import("pulumi-dockyard") {
  const entry = path.join(repoRoot, "dist", "sdk", "index.js");
  if (!fs.existsSync(entry) || !fs.existsSync(path.join(repoRoot, "dist", "sdk", "dynamic.js"))) {
    throw new Error("dist/ is missing: run `npm run build` before the e2e tests");
  }
  warnIfStale(entry);
  return nativeRequire("pulumi-dockyard") as typeof import("pulumi-dockyard");
}

/** Hook timeout for a set-up that may build the Pulumi CLI: a cold build takes far longer than hookTimeout. */
export const CLI_SETUP_TIMEOUT = 60 * 60_000;

/**
 * What a file that deploys Dockyard through the Automation API needs, in its
 * beforeAll (with CLI_SETUP_TIMEOUT): the Pulumi CLI (built on first use),
 * the test host's details, and the built package.
 */
export async function setUpDockyard(): Promise<{ h: TestHost; dockyard: typeof import("pulumi-dockyard") }> {
  await ensurePulumiCli();
  return { h: testHost(), dockyard: loadDockyard() };
}

/** The example runner's helpers (scripts/run-example.js). */
export interface ExampleRunner {
  EXAMPLES: string[];
  /** examples/<name>: the program's own directory, where `pulumi` runs. */
  exampleDir(name: string): string;
  projectOf(name: string): { name: string; description?: string };
  testHostConfig(name: string, host: unknown, stackName: string): Record<string, { value: string; secret?: boolean }>;
  /** Config for hosts of scripts/testhost-nodes (`nodes`: nodes.json; `picked`: the nodes to use, in order). */
  nodesConfig(
    name: string,
    nodes: unknown,
    stackName: string,
    picked: unknown[],
  ): Record<string, { value: string; secret?: boolean }>;
}

export function loadExampleRunner(): ExampleRunner {
  return nativeRequire(path.join(repoRoot, "scripts", "run-example.js")) as ExampleRunner;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function warnIfStale(entry: string): void {
  const built = fs.statSync(entry).mtimeMs;
  const sources = Math.max(...["sdk", "provider"].map((d) => newestMtime(path.join(repoRoot, d))));
  if (sources > built) {
    console.warn("e2e: sources are newer than dist/; the provider process runs dist/ (run `npm run build`)");
  }
}

/** `docker network inspect` of one network, or undefined when there is none of that name or id. */
export interface NetworkInfo {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Attachable: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
  Containers?: Record<string, { Name: string }> | null;
}

export function inspectNetwork(nameOrId: string): NetworkInfo | undefined {
  if (!dockerOk("network", "inspect", nameOrId)) return undefined;
  const [net] = JSON.parse(docker("network", "inspect", nameOrId)) as NetworkInfo[];
  return net && (net.Name === nameOrId || net.Id === nameOrId) ? net : undefined;
}

/** Names of the networks carrying Dockyard's owner label with this prefix (`<project>/<stack>/`). */
export function networksOwnedBy(ownerPrefix: string): string[] {
  const out = docker(
    "network",
    "ls",
    "--filter",
    "label=dockyard.owner",
    "--format",
    '{{.Name}}\t{{.Label "dockyard.owner"}}',
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t") as [string, string])
    .filter(([, owner]) => owner?.startsWith(ownerPrefix))
    .map(([name]) => name);
}

/** A step the engine reported (resourcePreEvent), reduced to what tests look at. */
export interface Step {
  op: string;
  urn: string;
  type: string;
  keys: string[];
}

/**
 * Collects the steps of one operation; pass `onEvent` to preview/up.
 * `changed()` leaves out "same" steps and provider resources: the engine
 * reports the default `pulumi-nodejs` provider (which receives the stack's
 * config) as an "update" in every preview of a stack with config, and counts
 * it in no change summary.
 */
export function stepRecorder(): { onEvent: (e: EngineEvent) => void; steps: Step[]; changed(): Step[] } {
  const steps: Step[] = [];
  return {
    steps,
    onEvent(e) {
      const m = e.resourcePreEvent?.metadata;
      if (m) steps.push({ op: m.op, urn: m.urn, type: m.type, keys: m.keys ?? m.diffs ?? [] });
    },
    changed: () => steps.filter((s) => s.op !== "same" && !s.type.startsWith("pulumi:providers:")),
  };
}

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a checkpoint value is a secret (encrypted: `ciphertext`; exported with --show-secrets: `plaintext`). */
export function isSecretValue(v: unknown): boolean {
  return !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/**
 * Recorded-state fixtures: a deployment exported (`stack export
 * --show-secrets`, so secrets are plaintext envelopes) from a stack on the
 * local test host, with everything tied to one machine replaced by
 * placeholders: the root key, the host key, host and port, and the network
 * names (so concurrent runs don't collide). Whole string values only (and
 * `port` numbers), inside secret envelopes too.
 */
export type Placeholders = Record<string, string | number>;

const token = (name: string) => `{{${name}}}`;

export function scrub(value: unknown, values: Placeholders): unknown {
  const byValue = new Map<string | number, string>();
  for (const [name, v] of Object.entries(values)) byValue.set(v, token(name));
  return mapLeaves(value, (v, key) => {
    if (typeof v === "string") return byValue.get(v) ?? v;
    if (typeof v === "number" && key === "port") return byValue.get(v) ?? v;
    return v;
  });
}

export function fill(value: unknown, values: Placeholders): unknown {
  const byToken = new Map<string, string | number>();
  for (const [name, v] of Object.entries(values)) byToken.set(token(name), v);
  return mapLeaves(value, (v) => {
    if (typeof v !== "string" || !v.startsWith("{{")) return v;
    if (!byToken.has(v)) throw new Error(`fixture placeholder ${v} has no value`);
    return byToken.get(v);
  });
}

/** Unfilled placeholders left anywhere in a value. */
export function placeholdersIn(value: unknown): string[] {
  const found = new Set<string>();
  mapLeaves(value, (v) => {
    if (typeof v === "string") for (const m of v.matchAll(/\{\{[A-Z0-9_]+\}\}/g)) found.add(m[0]);
    return v;
  });
  return [...found];
}

function mapLeaves(value: unknown, f: (v: unknown, key: string | undefined) => unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapLeaves(v, f));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (isSecretValue(obj) && typeof obj.plaintext === "string") {
      // The secret's value is JSON text: map inside it.
      const inner = mapLeaves(JSON.parse(obj.plaintext), f, key);
      return { ...obj, plaintext: JSON.stringify(inner) };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, mapLeaves(v, f, k)]));
  }
  return f(value, key);
}

/** `stack export` output, as far as the tests look into it. */
export interface ExportedDeployment {
  version: number;
  deployment: {
    resources: Array<{
      urn: string;
      type: string;
      id?: string;
      inputs?: Record<string, unknown>;
      outputs?: Record<string, unknown>;
      [field: string]: unknown;
    }>;
    [field: string]: unknown;
  };
}
