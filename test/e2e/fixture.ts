// The upgrade fixture: a stack recorded by an earlier version of the package,
// scrubbed of machine-specific values (see test/fixtures/README.md).
import * as path from "node:path";

import { repoRoot } from "../support/pulumi";
import { docker, read, type TestHost } from "../support/testhost";
import type { ExportedDeployment, Placeholders } from "./helpers";

export const FIXTURE = path.join(repoRoot, "test", "fixtures", "state-0.1.0.json");

export interface Fixture {
  description: string;
  recordedWith: Record<string, string>;
  project: string;
  stack: string;
  placeholders: Record<string, string>;
  deployment: ExportedDeployment;
}

/** The machine-specific values that replace the fixture's placeholders. */
export function fixtureValues(h: TestHost, nets: { NET_WEB: string; NET_SVC: string; NET_GONE: string }): Placeholders {
  return {
    ROOT_KEY: read(h.rootKey),
    HOST_PUBLIC_KEY: h.hostPublicKey,
    HOST_KEY_FINGERPRINT: h.hostKeyFingerprint,
    HOST: h.host,
    PORT: h.port,
    ...nets,
  };
}

export const FIXTURE_PLACEHOLDERS: Record<string, string> = {
  ROOT_KEY: "the test host's root private key (testhost env.json rootKey, file contents)",
  HOST_PUBLIC_KEY: "the test host's SSH host public key",
  HOST_KEY_FINGERPRINT: "its SHA256 fingerprint",
  HOST: "the test host's address",
  PORT: "its SSH port (a number)",
  NET_WEB: "network of destination 'web' (standalone)",
  NET_SVC: "network of destination 'svc' (swarm)",
  NET_GONE: "network of destination 'gone' (standalone; the test never creates it)",
};

/**
 * The networks of the fixture's 'web' and 'svc' as the recorded version created
 * them (same names and labels), on the test host's daemon.
 */
export function createRecordedNetworks(byName: (name: string) => { outputs?: unknown }): void {
  for (const [name, driver] of [
    ["web", "bridge"],
    ["svc", "overlay"],
  ] as const) {
    const outs = byName(name).outputs as { network: string; owner: string; labels: Record<string, string> };
    const labels = {
      ...outs.labels,
      "dockyard.managed": "true",
      "dockyard.destination": name,
      "dockyard.owner": outs.owner,
    };
    docker(
      "network",
      "create",
      "--driver",
      driver,
      ...(driver === "overlay" ? ["--attachable"] : []),
      ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
      outs.network,
    );
  }
}
