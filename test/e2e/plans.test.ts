// Approved previews apply exactly: update plans, made and applied with the
// very commands of the pull-request workflow (examples/github-actions/preview.yml),
// through the real engine and the `pulumi` binary (Automation API; see
// test/support/pulumi.ts), against the local test host.
//
// The provider process loads the compiled package: run `npm run build` first.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import type { PreviewOptions, UpOptions } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { changesOf, cleanupAllTestStacks, createTestStack, ensurePulumiCli, type TestStack } from "../support/pulumi";
import { cleanup, docker, read, testHost, type TestHost } from "../support/testhost";
import { loadWorkflow, pulumiCommands } from "../support/workflow";
import { inspectNetwork, loadDockyard } from "./helpers";

const hex = () => randomBytes(4).toString("hex");

let h: TestHost;
let dockyard: typeof import("pulumi-dockyard");

beforeAll(async () => {
    await ensurePulumiCli();
    h = testHost();
    dockyard = loadDockyard();
}, 60 * 60_000);

afterAll(async () => {
    await cleanupAllTestStacks();
});

/**
 * The workflow's `pulumi preview` and `pulumi up` as Automation API options.
 * Every flag must be one this function knows: a flag added to the workflow
 * fails here until the test runs it too.
 */
function workflowOptions(dir: string): { preview: PreviewOptions; up: UpOptions } {
    const wf = loadWorkflow();
    const [preview] = pulumiCommands(wf, "preview");
    const [up] = pulumiCommands(wf, "apply");
    const opts = (args: string[], verb: string, planFlag: string): Record<string, unknown> => {
        expect(args[0]).toBe(verb);
        const o: Record<string, unknown> = {};
        for (let i = 1; i < args.length; i++) {
            const a = args[i]!;
            if (a === "--stack") i++; // the test's own stack
            else if (a === "--refresh") o.refresh = true;
            else if (a === "--diff") o.diff = true;
            else if (a === "--yes") continue; // the Automation API never asks
            else if (a === planFlag) o.plan = path.join(dir, args[++i]!);
            else throw new Error(`the workflow's \`pulumi ${verb}\` has a flag this test does not run: ${a}`);
        }
        return o;
    };
    return { preview: opts(preview!, "preview", "--save-plan") as PreviewOptions, up: opts(up!, "up", "--plan") as UpOptions };
}

describe("update plans: preview --save-plan, then up --plan", () => {
    const prefix = `dyplan-${hex()}`;
    const net = { web: `${prefix}-web`, db: `${prefix}-db` };
    let s: TestStack;
    let cmd: { preview: PreviewOptions; up: UpOptions };

    interface Knobs {
        description: string;
        root: boolean;
        webLabel: string;
        webName: string;
        withDb: boolean;
    }
    let knobs: Knobs = { description: "plans", root: false, webLabel: "front", webName: "web", withDb: true };

    const program = async () => {
        const k = knobs;
        const server = new dockyard.Server("server", {
            host: h.host,
            port: h.port,
            user: k.root ? "root" : h.dockerUser,
            privateKey: pulumi.secret(read(k.root ? h.rootKey : h.dockerUserKey)),
            hostKey: h.hostPublicKey,
            description: k.description,
        });
        new dockyard.Destination("web", { server, type: "standalone", network: net.web, name: k.webName, labels: { tier: k.webLabel } });
        if (k.withDb) new dockyard.Destination("db", { server, type: "standalone", network: net.db });
    };

    /** Preview with the workflow's command (saving the plan), then apply that plan with its `up`. */
    async function approveAndApply(change: Partial<Knobs>): Promise<{ previewed: Record<string, number>; applied: Record<string, number> }> {
        knobs = { ...knobs, ...change };
        if (fs.existsSync(cmd.preview.plan!)) fs.rmSync(cmd.preview.plan!);
        const preview = await s.preview(cmd.preview);
        expect(fs.existsSync(cmd.preview.plan!)).toBe(true);
        const up = await s.up(cmd.up);
        expect(up.summary.result).toBe("succeeded");
        return { previewed: changesOf(preview.changeSummary) as Record<string, number>, applied: changesOf(up.summary.resourceChanges) as Record<string, number> };
    }

    beforeAll(async () => {
        s = await createTestStack({ projectName: "dockyard-plans", stackName: `t${hex()}`, program });
        cmd = workflowOptions(s.tempDir);
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
        for (const d of dests) expect((d.outputs?.connection as { plaintext?: string } | undefined)?.plaintext ?? "").toContain('"user":"root"');
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
        await s.preview(cmd.preview);
        // Meanwhile someone else applies another change.
        knobs = { ...knobs, webLabel: "edge", webName: "Meanwhile" };
        expect(changesOf((await s.up()).summary.resourceChanges)).toEqual({ update: 1 });
        const before = inspectNetwork(net.web)!;

        knobs = { ...knobs, webLabel: "approved", webName: "Web" };
        let message = "";
        await s.up(cmd.up).then(
            () => (message = "succeeded"),
            (e: unknown) => (message = e instanceof Error ? e.message : String(e)),
        );
        // The engine's words: the refresh finds what the other `up` did, which the plan did not expect.
        expect(message).toMatch(/Destination::web violates plan: properties changed: .*name\[\{Web\}\]/);
        const after = inspectNetwork(net.web)!;
        expect(after.Id).toBe(before.Id);
        expect(after.Labels?.tier).toBe("edge");
        expect(docker("network", "inspect", "-f", "{{.Id}}", net.web)).toBe(before.Id);
    });
});
