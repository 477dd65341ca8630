import { describe, expect, it } from "vitest";
import { DESTINATION_FIELDS } from "../../provider/destination/destination-fields";
import type { Field } from "../../provider/fields";
import { SERVER_FIELDS } from "../../provider/server/server-fields";
import { UNKNOWN } from "../../provider";
import { DockyardProvider } from "../../sdk/plugin/provider";
import { ownerFromUrn as ownerOf } from "../../provider/destination/ownership";
import { parseImportId } from "../../sdk/plugin/import";
import { DESTINATION_TYPE, SERVER_TYPE, schema } from "../../sdk/plugin/schema";
import { reveal } from "../../sdk/plugin/secrets";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const secret = (value: unknown) => ({ [SIG]: SECRET, value });
const isSecret = (v: unknown) => !!v && typeof v === "object" && (v as Record<string, unknown>)[SIG] === SECRET;

const serverUrn = `urn:pulumi:dev::proj::${SERVER_TYPE}::web`;
const destUrn = `urn:pulumi:dev::proj::${DESTINATION_TYPE}::prod`;
const connection = {
  host: "10.9.8.7",
  port: 22,
  user: "root",
  password: "pw",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};

/** Every object in a JSON value that has a `description`-bearing `properties` map. */
function propertyMaps(v: unknown, path = ""): [string, Record<string, { description?: string }>][] {
  if (!v || typeof v !== "object") return [];
  const out: [string, Record<string, { description?: string }>][] = [];
  for (const [k, x] of Object.entries(v)) {
    if ((k === "properties" || k === "inputProperties") && x && typeof x === "object")
      out.push([`${path}.${k}`, x as never]);
    out.push(...propertyMaps(x, `${path}.${k}`));
  }
  return out;
}

describe("plugin schema", () => {
  const s = schema("0.1.0") as Record<string, Record<string, Record<string, unknown>>>;
  it("describes every property of every resource, type and function", () => {
    const maps = propertyMaps(s);
    expect(maps.length).toBeGreaterThanOrEqual(10);
    for (const [where, props] of maps) {
      for (const [name, p] of Object.entries(props))
        expect(p.description?.length ?? 0, `${where}.${name}`).toBeGreaterThan(5);
    }
  });
  it("comes from the field tables: inputs, outputs and secrets", () => {
    const server = s.resources![SERVER_TYPE] as {
      inputProperties: Record<string, { secret?: boolean }>;
      properties: Record<string, unknown>;
    };
    expect(Object.keys(server.inputProperties)).toEqual(SERVER_FIELDS.filter((f) => f.input).map((f) => f.name));
    expect(Object.keys(server.properties)).toEqual(SERVER_FIELDS.map((f) => f.name));
    expect(
      Object.entries(server.inputProperties)
        .filter(([, p]) => p.secret)
        .map(([k]) => k),
    ).toEqual(["privateKey", "privateKeyPassword", "password", "proxy"]);
    const dest = s.resources![DESTINATION_TYPE] as {
      inputProperties: Record<string, unknown>;
      requiredInputs: string[];
    };
    // The owner and the URN come from the engine, the daemon reference and the Server's id only from the TypeScript SDK.
    expect(Object.keys(dest.inputProperties)).toEqual(
      (DESTINATION_FIELDS as readonly Field[]).filter((f) => f.input && !f.dynamicOnly).map((f) => f.name),
    );
    expect(Object.keys(dest.inputProperties)).not.toContain("owner");
    expect(dest.requiredInputs).toEqual(["connection"]);
  });
});

describe("plugin check", () => {
  const p = new DockyardProvider("0.1.0");
  it("names the field of a bad input", async () => {
    const r = await p.check(destUrn, {}, { connection: secret(connection), subnet: "10.0.0.0/33" });
    expect(r.failures?.map((f) => f.property)).toEqual(["subnet"]);
  });
  it("asks for a connection, by that name", async () => {
    const r = await p.check(destUrn, {}, { network: "prod" });
    expect(r.failures?.map((f) => f.property)).toEqual(["connection"]);
  });
  it("checks a written-out connection like a Server's fields, with their defaults", async () => {
    const bad = await p.check(destUrn, {}, { connection: { host: "not a host", port: 70000, password: "pw" } });
    expect(bad.failures?.map((f) => f.property).sort()).toEqual(["connection.host", "connection.port"]);
    const r = await p.check(destUrn, {}, { connection: { host: "10.9.8.7", password: secret("pw") } });
    expect(r.failures).toEqual([]);
    expect(reveal((r.inputs as Record<string, unknown>).connection)).toEqual(connection);
  });
  it("takes the owner from the URN, whatever the inputs say", async () => {
    const r = await p.check(destUrn, {}, { connection, owner: "someone/else/x" });
    expect((r.inputs as Record<string, unknown>).owner).toBe("proj/dev/prod");
    expect(ownerOf("urn:pulumi:st::pr::dockyard:index:Destination::a::b")).toBe("pr/st/a::b");
  });
  it("returns secrets wrapped: the table's and any that came in as one", async () => {
    const r = await p.check(serverUrn, {}, { host: "10.9.8.7", password: "pw", name: secret("hidden name") });
    const inputs = r.inputs as Record<string, unknown>;
    expect(isSecret(inputs.password)).toBe(true);
    expect(isSecret(inputs.name)).toBe(true);
    expect(isSecret(inputs.host)).toBe(false);
    const d = await p.check(destUrn, {}, { connection });
    expect(isSecret((d.inputs as Record<string, unknown>).connection)).toBe(true);
  });
  it("passes unknown values through to be judged later", async () => {
    const r = await p.check(destUrn, {}, { connection: UNKNOWN, network: "prod" });
    expect(r.failures).toEqual([]);
  });
  it("refuses an unknown resource type", async () => {
    await expect(p.check("urn:pulumi:dev::proj::dockyard:index:Nope::x", {}, {})).rejects.toThrow(
      /unknown resource type/,
    );
  });
});

describe("plugin diff", () => {
  const p = new DockyardProvider("0.1.0");
  it("is the controller's: replaces and in-place updates", async () => {
    const { inputs } = await p.check(destUrn, {}, { connection, network: "prod", labels: { a: "1" } });
    const state = {
      ...(reveal(inputs) as Record<string, unknown>),
      networkId: "abc",
      driver: "bridge",
      scope: "local",
      adopted: false,
      subnets: [],
    };
    expect(await p.diff("abc", destUrn, secret(state) as never, inputs)).toMatchObject({
      changes: false,
      replaces: [],
    });
    const relabel = (await p.check(destUrn, inputs, { connection, network: "prod", labels: { a: "2" } })).inputs;
    expect(await p.diff("abc", destUrn, state, relabel)).toMatchObject({ changes: true, replaces: ["labels"] });
    const rename = (await p.check(destUrn, inputs, { connection, network: "prod", labels: { a: "1" }, name: "Prod" }))
      .inputs;
    expect(await p.diff("abc", destUrn, state, rename)).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("import ids", () => {
  const env = { SSH_AUTH_SOCK: "/run/agent.sock" };
  it("name the network and where it is; credentials come from the agent", () => {
    expect(parseImportId("web@root@203.0.113.10:2222", env)).toEqual({
      network: "web",
      connection: {
        host: "203.0.113.10",
        port: 2222,
        user: "root",
        agentSocketPath: "/run/agent.sock",
        dockerSocket: "/var/run/docker.sock",
        perDialTimeout: 15,
        dialErrorLimit: 10,
      },
    });
    expect(parseImportId("a.b-c@deploy@[2001:db8::1]", env).connection).toMatchObject({
      host: "2001:db8::1",
      port: 22,
      user: "deploy",
    });
  });
  it.each(["web", "web@host", "@root@host", "web@root@", "web@bad user@host", "web@root@host:x"])(
    "refuse %s, naming the id",
    (id) => {
      expect(() => parseImportId(id, env)).toThrow(
        /^id: .*is not an import id of the form <network name or id>@<user>@<host>\[:<port>\]/,
      );
    },
  );
  it("need an agent", () => {
    expect(() => parseImportId("web@root@h", {})).toThrow(/^id: .*SSH_AUTH_SOCK/);
  });
});
