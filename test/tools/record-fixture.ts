// Records the upgrade fixture (test/fixtures/state-0.1.0.json) with the code
// of this checkout: `npx vitest run --project tools`. Not part of `npm test`;
// the e2e test "imports, refreshes and destroys with the current code" reads
// what this writes.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, expect, it } from "vitest";

import { createTestStack, ensurePulumiCli, repoRoot } from "../support/pulumi";
import { cleanup, read, testHost, type TestHost } from "../support/testhost";
import { FIXTURE, FIXTURE_PLACEHOLDERS, fixtureValues, type Fixture } from "../e2e/fixture";
import { loadDockyard, scrub, type ExportedDeployment } from "../e2e/helpers";

let h: TestHost;
let dockyard: typeof import("pulumi-dockyard");
const prefix = `dyfx-${randomBytes(4).toString("hex")}`;
const nets = { NET_WEB: `${prefix}-web`, NET_SVC: `${prefix}-svc`, NET_GONE: `${prefix}-gone` };

beforeAll(async () => {
    await ensurePulumiCli();
    h = testHost();
    dockyard = loadDockyard();
}, 60 * 60_000);

afterAll(() => cleanup(prefix));

it("records the upgrade fixture", async () => {
    const project = "dockyard-fixture";
    const stack = "recorded";
    const s = await createTestStack({
        projectName: project,
        stackName: stack,
        program: async () => {
            const cfg = new pulumi.Config();
            const server = new dockyard.Server("server", {
                host: cfg.require("host"),
                port: cfg.requireNumber("port"),
                privateKey: cfg.requireSecret("sshKey"),
                // No hostKey: the key seen first is recorded in the state (trust on first use).
            });
            new dockyard.Destination("web", { server, type: "standalone", network: nets.NET_WEB, name: "web", labels: { tier: "front" } });
            new dockyard.Destination("svc", { server, type: "swarm", network: nets.NET_SVC, name: "svc", labels: { tier: "services" } });
            new dockyard.Destination("gone", { server, type: "standalone", network: nets.NET_GONE, name: "gone" });
            return { hostKeyFingerprint: server.hostKeyFingerprint };
        },
        config: { host: h.host, port: String(h.port), sshKey: { value: read(h.rootKey), secret: true } },
    });
    try {
        await s.up();
        const exported = (await s.exportStack()) as ExportedDeployment;
        const scrubbed = scrub(exported, fixtureValues(h, nets)) as ExportedDeployment;
        const text = JSON.stringify(scrubbed);
        expect(text).not.toContain("PRIVATE KEY");
        expect(text).not.toContain(h.hostPublicKey);
        const fixture: Fixture = {
            description:
                "A stack of pulumi-dockyard 0.1.0 (one Server, three Destinations on the local test host), exported with " +
                "`pulumi stack export --show-secrets` and scrubbed: machine-specific values are {{PLACEHOLDERS}} that " +
                "test/e2e/dockyard.test.ts fills in before `pulumi stack import`. Network ids are the recording's own.",
            recordedWith: {
                "pulumi-dockyard": JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version,
                pulumi: "v3.276.0",
            },
            project,
            stack,
            placeholders: FIXTURE_PLACEHOLDERS,
            deployment: scrubbed,
        };
        fs.mkdirSync(path.dirname(FIXTURE), { recursive: true });
        fs.writeFileSync(FIXTURE, JSON.stringify(fixture, null, 2) + "\n");
    } finally {
        await s.cleanup();
    }
});
