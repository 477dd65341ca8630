// What `pulumi preview --json` says, field by field: the `pulumi` binary in a
// program directory of its own (test/programs/previews, whose resources the
// stack config `knobs` describes), against the local test host. One stack,
// made once; every row sets `knobs` to change one input and previews (a
// preview changes nothing). Then drift made by hand, `pulumi refresh
// --preview-only`, `pulumi refresh` and `pulumi preview`.
//
// The program installs this working tree's package as a packed copy (dist/):
// run `npm run build` first.

import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createProgramStack, programsDir, type PreviewJson, type ProgramStack } from "../support/cli";
import { changesOf, ensurePulumiCli } from "../support/pulumi";
import { cleanup, docker, testHost, type TestHost } from "../support/testhost";
import { installExample } from "./example-stack";
import { inspectNetwork } from "./helpers";

const hex = () => randomBytes(4).toString("hex");

let h: TestHost;

beforeAll(async () => {
  await ensurePulumiCli();
  h = testHost();
  installExample(programsDir);
}, 60 * 60_000);

/** One step of a preview, as `pulumi preview --json` reports it. */
interface Step {
  op: string;
  name: string;
  /** replaceReasons: the engine events' `keys`. */
  keys: string[];
  /** diffReasons: the engine events' `diffs`. */
  diffs: string[];
  /** The properties detailedDiff names (its paths' first segments: `daemon.host` is `daemon`). */
  detailedDiff: string[];
}

function stepsOf(p: PreviewJson): Step[] {
  return (p.steps ?? [])
    .filter((s) => {
      const type = s.urn.split("::")[2] ?? "";
      return !type.startsWith("pulumi:providers:") && type !== "pulumi:pulumi:Stack";
    })
    .map((s) => ({
      op: s.op,
      name: s.urn.slice(s.urn.lastIndexOf("::") + 2),
      keys: [...(s.replaceReasons ?? [])].sort(),
      diffs: [...(s.diffReasons ?? [])].sort(),
      detailedDiff: [...new Set(Object.keys(s.detailedDiff ?? {}).map((k) => k.split(/[.[]/)[0]!))].sort(),
    }));
}

/** What a preview says about one resource: same, update, replace (with delete-before-replace), create, delete. */
interface Outcome {
  op: "same" | "update" | "replace" | "create" | "delete";
  deleteBeforeReplace?: boolean;
  keys?: string[];
  diffs?: string[];
}

function outcomes(p: PreviewJson): Record<string, Outcome> {
  const out: Record<string, Outcome> = {};
  for (const s of stepsOf(p)) {
    const o = (out[s.name] ??= { op: "same" });
    if (s.op === "same" && o.op === "same") continue;
    // The properties the engine shows as changed are the inputs it names, no more, no fewer.
    if (s.op === "update" || s.op === "replace") expect(s.detailedDiff, `${s.name}: detailedDiff`).toEqual(s.diffs);
    if (s.op === "update") Object.assign(o, { op: "update", diffs: s.diffs });
    if (s.op === "create") Object.assign(o, { op: "create" });
    if (s.op === "delete") Object.assign(o, { op: "delete" });
    if (s.op === "replace") Object.assign(o, { op: "replace", keys: s.keys, diffs: s.diffs });
    // The engine reports the old network's deletion before the new one's creation when it deletes first.
    if (s.op === "delete-replaced" && o.deleteBeforeReplace === undefined) o.deleteBeforeReplace = true;
    if (s.op === "create-replacement" && o.deleteBeforeReplace === undefined) o.deleteBeforeReplace = false;
  }
  return out;
}

/** The stack config `knobs` of test/programs/previews: each row sets it to the base with some inputs changed. */
interface Knobs {
  /** The Server's inputs; `privateKeyFile` (also in `proxy`) names a key file the program reads. */
  server: Record<string, unknown>;
  web: Record<string, unknown>;
  dbNetwork: string;
  /** Paths (`server.port`, `web.labels.tier`) whose value comes from the Echo, unknown during the preview. */
  viaEcho?: string;
  echoSeed: number;
}

describe("previews, field by field", () => {
  const prefix = `dyprev-${hex()}`;
  const net = { web: `${prefix}-web`, db: `${prefix}-db` };
  const third = 100 + Math.floor(Math.random() * 150);
  const subnet = `10.${third}.7.0/24`;
  let s: ProgramStack;

  const base = (): Knobs => ({
    server: {
      host: h.host,
      port: h.port,
      user: h.dockerUser,
      privateKeyFile: h.dockerUserKey,
      hostKey: h.hostPublicKey,
      // A name of its own: without it the name is the host, and a host edit would rename it too.
      name: "preview-server",
      description: "preview table",
    },
    web: { type: "standalone", network: net.web, name: "web", subnet, labels: { tier: "front" } },
    dbNetwork: net.db,
    echoSeed: 0,
  });

  let current = "";
  /** Sets the stack config `knobs` (unless it already is that). */
  async function setKnobs(k: Knobs): Promise<void> {
    const text = JSON.stringify(k);
    if (text === current) return;
    current = "";
    await s.setConfig("knobs", text);
    current = text;
  }

  async function preview(k: Knobs): Promise<Record<string, Outcome>> {
    await setKnobs(k);
    return outcomes(await s.preview());
  }

  async function up(k: Knobs): Promise<void> {
    await setKnobs(k);
    await s.up();
  }

  async function previewWith(change: (k: Knobs) => void): Promise<Record<string, Outcome>> {
    const k = base();
    change(k);
    return preview(k);
  }

  beforeAll(async () => {
    // A container for `connect`, on a network of its own (not the default bridge).
    docker("network", "create", `${prefix}-side`);
    docker("run", "-d", "--network", `${prefix}-side`, "--name", `${prefix}-proxy`, h.image, "sleep", "infinity");
    s = await createProgramStack("previews");
    await setKnobs(base());
    expect(changesOf(await s.up())).toEqual({ create: 5 }); // stack, echo, server, 2 destinations
  });

  afterAll(async () => {
    try {
      await s?.cleanup();
    } finally {
      cleanup(prefix);
    }
  });

  it("the unchanged program previews no change", async () => {
    const o = await previewWith(() => {});
    expect(o).toEqual({ echo: { op: "same" }, server: { op: "same" }, web: { op: "same" }, db: { op: "same" } });
  });

  const inPlace = (diffs: string[]): Outcome => ({ op: "update", diffs });
  const same: Outcome = { op: "same" };
  // A Server edit that keeps the daemon but changes the login: the destinations record the new connection.
  const relogin = inPlace(["connection", "daemon"]);

  // A Server that is replaced (another host or socket) has a new id, part of each
  // destination's owner id: the engine lists `serverId` among the unknown inputs too.
  // [row, change, server, web, db]
  const serverRows: Array<[string, (k: Knobs) => void, Outcome, Outcome, Outcome]> = [
    ["server description", (k) => (k.server.description = "edited"), inPlace(["description"]), same, same],
    // db has no display name of its own: it is `<server name>-<network>`, and follows. The
    // engine lists its connection too: the Server's connection is not known until it is updated.
    [
      "server name",
      (k) => (k.server.name = "renamed"),
      inPlace(["name"]),
      same,
      inPlace(["connection", "name", "serverName"]),
    ],
    ["server port", (k) => (k.server.port = h.sparePort), inPlace(["port"]), relogin, relogin],
    ["server user", (k) => (k.server.user = "root"), inPlace(["user"]), relogin, relogin],
    ["server key rotation", (k) => (k.server.privateKeyFile = h.rootKey), inPlace(["privateKey"]), relogin, relogin],
    ["server hostKey", (k) => (k.server.hostKey = h.hostKeyFingerprint), inPlace(["hostKey"]), relogin, relogin],
    [
      "server proxy (jump host)",
      (k) =>
        (k.server.proxy = {
          host: h.host,
          port: h.jumpPort,
          user: "root",
          privateKeyFile: h.rootKey,
          hostKey: h.hostPublicKey,
        }),
      inPlace(["proxy"]),
      relogin,
      relogin,
    ],
    [
      "server host (another daemon)",
      (k) => (k.server.host = "127.0.0.2"),
      { op: "replace", keys: ["host"], diffs: ["host"], deleteBeforeReplace: false },
      { op: "replace", keys: ["daemon"], diffs: ["connection", "daemon", "serverId"], deleteBeforeReplace: false },
      { op: "replace", keys: ["daemon"], diffs: ["connection", "daemon", "serverId"], deleteBeforeReplace: false },
    ],
    [
      "server dockerSocket (another daemon)",
      (k) => (k.server.dockerSocket = "/run/other-docker.sock"),
      { op: "replace", keys: ["dockerSocket"], diffs: ["dockerSocket"], deleteBeforeReplace: false },
      { op: "replace", keys: ["daemon"], diffs: ["connection", "daemon", "serverId"], deleteBeforeReplace: false },
      { op: "replace", keys: ["daemon"], diffs: ["connection", "daemon", "serverId"], deleteBeforeReplace: false },
    ],
  ];

  it.each(serverRows)("%s", async (_row, change, server, web, db) => {
    const o = await previewWith(change);
    expect({ server: o.server, web: o.web, db: o.db }).toEqual({ server, web, db });
  });

  const replaceWeb = (field: string[], deleteBeforeReplace = true): Outcome => ({
    op: "replace",
    keys: field,
    diffs: field,
    deleteBeforeReplace,
  });
  const webRows: Array<[string, (k: Knobs) => void, Outcome]> = [
    ["destination name", (k) => (k.web.name = "Web"), inPlace(["name"])],
    ["destination network", (k) => (k.web.network = `${prefix}-web2`), replaceWeb(["network"], false)],
    ["destination type", (k) => (k.web.type = "swarm"), replaceWeb(["type"])],
    ["destination attachable", (k) => (k.web.attachable = false), replaceWeb(["attachable"])],
    ["destination internal", (k) => (k.web.internal = true), replaceWeb(["internal"])],
    ["destination subnet", (k) => (k.web.subnet = `10.${third}.8.0/24`), replaceWeb(["subnet"])],
    ["destination gateway", (k) => (k.web.gateway = `10.${third}.7.254`), replaceWeb(["gateway"])],
    ["destination ipRange", (k) => (k.web.ipRange = `10.${third}.7.128/25`), replaceWeb(["ipRange"])],
    [
      "destination ipv6 (with ipv6Subnet, which needs it)",
      (k) => Object.assign(k.web, { ipv6: true, ipv6Subnet: "fd00:7::/64" }),
      replaceWeb(["ipv6", "ipv6Subnet"]),
    ],
    [
      "destination ipv6Gateway and ipv6IpRange (with the ipv6Subnet they need)",
      (k) =>
        Object.assign(k.web, {
          ipv6: true,
          ipv6Subnet: "fd00:7::/64",
          ipv6Gateway: "fd00:7::1",
          ipv6IpRange: "fd00:7::/80",
        }),
      replaceWeb(["ipv6", "ipv6Gateway", "ipv6IpRange", "ipv6Subnet"]),
    ],
    ["destination mtu", (k) => (k.web.mtu = 1400), replaceWeb(["mtu"])],
    [
      "destination driverOptions",
      (k) => (k.web.driverOptions = { "com.docker.network.bridge.enable_icc": "false" }),
      replaceWeb(["driverOptions"]),
    ],
    ["destination labels", (k) => (k.web.labels = { tier: "edge" }), replaceWeb(["labels"])],
    ["destination connect", (k) => (k.web.connect = [`${prefix}-proxy`]), inPlace(["connect"])],
    ["destination adopt", (k) => (k.web.adopt = true), inPlace(["adopt"])],
    ["destination force", (k) => (k.web.force = true), inPlace(["force"])],
  ];

  it.each(webRows)("%s", async (_row, change, web) => {
    const o = await previewWith(change);
    expect({ server: o.server, web: o.web, db: o.db }).toEqual({ server: same, web, db: same });
  });

  // Values computed by another resource (the Echo, being updated): unknown during the preview.
  const unknownRows: Array<[string, string, Outcome, Outcome, Outcome]> = [
    ["server description", "server.description", inPlace(["description"]), same, same],
    ["server port", "server.port", inPlace(["port"]), relogin, relogin],
    ["server key", "server.privateKey", inPlace(["privateKey"]), relogin, relogin],
    [
      "server host",
      "server.host",
      { op: "replace", keys: ["host"], diffs: ["host"], deleteBeforeReplace: false },
      { op: "replace", keys: ["daemon"], diffs: ["connection", "daemon", "serverId"], deleteBeforeReplace: true },
      { op: "replace", keys: ["daemon"], diffs: ["connection", "daemon", "serverId"], deleteBeforeReplace: true },
    ],
    ["destination name", "web.name", same, inPlace(["name"]), same],
    ["destination network", "web.network", same, replaceWeb(["network"]), same],
    ["destination subnet", "web.subnet", same, replaceWeb(["subnet"]), same],
    ["destination label value", "web.labels.tier", same, replaceWeb(["labels"]), same],
  ];

  it.each(unknownRows)("unknown %s", async (_row, path, server, web, db) => {
    const o = await previewWith((k) => {
      k.viaEcho = path;
      k.echoSeed = 1;
    });
    expect(o.echo?.op).toBe("update");
    expect({ server: o.server, web: o.web, db: o.db }).toEqual({ server, web, db });
  });

  it("unknown connect entry", async () => {
    const o = await previewWith((k) => {
      k.web.connect = [`${prefix}-proxy`];
      k.viaEcho = "web.connect.0";
      k.echoSeed = 1;
    });
    expect({ server: o.server, web: o.web, db: o.db }).toEqual({ server: same, web: inPlace(["connect"]), db: same });
  });

  // -----------------------------------------------------------------------
  // Drift made by hand: refresh shows it, and the next preview names exactly the drifted fields.

  /** `pulumi refresh --preview-only`, `pulumi refresh`, then `pulumi preview`. */
  async function refreshAndPreview(): Promise<{ refresh: Record<string, number>; preview: Record<string, Outcome> }> {
    await setKnobs(base());
    const pr = await s.previewRefresh();
    await s.refresh();
    return { refresh: changesOf(pr.changeSummary) as Record<string, number>, preview: outcomes(await s.preview()) };
  }

  it("a refreshed stack with no drift previews no change", async () => {
    const { refresh, preview } = await refreshAndPreview();
    expect(refresh).toEqual({});
    expect(preview).toEqual({ echo: same, server: same, web: same, db: same });
    expect(s.checkpointText()).not.toContain("PRIVATE KEY");
  });

  it("a container detached by hand: refresh and preview show connect; up re-attaches it", async () => {
    const withProxy = () => {
      const k = base();
      k.web.connect = [`${prefix}-proxy`];
      return k;
    };
    await up(withProxy());
    docker("network", "disconnect", net.web, `${prefix}-proxy`);

    // A plain preview or up reads nothing: it does not notice.
    expect((await preview(withProxy())).web).toEqual(same);

    await s.refresh();
    expect((await preview(withProxy())).web).toEqual(inPlace(["connect"]));
    await up(withProxy());
    expect(Object.values(inspectNetwork(net.web)?.Containers ?? {}).map((c) => c.Name)).toEqual([`${prefix}-proxy`]);

    // Back to the table's program.
    await up(base());
  });

  it("a network removed by hand: refresh forgets it and preview creates it", async () => {
    docker("network", "rm", net.db);
    const { refresh, preview } = await refreshAndPreview();
    expect(refresh).toEqual({ delete: 1 });
    expect(preview.db).toEqual({ op: "create" });
    expect(preview.web).toEqual(same);
    await up(base());
  });

  it("a network re-created by hand with other settings: preview replaces it naming exactly those", async () => {
    const web = inspectNetwork(net.web)!;
    docker("network", "rm", net.web);
    const labels = { ...(web.Labels ?? {}), tier: "hand-made" };
    docker(
      "network",
      "create",
      "--internal",
      "--subnet",
      subnet,
      ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
      net.web,
    );
    const { refresh, preview } = await refreshAndPreview();
    expect(refresh).toEqual({ update: 1 });
    expect(preview.web).toEqual({
      op: "replace",
      keys: ["internal", "labels"],
      diffs: ["internal", "labels"],
      deleteBeforeReplace: true,
    });
    expect(preview.server).toEqual(same);
    await up(base());
    const after = inspectNetwork(net.web)!;
    expect(after.Internal).toBe(false);
    expect(after.Labels?.tier).toBe("front");
  });
});
