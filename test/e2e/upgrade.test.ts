// Upgrade churn: a stack written by the previous release (the recorded state
// fixture, test/fixtures/state-0.1.0.json), previewed with the program that
// wrote it, shows no changes under the current code, and no step names the
// serialized provider (`__provider`). An edit then previews as that edit only.
//
// The provider process loads the compiled package: run `npm run build` first.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";

import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { changesOf, cleanupAllTestStacks, createTestStack, ensurePulumiCli } from "../support/pulumi";
import { cleanup, docker, read, testHost, type TestHost } from "../support/testhost";
import { fill, loadDockyard, type ExportedDeployment } from "./helpers";
import { FIXTURE, fixtureValues, type Fixture } from "./fixture";

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

describe("a stack recorded by the previous release", () => {
    const prefix = `dyup-${randomBytes(4).toString("hex")}`;
    const nets = { NET_WEB: `${prefix}-web`, NET_SVC: `${prefix}-svc`, NET_GONE: `${prefix}-gone` };
    afterAll(() => cleanup(prefix));

    it("previews with no changes under the current code, and an edit as that edit only", async () => {
        const fixture = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Fixture;
        const deployment = fill(fixture.deployment, fixtureValues(h, nets)) as ExportedDeployment;
        let webTier = "front";
        // The program that recorded the fixture (test/tools/record-fixture.test.ts).
        const s = await createTestStack({
            projectName: fixture.project,
            stackName: fixture.stack,
            program: async () => {
                const cfg = new pulumi.Config();
                const server = new dockyard.Server("server", {
                    host: cfg.require("host"),
                    port: cfg.requireNumber("port"),
                    privateKey: cfg.requireSecret("sshKey"),
                });
                new dockyard.Destination("web", { server, type: "standalone", network: nets.NET_WEB, name: "web", labels: { tier: webTier } });
                new dockyard.Destination("svc", { server, type: "swarm", network: nets.NET_SVC, name: "svc", labels: { tier: "services" } });
                new dockyard.Destination("gone", { server, type: "standalone", network: nets.NET_GONE, name: "gone" });
                return { hostKeyFingerprint: server.hostKeyFingerprint };
            },
            config: { host: h.host, port: String(h.port), sshKey: { value: read(h.rootKey), secret: true } },
        });
        await s.stack.importStack(deployment);

        const steps: Array<{ op: string; urn: string; named: string[] }> = [];
        const onEvent = (e: EngineEvent) => {
            const m = e.resourcePreEvent?.metadata;
            if (m) steps.push({ op: m.op, urn: m.urn, named: [...(m.keys ?? []), ...(m.diffs ?? []), ...Object.keys(m.detailedDiff ?? {})] });
        };
        const preview = await s.preview({ onEvent });
        expect(preview.changeSummary).toEqual({ same: 5 }); // stack, server, 3 destinations
        expect(steps.filter((x) => x.named.includes("__provider"))).toEqual([]);

        // An edit of one destination: that destination is replaced, nothing else changes.
        webTier = "edge";
        steps.length = 0;
        const edit = await s.preview({ onEvent });
        expect(changesOf(edit.changeSummary)).toEqual({ replace: 1 });
        const changed = steps.filter((x) => x.op !== "same" && !x.urn.includes("pulumi:providers:"));
        expect(new Set(changed.map((x) => x.urn.slice(x.urn.lastIndexOf("::") + 2)))).toEqual(new Set(["web"]));
        expect(changed.find((x) => x.op === "replace")?.named).toEqual(["labels"]);
        expect(steps.filter((x) => x.named.includes("__provider"))).toEqual([]);

        // The networks exist again (as that version made them), so the stack can be refreshed and destroyed.
        for (const [name, driver] of [
            ["web", "bridge"],
            ["svc", "overlay"],
        ] as const) {
            const outs = deployment.deployment.resources.find((r) => r.urn.endsWith(`::${name}`))!.outputs as { network: string; owner: string; labels: Record<string, string> };
            const labels = { ...outs.labels, "dockyard.managed": "true", "dockyard.destination": name, "dockyard.owner": outs.owner };
            docker("network", "create", "--driver", driver, ...(driver === "overlay" ? ["--attachable"] : []), ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), outs.network);
        }
        webTier = "front";
        await s.refresh();
        // After a refresh with the current code, 'gone' (never re-created) is to be created again, and nothing else changes.
        expect(changesOf((await s.preview()).changeSummary)).toEqual({ create: 1 });
    });
});
