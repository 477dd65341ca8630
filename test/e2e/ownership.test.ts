// Ownership through the real Pulumi engine: two stacks with the same project
// and stack names in two file:// backends on the one test host, and two
// components of one stack each declaring Destination("net"). Neither may take
// over, change or destroy the other's network or containers.
//
// The provider process loads the compiled package: run `npm run build` first.

import { randomBytes } from "node:crypto";

import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { changesOf, cleanupAllTestStacks, createTestStack, type TestStack } from "../support/pulumi";
import { cleanup, docker, dockerOk, read, type TestHost } from "../support/testhost";
import { CLI_SETUP_TIMEOUT, inspectNetwork, isSecretValue, setUpDockyard } from "./helpers";

const DESTINATION_TYPE = "pulumi-nodejs:dynamic/dockyard:Destination";
const hex = () => randomBytes(4).toString("hex");

let h: TestHost;
let dockyard: typeof import("pulumi-dockyard");

beforeAll(async () => {
  ({ h, dockyard } = await setUpDockyard());
}, CLI_SETUP_TIMEOUT);

afterAll(async () => {
  await cleanupAllTestStacks();
});

function serverConfig() {
  return {
    host: h.host,
    port: String(h.port),
    sshKey: { value: read(h.rootKey), secret: true },
    hostKey: h.hostPublicKey,
  };
}

function server(): import("pulumi-dockyard").Server {
  const cfg = new pulumi.Config();
  return new dockyard.Server("server", {
    host: cfg.require("host"),
    port: cfg.requireNumber("port"),
    privateKey: cfg.requireSecret("sshKey"),
    hostKey: cfg.require("hostKey"),
  });
}

/** Names of the containers attached to a network (this host's view). */
function attachedTo(network: string): string[] {
  return Object.values(inspectNetwork(network)?.Containers ?? {})
    .map((c) => c.Name)
    .sort();
}

describe("two stacks with the same project and stack names, in two backends, on one host", () => {
  const prefix = `dytwin-${hex()}`;
  const proxy = `${prefix}-proxy`;
  const app = `${prefix}-app`;
  const shared = `${prefix}-shared`;
  // Same project, same stack name: only the backend differs.
  const project = `dockyard-twins-${hex()}`;
  const stackName = "prod";
  let a: TestStack;
  let b: TestStack;

  const program = async () => {
    const srv = server();
    // A generated network name, and an explicit one both programs ask for.
    const net = new dockyard.Destination(`${prefix}-net`, { server: srv, type: "standalone", connect: [proxy] });
    const named = new dockyard.Destination("shared", { server: srv, type: "standalone", network: shared });
    return { network: net.network, networkId: net.networkId, sharedId: named.networkId };
  };

  beforeAll(async () => {
    // On a network of its own, not Docker's default bridge.
    docker("network", "create", `${prefix}-home`);
    docker("run", "-d", "--name", proxy, "--network", `${prefix}-home`, h.image, "sleep", "600");
    a = await createTestStack({ projectName: project, stackName, program, config: serverConfig() });
    b = await createTestStack({ projectName: project, stackName, program, config: serverConfig() });
  });

  afterAll(async () => {
    try {
      await b?.cleanup();
      await a?.cleanup();
    } finally {
      cleanup(prefix);
    }
  });

  it("neither takes over nor destroys the other's network and containers", async () => {
    expect(a.backendUrl).not.toBe(b.backendUrl);
    expect(changesOf((await a.up()).summary.resourceChanges)).toEqual({ create: 4 });
    const aOut = (await a.outputValues()) as { network: string; networkId: string; sharedId: string };
    // Someone runs an app on A's network.
    docker("run", "-d", "--name", app, "--network", aOut.network, h.image, "sleep", "600");

    // B's program is A's, word for word: its generated name is another, and the
    // explicit name is refused, not taken over.
    const failure = await b.up().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure, "B's up must refuse A's network").toBeDefined();
    const msg = String((failure as Error).message);
    expect(msg).toContain(`a network named '${shared}' already exists`);
    expect(msg).toContain("another stack with the same project and stack names");
    const bNet = (await b.resources()).find((r) => r.type === DESTINATION_TYPE && r.urn.endsWith(`::${prefix}-net`));
    expect(bNet?.outputs?.network).toBeDefined();
    expect(bNet!.outputs!.network).not.toBe(aOut.network);
    expect(bNet!.id).not.toBe(aOut.networkId);
    expect((await b.resources()).some((r) => r.urn.endsWith("::shared"))).toBe(false);
    expect(attachedTo(String(bNet!.outputs!.network))).toEqual([proxy]);

    const aLabels = inspectNetwork(aOut.network)!.Labels ?? {};
    const bLabels = inspectNetwork(String(bNet!.outputs!.network))!.Labels ?? {};
    expect(aLabels["dockyard.owner"]).toBe(`${project}/${stackName}/${prefix}-net`);
    expect(bLabels["dockyard.owner"]).toBe(aLabels["dockyard.owner"]);
    expect(bLabels["dockyard.owner-id"]).toMatch(/^[0-9a-f]{32}$/);
    expect(bLabels["dockyard.owner-id"]).not.toBe(aLabels["dockyard.owner-id"]);

    // B's refresh and destroy leave A's networks and containers as they were.
    expect(changesOf((await b.refresh()).summary.resourceChanges)).toEqual({});
    expect((await b.destroy()).summary.result).toBe("succeeded");
    expect(inspectNetwork(String(bNet!.outputs!.network))).toBeUndefined();
    expect(inspectNetwork(aOut.network)?.Id).toBe(aOut.networkId);
    expect(inspectNetwork(shared)?.Id).toBe(aOut.sharedId);
    expect(attachedTo(aOut.network)).toEqual([app, proxy].sort());

    // A sees nothing changed, and its own destroy still works.
    expect(changesOf((await a.refresh()).summary.resourceChanges)).toEqual({});
    expect(changesOf((await a.preview()).changeSummary)).toEqual({});
    docker("rm", "-f", app);
    expect((await a.destroy()).summary.result).toBe("succeeded");
    expect(inspectNetwork(aOut.network)).toBeUndefined();
    expect(inspectNetwork(shared)).toBeUndefined();
    expect(docker("inspect", "-f", "{{.State.Running}}", proxy)).toBe("true");
  });
});

describe("one stack", () => {
  const prefix = `dycomp-${hex()}`;
  let s: TestStack;

  class TeamA extends pulumi.ComponentResource {
    readonly net: import("pulumi-dockyard").Destination;
    constructor(name: string, srv: import("pulumi-dockyard").Server) {
      super("e2e:index:TeamA", name);
      this.net = new dockyard.Destination(`${prefix}-net`, { server: srv, type: "standalone" }, { parent: this });
      this.registerOutputs({});
    }
  }
  class TeamB extends pulumi.ComponentResource {
    readonly net: import("pulumi-dockyard").Destination;
    constructor(name: string, srv: import("pulumi-dockyard").Server) {
      super("e2e:index:TeamB", name);
      this.net = new dockyard.Destination(`${prefix}-net`, { server: srv, type: "standalone" }, { parent: this });
      this.registerOutputs({});
    }
  }

  beforeAll(async () => {
    s = await createTestStack({
      projectName: "dockyard-components",
      stackName: `t${hex()}`,
      config: serverConfig(),
      program: async () => {
        const srv = server();
        const a = new TeamA(`${prefix}-team`, srv);
        const b = new TeamB(`${prefix}-team`, srv);
        // A Server-shaped value whose connection output is not secret: the
        // Destination's copy must be secret all the same.
        const plain = {
          id: srv.id,
          name: srv.name,
          swarmRole: srv.swarmRole,
          host: srv.host,
          dockerSocket: srv.dockerSocket,
          connection: pulumi.unsecret(srv.connection),
        };
        const c = new dockyard.Destination(`${prefix}-plain`, {
          server: plain as unknown as import("pulumi-dockyard").Server,
          type: "standalone",
        });
        return { a: a.net.network, aId: a.net.networkId, b: b.net.network, bId: b.net.networkId, c: c.network };
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

  it("two components each declaring a Destination of the same name get two networks", async () => {
    const up = await s.up();
    expect(changesOf(up.summary.resourceChanges)).toEqual({ create: 7 }); // stack, server, 2 components, 3 destinations
    const out = (await s.outputValues()) as Record<string, string>;
    expect(out.a).not.toBe(out.b);
    expect(out.aId).not.toBe(out.bId);
    expect(inspectNetwork(out.a!)?.Id).toBe(out.aId);
    expect(inspectNetwork(out.b!)?.Id).toBe(out.bId);
    const la = inspectNetwork(out.a!)!.Labels ?? {};
    const lb = inspectNetwork(out.b!)!.Labels ?? {};
    expect(la["dockyard.owner"]).toBe(lb["dockyard.owner"]);
    expect(la["dockyard.owner-id"]).not.toBe(lb["dockyard.owner-id"]);
    expect(changesOf((await s.preview()).changeSummary)).toEqual({});
  });

  it("a destination's copy of the connection is secret in its inputs and outputs, even when the Server's output is not", async () => {
    const checkpoint = JSON.parse(s.checkpointText()) as {
      checkpoint: { latest: { resources: Array<Record<string, any>> } };
    };
    const destinations = checkpoint.checkpoint.latest.resources.filter((r) => r.type === DESTINATION_TYPE);
    expect(destinations).toHaveLength(3);
    for (const d of destinations) {
      expect(isSecretValue(d.inputs.connection), `${d.urn} input connection`).toBe(true);
      expect(isSecretValue(d.outputs.connection), `${d.urn} output connection`).toBe(true);
    }
    expect(s.checkpointText()).not.toContain("PRIVATE KEY");
  });

  it("destroy removes every network of the stack", async () => {
    const out = (await s.outputValues()) as Record<string, string>;
    expect((await s.destroy()).summary.result).toBe("succeeded");
    for (const n of [out.a!, out.b!, out.c!]) expect(dockerOk("network", "inspect", n), n).toBe(false);
  });
});
