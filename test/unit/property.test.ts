// Property-based tests of the input checks (fast-check): `check` is total
// (any JSON in any field never throws and either passes or names a field),
// valid inputs always pass, unknown values (preview) never fail an otherwise
// valid input, no failure ever echoes a secret, and check is idempotent.
// Plus: shell quoting round-trips through a real POSIX shell.

import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { utils } from "ssh2";
import { describe, expect, it } from "vitest";
import { sshKeygen } from "../support/keys";
import { checkDestination, NETWORK_NAME } from "../../provider/destination/destination-check";
import { DESTINATION_INPUT_KEYS } from "../../provider/destination/destination-types";
import { jsonEqual, UNKNOWN, type CheckFailure } from "../../provider/resource";
import { checkServer } from "../../provider/server/server-check";
import { ENDPOINT_KEYS, SERVER_INPUT_KEYS } from "../../provider/server/server-types";
import { shellQuote } from "../../provider/transport/shell";
import { SAFE_ABSOLUTE_PATH, USER_PATTERN } from "../../provider/validate";

const RUNS = { numRuns: 200 };
const noAgent = {} as NodeJS.ProcessEnv;

// ------------------------------------------------------------------ keys

function publicLine(pub: string): string {
  const k = utils.parseKey(pub);
  if (k instanceof Error || Array.isArray(k)) throw new Error("key");
  return `${k.type} ${k.getPublicSSH().toString("base64")}`;
}

const plainKeys = [sshKeygen("ed25519"), sshKeygen("ecdsa", { bits: 256 }), sshKeygen("rsa", { bits: 2048 })];
const hostKeys = [sshKeygen("ed25519"), sshKeygen("ecdsa", { bits: 384 })].map((k) => publicLine(k.public));

// ------------------------------------------------------------ field names

const DESTINATION_FIELDS = [
  "connection",
  "serverName",
  "serverSwarmRole",
  "owner",
  "serverId",
  "resourceUrn",
  ...DESTINATION_INPUT_KEYS,
];

/**
 * Every failure is well formed and names a known field (or a path below one),
 * or a field the input has (an unknown field is named as given, even "").
 */
function expectWellFormed(
  failures: CheckFailure[],
  known: readonly string[],
  input: Record<string, unknown>,
  extra: string[] = [],
): void {
  const roots = [...known, ...extra];
  for (const f of failures) {
    expect(typeof f.property).toBe("string");
    expect(typeof f.reason).toBe("string");
    expect(f.reason.trim().length).toBeGreaterThan(0);
    const named =
      Object.keys(input).includes(f.property) ||
      roots.some((k) => f.property === k || f.property.startsWith(`${k}.`) || f.property.startsWith(`${k}[`));
    if (!named)
      throw new Error(
        `failure names no known field: ${JSON.stringify(f)} (input keys ${Object.keys(input).join(", ")})`,
      );
  }
}

// ------------------------------------------------------------- arbitraries

/** Strings that reach deeper branches of the checks than random text does. */
const tricky = fc.constantFrom(
  "",
  " ",
  "\n",
  "0",
  "-1",
  "1e3",
  "22",
  "root",
  "bridge",
  "__proto__",
  "constructor",
  "$(id)",
  "a;b",
  "10.0.0.0/8",
  "10.0.0.1",
  "10.0.0.1/8",
  "fd00::/64",
  "fd00::1",
  "::ffff:10.0.0.0/104",
  "fe80::%eth0",
  "fe80::1%eth0",
  "fe80::%eth0/64",
  "::/0",
  "0.0.0.0/0",
  "/var/run/docker.sock",
  "SHA256:" + "A".repeat(43),
  "ssh-ed25519 AAAA",
  "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
  "x".repeat(70_000),
  "com.docker.network.driver.mtu",
  "dockyard.owner",
);

const ipLike = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended());
const cidrLike = fc.tuple(fc.oneof(ipLike, tricky), fc.integer({ min: -1, max: 200 })).map(([a, n]) => `${a}/${n}`);

/** Any value a field might be given: JSON of any shape, unknowns, and plausible-but-wrong text. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constant(UNKNOWN) },
  { weight: 2, arbitrary: tricky },
  { weight: 1, arbitrary: ipLike },
  { weight: 1, arbitrary: cidrLike },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.oneof(fc.string(), tricky),
      fc.oneof(fc.string(), fc.integer(), fc.constant(UNKNOWN), fc.constant(null)),
      { maxKeys: 5 },
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(UNKNOWN)), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: -100_000, max: 100_000 }) },
);

/** A record where each of `fields` may be absent or hold anything, plus unknown extra keys. */
function anyRecord(
  fields: readonly string[],
  overrides: Record<string, fc.Arbitrary<unknown>> = {},
): fc.Arbitrary<Record<string, unknown>> {
  const model = Object.fromEntries(fields.map((f) => [f, overrides[f] ?? anyValue]));
  return fc
    .tuple(
      fc.record(model, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 2 }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));
}

/** Secrets: recognisable text that must never show up in a failure. */
const secretText = fc.uint8Array({ minLength: 8, maxLength: 24 }).map((b) => `sek${Buffer.from(b).toString("hex")}`);

// Valid values.

const hostArb = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain());
const portArb = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }).map(String));
const userArb = fc.stringMatching(USER_PATTERN);
const nonBlank = (max: number) =>
  fc.string({ minLength: 1, maxLength: Math.min(max, 64) }).filter((s) => s.trim() !== "");
// Encrypted keys are left to the example tests: each check of one runs bcrypt (~0.5 s).
const credentialsArb = fc.oneof(
  fc.constantFrom(...plainKeys).map((k) => ({ privateKey: k.private })),
  nonBlank(4096).map((password) => ({ password })),
  fc.constant({ agentSocketPath: "/run/user/0/agent.sock" }),
);
const hostKeyArb = fc.oneof(
  fc.constantFrom(...hostKeys),
  fc.constantFrom(...hostKeys).map((l) => `${l} comment@host`),
);
const endpointArb = fc
  .record(
    {
      host: hostArb,
      port: portArb,
      user: userArb,
      hostKey: hostKeyArb,
      perDialTimeout: fc.integer({ min: 1, max: 3600 }),
      dialErrorLimit: fc.integer({ min: 1, max: 100 }),
      creds: credentialsArb,
    },
    { requiredKeys: ["host", "creds"] },
  )
  .map(({ creds, ...rest }) => ({ ...rest, ...creds }));
const validServerArb = fc
  .record(
    {
      endpoint: endpointArb,
      proxy: endpointArb,
      dockerSocket: fc.stringMatching(SAFE_ABSOLUTE_PATH).filter((s) => s.length <= 107),
      name: nonBlank(255),
      description: fc.string({ maxLength: 200 }),
    },
    { requiredKeys: ["endpoint"] },
  )
  .map(({ endpoint, ...rest }) => ({ ...endpoint, ...rest }));

function ipv4Text(v: number): string {
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".");
}

function ipv6Text(v: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":");
}

/** A v4 network with a gateway and an address range inside it. */
const v4Arb = fc
  .record({
    addr: fc.integer({ min: 0, max: 0xffffffff }),
    prefix: fc.integer({ min: 8, max: 29 }),
    extra: fc.integer({ min: 0, max: 3 }),
    off: fc.nat(),
    sub: fc.nat(),
  })
  .map(({ addr, prefix, extra, off, sub }) => {
    const size = 2 ** (32 - prefix);
    const base = addr - (addr % size);
    const rangePrefix = Math.min(prefix + extra, 30);
    const rangeSize = 2 ** (32 - rangePrefix);
    const rangeBase = base + (sub % (size / rangeSize)) * rangeSize;
    return {
      subnet: `${ipv4Text(base)}/${prefix}`,
      gateway: ipv4Text(base + 1 + (off % (size - 2))),
      ipRange: `${ipv4Text(rangeBase)}/${rangePrefix}`,
    };
  });

const v6Arb = fc
  .record({
    addr: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
    prefix: fc.integer({ min: 16, max: 120 }),
    off: fc.bigInt({ min: 1n, max: 255n }),
  })
  .map(({ addr, prefix, off }) => {
    const hostBits = BigInt(128 - prefix);
    const base = (addr >> hostBits) << hostBits;
    return { ipv6Subnet: `${ipv6Text(base)}/${prefix}`, ipv6Gateway: ipv6Text(base + off) };
  });

const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const labelsArb = fc.dictionary(
  fc
    .stringMatching(LABEL_KEY)
    .filter((k) => k.length <= 255 && !k.startsWith("dockyard.") && !k.startsWith("com.docker.")),
  fc.string({ maxLength: 100 }),
  { maxKeys: 8 },
);
const connection = {
  host: "127.0.0.1",
  port: 22,
  user: "root",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};
const SERVER_ID = "5a1c0e6e-0000-4000-8000-000000000001";
const URN = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/dockyard:Destination::dest";
const SWARM_NETWORK_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
/** A swarm network (asked for, or the default on a manager) needs a name swarmkit accepts. */
const swarmNameOk = (d: { network?: string; type?: string; serverSwarmRole?: string }) =>
  d.network === undefined ||
  !(d.type === "swarm" || (d.type === undefined && d.serverSwarmRole === "manager")) ||
  (d.network.length <= 63 && SWARM_NETWORK_NAME.test(d.network));
const validDestinationArb = fc
  .record(
    {
      network: fc
        .stringMatching(NETWORK_NAME)
        .filter((n) => n.length <= 255 && !["bridge", "host", "none", "ingress", "docker_gwbridge"].includes(n)),
      name: nonBlank(255),
      type: fc.constantFrom("standalone", "swarm"),
      serverSwarmRole: fc.constantFrom("manager", "worker", "none"),
      attachable: fc.boolean(),
      internal: fc.boolean(),
      v4: v4Arb,
      v4parts: fc.subarray(["gateway", "ipRange"]),
      v6: v6Arb,
      v6gw: fc.boolean(),
      mtu: fc.integer({ min: 68, max: 65535 }),
      driverOptions: fc.dictionary(
        fc
          .stringMatching(/^[A-Za-z0-9_.-]+$/)
          .filter(
            (k) =>
              k.length <= 255 &&
              k !== "com.docker.network.driver.mtu" &&
              k !== "com.docker.network.bridge.name" &&
              k !== "__proto__",
          ),
        fc.string({ maxLength: 50 }),
        { maxKeys: 4 },
      ),
      labels: labelsArb,
      // Not a short container id (all hex, under 12 characters): those never match what Docker reports.
      connect: fc.uniqueArray(
        fc
          .stringMatching(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/)
          .filter((s) => s.length <= 255 && !/^[0-9a-f]{1,11}$/.test(s)),
        { maxLength: 4 },
      ),
      adopt: fc.boolean(),
      force: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .filter(swarmNameOk)
  .map(({ v4, v4parts, v6, v6gw, ...rest }) => {
    const out: Record<string, unknown> = {
      connection,
      serverName: "web-1",
      owner: "proj/dev/dest",
      serverId: SERVER_ID,
      resourceUrn: URN,
      ...rest,
    };
    if (v4) {
      out.subnet = v4.subnet;
      for (const p of v4parts ?? []) out[p] = v4[p as "gateway" | "ipRange"];
    }
    if (v6) {
      out.ipv6 = true;
      out.ipv6Subnet = v6.ipv6Subnet;
      if (v6gw) out.ipv6Gateway = v6.ipv6Gateway;
    }
    return out;
  });

/** Replace a random subset of the record's fields by the engine's "unknown" placeholder. */
function withUnknowns(arb: fc.Arbitrary<Record<string, unknown>>, keep: readonly string[] = []) {
  return arb.chain((x) =>
    fc
      .subarray(
        Object.keys(x).filter((k) => !keep.includes(k)),
        { minLength: 1 },
      )
      .map((ks) => ({
        ...x,
        ...Object.fromEntries(ks.map((k) => [k, UNKNOWN])),
      })),
  );
}

// ------------------------------------------------------------------ Server

describe("Server check, for any input", { timeout: 60_000 }, () => {
  it("never throws, and either passes or names a known field in every failure", () => {
    fc.assert(
      fc.property(
        anyRecord(SERVER_INPUT_KEYS, { proxy: fc.oneof(anyValue, anyRecord(ENDPOINT_KEYS)) }),
        fc.boolean(),
        (input, agent) => {
          const r = checkServer(input, agent ? { SSH_AUTH_SOCK: "/tmp/agent" } : noAgent);
          expectWellFormed(r.failures, SERVER_INPUT_KEYS, input);
          if (r.failures.length === 0) {
            const { host, port, user, dockerSocket } = r.inputs;
            if (host !== UNKNOWN) expect(typeof host).toBe("string");
            if ((port as unknown) !== UNKNOWN) expect(Number.isInteger(port) && port >= 1 && port <= 65535).toBe(true);
            if (user !== UNKNOWN) expect(user).toMatch(USER_PATTERN);
            if (dockerSocket !== UNKNOWN) expect(dockerSocket).toMatch(SAFE_ABSOLUTE_PATH);
          }
        },
      ),
      RUNS,
    );
  });

  it("never echoes a key, password or passphrase in a failure", () => {
    const secretFields = fc.record(
      {
        privateKey: fc.oneof(
          secretText,
          secretText.map((s) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${s}\n-----END OPENSSH PRIVATE KEY-----\n`),
        ),
        privateKeyPassword: secretText,
        password: fc.oneof(
          secretText,
          secretText.map((s) => s.repeat(300)),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        anyRecord(SERVER_INPUT_KEYS),
        secretFields,
        fc.option(secretFields),
        (input, secrets, proxySecrets) => {
          const news: Record<string, unknown> = { ...input, ...secrets };
          if (proxySecrets) news.proxy = { host: "jump", ...proxySecrets };
          const text = JSON.stringify(checkServer(news, noAgent).failures);
          for (const s of [...Object.values(secrets), ...Object.values(proxySecrets ?? {})]) {
            const core = String(s).match(/sek[0-9a-f]+/)![0];
            expect(text).not.toContain(core);
          }
        },
      ),
      RUNS,
    );
  });

  it("accepts every valid server", () => {
    fc.assert(
      fc.property(validServerArb, (input) => {
        expect(checkServer(input, noAgent).failures).toEqual([]);
      }),
      RUNS,
    );
  });

  it("never fails an otherwise valid server because some values are not known yet (preview)", () => {
    fc.assert(
      fc.property(withUnknowns(validServerArb), (input) => {
        expect(checkServer(input, noAgent).failures).toEqual([]);
      }),
      RUNS,
    );
  });

  it("is idempotent: checking checked inputs passes and changes nothing", () => {
    fc.assert(
      fc.property(fc.oneof(validServerArb, anyRecord(SERVER_INPUT_KEYS)), (input) => {
        const first = checkServer(input, noAgent);
        if (first.failures.length) return;
        const second = checkServer(first.inputs as unknown as Record<string, unknown>, noAgent);
        expect(second.failures).toEqual([]);
        expect(jsonEqual(second.inputs, first.inputs)).toBe(true);
      }),
      RUNS,
    );
  });
});

// ------------------------------------------------------------- Destination

describe("Destination check, for any input", { timeout: 60_000 }, () => {
  const base = { connection, serverName: "web-1", owner: "proj/dev/dest", serverId: SERVER_ID, resourceUrn: URN };

  it("never throws, and either passes or names a known field in every failure", () => {
    const withBase = anyRecord(DESTINATION_INPUT_KEYS).map((x) => ({ ...base, ...x }));
    const raw = anyRecord(DESTINATION_FIELDS);
    fc.assert(
      fc.property(fc.oneof(withBase, raw), fc.option(anyRecord(DESTINATION_FIELDS)), (input, olds) => {
        const r = checkDestination(olds ?? undefined, input);
        // A missing connection is reported as `server`, the SDK's name for it.
        expectWellFormed(r.failures, DESTINATION_FIELDS, input, ["server"]);
        if (r.failures.length === 0 && r.inputs.network !== UNKNOWN) expect(r.inputs.network).toMatch(NETWORK_NAME);
      }),
      RUNS,
    );
  });

  it("accepts every valid destination, keeping what was asked for", () => {
    fc.assert(
      fc.property(validDestinationArb, (input) => {
        const r = checkDestination(undefined, input);
        expect(r.failures).toEqual([]);
        for (const k of [
          "network",
          "subnet",
          "gateway",
          "ipRange",
          "ipv6Subnet",
          "ipv6Gateway",
          "mtu",
          "labels",
          "driverOptions",
          "connect",
        ]) {
          if (input[k] !== undefined) expect((r.inputs as unknown as Record<string, unknown>)[k]).toEqual(input[k]);
        }
      }),
      RUNS,
    );
  });

  it("never fails an otherwise valid destination because some values are not known yet (preview)", () => {
    fc.assert(
      fc.property(withUnknowns(validDestinationArb, ["owner"]), (input) => {
        expect(checkDestination(undefined, input).failures).toEqual([]);
      }),
      RUNS,
    );
  });

  it("is idempotent: checking checked inputs (as news, and with them as olds) passes and changes nothing", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          validDestinationArb,
          anyRecord(DESTINATION_INPUT_KEYS).map((x) => ({ ...base, ...x })),
        ),
        (input) => {
          const first = checkDestination(undefined, input);
          if (first.failures.length) return;
          const checked = first.inputs as unknown as Record<string, unknown>;
          for (const olds of [undefined, checked]) {
            const second = checkDestination(olds, checked);
            expect(second.failures).toEqual([]);
            expect(jsonEqual(second.inputs, first.inputs)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});

// ----------------------------------------------------------- shell quoting

describe("shell quoting", () => {
  it("any argument survives a real POSIX shell unchanged", () => {
    const special = fc.constantFrom(..."'\"`$\\!;&|<>(){}[]*?~#% \t\n=,:@^");
    const codePoint = fc.integer({ min: 1, max: 0xd7ff }).map((c) => String.fromCodePoint(c));
    const arg = fc.string({ unit: fc.oneof(special, codePoint), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 20 }), (args) => {
        const script = `printf '%s\\0' ${args.map(shellQuote).join(" ")}`;
        const out = execFileSync("sh", ["-c", script], { encoding: "utf8" });
        expect(out.split("\0").slice(0, -1)).toEqual(args);
      }),
      { numRuns: 60 },
    );
  });
});
