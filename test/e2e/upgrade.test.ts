// Upgrade churn: a stack written by the previous release (the recorded state
// fixture, test/fixtures/state-0.1.0.json), previewed with the program that
// wrote it (test/programs/upgrade) by the `pulumi` binary in that program's
// directory, shows no changes under the current code, and no step names the
// serialized provider (`__provider`). An edit then previews as that edit only.
//
// The program installs this working tree's package as a packed copy (dist/):
// run `npm run build` first.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createProgramStack, programsDir, type PreviewJson, type ProgramStack } from "../support/cli";
import { changesOf, ensurePulumiCli } from "../support/pulumi";
import { cleanup, read, testHost, type TestHost } from "../support/testhost";
import { installExample } from "./example-stack";
import { fill, type ExportedDeployment } from "./helpers";
import { FIXTURE, createRecordedNetworks, fixtureValues, type Fixture } from "./fixture";

let h: TestHost;

beforeAll(async () => {
  await ensurePulumiCli();
  h = testHost();
  installExample(programsDir);
}, 60 * 60_000);

/** Every step of a preview, with the inputs it names (replace reasons, changed inputs, detailed diff). */
function stepsOf(p: PreviewJson): Array<{ op: string; urn: string; named: string[] }> {
  return (p.steps ?? []).map((m) => ({
    op: m.op,
    urn: m.urn,
    named: [...(m.replaceReasons ?? []), ...(m.diffReasons ?? []), ...Object.keys(m.detailedDiff ?? {})],
  }));
}

describe("a stack recorded by the previous release", () => {
  const prefix = `dyup-${randomBytes(4).toString("hex")}`;
  const nets = { NET_WEB: `${prefix}-web`, NET_SVC: `${prefix}-svc`, NET_GONE: `${prefix}-gone` };
  let s: ProgramStack | undefined;
  afterAll(async () => {
    try {
      await s?.cleanup();
    } finally {
      cleanup(prefix);
    }
  });

  it("previews with no changes under the current code, and an edit as that edit only", async () => {
    const fixture = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Fixture;
    const deployment = fill(fixture.deployment, fixtureValues(h, nets)) as ExportedDeployment;
    // The program that recorded the fixture, as that project and stack.
    s = await createProgramStack("upgrade", { stackName: fixture.stack });
    const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(s.dir, "Pulumi.yaml"), "utf8"))?.[1];
    expect(project).toBe(fixture.project);
    await s.setConfig("host", h.host);
    await s.setConfig("port", String(h.port));
    await s.setConfig("sshKey", read(h.rootKey), { secret: true });
    await s.setConfig("networks", JSON.stringify({ web: nets.NET_WEB, svc: nets.NET_SVC, gone: nets.NET_GONE }));
    const file = path.join(s.world.tempDir, "fixture.json");
    fs.writeFileSync(file, JSON.stringify(deployment));
    await s.run(["stack", "import", "--file", file]);

    const preview = await s.preview();
    expect(preview.changeSummary).toEqual({ same: 5 }); // stack, server, 3 destinations
    const steps = stepsOf(preview);
    expect(steps.filter((x) => x.named.includes("__provider"))).toEqual([]);

    // An edit of one destination: that destination is replaced, nothing else changes.
    await s.setConfig("webTier", "edge");
    const edit = await s.preview();
    expect(changesOf(edit.changeSummary)).toEqual({ replace: 1 });
    const editSteps = stepsOf(edit);
    const changed = editSteps.filter((x) => x.op !== "same" && !x.urn.includes("pulumi:providers:"));
    expect(new Set(changed.map((x) => x.urn.slice(x.urn.lastIndexOf("::") + 2)))).toEqual(new Set(["web"]));
    expect(changed.find((x) => x.op === "replace")?.named).toEqual(["labels"]);
    expect(editSteps.filter((x) => x.named.includes("__provider"))).toEqual([]);

    // The networks exist again (as that version made them), so the stack can be refreshed and destroyed.
    createRecordedNetworks((name) => deployment.deployment.resources.find((r) => r.urn.endsWith(`::${name}`))!);
    await s.setConfig("webTier", "front");
    await s.refresh();
    // After a refresh with the current code, 'gone' (never re-created) is to be created again, and nothing else changes.
    expect(changesOf((await s.preview()).changeSummary)).toEqual({ create: 1 });
  });
});
