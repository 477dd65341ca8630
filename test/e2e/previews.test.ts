// What `pulumi preview` says, field by field, through the real engine and the
// `pulumi` binary (Automation API; see test/support/pulumi.ts), against the
// local test host. One stack, made once; every row changes one input in the
// program and previews (a preview changes nothing), then the program goes
// back. Then drift made by hand, refresh, and update plans.
//
// The provider process loads the compiled package: run `npm run build` first.

import { randomBytes } from "node:crypto";

import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { changesOf, cleanupAllTestStacks, createTestStack, ensurePulumiCli, type TestStack } from "../support/pulumi";
import { cleanup, docker, read, testHost, type TestHost } from "../support/testhost";
import { inspectNetwork, loadDockyard } from "./helpers";

const hex = () => randomBytes(4).toString("hex");

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

// A value computed by another resource: `out` is not an input, so it is not
// known during a preview that creates or updates the Echo.
interface EchoInputs {
    seed: { v: unknown; n: number };
}
const echoProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: EchoInputs) {
        return { id: "echo", outs: { seed: inputs.seed, out: inputs.seed.v } };
    },
    async diff(_id: string, olds: EchoInputs, news: EchoInputs) {
        return { changes: JSON.stringify(olds.seed) !== JSON.stringify(news.seed) };
    },
    async update(_id: string, _olds: EchoInputs, news: EchoInputs) {
        return { outs: { seed: news.seed, out: news.seed.v } };
    },
};
class Echo extends pulumi.dynamic.Resource {
    declare readonly out: pulumi.Output<any>;
    constructor(name: string, seed: pulumi.Input<{ v: unknown; n: number }>) {
        super(echoProvider, name, { seed, out: undefined });
    }
}

/** One step of an operation, as the engine reported it. */
interface Step {
    op: string;
    name: string;
    keys: string[];
    diffs: string[];
    detailedDiff: string[];
}

function recorder(): { onEvent: (e: EngineEvent) => void; steps: Step[] } {
    const steps: Step[] = [];
    return {
        steps,
        onEvent(e) {
            const m = e.resourcePreEvent?.metadata;
            if (!m || m.type.startsWith("pulumi:providers:") || m.type === "pulumi:pulumi:Stack") return;
            steps.push({
                op: m.op,
                name: m.urn.slice(m.urn.lastIndexOf("::") + 2),
                keys: [...(m.keys ?? [])].sort(),
                diffs: [...(m.diffs ?? [])].sort(),
                detailedDiff: Object.keys(m.detailedDiff ?? {}).sort(),
            });
        },
    };
}

/** What a preview says about one resource: same, update, replace (with delete-before-replace), create, delete. */
interface Outcome {
    op: "same" | "update" | "replace" | "create" | "delete";
    deleteBeforeReplace?: boolean;
    keys?: string[];
    diffs?: string[];
}

function outcomes(steps: Step[]): Record<string, Outcome> {
    const out: Record<string, Outcome> = {};
    for (const s of steps) {
        const o = (out[s.name] ??= { op: "same" });
        if (s.op === "same" && o.op === "same") continue;
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

/** The program's knobs: every row changes some of them, previews, and puts them back. */
interface Knobs {
    server: Record<string, unknown>;
    web: Record<string, unknown>;
    /** Paths (`server.port`, `web.labels.tier`) whose value comes from the Echo, unknown during the preview. */
    viaEcho?: string;
    echoSeed: number;
    withOther: boolean;
}

describe("previews, field by field", () => {
    const prefix = `dyprev-${hex()}`;
    const net = { web: `${prefix}-web`, db: `${prefix}-db`, other: `${prefix}-other` };
    const third = 100 + Math.floor(Math.random() * 150);
    const subnet = `10.${third}.7.0/24`;
    let s: TestStack;
    let knobs: Knobs;

    const base = (): Knobs => ({
        server: {
            host: h.host,
            port: h.port,
            user: h.dockerUser,
            privateKey: pulumi.secret(read(h.dockerUserKey)),
            hostKey: h.hostPublicKey,
            // A name of its own: without it the name is the host, and a host edit would rename it too.
            name: "preview-server",
            description: "preview table",
        },
        web: { type: "standalone", network: net.web, name: "web", subnet, labels: { tier: "front" } },
        echoSeed: 0,
        withOther: false,
    });

    const program = async () => {
        const k = knobs;
        const echo = new Echo("echo", { v: k.viaEcho ? valueAt(k, k.viaEcho) : "idle", n: k.echoSeed });
        const withEcho = (path: string, v: unknown) => (k.viaEcho === path ? echo.out : v);
        const srv: Record<string, unknown> = {};
        for (const [f, v] of Object.entries(k.server)) srv[f] = withEcho(`server.${f}`, v);
        const server = new dockyard.Server("server", srv as unknown as import("pulumi-dockyard").ServerArgs);
        const web: Record<string, unknown> = { server };
        for (const [f, v] of Object.entries(k.web)) {
            if (f === "labels") web.labels = Object.fromEntries(Object.entries(v as Record<string, string>).map(([lk, lv]) => [lk, withEcho(`web.labels.${lk}`, lv)]));
            else if (f === "connect") web.connect = (v as string[]).map((c, i) => withEcho(`web.connect.${i}`, c));
            else web[f] = withEcho(`web.${f}`, v);
        }
        new dockyard.Destination("web", web as unknown as import("pulumi-dockyard").DestinationArgs);
        // No display name of its own: it follows the server's name.
        new dockyard.Destination("db", { server, type: "standalone", network: net.db, internal: true });
        if (k.withOther) new dockyard.Destination("other", { server, type: "standalone", network: net.other });
        return { webNetwork: net.web };
    };

    function valueAt(k: Knobs, path: string): unknown {
        const [res, ...rest] = path.split(".");
        let v: unknown = res === "server" ? k.server : k.web;
        for (const p of rest) v = (v as Record<string, unknown>)[p];
        return v;
    }

    async function previewWith(change: (k: Knobs) => void): Promise<Record<string, Outcome>> {
        knobs = base();
        change(knobs);
        try {
            const rec = recorder();
            await s.preview({ onEvent: rec.onEvent });
            return outcomes(rec.steps);
        } finally {
            knobs = base();
        }
    }

    beforeAll(async () => {
        knobs = base();
        // A container for `connect`, on a network of its own (not the default bridge).
        docker("network", "create", `${prefix}-side`);
        docker("run", "-d", "--network", `${prefix}-side`, "--name", `${prefix}-proxy`, h.image, "sleep", "infinity");
        s = await createTestStack({ projectName: "dockyard-previews", stackName: `t${hex()}`, program });
        const up = await s.up();
        expect(changesOf(up.summary.resourceChanges)).toEqual({ create: 5 }); // stack, echo, server, 2 destinations
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
        ["server name", (k) => (k.server.name = "renamed"), inPlace(["name"]), same, inPlace(["connection", "name", "serverName"])],
        ["server port", (k) => (k.server.port = h.sparePort), inPlace(["port"]), relogin, relogin],
        ["server user", (k) => (k.server.user = "root"), inPlace(["user"]), relogin, relogin],
        ["server key rotation", (k) => (k.server.privateKey = pulumi.secret(read(h.rootKey))), inPlace(["privateKey"]), relogin, relogin],
        ["server hostKey", (k) => (k.server.hostKey = h.hostKeyFingerprint), inPlace(["hostKey"]), relogin, relogin],
        [
            "server proxy (jump host)",
            (k) => (k.server.proxy = { host: h.host, port: h.jumpPort, user: "root", privateKey: read(h.rootKey), hostKey: h.hostPublicKey }),
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

    const replaceWeb = (field: string[], deleteBeforeReplace = true): Outcome => ({ op: "replace", keys: field, diffs: field, deleteBeforeReplace });
    const webRows: Array<[string, (k: Knobs) => void, Outcome]> = [
        ["destination name", (k) => (k.web.name = "Web"), inPlace(["name"])],
        ["destination network", (k) => (k.web.network = `${prefix}-web2`), replaceWeb(["network"], false)],
        ["destination type", (k) => (k.web.type = "swarm"), replaceWeb(["type"])],
        ["destination attachable", (k) => (k.web.attachable = false), replaceWeb(["attachable"])],
        ["destination internal", (k) => (k.web.internal = true), replaceWeb(["internal"])],
        ["destination subnet", (k) => (k.web.subnet = `10.${third}.8.0/24`), replaceWeb(["subnet"])],
        ["destination gateway", (k) => (k.web.gateway = `10.${third}.7.254`), replaceWeb(["gateway"])],
        ["destination ipRange", (k) => (k.web.ipRange = `10.${third}.7.128/25`), replaceWeb(["ipRange"])],
        ["destination ipv6 (with ipv6Subnet, which needs it)", (k) => Object.assign(k.web, { ipv6: true, ipv6Subnet: "fd00:7::/64" }), replaceWeb(["ipv6", "ipv6Subnet"])],
        [
            "destination ipv6Gateway and ipv6IpRange (with the ipv6Subnet they need)",
            (k) => Object.assign(k.web, { ipv6: true, ipv6Subnet: "fd00:7::/64", ipv6Gateway: "fd00:7::1", ipv6IpRange: "fd00:7::/80" }),
            replaceWeb(["ipv6", "ipv6Gateway", "ipv6IpRange", "ipv6Subnet"]),
        ],
        ["destination mtu", (k) => (k.web.mtu = 1400), replaceWeb(["mtu"])],
        ["destination driverOptions", (k) => (k.web.driverOptions = { "com.docker.network.bridge.enable_icc": "false" }), replaceWeb(["driverOptions"])],
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
        knobs = base();
        const pr = await s.stack.previewRefresh();
        await s.refresh();
        const p = recorder();
        await s.preview({ onEvent: p.onEvent });
        return { refresh: changesOf(pr.changeSummary) as Record<string, number>, preview: outcomes(p.steps) };
    }

    it("a refreshed stack with no drift previews no change", async () => {
        const { refresh, preview } = await refreshAndPreview();
        expect(refresh).toEqual({});
        expect(preview).toEqual({ echo: same, server: same, web: same, db: same });
        expect(s.checkpointText()).not.toContain("PRIVATE KEY");
    });

    it("a container detached by hand: refresh and preview show connect; up re-attaches it", async () => {
        knobs = base();
        knobs.web.connect = [`${prefix}-proxy`];
        const keep = knobs.web.connect;
        const withProxy = () => {
            const k = base();
            k.web.connect = keep;
            return k;
        };
        knobs = withProxy();
        await s.up();
        docker("network", "disconnect", net.web, `${prefix}-proxy`);

        // A plain preview or up reads nothing: it does not notice.
        knobs = withProxy();
        const plain = recorder();
        await s.preview({ onEvent: plain.onEvent });
        expect(outcomes(plain.steps).web).toEqual(same);

        await s.refresh();
        const p = recorder();
        await s.preview({ onEvent: p.onEvent });
        expect(outcomes(p.steps).web).toEqual(inPlace(["connect"]));
        await s.up();
        expect(Object.values(inspectNetwork(net.web)?.Containers ?? {}).map((c) => c.Name)).toEqual([`${prefix}-proxy`]);

        // Back to the table's program.
        knobs = base();
        await s.up();
    });

    it("a network removed by hand: refresh forgets it and preview creates it", async () => {
        docker("network", "rm", net.db);
        const { refresh, preview } = await refreshAndPreview();
        expect(refresh).toEqual({ delete: 1 });
        expect(preview.db).toEqual({ op: "create" });
        expect(preview.web).toEqual(same);
        await s.up();
    });

    it("a network re-created by hand with other settings: preview replaces it naming exactly those", async () => {
        const web = inspectNetwork(net.web)!;
        docker("network", "rm", net.web);
        const labels = { ...(web.Labels ?? {}), tier: "hand-made" };
        docker("network", "create", "--internal", "--subnet", subnet, ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), net.web);
        const { refresh, preview } = await refreshAndPreview();
        expect(refresh).toEqual({ update: 1 });
        expect(preview.web).toEqual({ op: "replace", keys: ["internal", "labels"], diffs: ["internal", "labels"], deleteBeforeReplace: true });
        expect(preview.server).toEqual(same);
        await s.up();
        const after = inspectNetwork(net.web)!;
        expect(after.Internal).toBe(false);
        expect(after.Labels?.tier).toBe("front");
    });
});
