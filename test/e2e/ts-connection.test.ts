// The TypeScript SDK without a Server object: a Destination given a written-out
// `connection` (defaults filled in: port, user, socket), and the plugin's
// getNetworks invoke from TypeScript (the engine finds the plugin `dockyard`
// on PATH, as bin/pulumi-resource-dockyard).

import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { pathWith } from "../support/paths";
import { createTestStack, ensurePulumiCli, repoRoot, type TestStack } from "../support/pulumi";
import { cleanup, docker, dockerOk, read, testHost, uniq } from "../support/testhost";
import { loadDockyard } from "./helpers";

const h = testHost();

describe("TypeScript: Destination from a written-out connection; getNetworks", () => {
  const network = uniq("dyc");
  let s: TestStack;

  beforeAll(async () => {
    const dockyard = loadDockyard();
    const bin = await ensurePulumiCli();
    s = await createTestStack({
      projectName: "dockyard-ts-connection",
      program: async () => {
        const connection = { host: h.host, port: h.port, privateKey: read(h.rootKey) };
        const dest = new dockyard.Destination("written-out", { connection, network, type: "standalone" });
        const scan = dockyard.getNetworksOutput({ connection }, { dependsOn: [dest] });
        return { networkId: dest.networkId, name: dest.name, networks: scan.networks };
      },
      envVars: { PATH: pathWith(bin, path.join(repoRoot, "bin")) },
    });
  });
  afterAll(async () => {
    await s?.cleanup();
    cleanup(network);
  });

  it("up creates the network through the written-out connection; the scan lists it as Dockyard's", async () => {
    await s.up();
    const out = await s.outputValues();
    const net = JSON.parse(docker("network", "inspect", network))[0];
    expect(out.networkId).toBe(net.Id);
    expect(out.name).toBe(network);
    const listed = (out.networks as Array<{ name: string; id: string; managed: boolean; owner?: string }>).find(
      (n) => n.name === network,
    );
    expect(listed).toEqual({
      name: network,
      id: net.Id,
      driver: "bridge",
      scope: "local",
      managed: true,
      owner: `dockyard-ts-connection/test/written-out`,
      containers: [],
    });
    // The connection, written out with the key in it, is stored as a secret.
    expect(s.checkpointText()).not.toContain("PRIVATE KEY");
  });

  it("destroy removes it", async () => {
    await s.destroy();
    expect(dockerOk("network", "inspect", network)).toBe(false);
  });
});
