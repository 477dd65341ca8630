// The program that recorded the upgrade fixture, test/fixtures/state-0.1.0.json
// (test/tools/record-fixture.ts, run by scripts/record-fixture), run by test/e2e/upgrade.test.ts on a
// stack imported from that fixture. Its project and stack names are the
// recording's: `dockyard-fixture`, `recorded`.
//
// Config: host, port, sshKey (secret); `networks` (JSON: the network names of
// `web`, `svc` and `gone`); `webTier` (default `front`, the recorded label).
import * as pulumi from "@pulumi/pulumi";
import * as dockyard from "pulumi-dockyard";

const cfg = new pulumi.Config();
const nets = cfg.requireObject<{ web: string; svc: string; gone: string }>("networks");
const server = new dockyard.Server("server", {
  host: cfg.require("host"),
  port: cfg.requireNumber("port"),
  privateKey: cfg.requireSecret("sshKey"),
});
new dockyard.Destination("web", {
  server,
  type: "standalone",
  network: nets.web,
  name: "web",
  labels: { tier: cfg.get("webTier") ?? "front" },
});
new dockyard.Destination("svc", {
  server,
  type: "swarm",
  network: nets.svc,
  name: "svc",
  labels: { tier: "services" },
});
new dockyard.Destination("gone", { server, type: "standalone", network: nets.gone, name: "gone" });

export const hostKeyFingerprint = server.hostKeyFingerprint;
