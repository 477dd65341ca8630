// The pull-request story through the `pulumi` binary, run the way users run
// it: a program directory of its own (Pulumi.yaml, package.json, index.ts;
// this working tree's package installed as a packed copy), the CLI in that
// directory, the test language host (docs/language-host.md). `pulumi preview
// --json` for what reviewers see, and the workflow's own two commands
// (examples/github-actions/preview.yml), word for word.
//
// Run `npm run build` first: the packed copy holds dist/.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createCliWorld, type CliWorld } from "../support/cli";
import { createProgramDir, removeProgramDir } from "../support/program";
import { ensurePulumiCli, repoRoot } from "../support/pulumi";
import { cleanup, read, testHost, type TestHost } from "../support/testhost";
import { loadWorkflow, pulumiCommands } from "../support/workflow";
import { inspectNetwork } from "./helpers";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as dockyard from "pulumi-dockyard";

const cfg = new pulumi.Config();
const server = new dockyard.Server("server", {
    host: cfg.require("host"),
    port: cfg.requireNumber("port"),
    user: cfg.require("user"),
    privateKey: cfg.requireSecret("sshKey"),
    hostKey: cfg.require("hostKey"),
    name: "cli-server",
    description: cfg.require("description"),
});
const prefix = cfg.require("prefix");
for (const name of ["web", "db", "svc"]) {
    new dockyard.Destination(name, { server, type: "standalone", network: \`\${prefix}-\${name}\`, labels: { tier: name } });
}
`;

interface PreviewJson {
  steps: Array<{
    op: string;
    urn: string;
    diffReasons?: string[];
    replaceReasons?: string[];
    detailedDiff?: Record<string, unknown>;
  }>;
  changeSummary: Record<string, number>;
}

let h: TestHost;
let dir: string;
let world: CliWorld;
const prefix = `dycli-${randomBytes(4).toString("hex")}`;
const stack = "prod";

beforeAll(async () => {
  await ensurePulumiCli();
  h = testHost();
  dir = createProgramDir({
    name: "cli-previews",
    program: PROGRAM,
    dependencies: { "pulumi-dockyard": `file:${repoRoot}` },
    // A packed copy, as the examples install it: one @pulumi/pulumi, the program's.
    npmrc: "install-links=true\n",
  });
  world = await createCliWorld();
  await world.run(dir, ["stack", "init", stack, "--secrets-provider", "passphrase"]);
  for (const [k, v] of Object.entries({
    host: h.host,
    port: String(h.port),
    user: h.dockerUser,
    hostKey: h.hostPublicKey,
    description: "first",
    prefix,
  })) {
    await world.run(dir, ["config", "set", k, v]);
  }
  await world.run(dir, ["config", "set", "--secret", "sshKey"], { input: read(h.dockerUserKey) });
  await world.run(dir, ["up", "--yes"]);
}, 15 * 60_000);

afterAll(async () => {
  try {
    if (world && dir) await world.run(dir, ["destroy", "--yes"], { allowFailure: true });
  } finally {
    world?.cleanup();
    removeProgramDir(dir);
    cleanup(prefix);
  }
});

async function previewJson(): Promise<PreviewJson> {
  return world.json<PreviewJson>(dir, ["preview"]);
}

/** Per resource name, what the preview says: op, and the changed inputs the engine names. */
function byName(p: PreviewJson): Record<string, { op: string; diffs: string[]; replace: string[] }> {
  const out: Record<string, { op: string; diffs: string[]; replace: string[] }> = {};
  for (const s of p.steps) {
    if (s.urn.includes("pulumi:pulumi:Stack")) continue;
    out[s.urn.slice(s.urn.lastIndexOf("::") + 2)] = {
      op: s.op,
      diffs: [...(s.diffReasons ?? [])].sort(),
      replace: [...(s.replaceReasons ?? [])].sort(),
    };
  }
  return out;
}

describe("through the pulumi binary, in a program directory", () => {
  it("the unchanged program previews no change", async () => {
    const p = await previewJson();
    expect(Object.keys(p.changeSummary)).toEqual(["same"]);
  });

  it("a Server description edit previews as exactly one update, and the workflow's plan applies it", async () => {
    await world.run(dir, ["config", "set", "description", "edited"]);
    const p = await previewJson();
    expect(p.changeSummary).toEqual({ same: 4, update: 1 }); // stack and 3 destinations same
    const steps = byName(p);
    expect(steps.server).toEqual({ op: "update", diffs: ["description"], replace: [] });
    // `preview --json` leaves out unchanged resources (no --show-sames).
    for (const d of ["web", "db", "svc"]) expect(steps[d]?.op ?? "same").toBe("same");

    const wf = loadWorkflow();
    const words = (args: string[]) => args.map((a) => (a === "$STACK" ? stack : a));
    const [previewCmd] = pulumiCommands(wf, "preview");
    const [upCmd] = pulumiCommands(wf, "apply");
    const saved = await world.run(dir, words(previewCmd!));
    expect(saved.stdout).toMatch(/~ 1 to update/);
    expect(fs.existsSync(path.join(dir, "dockyard-plan.json"))).toBe(true);
    const applied = await world.run(dir, words(upCmd!));
    expect(applied.stdout).toMatch(/~ 1 updated/);
    expect(Object.keys((await previewJson()).changeSummary)).toEqual(["same"]);
  });

  it("a key rotation and another user update the Server and its destinations, replacing nothing", async () => {
    const ids = ["web", "db", "svc"].map((n) => inspectNetwork(`${prefix}-${n}`)!.Id);
    await world.run(dir, ["config", "set", "user", "root"]);
    await world.run(dir, ["config", "set", "--secret", "sshKey"], { input: read(h.rootKey) });
    const p = await previewJson();
    expect(p.changeSummary).toEqual({ same: 1, update: 4 });
    const steps = byName(p);
    expect(steps.server).toEqual({ op: "update", diffs: ["privateKey", "user"], replace: [] });
    for (const d of ["web", "db", "svc"])
      expect(steps[d]).toEqual({ op: "update", diffs: ["connection", "daemon"], replace: [] });
    await world.run(dir, ["up", "--yes"]);
    expect(["web", "db", "svc"].map((n) => inspectNetwork(`${prefix}-${n}`)!.Id)).toEqual(ids);
  });
});
