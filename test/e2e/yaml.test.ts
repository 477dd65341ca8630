// Pulumi YAML programs against the plugin provider `dockyard`, run from their
// directories by the real CLI and the YAML language host.

import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { repoRoot } from "../support/pulumi";
import { cleanup, docker, dockerOk, read, testHost, uniq } from "../support/testhost";
import { YamlStack } from "./yaml-cli";

const h = testHost();

function inspect(name: string): { Id: string; Driver: string; Scope: string; Labels: Record<string, string> } {
  return JSON.parse(docker("network", "inspect", name))[0];
}

describe("examples/yaml (Server, standalone and swarm Destinations, getNetworks)", () => {
  const prefix = uniq("dyy");
  const stack = new YamlStack(path.join(repoRoot, "examples", "yaml"));

  beforeAll(async () => {
    await stack.init({ host: h.host, port: String(h.port), sshKey: { secret: read(h.rootKey) }, prefix });
  });
  afterAll(async () => {
    await stack.remove();
    cleanup(prefix);
  });

  let productionId = "";

  it("up creates the server and both networks; the scan sees them as managed", async () => {
    await stack.ok("up", "--yes", "--skip-preview");
    const out = await stack.outputs();
    const prod = inspect(`${prefix}-production`);
    const mesh = inspect(`${prefix}-mesh`);
    productionId = prod.Id;
    expect(out.productionNetworkId).toBe(prod.Id);
    expect(prod.Driver).toBe("bridge");
    expect(prod.Labels).toMatchObject({
      tier: "web",
      "dockyard.managed": "true",
      "dockyard.owner": `dockyard-yaml/${stack.name}/production`,
    });
    expect(out.meshNetworkId).toBe(mesh.Id);
    expect([mesh.Driver, mesh.Scope, out.meshScope]).toEqual(["overlay", "swarm", "swarm"]);
    expect(out.swarmRole).toBe("manager");
    // The scan ran in the same update, before or after the networks existed; the next preview sees them.
    expect(Array.isArray(out.networks)).toBe(true);
  });

  it("preview after up shows no changes, and the scan reports both networks as Dockyard's", async () => {
    await stack.ok("preview", "--expect-no-changes");
    await stack.ok("up", "--yes", "--skip-preview");
    const networks = (await stack.outputs()).networks as Array<{
      name: string;
      id: string;
      managed: boolean;
      owner?: string;
      driver: string;
    }>;
    const prod = networks.find((n) => n.name === `${prefix}-production`);
    expect(prod).toMatchObject({
      id: productionId,
      managed: true,
      driver: "bridge",
      owner: `dockyard-yaml/${stack.name}/production`,
    });
    expect(networks.find((n) => n.name === "bridge")).toMatchObject({ managed: false, driver: "bridge" });
  });

  it("a new display name updates in place: same network", async () => {
    await stack.ok("config", "set", "productionName", "Production");
    expect(await stack.previewSummary()).toMatchObject({ update: 1 });
    await stack.ok("up", "--yes", "--skip-preview");
    const out = await stack.outputs();
    expect(out.productionName).toBe("Production");
    expect(inspect(`${prefix}-production`).Id).toBe(productionId);
  });

  it("a new label replaces the network", async () => {
    await stack.ok("config", "set", "tier", "db");
    expect(await stack.previewSummary()).toMatchObject({ replace: 1 });
    await stack.ok("up", "--yes", "--skip-preview");
    const prod = inspect(`${prefix}-production`);
    expect(prod.Id).not.toBe(productionId);
    expect(prod.Labels.tier).toBe("db");
    expect((await stack.outputs()).productionNetworkId).toBe(prod.Id);
    productionId = prod.Id;
  });

  it("refresh after the network was removed by hand drops it; up re-creates it", async () => {
    docker("network", "rm", `${prefix}-production`);
    await stack.ok("refresh", "--yes", "--skip-preview");
    expect(await stack.previewSummary()).toMatchObject({ create: 1 });
    await stack.ok("up", "--yes", "--skip-preview");
    expect(inspect(`${prefix}-production`).Id).not.toBe(productionId);
  });

  it("destroy removes both networks", async () => {
    await stack.ok("destroy", "--yes", "--skip-preview");
    expect(dockerOk("network", "inspect", `${prefix}-production`)).toBe(false);
    expect(dockerOk("network", "inspect", `${prefix}-mesh`)).toBe(false);
  });
});

describe("a bad input is refused at preview, naming the field", () => {
  const stack = new YamlStack(path.join(repoRoot, "test", "e2e", "yaml", "bad-input"));
  beforeAll(async () => {
    await stack.init({ host: h.host, port: String(h.port), sshKey: { secret: read(h.rootKey) } });
  });
  afterAll(() => stack.remove());

  it("preview fails on subnet", async () => {
    const r = await stack.run("preview");
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/subnet.*10\.77\.0\.0\/33/);
  });
});

describe("pulumi import of an existing network as a Destination", () => {
  const name = uniq("dyi");
  const stack = new YamlStack(path.join(repoRoot, "test", "e2e", "yaml", "import"));
  const TYPE = "dockyard:index:Destination";

  beforeAll(async () => {
    docker("network", "create", "--label", "keep=me", "--subnet", "10.231.7.0/24", name);
    // Credentials for an import come from the ssh-agent (the test host's holds root's key).
    await stack.init({}, { SSH_AUTH_SOCK: h.agentSock });
  });
  afterAll(async () => {
    await stack.remove();
    cleanup(name);
  });

  it("refuses an id that does not say where the network is, naming the form", async () => {
    const r = await stack.run("import", TYPE, "bad", name, "--yes", "--generate-code=false");
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      "is not an import id of the form <network name or id>@<user>@<host>[:<port>]",
    );
  });

  it("imports <network>@root@host:port as an adopted destination, then refresh and destroy", async () => {
    const id = inspect(name).Id;
    // (`pulumi import` protects what it imports unless told otherwise.)
    await stack.ok(
      "import",
      TYPE,
      "imported",
      `${name}@root@${h.host}:${h.port}`,
      "--yes",
      "--generate-code=false",
      "--protect=false",
    );
    const exported = JSON.parse((await stack.ok("stack", "export", "--show-secrets")).stdout);
    const res = exported.deployment.resources.find((r: { type: string }) => r.type === TYPE);
    expect(res.id).toBe(id);
    expect(res.outputs).toMatchObject({
      network: name,
      networkId: id,
      adopted: true,
      adopt: true,
      type: "standalone",
      subnet: "10.231.7.0/24",
      labels: { keep: "me" },
    });
    expect(res.inputs).toMatchObject({ network: name, adopt: true, labels: { keep: "me" } });
    await stack.ok("refresh", "--yes", "--skip-preview");
    expect(inspect(name).Id).toBe(id);
    // Adopted: Dockyard manages it now, so destroy removes it.
    await stack.ok("destroy", "--yes", "--skip-preview");
    expect(dockerOk("network", "inspect", name)).toBe(false);
  });
});
