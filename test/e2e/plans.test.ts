// Approved previews apply exactly: update plans, made and applied with the
// very commands of the pull-request workflow (examples/github-actions/preview.yml),
// run with the `pulumi` binary in a program directory of its own
// (test/programs/plans, whose resources the stack config `knobs` describes),
// against the local test host.
//
// The program installs this working tree's package as a packed copy (dist/):
// run `npm run build` first.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createProgramStack, programsDir, type PreviewJson, type ProgramStack } from "../support/cli";
import { changesOf, ensurePulumiCli } from "../support/pulumi";
import { cleanup, docker, testHost, type TestHost } from "../support/testhost";
import { loadWorkflow, pulumiCommands } from "../support/workflow";
import { installExample } from "./example-stack";
import { inspectNetwork } from "./helpers";

const hex = () => randomBytes(4).toString("hex");

let h: TestHost;

beforeAll(async () => {
  await ensurePulumiCli();
  h = testHost();
  installExample(programsDir);
}, 60 * 60_000);

/**
 * The workflow's `pulumi preview` and `pulumi up`, word for word, for this
 * test's stack (`$STACK`) and with the plan file in `dir`. Every flag must be
 * one this function knows: a flag added to the workflow fails here until the
 * test is checked against it.
 */
function workflowCommands(stack: string, dir: string): { preview: string[]; up: string[]; plan: string } {
  const wf = loadWorkflow();
  const [preview] = pulumiCommands(wf, "preview");
  const [up] = pulumiCommands(wf, "apply");
  const plans = new Set<string>();
  const command = (args: string[], verb: string, planFlag: string): string[] => {
    expect(args[0]).toBe(verb);
    const out = [verb];
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!;
      if (a === "--stack") {
        expect(args[++i]).toBe("$STACK");
        out.push(a, stack);
      } else if (a === planFlag) {
        const plan = path.join(dir, args[++i]!);
        plans.add(plan);
        out.push(a, plan);
      } else if (a === "--refresh" || a === "--diff" || a === "--yes") out.push(a);
      else throw new Error(`the workflow's \`pulumi ${verb}\` has a flag this test does not know: ${a}`);
    }
    expect(out).toContain(planFlag);
    return out;
  };
  const cmd = { preview: command(preview!, "preview", "--save-plan"), up: command(up!, "up", "--plan") };
  // Both name the same plan file.
  expect(plans.size).toBe(1);
  return { ...cmd, plan: [...plans][0]! };
}

describe("update plans: preview --save-plan, then up --plan", () => {
  const prefix = `dyplan-${hex()}`;
  const net = { web: `${prefix}-web`, db: `${prefix}-db` };
  let s: ProgramStack;
  let cmd: { preview: string[]; up: string[]; plan: string };

  interface Knobs {
    description: string;
    root: boolean;
    webLabel: string;
    webName: string;
    withDb: boolean;
  }
  let knobs: Knobs = { description: "plans", root: false, webLabel: "front", webName: "web", withDb: true };

  /** The stack config `knobs` of test/programs/plans for these knobs. */
  const setKnobs = (k: Knobs) =>
    s.setConfig(
      "knobs",
      JSON.stringify({
        host: h.host,
        port: h.port,
        user: k.root ? "root" : h.dockerUser,
        privateKeyFile: k.root ? h.rootKey : h.dockerUserKey,
        hostKey: h.hostPublicKey,
        description: k.description,
        webNetwork: net.web,
        webName: k.webName,
        webLabel: k.webLabel,
        dbNetwork: net.db,
        withDb: k.withDb,
      }),
    );

  /** The workflow's preview (saving the plan), with `--json` for its change counts. */
  const savePlan = () => s.world.json<PreviewJson>(s.dir, cmd.preview);

  /** Preview with the workflow's command (saving the plan), then apply that plan with its `up`. */
  async function approveAndApply(
    change: Partial<Knobs>,
  ): Promise<{ previewed: Record<string, number>; applied: Record<string, number> }> {
    knobs = { ...knobs, ...change };
    await setKnobs(knobs);
    if (fs.existsSync(cmd.plan)) fs.rmSync(cmd.plan);
    const preview = await savePlan();
    expect(fs.existsSync(cmd.plan)).toBe(true);
    await s.world.run(s.dir, cmd.up);
    const up = await s.lastUpdate();
    expect(up.result).toBe("succeeded");
    return {
      previewed: changesOf(preview.changeSummary) as Record<string, number>,
      applied: changesOf(up.resourceChanges) as Record<string, number>,
    };
  }

  beforeAll(async () => {
    s = await createProgramStack("plans");
    cmd = workflowCommands(s.stackName, s.world.tempDir);
  });

  afterAll(async () => {
    try {
      await s?.cleanup();
    } finally {
      cleanup(prefix);
    }
  });

  it("create", async () => {
    const r = await approveAndApply({});
    expect(r.previewed).toEqual({ create: 4 }); // stack, server, 2 destinations
    expect(r.applied).toEqual(r.previewed);
    expect(inspectNetwork(net.web)).toBeDefined();
    expect(inspectNetwork(net.db)).toBeDefined();
  });

  it("update in place (a display name)", async () => {
    const id = inspectNetwork(net.web)!.Id;
    const r = await approveAndApply({ webName: "Web" });
    expect(r.previewed).toEqual({ update: 1 });
    expect(r.applied).toEqual(r.previewed);
    expect(inspectNetwork(net.web)!.Id).toBe(id);
  });

  it("a Server description edit: exactly one update", async () => {
    const r = await approveAndApply({ description: "plans, edited" });
    expect(r.previewed).toEqual({ update: 1 });
    expect(r.applied).toEqual(r.previewed);
  });

  it("a Server edit that changes the login (user and key): the Server and its destinations update, nothing is replaced", async () => {
    const ids = [inspectNetwork(net.web)!.Id, inspectNetwork(net.db)!.Id];
    const r = await approveAndApply({ root: true });
    expect(r.previewed).toEqual({ update: 3 });
    expect(r.applied).toEqual(r.previewed);
    expect([inspectNetwork(net.web)!.Id, inspectNetwork(net.db)!.Id]).toEqual(ids);
    // The destinations recorded the new login: the state's connection is root's now.
    const dests = (await s.resources()).filter((x) => x.type.endsWith(":Destination"));
    for (const d of dests)
      expect((d.outputs?.connection as { plaintext?: string } | undefined)?.plaintext ?? "").toContain('"user":"root"');
  });

  it("replace (a label)", async () => {
    const id = inspectNetwork(net.web)!.Id;
    const r = await approveAndApply({ webLabel: "edge" });
    expect(r.previewed).toEqual({ replace: 1 });
    expect(r.applied).toEqual(r.previewed);
    const after = inspectNetwork(net.web)!;
    expect(after.Id).not.toBe(id);
    expect(after.Labels?.tier).toBe("edge");
  });

  it("delete", async () => {
    const r = await approveAndApply({ withDb: false });
    expect(r.previewed).toEqual({ delete: 1 });
    expect(r.applied).toEqual(r.previewed);
    expect(inspectNetwork(net.db)).toBeUndefined();
  });

  it("a plan made before another `up` changed the stack is refused, and nothing changes on the server", async () => {
    // Approved: a label edit (a replacement).
    knobs = { ...knobs, webLabel: "approved" };
    await setKnobs(knobs);
    await savePlan();
    // Meanwhile someone else applies another change.
    knobs = { ...knobs, webLabel: "edge", webName: "Meanwhile" };
    await setKnobs(knobs);
    expect(changesOf(await s.up())).toEqual({ update: 1 });
    const before = inspectNetwork(net.web)!;

    knobs = { ...knobs, webLabel: "approved", webName: "Web" };
    await setKnobs(knobs);
    const run = await s.world.run(s.dir, cmd.up, { allowFailure: true });
    const message = run.code === 0 ? "succeeded" : `${run.stdout}\n${run.stderr}`;
    // The engine's words: the refresh finds what the other `up` did, which the plan did not expect.
    expect(message).toMatch(/Destination::web violates plan: properties changed: .*name\[\{Web\}\]/);
    const after = inspectNetwork(net.web)!;
    expect(after.Id).toBe(before.Id);
    expect(after.Labels?.tier).toBe("edge");
    expect(docker("network", "inspect", "-f", "{{.Id}}", net.web)).toBe(before.Id);
  });
});
