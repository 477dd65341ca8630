// The dynamic-provider adapter (sdk/dynamic.ts): what it hands a controller
// (never `__provider`) and what it hands the engine (values protobuf accepts,
// "gone" as no id, errors without internals). With a recording controller,
// and with the Destination controller on the fake engine. Its diff's
// `changes`: test/unit/preview-diff.test.ts.
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConflictError } from "../../../provider/errors";
import type { ResourceController } from "../../../provider/resource";
import { adapt } from "../../../sdk/dynamic";
import { world } from "../../support/fake-world";

const PROVIDER = "exports.handler = () => ({});";

/** A controller that records what it was given, and answers `answer`. */
function recording(answer: { read?: unknown; fail?: unknown } = {}) {
  const seen: Array<{ op: string; args: unknown[] }> = [];
  const ctl: ResourceController<object, object> = {
    check: (olds, news) => (
      seen.push({ op: "check", args: [olds, news] }),
      { inputs: { ...news, absent: undefined, list: [1, undefined] }, failures: [] }
    ),
    diff: (...args) => (
      seen.push({ op: "diff", args }),
      {
        changes: true,
        replaces: ["network"],
        updates: [],
        stables: ["driver"],
        deleteBeforeReplace: true,
        inputsInStep: true,
      }
    ),
    create: async (...args) => {
      seen.push({ op: "create", args });
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- deliberately a non-Error: the code under test must handle it
      if (answer.fail !== undefined) throw answer.fail;
      return { id: "new-id", state: { a: 1, gone: undefined, nested: { x: undefined, y: 2 } } };
    },
    read: async (...args) => (seen.push({ op: "read", args }), answer.read as never),
    update: async (...args) => (seen.push({ op: "update", args }), { b: 2, c: undefined }),
    delete: async (...args) => {
      seen.push({ op: "delete", args });
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- deliberately a non-Error: the code under test must handle it
      if (answer.fail !== undefined) throw answer.fail;
    },
  };
  return { seen, provider: adapt(ctl) };
}

describe("the adapter hands controllers the inputs and state without the serialized provider", () => {
  it("in check, diff, create, read, update and delete", async () => {
    const { seen, provider } = recording({ read: { id: "x", state: {} } });
    const props = { __provider: PROVIDER, network: "prod" };
    await provider.check!(props, props);
    await provider.diff!("x", props, props);
    await provider.create(props);
    await provider.read!("x", props);
    await provider.update!("x", props, props);
    await provider.delete!("x", props);
    expect(seen.map((s) => s.op)).toEqual(["check", "diff", "create", "read", "update", "delete"]);
    for (const s of seen)
      for (const a of s.args) if (a && typeof a === "object") expect(a).not.toHaveProperty("__provider");
    expect(seen[0]!.args).toEqual([{ network: "prod" }, { network: "prod" }]);
  });

  it("check without olds (a create) passes none", async () => {
    const { seen, provider } = recording();
    await provider.check!(undefined, { __provider: PROVIDER });
    expect(seen[0]!.args).toEqual([undefined, {}]);
  });
});

describe("the adapter hands the engine what protobuf accepts", () => {
  it("check's inputs, create's and update's outputs without undefined members", async () => {
    const { provider } = recording();
    const checked = await provider.check!({}, { network: "prod" });
    expect(checked).toEqual({ inputs: { network: "prod", list: [1, null] }, failures: [] });
    expect(await provider.create({})).toEqual({ id: "new-id", outs: { a: 1, nested: { y: 2 } } });
    expect(await provider.update!("x", {}, {})).toEqual({ outs: { b: 2 } });
  });

  it("diff's replacements, stables and delete-before-replace pass through", async () => {
    const { provider } = recording();
    expect(await provider.diff!("x", { __provider: PROVIDER }, { __provider: PROVIDER })).toEqual({
      changes: undefined,
      replaces: ["network"],
      stables: ["driver"],
      deleteBeforeReplace: true,
    });
  });

  it("read: gone is no id; found gives its state, and its inputs when the controller has them", async () => {
    expect(await recording({ read: undefined }).provider.read!("x", {})).toEqual({ id: undefined, props: {} });
    expect(await recording({ read: { id: "y", state: { s: 1, t: undefined } } }).provider.read!("x", {})).toEqual({
      id: "y",
      props: { s: 1 },
    });
    const withInputs = await recording({ read: { id: "y", state: { s: 1 }, inputs: { i: 1, j: undefined } } }).provider
      .read!("x", {});
    expect(withInputs).toEqual({ id: "y", props: { s: 1 }, inputs: { i: 1 } });
  });

  it("errors reach the engine with their name and message, without cause or internals", async () => {
    const cause = new Error("raw daemon answer");
    const err = await recording({
      fail: new ConflictError(409, "root@web1:22: a network named 'prod' already exists", { cause }),
    })
      .provider.create({})
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ConflictError);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe("ConflictError");
    expect((err as Error).message).toBe("root@web1:22: a network named 'prod' already exists");
    expect((err as Error).cause).toBeUndefined();
    expect(err).not.toHaveProperty("code");
    expect(err).not.toHaveProperty("statusCode");
    const odd = await recording({ fail: "just a string" }).provider.delete!("x", {}).catch((e: unknown) => e);
    expect(odd).toBeInstanceOf(Error);
    expect((odd as Error).message).toBe("just a string");
  });
});

describe("the adapter over the Destination controller and the fake engine", () => {
  function adapted() {
    const w = world();
    w.daemon.addContainer("proxy");
    const provider: pulumi.dynamic.ResourceProvider = adapt(w.destinations);
    const news = {
      ...(w.inputs({ labels: { tier: "web" } }) as unknown as Record<string, unknown>),
      __provider: PROVIDER,
    };
    return { w, provider, news };
  }

  it("create, read, update and delete translate to the controller's and back", async () => {
    const { w, provider, news } = adapted();
    const checked = await provider.check!(undefined, news);
    expect(checked.failures).toEqual([]);
    const created = await provider.create({ ...checked.inputs, __provider: PROVIDER });
    expect(created.id).toBe(w.daemon.peek("prod")!.Id);
    expect(created.outs).toMatchObject({ networkId: created.id, labels: { tier: "web" }, adopted: false });
    expect(created.outs).not.toHaveProperty("__provider");
    expect(Object.values(created.outs as object)).not.toContain(undefined);

    const read = await provider.read!(created.id, { ...created.outs, __provider: PROVIDER });
    expect(read.id).toBe(created.id);
    expect(read.props).toEqual(created.outs);
    expect(read.inputs).toMatchObject({ network: "prod", labels: { tier: "web" } });

    const updated = await provider.update!(
      created.id,
      { ...created.outs, __provider: PROVIDER },
      { ...checked.inputs, connect: ["proxy"], __provider: PROVIDER },
    );
    expect(updated.outs).toMatchObject({ connect: ["proxy"] });

    await provider.delete!(created.id, { ...updated.outs, __provider: PROVIDER });
    expect(w.daemon.userNetworks()).toEqual([]);
    expect(await provider.read!(created.id, { ...updated.outs, __provider: PROVIDER })).toEqual({
      id: undefined,
      props: {},
    });
  });

  it("a controller's refusal reaches the engine as its message", async () => {
    const { w, provider, news } = adapted();
    w.daemon.addNetwork({ Name: "prod" });
    const checked = await provider.check!(undefined, news);
    const err = await provider.create({ ...checked.inputs, __provider: PROVIDER }).catch((e: unknown) => e);
    expect((err as Error).name).toBe("ConflictError");
    expect((err as Error).message).toMatch(/^root@web1:22: a network named 'prod' already exists/);
  });
});

describe("the adapter's diff", () => {
  const provider = "exports.handler = () => ({});";
  const fake = (r: {
    changes: boolean;
    replaces?: string[];
    inputsInStep?: boolean;
  }): ResourceController<object, object> => ({
    check: () => ({ inputs: {}, failures: [] }),
    diff: () => ({
      changes: r.changes,
      replaces: r.replaces ?? [],
      updates: [],
      stables: [],
      deleteBeforeReplace: false,
      inputsInStep: r.inputsInStep ?? true,
    }),
    create: async () => ({ id: "x", state: {} }),
    read: async () => undefined,
    update: async () => ({}),
    delete: async () => {},
  });
  const diff = (p: pulumi.dynamic.ResourceProvider, olds: object, news: object) => p.diff!("id", olds, news);

  it("no change is 'none'", async () => {
    expect(
      (await diff(adapt(fake({ changes: false })), { __provider: provider }, { __provider: provider })).changes,
    ).toBe(false);
  });
  it("a change leaves the naming of the changed inputs to the engine (it compares recorded and new inputs)", async () => {
    const r = await diff(
      adapt(fake({ changes: true, replaces: ["labels"] })),
      { __provider: provider },
      { __provider: provider },
    );
    expect(r.changes).toBeUndefined();
    expect(r.replaces).toEqual(["labels"]);
  });
  it("but says 'changes' itself when the engine's comparison would name the serialized provider", async () => {
    const r = await diff(adapt(fake({ changes: true })), { __provider: provider }, { __provider: provider + " " });
    expect(r.changes).toBe(true);
  });
  it("or when the recorded inputs may lag behind the state (written before inputs were kept in step)", async () => {
    const r = await diff(
      adapt(fake({ changes: true, inputsInStep: false })),
      { __provider: provider },
      { __provider: provider },
    );
    expect(r.changes).toBe(true);
  });
});

describe("the process-wide providers the serialized shim calls", () => {
  it("are adapters over one set of controllers, made once and shared", async () => {
    const { getControllers, providers } = await import("../../../sdk/dynamic");
    const ctl = getControllers();
    expect(getControllers()).toBe(ctl);
    expect(providers.server).toBe(providers.server);
    expect(providers.destination).toBe(providers.destination);
    for (const p of [providers.server, providers.destination]) {
      for (const op of ["check", "diff", "create", "read", "update", "delete"] as const)
        expect(typeof p[op]).toBe("function");
    }
    // A check goes to the shared Server controller and touches no server.
    const r = await providers.server.check!({}, { host: "web1", password: "pw" });
    expect(r.failures).toEqual([]);
    expect(ctl.transport.pool.size).toBe(0);
  });
});
