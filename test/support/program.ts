// A Pulumi TypeScript program in a directory of its own, as `pulumi new
// typescript` makes one, for the tests that run the `pulumi` binary there.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { NEWEST_PULUMI, pathWith, repoRoot } from "./paths";

export interface ProgramOptions {
  /** The project's name (Pulumi.yaml and package.json). */
  name: string;
  /** index.ts. */
  program: string;
  /** package.json dependencies; @pulumi/pulumi is NEWEST_PULUMI unless given. */
  dependencies?: Record<string, string>;
  /** Pulumi.yaml's description, if any. */
  description?: string;
  /** .npmrc, if any. */
  npmrc?: string;
}

/** Writes the program's Pulumi.yaml, package.json, tsconfig.json (examples/standalone's, as `pulumi new typescript` writes it) and index.ts into `dir`. */
export function writeProgram(dir: string, opts: ProgramOptions): void {
  fs.mkdirSync(dir, { recursive: true });
  const description = opts.description ? `description: ${opts.description}\n` : "";
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${opts.name}\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\n${description}`,
  );
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify(
      {
        name: opts.name,
        main: "index.ts",
        devDependencies: { "@types/node": "^22", typescript: "^5.0.0" },
        dependencies: { "@pulumi/pulumi": NEWEST_PULUMI, ...opts.dependencies },
      },
      null,
      4,
    ),
  );
  if (opts.npmrc !== undefined) fs.writeFileSync(path.join(dir, ".npmrc"), opts.npmrc);
  fs.copyFileSync(path.join(repoRoot, "examples", "standalone", "tsconfig.json"), path.join(dir, "tsconfig.json"));
  fs.writeFileSync(path.join(dir, "index.ts"), opts.program);
}

/** `npm install` in `dir` with the repository's Node.js first on PATH; a failure carries npm's output. */
export function npmInstall(dir: string): void {
  try {
    execFileSync("npm", ["install", "--no-audit", "--no-fund"], {
      cwd: dir,
      env: { ...process.env, PATH: pathWith() },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm install (in ${dir}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`, {
      cause: err,
    });
  }
}

/** The program in a fresh temp dir, its dependencies installed; remove it with removeProgramDir. */
export function createProgramDir(opts: ProgramOptions): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dockyard-${opts.name}-`));
  writeProgram(dir, opts);
  npmInstall(dir);
  return dir;
}

export function removeProgramDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
