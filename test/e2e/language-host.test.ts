// The test stand-in for pulumi-language-nodejs (test/support/language-host,
// docs/language-host.md) under the `pulumi` binary: a project outside the
// repository like `pulumi new typescript` makes, its own @pulumi/pulumi
// installed, no resources. What the program sees is what the real host gives
// it: the stack's config and secret keys, project and stack, dry-run in
// previews only, and TypeScript checked (a type error fails the run).

import * as fs from "node:fs";
import * as path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createCliWorld, type CliWorld } from "../support/cli";
import { createProgramDir, removeProgramDir } from "../support/program";
import { ensurePulumiCli, repoRoot } from "../support/pulumi";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";

const cfg = new pulumi.Config();
console.log(\`program: dryRun=\${pulumi.runtime.isDryRun()}\`);

export const greeting: string = cfg.require("greeting");
export const tokenLength = cfg.requireSecret("token").apply((t) => t.length);
export const project = pulumi.getProject();
export const stack = pulumi.getStack();
export const cwd = process.cwd();
`;

let dir: string;
let world: CliWorld;

beforeAll(async () => {
  await ensurePulumiCli();
  dir = createProgramDir({ name: "langhost-check", program: PROGRAM });
  world = await createCliWorld();
  await world.run(dir, ["stack", "init", "dev", "--secrets-provider", "passphrase"]);
  await world.run(dir, ["config", "set", "greeting", "hello"]);
  await world.run(dir, ["config", "set", "--secret", "token", "s3cret-value"]);
}, 10 * 60_000);

afterAll(() => {
  world?.cleanup();
  removeProgramDir(dir);
});

describe("the test language host", () => {
  it("runs the program in its directory with the stack's config, secrets, project, stack and dry-run", async () => {
    const preview = await world.run(dir, ["preview"]);
    expect(preview.stdout).toContain("program: dryRun=true");
    expect(preview.stdout).not.toContain("program: dryRun=false");

    const up = await world.run(dir, ["up", "--yes", "--skip-preview"]);
    expect(up.stdout).toContain("program: dryRun=false");
    expect(up.stdout + up.stderr).toContain(
      `using pulumi-language-nodejs from $PATH at ${path.join(repoRoot, "test", "support", "language-host")}`,
    );

    const out = await world.json<Record<string, unknown>>(dir, ["stack", "output", "--show-secrets"]);
    expect(out).toEqual({
      greeting: "hello",
      tokenLength: "s3cret-value".length,
      project: "langhost-check",
      stack: "dev",
      cwd: fs.realpathSync(dir),
    });
    // The secret stays one: without --show-secrets it is masked.
    const masked = await world.json<Record<string, unknown>>(dir, ["stack", "output"]);
    expect(masked.tokenLength).toBe("[secret]");
  });

  it("type-checks index.ts: a type error fails the run and names it", async () => {
    fs.writeFileSync(path.join(dir, "index.ts"), `${PROGRAM}\nexport const wrong: number = "not a number";\n`);
    try {
      const r = await world.run(dir, ["preview"], { allowFailure: true });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/Unable to compile TypeScript/);
      expect(r.stdout + r.stderr).toMatch(/TS2322: Type 'string' is not assignable to type 'number'/);
    } finally {
      fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
    }
  });
});
