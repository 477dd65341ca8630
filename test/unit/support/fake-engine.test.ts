// The fake engine's own rules, where they are not trivial: each as the test
// host's Docker 20.10 behaves (see the comment atop test/support/fake-engine.ts).
import { describe, expect, it } from "vitest";
import {
  ConflictError,
  ConnectionError,
  DockerApiError,
  DockerUnavailableError,
  HostKeyMismatchError,
  NotFoundError,
  ValidationError,
} from "../../../provider/errors";
import { hostKeyFingerprint } from "../../../provider/transport/ssh/hostkey";
import { FakeDaemon, FakeDaemons } from "../../support/fake-engine";
import { CONNECTION } from "../../support/fake-world";

const err = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe("the fake daemon's networks", () => {
  it("starts with the predefined networks; a swarm node has ingress and docker_gwbridge too", async () => {
    expect((await new FakeDaemon().listNetworks()).map((n) => n.Name).sort()).toEqual(["bridge", "host", "none"]);
    const names = (await new FakeDaemon({ swarm: "manager" }).listNetworks()).map((n) => n.Name).sort();
    expect(names).toEqual(["bridge", "docker_gwbridge", "host", "ingress", "none"]);
    expect(new FakeDaemon({ defaultBridge: false }).peek("bridge")).toBeUndefined();
  });

  it("a bridge gets a default /24 with a gateway, a given subnet as given; an empty bridge has a container map, an empty overlay none", async () => {
    const d = new FakeDaemon({ swarm: "manager" });
    const a = d.peek(await d.createNetwork({ Name: "a" }))!;
    expect(a).toMatchObject({ Driver: "bridge", Scope: "local", Containers: {}, Options: {}, Labels: {} });
    expect(a.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(a.IPAM!.Config).toEqual([
      { Subnet: expect.stringMatching(/^10\.96\.\d+\.0\/24$/), Gateway: expect.stringMatching(/^10\.96\.\d+\.1$/) },
    ]);
    const b = d.peek(await d.createNetwork({ Name: "b", IPAM: { Config: [{ Subnet: "10.253.9.0/24" }] } }))!;
    expect(b.IPAM!.Config).toEqual([{ Subnet: "10.253.9.0/24" }]);
    const o = d.peek(
      await d.createNetwork({
        Name: "o",
        Driver: "overlay",
        Attachable: true,
        IPAM: { Config: [{ Subnet: "10.254.77.0/24" }] },
      }),
    )!;
    expect(o).toMatchObject({
      Scope: "swarm",
      Containers: null,
      Attachable: true,
      IPAM: { Config: [{ Subnet: "10.254.77.0/24", Gateway: "10.254.77.1" }] },
    });
    expect(o.Id).toMatch(/^[a-z0-9]{25}$/);
    expect(o.Options).toHaveProperty(["com.docker.network.driver.overlay.vxlanid_list"]);
    // IPv6 asked for with only a v6 subnet: the daemon adds a v4 one from its pool first.
    const v6 = d.peek(
      await d.createNetwork({ Name: "v6", EnableIPv6: true, IPAM: { Config: [{ Subnet: "fd00:dead:9::/64" }] } }),
    )!;
    expect(v6.IPAM!.Config!.map((c) => c.Subnet)).toEqual([expect.stringMatching(/^10\.96\./), "fd00:dead:9::/64"]);
  });

  it("default subnets are never ones already in use, and an exhausted pool is refused", async () => {
    const d = new FakeDaemon({ localPool: "10.96.0.0/22" });
    await d.createNetwork({ Name: "given", IPAM: { Config: [{ Subnet: "10.96.1.0/24" }] } });
    const next = d.peek(await d.createNetwork({ Name: "next" }))!;
    expect(next.IPAM!.Config![0]!.Subnet).toBe("10.96.2.0/24");
    await d.createNetwork({ Name: "last" });
    const e = await err(d.createNetwork({ Name: "none-left" }));
    expect(e).toBeInstanceOf(DockerApiError);
    expect(e!.message).toContain("could not find an available, non-overlapping IPv4 address pool");
  });

  it("a local name taken: accepted as Docker 20.10 does (a name look-up is then ambiguous), refused with CheckDuplicate or as Docker 25 does", async () => {
    const d = new FakeDaemon();
    await d.createNetwork({ Name: "twice" });
    await d.createNetwork({ Name: "twice" });
    const ambiguous = await err(d.inspectNetwork("twice"));
    expect(ambiguous).toBeInstanceOf(DockerApiError);
    expect((ambiguous as DockerApiError).statusCode).toBe(400);
    expect(ambiguous!.message).toBe(
      "root@fake:22: network inspect twice: Docker answered 400: 2 matches found based on name: network twice is ambiguous",
    );
    expect(await d.listNetworks({ name: ["twice"] })).toHaveLength(2);
    const dup = await err(d.createNetwork({ Name: "twice", CheckDuplicate: true }));
    expect(dup).toBeInstanceOf(ConflictError);
    expect(dup!.message).toBe("root@fake:22: network create twice: network with name twice already exists");
    const strict = new FakeDaemon({ uniqueNames: true });
    await strict.createNetwork({ Name: "once" });
    await expect(strict.createNetwork({ Name: "once" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("a swarm-scoped name clash is refused, whatever the driver", async () => {
    const d = new FakeDaemon({ swarm: "manager" });
    await d.createNetwork({ Name: "o", Driver: "overlay" });
    await expect(d.createNetwork({ Name: "o", Driver: "overlay" })).rejects.toBeInstanceOf(ConflictError);
    await expect(d.createNetwork({ Name: "o" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("given subnets: refused when overlapping another local network; overlays are not checked against each other", async () => {
    const d = new FakeDaemon({ swarm: "manager" });
    await d.createNetwork({ Name: "a", IPAM: { Config: [{ Subnet: "10.253.9.0/24" }] } });
    const e = await err(d.createNetwork({ Name: "b", IPAM: { Config: [{ Subnet: "10.253.9.128/25" }] } }));
    expect(e).toBeInstanceOf(DockerApiError);
    expect((e as DockerApiError).statusCode).toBe(403);
    expect(e!.message).toBe(
      "root@fake:22: network create b: Docker answered 403: Pool overlaps with other one on this address space",
    );
    await d.createNetwork({ Name: "o1", Driver: "overlay", IPAM: { Config: [{ Subnet: "10.254.77.0/24" }] } });
    await d.createNetwork({ Name: "o2", Driver: "overlay", IPAM: { Config: [{ Subnet: "10.254.77.0/24" }] } });
    // A bridge is not checked against the swarm's address space either.
    await d.createNetwork({ Name: "b2", IPAM: { Config: [{ Subnet: "10.254.77.0/25" }] } });
  });

  it("an overlay only through a manager: 500 outside a swarm, 503 on a worker", async () => {
    const none = await err(new FakeDaemon().createNetwork({ Name: "o", Driver: "overlay" }));
    expect(none!.message).toBe(
      'root@fake:22: network create o: Docker answered 500: This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
    );
    const worker = await err(new FakeDaemon({ swarm: "worker" }).createNetwork({ Name: "o", Driver: "overlay" }));
    expect((worker as DockerApiError).statusCode).toBe(503);
    expect(worker!.message).toContain("This node is not a swarm manager. Worker nodes can't be used");
  });

  it("looks networks up by id, name or unique id prefix; lists with Docker's filters", async () => {
    const d = new FakeDaemon();
    const id = await d.createNetwork({ Name: "web-a", Labels: { tier: "web", team: "ops" } });
    await d.createNetwork({ Name: "web-b", Labels: { tier: "db" } });
    expect((await d.inspectNetwork(id.slice(0, 12))).Name).toBe("web-a");
    expect((await d.inspectNetwork("web-a")).Id).toBe(id);
    await expect(d.inspectNetwork("missing")).rejects.toThrow(
      "root@fake:22: network inspect missing: network missing not found",
    );
    expect(await d.findNetwork("missing")).toBeUndefined();
    const names = async (f: Record<string, string[]>) => (await d.listNetworks(f)).map((n) => n.Name).sort();
    expect(await names({ name: ["web"] })).toEqual(["web-a", "web-b"]);
    expect(await names({ label: ["tier=web"] })).toEqual(["web-a"]);
    expect(await names({ label: ["tier"] })).toEqual(["web-a", "web-b"]);
    expect(await names({ id: [id.slice(0, 6)] })).toEqual(["web-a"]);
    expect(await names({ driver: ["host"] })).toEqual(["host"]);
    await expect(d.listNetworks({ bogus: ["x"] })).rejects.toThrow("Invalid filter 'bogus'");
  });

  it("inspects are snapshots: changing one changes nothing on the daemon", async () => {
    const d = new FakeDaemon();
    const id = await d.createNetwork({ Name: "n", Labels: { a: "b" } });
    const seen = await d.inspectNetwork(id);
    seen.Labels!.a = "changed";
    expect(d.peek(id)!.Labels).toEqual({ a: "b" });
  });

  it("a new overlay shows no driver and no subnets for its first allocation inspects", async () => {
    const d = new FakeDaemon({ swarm: "manager", allocationInspects: 2 });
    const id = await d.createNetwork({ Name: "o", Driver: "overlay" });
    expect((await d.inspectNetwork(id)).Driver).toBe("");
    expect((await d.inspectNetwork(id)).IPAM!.Config).toEqual([]);
    expect((await d.inspectNetwork(id)).Driver).toBe("overlay");
  });
});

describe("the fake daemon's containers", () => {
  it("connect: 404 for an unknown container, 403 when attached already (by name or id prefix)", async () => {
    const d = new FakeDaemon();
    const id = await d.createNetwork({ Name: "n" });
    const cid = d.addContainer("app");
    await d.connectContainer(id, "app");
    const e1 = await err(d.connectContainer(id, "ghost"));
    expect(e1).toBeInstanceOf(NotFoundError);
    expect(e1!.message).toBe("root@fake:22: network connect ghost: No such container: ghost");
    const e2 = await err(d.connectContainer(id, cid.slice(0, 12)));
    expect(e2!.message).toBe(
      `root@fake:22: network connect ${cid.slice(0, 12)}: Docker answered 403: endpoint with name app already exists in network n`,
    );
    expect(d.peek(id)!.Containers).toEqual({
      [cid]: expect.objectContaining({ Name: "app", IPv4Address: expect.stringMatching(/\/24$/) }),
    });
  });

  it("a non-attachable overlay refuses standalone containers; a swarm network lists its load balancer once used", async () => {
    const d = new FakeDaemon({ swarm: "manager" });
    d.addContainer("app");
    const closed = await d.createNetwork({ Name: "closed", Driver: "overlay" });
    await expect(d.connectContainer(closed, "app")).rejects.toThrow(/not manually attachable/);
    const open = await d.createNetwork({ Name: "open", Driver: "overlay", Attachable: true });
    await d.connectContainer(open, "app");
    expect(
      Object.values(d.peek(open)!.Containers!)
        .map((c) => c.Name)
        .sort(),
    ).toEqual(["app", "open-endpoint"]);
    expect(Object.keys(d.peek(open)!.Containers!)).toContain("lb-open");
  });

  it("connecting to a network that is not there: 404 outside a swarm, the swarm's 500 on a node in one", async () => {
    const d = new FakeDaemon();
    d.addContainer("app");
    await expect(d.connectContainer("gone", "app")).rejects.toBeInstanceOf(NotFoundError);
    const s = new FakeDaemon({ swarm: "worker" });
    s.addContainer("app");
    const e = await err(s.connectContainer("gone", "app"));
    expect((e as DockerApiError).statusCode).toBe(500);
    expect(e!.message).toContain("rpc error: code = NotFound desc = network gone not found");
  });

  it("disconnect: 500 when not attached, 404 for an unknown container (an endpoint with force)", async () => {
    const d = new FakeDaemon();
    const id = await d.createNetwork({ Name: "n" });
    const cid = d.addContainer("app");
    const e1 = await err(d.disconnectContainer(id, "app", false));
    expect(e1!.message).toBe(
      `root@fake:22: network disconnect app: Docker answered 500: container ${cid} is not connected to network n`,
    );
    expect((await err(d.disconnectContainer(id, "app", true)))!.message).toContain(
      `container ${cid} is not connected to the network n`,
    );
    expect((await err(d.disconnectContainer(id, "ghost", true)))!.message).toBe(
      "root@fake:22: network disconnect ghost: endpoint ghost not found",
    );
    expect((await err(d.disconnectContainer(id, "ghost", false)))!.message).toBe(
      "root@fake:22: network disconnect ghost: No such container: ghost",
    );
  });

  it("removal: refused while endpoints are active (403 on a bridge, 400 'in use by task' on an overlay), 404 once gone; predefined ones never", async () => {
    const d = new FakeDaemon({ swarm: "manager" });
    d.addContainer("app");
    const b = await d.createNetwork({ Name: "b" });
    d.attach(b, "app");
    const e1 = await err(d.removeNetwork(b));
    expect(e1!.message).toBe(
      `root@fake:22: network remove ${b}: Docker answered 403: error while removing network: network b id ${b} has active endpoints`,
    );
    const o = await d.createNetwork({ Name: "o", Driver: "overlay", Attachable: true });
    d.attach(o, "app");
    expect((await err(d.removeNetwork(o)))!.message).toMatch(
      /Docker answered 400: rpc error: code = FailedPrecondition desc = network \w+ is in use by task \w+$/,
    );
    d.detach(b, "app");
    await d.removeNetwork(b);
    await expect(d.removeNetwork(b)).rejects.toBeInstanceOf(NotFoundError);
    await expect(d.removeNetwork("bridge")).rejects.toThrow("bridge is a pre-defined network and cannot be removed");
  });

  it("an overlay stays in use for a while after its last container left, and while other nodes hold it", async () => {
    const d = new FakeDaemon({ swarm: "manager", lingerAfterLastEndpoint: 2 });
    d.addContainer("app");
    const o = await d.createNetwork({ Name: "o", Driver: "overlay", Attachable: true });
    await d.connectContainer(o, "app");
    await d.disconnectContainer(o, "app", false);
    await expect(d.removeNetwork(o)).rejects.toThrow(/in use by task/);
    await expect(d.removeNetwork(o)).rejects.toThrow(/in use by task/);
    const held = d.holdRemotely(o);
    await expect(d.removeNetwork(o)).rejects.toThrow(/in use by task/);
    held.release();
    await d.removeNetwork(o);
  });

  it("a container removed takes its endpoints with it", async () => {
    const d = new FakeDaemon();
    const id = await d.createNetwork({ Name: "n" });
    d.addContainer("app");
    d.attach(id, "app");
    d.removeContainer("app");
    expect(d.peek(id)!.Containers).toEqual({});
    await expect(d.inspectContainer("app")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("the fake daemon's faults and call record", () => {
  it("records every call with its arguments, copied", async () => {
    const d = new FakeDaemon();
    const body = { Name: "n", Labels: { a: "b" } };
    const id = await d.createNetwork(body);
    body.Labels.a = "changed";
    await d.findNetwork(id);
    await d.ping();
    expect(d.calls).toEqual([
      { method: "createNetwork", args: [{ Name: "n", Labels: { a: "b" } }] },
      { method: "inspectNetwork", args: [id] },
      { method: "ping", args: [] },
    ]);
  });

  it("fail: before the call takes effect, or after it (the answer lost); once, in order, for matching calls only", async () => {
    const d = new FakeDaemon();
    const boom = new Error("boom");
    d.fail("createNetwork", boom);
    await expect(d.createNetwork({ Name: "net-a" })).rejects.toBe(boom);
    expect(d.peek("net-a")).toBeUndefined();
    d.fail("createNetwork", boom, { after: true });
    await expect(d.createNetwork({ Name: "net-b" })).rejects.toBe(boom);
    expect(d.peek("net-b")).toBeDefined();
    d.fail("inspectNetwork", boom, { match: (args) => args[0] === "net-b" });
    await d.inspectNetwork("bridge");
    expect(d.pendingFaults).toBe(1);
    await expect(d.inspectNetwork("net-b")).rejects.toBe(boom);
    await d.inspectNetwork("net-b");
    expect(d.pendingFaults).toBe(0);
  });

  it("before: a hook runs just before the call is handled", async () => {
    const d = new FakeDaemon();
    d.before("listNetworks", () => void d.addNetwork({ Name: "sneaked" }));
    expect((await d.listNetworks()).map((n) => n.Name)).toContain("sneaked");
  });

  it("hang: the call waits until released (or fails as released), or until its signal aborts", async () => {
    const d = new FakeDaemon();
    const h = d.hang("ping");
    let done = false;
    const p = d.ping().then((v) => ((done = true), v));
    await h.started;
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    h.release();
    expect(await p).toBe("OK");
    const failing = d.hang("ping");
    const q = d.ping();
    failing.release(new Error("stalled"));
    await expect(q).rejects.toThrow("stalled");
    const ac = new AbortController();
    d.hang("info", { signal: ac.signal });
    const r = d.info();
    ac.abort(new Error("cancelled"));
    await expect(r).rejects.toThrow("cancelled");
  });
});

describe("the fake transport", () => {
  it("sees a server's host key once connected, and enforces a pinned one", async () => {
    const t = new FakeDaemons();
    t.daemon("web1");
    const key = t.server("web1").hostKey;
    expect(hostKeyFingerprint(key.publicKey)).toBe(key.fingerprint);
    expect(t.hostKeySeen(CONNECTION)).toBeUndefined();
    await t.docker(CONNECTION).ping();
    expect(t.hostKeySeen(CONNECTION)).toEqual(key);
    expect(t.docker(CONNECTION)).toBe(t.docker({ ...CONNECTION }));
    await t.docker({ ...CONNECTION, hostKey: key.fingerprint }).ping();
    const other = new FakeDaemons().server("x").hostKey;
    const e = await err(t.docker({ ...CONNECTION, hostKey: other.publicKey }).ping());
    expect(e).toBeInstanceOf(HostKeyMismatchError);
    await expect(t.docker({ ...CONNECTION, hostKey: "not a key" }).ping()).rejects.toBeInstanceOf(ValidationError);
  });

  it("a server that is down fails like an exhausted dial; a socket without a daemon is DockerUnavailable", async () => {
    const t = new FakeDaemons();
    t.daemon("web1");
    t.server("web1").up = false;
    const e = await err(t.docker({ ...CONNECTION, dialErrorLimit: 1 }).ping());
    expect(e).toBeInstanceOf(ConnectionError);
    expect((e as ConnectionError).dialExhausted).toBe(true);
    expect(e!.message).toBe(
      "could not connect to root@web1:22 after 1 attempt: connection refused: is sshd listening on port 22?",
    );
    t.server("web1").up = true;
    const u = await err(t.docker({ ...CONNECTION, dockerSocket: "/run/x.sock" }).ping());
    expect(u).toBeInstanceOf(DockerUnavailableError);
    await expect(t.docker({ ...CONNECTION, host: "nowhere" }).ping()).rejects.toBeInstanceOf(ConnectionError);
  });

  it("reaches a server through its jump host, seeing both keys, and names the daemon by its connection", async () => {
    const t = new FakeDaemons();
    const d = t.daemon("web1");
    t.server("jump", 2222);
    const proxy = { host: "jump", port: 2222, user: "root", password: "pw", perDialTimeout: 15, dialErrorLimit: 10 };
    const api = t.docker({ ...CONNECTION, proxy });
    expect(api.target).toBe("root@web1:22 (via root@jump:2222)");
    await api.ping();
    expect(t.hostKeySeen(proxy)).toEqual(t.server("jump", 2222).hostKey);
    expect(d.target).toBe("root@web1:22 (via root@jump:2222)");
    t.server("jump", 2222).up = false;
    await expect(t.docker({ ...CONNECTION, proxy, dialErrorLimit: 3 }).ping()).rejects.toThrow(
      "could not connect to root@jump:2222",
    );
  });
});
