// Records an upgrade fixture (test/fixtures/state-<version>.json) with the
// code of this checkout. A tool, not a test: run it with scripts/record-fixture
// (which builds dist/ and compiles this file first). The e2e test "imports,
// refreshes and destroys with the current code" reads what this writes.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { createTestStack, ensurePulumiCli, repoRoot } from "../support/pulumi";
import { cleanup, read, testHost } from "../support/testhost";
import { FIXTURE_PLACEHOLDERS, fixtureValues, type Fixture } from "../e2e/fixture";
import { loadDockyard, scrub, type ExportedDeployment } from "../e2e/helpers";

async function record(out: string, version: string): Promise<void> {
  if (fs.existsSync(out)) throw new Error(`${out} exists: a recorded fixture is kept as it is; give another file`);
  await ensurePulumiCli();
  const h = testHost();
  const dockyard = loadDockyard();
  const prefix = `dyfx-${randomBytes(4).toString("hex")}`;
  const nets = { NET_WEB: `${prefix}-web`, NET_SVC: `${prefix}-svc`, NET_GONE: `${prefix}-gone` };
  const project = "dockyard-fixture";
  const stack = "recorded";
  try {
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
        new dockyard.Destination("web", {
          server,
          type: "standalone",
          network: nets.NET_WEB,
          name: "web",
          labels: { tier: "front" },
        });
        new dockyard.Destination("svc", {
          server,
          type: "swarm",
          network: nets.NET_SVC,
          name: "svc",
          labels: { tier: "services" },
        });
        new dockyard.Destination("gone", { server, type: "standalone", network: nets.NET_GONE, name: "gone" });
        return { hostKeyFingerprint: server.hostKeyFingerprint };
      },
      config: { host: h.host, port: String(h.port), sshKey: { value: read(h.rootKey), secret: true } },
    });
    try {
      await s.up();
      const exported = await s.exportStack();
      const scrubbed = scrub(exported, fixtureValues(h, nets)) as ExportedDeployment;
      const text = JSON.stringify(scrubbed);
      if (text.includes("PRIVATE KEY")) throw new Error("the scrubbed state still holds a private key");
      if (text.includes(h.hostPublicKey)) throw new Error("the scrubbed state still holds the test host's public key");
      const fixture: Fixture = {
        description:
          `A stack of pulumi-dockyard ${version} (one Server, three Destinations on the local test host), exported with ` +
          "`pulumi stack export --show-secrets` and scrubbed: machine-specific values are {{PLACEHOLDERS}} that " +
          "test/e2e/dockyard.test.ts fills in before `pulumi stack import`. Network ids are the recording's own.",
        recordedWith: { "pulumi-dockyard": version, pulumi: "v3.276.0" },
        project,
        stack,
        placeholders: FIXTURE_PLACEHOLDERS,
        deployment: scrubbed,
      };
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify(fixture, null, 2) + "\n");
    } finally {
      await s.cleanup();
    }
  } finally {
    cleanup(prefix);
  }
  console.log(`recorded ${path.relative(repoRoot, out)}`);
}

const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;
const out = path.resolve(process.argv[2] ?? path.join(repoRoot, "test", "fixtures", `state-${version}.json`));
record(out, version).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
