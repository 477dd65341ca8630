// The package as users get it. A copy of this working tree as a clean clone
// has it (tracked and unignored files, no dist/; dependencies installed) is
// packed with `npm pack` (the `prepare` script builds dist/) and installed
// from a git URL; the tarball goes into fresh projects outside the repository
// with a package.json and tsconfig.json like `pulumi new typescript` writes,
// one per end of the @pulumi/pulumi range the package declares
// (peerDependencies), and a program there runs through the `pulumi` binary
// (test language host, type checking on): create, preview with no changes,
// destroy, checked with the docker CLI.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createCliWorld, type CliWorld } from "../support/cli";
import { LOWEST_PULUMI, NEWEST_PULUMI, pathWith } from "../support/paths";
import { writeProgram } from "../support/program";
import { changesOf, ensurePulumiCli, repoRoot } from "../support/pulumi";
import { read, testHost, type TestHost } from "../support/testhost";
import { inspectNetwork } from "./helpers";

const npmEnv = { ...process.env, PATH: pathWith() };

function sh(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env: npmEnv,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 << 20,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`, {
      cause: err,
    });
  }
}

let tmp: string;
let clone: string;
let tarball: string;
let packedFiles: string[];
let h: TestHost;

beforeAll(async () => {
  await ensurePulumiCli();
  h = testHost();
  expect(LOWEST_PULUMI, "peerDependencies names @pulumi/pulumi as ^X.Y.Z").toBeDefined();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-package-"));

  // The working tree as a clean clone has it: what git tracks or would
  // track, without dist/ or anything else ignored; dependencies installed.
  clone = path.join(tmp, "clone");
  const files = sh("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], repoRoot)
    .split("\0")
    .filter(Boolean);
  for (const f of files) {
    const from = path.join(repoRoot, f);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.copyFileSync(from, path.join(clone, f));
    fs.chmodSync(path.join(clone, f), fs.statSync(from).mode);
  }
  expect(fs.existsSync(path.join(clone, "dist"))).toBe(false);
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(clone, "node_modules"), "dir");

  const [packed] = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", tmp], clone)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = path.join(tmp, packed!.filename);
  packedFiles = packed!.files.map((f) => f.path).sort();
}, 10 * 60_000);

const worlds: CliWorld[] = [];
afterAll(() => {
  for (const w of worlds) w.cleanup();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
});

const PROGRAM = [
  `import * as pulumi from "@pulumi/pulumi";`,
  `import * as dockyard from "pulumi-dockyard";`,
  ``,
  `const cfg = new pulumi.Config();`,
  `const server = new dockyard.Server("server", {`,
  `    host: cfg.require("host"),`,
  `    port: cfg.requireNumber("port"),`,
  `    privateKey: cfg.requireSecret("sshKey"),`,
  `    hostKey: cfg.require("hostKey"),`,
  `});`,
  `const apps = new dockyard.Destination("apps", { server, network: cfg.require("network") });`,
  ``,
  `export const dockerVersion: pulumi.Output<string> = server.dockerVersion;`,
  `export const networkId = apps.networkId;`,
  ``,
].join("\n");

/** A project like `pulumi new typescript` makes, depending on @pulumi/pulumi `version` and on pulumi-dockyard `spec`. */
function writeProject(dir: string, name: string, version: string, spec: string): void {
  writeProgram(dir, {
    name,
    program: PROGRAM,
    dependencies: { "@pulumi/pulumi": version, "pulumi-dockyard": spec },
    description: "Dockyard from the packed package",
  });
}

/** Every installed @pulumi/pulumi under `dir` (`npm ls`), as name@version paths. */
function pulumiCopies(dir: string): string[] {
  return sh("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable", "--long"], dir)
    .split("\n")
    .filter(Boolean)
    .filter((l) => l.includes("@pulumi/pulumi@"));
}

async function stackIn(dir: string, network: string): Promise<{ world: CliWorld; stack: string }> {
  const world = await createCliWorld();
  worlds.push(world);
  const stack = "dev";
  await world.run(dir, ["stack", "init", stack, "--secrets-provider", "passphrase"]);
  await world.run(dir, [
    "config",
    "set-all",
    "--plaintext",
    `host=${h.host}`,
    "--plaintext",
    `port=${h.port}`,
    "--secret",
    `sshKey=${read(h.rootKey)}`,
    "--plaintext",
    `hostKey=${h.hostPublicKey}`,
    "--plaintext",
    `network=${network}`,
  ]);
  return { world, stack };
}

async function lastChanges(world: CliWorld, dir: string): Promise<Partial<Record<string, number>>> {
  const history = await world.json<Array<{ resourceChanges?: Record<string, number> }>>(dir, ["stack", "history"]);
  return changesOf(history[0]?.resourceChanges);
}

describe("npm pack on a clean clone", () => {
  it("builds dist/ (prepare) and ships the package's code and nothing of the repository's tests or examples", () => {
    // Besides the compiled code: the licence, and the plugin provider's two ways in (docs/plugin.md).
    const besides = ["package.json", "README.md", "LICENSE", "PulumiPlugin.yaml", "bin/pulumi-resource-dockyard"];
    for (const f of [
      ...besides,
      "dist/sdk/index.js",
      "dist/sdk/index.d.ts",
      "dist/sdk/dynamic.js",
      "dist/provider/index.js",
      "dist/sdk/plugin/main.js",
    ]) {
      expect(packedFiles, f).toContain(f);
    }
    expect(
      packedFiles.filter((f) => !f.startsWith("dist/sdk/") && !f.startsWith("dist/provider/") && !besides.includes(f)),
    ).toEqual([]);
  });

  it("ships, under dist/, each module of provider/ and sdk/ once, as JavaScript and its declarations, and no source maps", () => {
    // The sources the package is built from (tsconfig.json's include), as clean-clone paths.
    const sources = sh(
      "git",
      ["ls-files", "--cached", "--others", "--exclude-standard", "--", "provider/*.ts", "sdk/*.ts"],
      repoRoot,
    )
      .split("\n")
      .filter((f) => f && !f.endsWith(".d.ts") && fs.existsSync(path.join(repoRoot, f)));
    expect(sources.length).toBeGreaterThan(0);
    const expected = sources
      .flatMap((f) => [`dist/${f.replace(/\.ts$/, ".js")}`, `dist/${f.replace(/\.ts$/, ".d.ts")}`])
      .sort();
    // Anything else under dist/ (source maps naming .ts files the package does not hold,
    // a stale module of an earlier build, compiled tests or examples) is not for users.
    expect(packedFiles.filter((f) => f.startsWith("dist/"))).toEqual(expected);
  });
});

describe.each([
  ["lowest", () => LOWEST_PULUMI!],
  ["newest", () => NEWEST_PULUMI],
])("the packed package with the %s @pulumi/pulumi, in a project outside the repository", (_label, version) => {
  it("installs with one @pulumi/pulumi, then creates, previews no changes and destroys through the pulumi binary", async () => {
    const v = version();
    const dir = path.join(tmp, `app-${v}`);
    writeProject(dir, `dockyard-pack-${v.replace(/\./g, "-")}`, v, `file:${tarball}`);
    sh("npm", ["install", "--no-audit", "--no-fund"], dir);

    // One copy of @pulumi/pulumi, the program's: the package brings none of its own.
    const copies = pulumiCopies(dir);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toContain(`@pulumi/pulumi@${v}`);
    expect(fs.existsSync(path.join(dir, "node_modules", "pulumi-dockyard", "node_modules", "@pulumi"))).toBe(false);

    const network = `pack-${randomBytes(4).toString("hex")}`;
    const { world } = await stackIn(dir, network);
    try {
      await world.run(dir, ["up", "--yes", "--skip-preview"]);
      expect(await lastChanges(world, dir)).toEqual({ create: 3 }); // stack, server, destination
      const out = await world.json<{ dockerVersion: string; networkId: string }>(dir, ["stack", "output"]);
      expect(out.dockerVersion).toMatch(/^\d+\./);
      expect(inspectNetwork(network)).toMatchObject({ Id: out.networkId, Name: network });

      const preview = await world.json<{ changeSummary?: Record<string, number> }>(dir, ["preview"]);
      expect(changesOf(preview.changeSummary)).toEqual({});

      await world.run(dir, ["destroy", "--yes", "--skip-preview"]);
      expect(await lastChanges(world, dir)).toEqual({ delete: 3 });
      expect(inspectNetwork(network)).toBeUndefined();
    } finally {
      await world.run(dir, ["destroy", "--yes", "--skip-preview"], { allowFailure: true });
    }
  });
});

describe("an install from a git URL", () => {
  it("builds dist/ (prepare) and the program previews through the pulumi binary", async () => {
    const git = (...args: string[]) =>
      sh("git", ["-c", "user.name=test", "-c", "user.email=test@localhost", ...args], clone);
    git("init", "-q");
    // The symlink to the repository's dependencies stays out (`node_modules/` in .gitignore matches directories only).
    fs.appendFileSync(path.join(clone, ".git", "info", "exclude"), "node_modules\n");
    git("add", "-A");
    git("commit", "-q", "-m", "clean clone");
    const dir = path.join(tmp, "app-git");
    writeProject(dir, "dockyard-git", NEWEST_PULUMI, `git+file://${clone}`);
    sh("npm", ["install", "--no-audit", "--no-fund"], dir);
    expect(fs.existsSync(path.join(dir, "node_modules", "pulumi-dockyard", "dist", "sdk", "index.js"))).toBe(true);
    expect(pulumiCopies(dir)).toHaveLength(1);

    const { world } = await stackIn(dir, `git-${randomBytes(4).toString("hex")}`);
    const preview = await world.json<{ changeSummary?: Record<string, number> }>(dir, ["preview"]);
    expect(changesOf(preview.changeSummary)).toEqual({ create: 3 });
  });
});
