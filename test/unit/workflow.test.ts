// The pull-request workflow example is valid YAML and does what
// docs/pull-requests.md says. (test/e2e/plans.test.ts runs its commands.)
import { describe, expect, it } from "vitest";

import { loadWorkflow, pulumiCommands, words } from "../support/workflow";

describe("examples/github-actions/preview.yml", () => {
  const wf = loadWorkflow();

  it("is a workflow run on pull requests, with a preview job and an apply job that waits for approval", () => {
    expect(wf.name).toBe("dockyard-preview");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(Object.keys(wf.jobs)).toEqual(["preview", "apply"]);
    expect(wf.jobs.apply!.needs).toBe("preview");
    expect(wf.jobs.apply!.environment).toBe("production");
    for (const job of Object.values(wf.jobs))
      expect(job.steps.every((s) => s.uses !== undefined || s.run !== undefined)).toBe(true);
  });

  it("comments the preview, with its diff, on the pull request through pulumi/actions", () => {
    const step = wf.jobs.preview!.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(step?.with).toMatchObject({ command: "preview", diff: true, refresh: true, "comment-on-pr": true });
  });

  it("saves the same preview as an update plan, and applies that plan after approval", () => {
    expect(pulumiCommands(wf, "preview")).toEqual([
      ["preview", "--stack", "$STACK", "--refresh", "--diff", "--save-plan", "dockyard-plan.json"],
    ]);
    expect(pulumiCommands(wf, "apply")).toEqual([
      ["up", "--stack", "$STACK", "--refresh", "--plan", "dockyard-plan.json", "--yes"],
    ]);
    const upload = wf.jobs.preview!.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    const download = wf.jobs.apply!.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(upload?.with?.name).toBe(download?.with?.name);
    expect(upload?.with?.path).toBe("infra/dockyard-plan.json");
  });

  it("commands with shell syntax beyond quoted variables are refused (so what the test runs is what the step runs)", () => {
    expect(() => words("pulumi preview; rm -rf /")).toThrow(/not a plain command/);
    expect(words('pulumi up --stack "$STACK"')).toEqual(["pulumi", "up", "--stack", "$STACK"]);
  });
});
