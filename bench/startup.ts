// Start-up of the dynamic-provider module: how long a fresh Node.js process
// takes to `require("pulumi-dockyard/dynamic")` (the module the serialized
// shim loads in every provider process), and the whole process from spawn to
// exit. Each package directory must have node_modules and a built dist/.
//
//   bench/startup [runs] DIR [DIR …]     e.g. bench/startup 15 . /tmp/base
//
// Runs of the directories alternate, so background load hits all alike.
// Prints one Markdown table (medians and spread, ms) on stdout.
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

const args = process.argv.slice(2);
const runs = /^\d+$/.test(args[0] ?? "") ? Number(args.shift()) : 15;
const dirs = (args.length ? args : ["."]).map((d) => path.resolve(d));

// Alone, and after @pulumi/pulumi (which the dynamic-provider host loads before
// the shim requires Dockyard, so modules both use are loaded already).
const probe = (pulumiFirst: boolean): string => `
${pulumiFirst ? 'require("@pulumi/pulumi");' : ""}
const t0 = process.hrtime.bigint();
require("pulumi-dockyard/dynamic");
const t1 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ requireMs: Number(t1 - t0) / 1e6 }));
`;

interface Sample {
  requireMs: number;
  wallMs: number;
  afterPulumiMs: number;
}

function once(dir: string): Sample {
  const node = path.join(dir, "node_modules", ".bin", "node");
  const started = process.hrtime.bigint();
  const alone: { requireMs: number } = JSON.parse(
    execFileSync(node, ["-e", probe(false)], { cwd: dir, encoding: "utf8" }),
  );
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const afterPulumi: { requireMs: number } = JSON.parse(
    execFileSync(node, ["-e", probe(true)], { cwd: dir, encoding: "utf8" }),
  );
  return { requireMs: alone.requireMs, wallMs, afterPulumiMs: afterPulumi.requireMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function commitOf(dir: string): string {
  try {
    return execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
}

// One unmeasured run each: the first process after a build reads cold files.
for (const d of dirs) once(d);
const samples = new Map<string, Sample[]>(dirs.map((d) => [d, []]));
for (let i = 0; i < runs; i++) {
  const order = i % 2 ? [...dirs].reverse() : dirs;
  for (const d of order) samples.get(d)!.push(once(d));
}

const fmt = (xs: number[]): string =>
  `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
console.log(
  `Start-up of \`require("pulumi-dockyard/dynamic")\`, ${runs} runs each, median (min–max), ms; load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.log("");
console.log(
  "| Package (commit) | module load (`require`), fresh process | process, spawn to exit | module load after `@pulumi/pulumi` is loaded |",
);
console.log("| --- | ---: | ---: | ---: |");
for (const d of dirs) {
  const s = samples.get(d)!;
  const dirty = (() => {
    try {
      return execFileSync("git", ["-C", d, "status", "--porcelain", "--untracked-files=no"], {
        encoding: "utf8",
      }).trim()
        ? ", uncommitted changes"
        : "";
    } catch {
      return "";
    }
  })();
  console.log(
    `| ${path.basename(d)} (${commitOf(d)}${dirty}) | ${fmt(s.map((x) => x.requireMs))} | ${fmt(s.map((x) => x.wallMs))} | ${fmt(s.map((x) => x.afterPulumiMs))} |`,
  );
}
