// Dockyard through the real Pulumi engine, against the local test host
// (scripts/testhost): Servers and Destinations as dynamic resources, driven
// with the Automation API (see test/support/pulumi.ts), checked independently
// with the docker CLI on the local socket.
//
// The provider process loads the compiled package: run `npm run build` first.
//
// Recording an upgrade fixture for a new release: scripts/record-fixture
// (test/tools/record-fixture.ts; see test/fixtures/README.md).

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";

import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { changesOf, cleanupAllTestStacks, createTestStack, TestStack } from "../support/pulumi";
import { cleanup, docker, dockerOk, read, type TestHost } from "../support/testhost";
import {
  CLI_SETUP_TIMEOUT,
  fill,
  inspectNetwork,
  isSecretValue,
  loadExampleRunner,
  networksOwnedBy,
  placeholdersIn,
  setUpDockyard,
  stepRecorder,
  type ExportedDeployment,
} from "./helpers";
import { cleanupAllExampleStacks, createExampleStack } from "./example-stack";
import { FIXTURE, createRecordedNetworks, fixtureValues, type Fixture } from "./fixture";

const SERVER_TYPE = "pulumi-nodejs:dynamic/dockyard:Server";
const DESTINATION_TYPE = "pulumi-nodejs:dynamic/dockyard:Destination";

const hex = () => randomBytes(4).toString("hex");

let h: TestHost;
let dockyard: typeof import("pulumi-dockyard");

beforeAll(async () => {
  ({ h, dockyard } = await setUpDockyard());
}, CLI_SETUP_TIMEOUT);

afterAll(async () => {
  try {
    await cleanupAllExampleStacks();
  } finally {
    await cleanupAllTestStacks();
  }
});

/** The private key's base64 body lines (what must never show up in plaintext). */
function keyBodyLines(key: string): string[] {
  return key
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("-----"));
}

describe("a Server with three Destinations", () => {
  const prefix = `dye2e-${hex()}`;
  const stackName = `t${hex()}`;
  const project = "dockyard-e2e";
  const owner = (resource: string) => `${project}/${stackName}/${resource}`;
  const net = {
    web: `${prefix}-web`,
    db: `${prefix}-db`,
    svc: `${prefix}-svc`,
  };
  const unrelated = `${prefix}-unrelated`;
  const intruder = `${prefix}-intruder`;
  let s: TestStack;

  const urnOf = async (name: string) => {
    const r = (await s.resources()).find((x) => x.urn.endsWith(`::${name}`));
    if (!r) throw new Error(`no resource ${name} in state`);
    return r;
  };

  beforeAll(async () => {
    s = await createTestStack({
      projectName: project,
      stackName,
      program: async () => {
        const cfg = new pulumi.Config();
        // The docker-group user, with both a key and a password: neither may leak.
        const server = new dockyard.Server("server", {
          host: cfg.require("host"),
          port: cfg.requireNumber("port"),
          user: cfg.require("user"),
          privateKey: cfg.requireSecret("sshKey"),
          password: cfg.requireSecret("password"),
          hostKey: cfg.require("hostKey"),
          description: "e2e test host",
        });
        const web = new dockyard.Destination("web", {
          server,
          type: "standalone",
          network: net.web,
          name: cfg.get("webName"),
          labels: { tier: cfg.get("webTier") ?? "front", team: "e2e" },
        });
        const db = new dockyard.Destination("db", {
          server,
          type: "standalone",
          network: net.db,
          internal: true,
          labels: { tier: "data" },
        });
        const svc = new dockyard.Destination("svc", {
          server,
          type: "swarm",
          network: net.svc,
          labels: { tier: "services" },
        });
        const srv = server as unknown as Record<string, pulumi.Output<unknown>>;
        return {
          serverConnection: server.connection,
          serverPrivateKey: srv.privateKey,
          serverPassword: srv.password,
          swarmRole: server.swarmRole,
          hostKeyFingerprint: server.hostKeyFingerprint,
          web: { id: web.networkId, name: web.name, driver: web.driver, scope: web.scope },
          db: { id: db.networkId, driver: db.driver, scope: db.scope },
          svc: { id: svc.networkId, driver: svc.driver, scope: svc.scope, type: svc.type },
        };
      },
      config: {
        host: h.host,
        port: String(h.port),
        user: h.dockerUser,
        sshKey: { value: read(h.dockerUserKey), secret: true },
        password: { value: h.dockerUserPassword, secret: true },
        hostKey: h.hostPublicKey,
      },
    });
  });

  afterAll(async () => {
    try {
      await s?.cleanup();
    } finally {
      cleanup(prefix);
    }
  });

  it("up creates the server and the networks", async () => {
    const res = await s.up();
    expect(changesOf(res.summary.resourceChanges)).toEqual({ create: 5 }); // stack, server, 3 destinations

    const out = await s.outputValues();
    const expected = {
      web: { driver: "bridge", scope: "local", labels: { tier: "front", team: "e2e" } },
      db: { driver: "bridge", scope: "local", labels: { tier: "data" } },
      svc: { driver: "overlay", scope: "swarm", labels: { tier: "services" } },
    } as const;
    for (const [name, want] of Object.entries(expected) as Array<
      [keyof typeof net, (typeof expected)[keyof typeof net]]
    >) {
      const n = inspectNetwork(net[name]);
      expect(n, `network ${net[name]}`).toBeDefined();
      expect(n!.Driver).toBe(want.driver);
      expect(n!.Scope).toBe(want.scope);
      const labels = n!.Labels ?? {};
      expect(labels).toMatchObject({
        "dockyard.managed": "true",
        "dockyard.destination": name,
        "dockyard.owner": owner(name),
      });
      expect(Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith("dockyard.")))).toEqual(
        want.labels,
      );
      const o = out[name] as { id: string; driver: string; scope: string };
      expect(o).toMatchObject({ id: n!.Id, driver: want.driver, scope: want.scope });
    }
    expect(inspectNetwork(net.svc)!.Attachable).toBe(true);
    expect(inspectNetwork(net.db)!.Internal).toBe(true);
    expect(out.swarmRole).toBe("manager");
    expect(out.hostKeyFingerprint).toBe(h.hostKeyFingerprint);
  });

  it("the stored provider is the thin shim, resolved at run time", async () => {
    for (const r of await s.resources()) {
      if (r.type !== SERVER_TYPE && r.type !== DESTINATION_TYPE) continue;
      const provider = String(r.inputs?.__provider);
      expect(provider).toContain('require("pulumi-dockyard/dynamic")');
      expect(provider.length).toBeLessThan(4000);
      expect(provider).not.toMatch(/ssh2|dockerode|DestinationController/);
    }
  });

  it("a second preview and up change nothing", async () => {
    const preview = await s.preview();
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
    expect(preview.changeSummary.same).toBe(5);

    const up = await s.up();
    expect(up.summary.resourceChanges).toEqual({ same: 5 });
  });

  it("editing a destination's label replaces that destination only", async () => {
    const web = await urnOf("web");
    const oldId = inspectNetwork(net.web)!.Id;
    await s.setConfig("webTier", "edge");

    const rec = stepRecorder();
    const preview = await s.preview({ onEvent: rec.onEvent });
    expect(changesOf(preview.changeSummary)).toEqual({ replace: 1 });
    const changed = rec.changed();
    expect(changed.filter((c) => c.urn !== web.urn).map((c) => [c.op, c.urn])).toEqual([]);
    expect(changed.map((c) => c.op)).toContain("replace");
    for (const c of changed) expect(["replace", "create-replacement", "delete-replaced"]).toContain(c.op);
    expect(changed.find((c) => c.op === "replace")!.keys).toContain("labels");

    const up = await s.up();
    expect(changesOf(up.summary.resourceChanges)).toEqual({ replace: 1 });
    const n = inspectNetwork(net.web)!;
    expect(n.Id).not.toBe(oldId);
    expect(n.Labels?.tier).toBe("edge");
    expect((await s.outputValues()).web).toMatchObject({ id: n.Id });
  });

  it("editing a destination's display name updates it in place", async () => {
    const web = await urnOf("web");
    const id = inspectNetwork(net.web)!.Id;
    await s.setConfig("webName", "Web (edge)");

    const rec = stepRecorder();
    const preview = await s.preview({ onEvent: rec.onEvent });
    expect(changesOf(preview.changeSummary)).toEqual({ update: 1 });
    // (The dynamic-provider host passes on only the replace keys of a diff, so no keys here.)
    expect(rec.changed().map((c) => [c.op, c.urn])).toEqual([["update", web.urn]]);

    const up = await s.up();
    expect(changesOf(up.summary.resourceChanges)).toEqual({ update: 1 });
    expect(inspectNetwork(net.web)!.Id).toBe(id);
    expect((await s.outputValues()).web).toMatchObject({ id, name: "Web (edge)" });
  });

  it("refresh forgets a network removed by hand, and up re-creates it", async () => {
    const oldId = inspectNetwork(net.db)!.Id;
    docker("network", "rm", net.db);

    const refresh = await s.refresh();
    expect(changesOf(refresh.summary.resourceChanges)).toEqual({ delete: 1 });
    expect((await s.resources()).some((r) => r.urn.endsWith("::db"))).toBe(false);

    expect(changesOf((await s.preview()).changeSummary)).toEqual({ create: 1 });
    const up = await s.up();
    expect(changesOf(up.summary.resourceChanges)).toEqual({ create: 1 });
    const n = inspectNetwork(net.db)!;
    expect(n.Id).not.toBe(oldId);
    expect(n.Labels?.["dockyard.owner"]).toBe(owner("db"));
    expect((await s.outputValues()).db).toMatchObject({ id: n.Id });
  });

  it("the checkpoint holds no key material or password in plaintext; connection and key are secret", async () => {
    const text = s.checkpointText();
    expect(text).toContain("ciphertext");
    expect(text).not.toContain("PRIVATE KEY");
    for (const line of keyBodyLines(read(h.dockerUserKey))) expect(text).not.toContain(line);
    expect(text).not.toContain(h.dockerUserPassword);

    // Stack outputs.
    const outs = await s.outputs();
    for (const k of ["serverConnection", "serverPrivateKey", "serverPassword"]) {
      expect(outs[k]?.secret, `output ${k}`).toBe(true);
    }
    expect((outs.serverPrivateKey?.value as string).includes("PRIVATE KEY")).toBe(true); // decrypted on request

    // Resource outputs in the checkpoint.
    const checkpoint = JSON.parse(text) as { checkpoint: { latest: { resources: Array<Record<string, any>> } } };
    const resources = checkpoint.checkpoint.latest.resources;
    const server = resources.find((r) => r.type === SERVER_TYPE)!;
    for (const k of ["connection", "privateKey", "password"]) {
      expect(isSecretValue(server.outputs[k]), `server output ${k}`).toBe(true);
      expect(isSecretValue(server.inputs[k] ?? server.outputs[k]), `server input ${k}`).toBe(true);
    }
    const destinations = resources.filter((r) => r.type === DESTINATION_TYPE);
    expect(destinations).toHaveLength(3);
    for (const d of destinations) {
      expect(isSecretValue(d.outputs.connection), `${d.urn} connection`).toBe(true);
      expect(isSecretValue(d.inputs.connection), `${d.urn} input connection`).toBe(true);
    }
  });

  it("destroy refuses while a foreign container is attached, naming it", async () => {
    docker("network", "create", "--label", "purpose=e2e-unrelated", unrelated);
    docker("run", "-d", "--name", intruder, "--network", net.web, h.image, "sleep", "600");

    let failure: unknown;
    await s.destroy().catch((e: unknown) => (failure = e));
    expect(failure, "destroy should fail").toBeDefined();
    const msg = String((failure as Error).message ?? failure);
    expect(msg).toContain(intruder);
    expect(msg).toContain(`'${net.web}'`);
    expect(msg).toMatch(/attached/);
    expect(inspectNetwork(net.web)).toBeDefined();
    expect((await s.resources()).some((r) => r.urn.endsWith("::web"))).toBe(true);
  });

  it("once the container is detached, destroy removes every Dockyard network and nothing else", async () => {
    docker("network", "disconnect", net.web, intruder);

    const res = await s.destroy();
    expect(res.summary.result).toBe("succeeded");
    expect(await s.resources()).toEqual([]);
    for (const n of Object.values(net)) expect(inspectNetwork(n), n).toBeUndefined();
    expect(networksOwnedBy(`${project}/${stackName}/`)).toEqual([]);

    // Left alone: the unrelated network, and the container (only detached by hand above).
    expect(inspectNetwork(unrelated)).toBeDefined();
    expect(dockerOk("container", "inspect", intruder)).toBe(true);
    docker("rm", "-f", intruder);
    docker("network", "rm", unrelated);
  });
});

// ---------------------------------------------------------------------------
// Upgrade safety: a state written by an earlier version (a checkpoint exported
// from a stack of v0.1.0 and kept in test/fixtures) must still refresh and
// destroy with the code installed now. The state carries the provider as
// serialized text (`__provider`), and the engine runs *that* text, not the
// current SDK's, for refresh and destroy. It stays valid only because it is a
// thin shim that `require`s pulumi-dockyard/dynamic at run time.

describe("a state recorded by an earlier version", () => {
  const prefix = `dyfx-${hex()}`;
  const nets = { NET_WEB: `${prefix}-web`, NET_SVC: `${prefix}-svc`, NET_GONE: `${prefix}-gone` };

  afterAll(() => cleanup(prefix));

  it("imports, refreshes and destroys with the current code", async () => {
    const fixture = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Fixture;
    const deployment = fill(fixture.deployment, fixtureValues(h, nets)) as ExportedDeployment;
    expect(placeholdersIn(deployment)).toEqual([]);
    const recorded = deployment.deployment.resources;
    const byName = (name: string) => recorded.find((r) => r.urn.endsWith(`::${name}`))!;

    // The networks the old state refers to exist on the server, as that
    // version created them (same names and labels; Docker ids are new),
    // except the one of 'gone', removed while nobody was looking.
    createRecordedNetworks(byName);

    const s = await createTestStack({
      projectName: fixture.project,
      stackName: fixture.stack,
      program: async () => {},
    });
    await s.stack.importStack(deployment);
    const imported = await s.resources();
    expect(imported.map((r) => r.urn).sort()).toEqual(recorded.map((r) => r.urn).sort());
    // Imported plaintext secrets are stored encrypted again.
    expect(s.checkpointText()).not.toContain("PRIVATE KEY");
    // The old serialized provider is what the engine will run.
    for (const r of imported.filter((x) => x.type === DESTINATION_TYPE || x.type === SERVER_TYPE)) {
      const old = recorded.find((x) => x.urn === r.urn)!;
      expect(r.inputs?.__provider).toBe(old.inputs?.__provider);
    }

    const refresh = await s.refresh();
    expect(refresh.summary.result).toBe("succeeded");
    expect(changesOf(refresh.summary.resourceChanges).delete).toBe(1);
    const after = await s.resources();
    expect(after.some((r) => r.urn.endsWith("::gone"))).toBe(false);
    for (const name of ["web", "svc"] as const) {
      const r = after.find((x) => x.urn.endsWith(`::${name}`))!;
      const n = inspectNetwork(nets[name === "web" ? "NET_WEB" : "NET_SVC"])!;
      expect(r.id, `${name} follows the network by name to its new id`).toBe(n.Id);
    }
    const server = after.find((r) => r.type === SERVER_TYPE)!;
    expect(server.outputs?.hostKeyFingerprint).toBe(h.hostKeyFingerprint);

    const destroy = await s.destroy();
    expect(destroy.summary.result).toBe("succeeded");
    expect(await s.resources()).toEqual([]);
    for (const n of Object.values(nets)) expect(inspectNetwork(n), n).toBeUndefined();
    await s.cleanup({ destroy: false });
  });

  it("previews the recorded state with no change to any destination; a replaced one gets an owner id, the others stay as recorded", async () => {
    const fixture = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Fixture;
    const more = { NET_WEB: `${prefix}-web2`, NET_SVC: `${prefix}-svc2`, NET_GONE: `${prefix}-gone2` };
    const deployment = fill(fixture.deployment, fixtureValues(h, more)) as ExportedDeployment;
    const recorded = deployment.deployment.resources;
    const byName = (name: string) => recorded.find((r) => r.urn.endsWith(`::${name}`))!;
    createRecordedNetworks(byName);
    // The program that recorded the fixture (test/tools/record-fixture.ts), run by the current code.
    let withGone = true;
    const program = async () => {
      const cfg = new pulumi.Config();
      const server = new dockyard.Server("server", {
        host: cfg.require("host"),
        port: cfg.requireNumber("port"),
        privateKey: cfg.requireSecret("sshKey"),
      });
      const tier = cfg.get("webTier") ?? "front";
      new dockyard.Destination("web", {
        server,
        type: "standalone",
        network: more.NET_WEB,
        name: "web",
        labels: { tier },
      });
      new dockyard.Destination("svc", {
        server,
        type: "swarm",
        network: more.NET_SVC,
        name: "svc",
        labels: { tier: "services" },
      });
      if (withGone)
        new dockyard.Destination("gone", { server, type: "standalone", network: more.NET_GONE, name: "gone" });
    };
    const s = await createTestStack({
      projectName: fixture.project,
      stackName: fixture.stack,
      program,
      config: { host: h.host, port: String(h.port), sshKey: { value: read(h.rootKey), secret: true } },
    });
    try {
      await s.stack.importStack(deployment);
      const rec = stepRecorder();
      await s.preview({ onEvent: rec.onEvent });
      const steps = rec.steps.filter((x) => x.type === DESTINATION_TYPE);
      expect(steps.map((x) => x.urn).sort()).toEqual(["gone", "svc", "web"].map((n) => byName(n).urn).sort());
      for (const step of steps) expect(step.op, step.urn).toBe("same");

      // Refresh follows web and svc to their new ids by their owner labels alone (no owner id in that state).
      withGone = false;
      const refresh = await s.refresh();
      expect(changesOf(refresh.summary.resourceChanges).delete).toBe(1);
      const svcId = inspectNetwork(more.NET_SVC)!.Id;
      expect((await s.resources()).find((r) => r.urn === byName("svc").urn)?.id).toBe(svcId);

      // Replacing web gives its new network an owner id; svc is left as it was.
      await s.setConfig("webTier", "edge");
      const up = await s.up();
      expect(changesOf(up.summary.resourceChanges).replace).toBe(1);
      const after = await s.resources();
      const web = after.find((r) => r.urn === byName("web").urn)!;
      const live = inspectNetwork(more.NET_WEB)!;
      expect(web.id).toBe(live.Id);
      expect(live.Labels?.["dockyard.owner-id"]).toMatch(/^[0-9a-f]{32}$/);
      expect(web.outputs?.ownerId).toBe(live.Labels?.["dockyard.owner-id"]);
      const svc = after.find((r) => r.urn === byName("svc").urn)!;
      expect(svc.id).toBe(svcId);
      expect(svc.outputs?.ownerId).toBeUndefined();
      expect(inspectNetwork(more.NET_SVC)!.Labels?.["dockyard.owner-id"]).toBeUndefined();

      const destroy = await s.destroy();
      expect(destroy.summary.result).toBe("succeeded");
      for (const n of Object.values(more)) expect(inspectNetwork(n), n).toBeUndefined();
    } finally {
      await s.cleanup({ destroy: false });
    }
  });
});

// ---------------------------------------------------------------------------
// The runnable examples (examples/*), each run from its own directory with the
// `pulumi` binary (see example-stack.ts) and the config scripts/run-example
// gives them.

describe("examples", () => {
  const runner = loadExampleRunner();

  /** Per example: how many Destinations, and what their outputs must say. */
  const checks: Record<
    string,
    (out: Record<string, any>) => Array<{ network: string; driver: string; scope: string; networkId: string }>
  > = {
    standalone: (out) => {
      expect(out.server.swarmRole).toBe("manager");
      expect(Object.keys(out.destinations).sort()).toEqual(["production", "staging"]);
      return Object.values(out.destinations);
    },
    swarm: (out) => {
      expect(out.manager).toMatchObject({ swarmRole: "manager", swarmState: "active" });
      expect(out.services).toMatchObject({ type: "swarm", driver: "overlay", scope: "swarm", attachable: true });
      return [out.services];
    },
    "multi-server": (out) => {
      expect(out.server1).toMatchObject({ user: "root", driver: "bridge" });
      expect(out.server2).toMatchObject({ user: h.dockerUser, driver: "bridge" });
      return [out.server1, out.server2];
    },
  };

  it.each(["standalone", "swarm", "multi-server"])(
    "%s: up, preview, refresh, destroy in its directory",
    async (name) => {
      expect(runner.EXAMPLES).toContain(name);
      const { s, project, stackName } = await createExampleStack(runner, name, (stackName) =>
        runner.testHostConfig(name, h, stackName),
      );
      try {
        const up = await s.up();
        const created = changesOf(up.summary.resourceChanges).create ?? 0;

        const nets = checks[name]!(await s.outputValues());
        expect(created).toBe(1 + nets.length + (name === "multi-server" ? 2 : 1)); // stack, destinations, servers
        for (const n of nets) {
          const live = inspectNetwork(n.network);
          expect(live, n.network).toBeDefined();
          expect(live).toMatchObject({ Id: n.networkId, Driver: n.driver, Scope: n.scope });
          expect(live!.Labels?.["dockyard.owner"]).toMatch(new RegExp(`^${project}/${stackName}/`));
        }
        expect(changesOf((await s.preview()).changeSummary)).toEqual({});
        // What is on the daemon is what the stack says: a refresh changes nothing.
        expect(changesOf((await s.refresh()).summary.resourceChanges)).toEqual({});
        expect(changesOf((await s.preview()).changeSummary)).toEqual({});

        const destroy = await s.destroy();
        expect(changesOf(destroy.summary.resourceChanges)).toEqual({ delete: created });
        for (const n of nets) expect(inspectNetwork(n.network), n.network).toBeUndefined();
        expect(networksOwnedBy(`${project}/${stackName}/`)).toEqual([]);
      } finally {
        await s.cleanup();
      }
    },
  );
});
