// Reliability and security through the real Pulumi CLI (Automation API, see
// test/support/pulumi.ts):
//
//   - faults during `up`: the spare sshd killed, the daemon restarted, the
//     connection dropped between preview and up, a slow link. Each ends in
//     success or a clear error, in bounded time; the state then matches the
//     daemon (stack export vs `docker network ls`), a second `up` succeeds
//     and a preview shows no changes;
//   - concurrency: `up --parallel 32` with 100 destinations on one server;
//   - bad input through the SDK and the engine: preview fails naming the
//     field and nothing reaches the server;
//   - secrets: with failures provoked, no key, password or passphrase in the
//     engine's or the provider's output, in error messages, or in plaintext
//     anywhere in the backend or the workspace;
//   - a network Dockyard did not create is never deleted unless adopted.
//
// The Docker daemon is the sandbox's own (test/support/sandbox.ts: its own
// dockerd behind its own sshd in a network namespace), so faults touch nobody
// else. The provider process loads dist/: run `npm run build` first.

import { execFile } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { promisify } from "node:util";

import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent, PulumiFn } from "@pulumi/pulumi/automation";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import type * as Dockyard from "../../sdk";
import {
  changesOf,
  cleanupAllTestStacks,
  createTestStack,
  ensurePulumiCli,
  repoRoot,
  type TestConfigValue,
  type TestStack,
} from "../support/pulumi";
import { labelledNetworks } from "../support/networks";
import { DelayProxy, Sandbox } from "../support/sandbox";
import { read, testHost, testhost, uniq, type TestHost } from "../support/testhost";

const SERVER_TYPE = "pulumi-nodejs:dynamic/dockyard:Server";
const DESTINATION_TYPE = "pulumi-nodejs:dynamic/dockyard:Destination";
const PROJECT = "dyrel";
const run = promisify(execFile);
const testhostAsync = (...args: string[]) => run(path.join(repoRoot, "scripts", "testhost"), args);

let h: TestHost;
let sb: Sandbox;
let dockyard: typeof Dockyard;

/** The compiled SDK, loaded by Node itself (the closure serializer needs untransformed code). */
function loadSdk(): typeof Dockyard {
  const entry = path.join(repoRoot, "dist", "sdk", "index.js");
  if (!existsSync(entry)) throw new Error("dist/ is missing: run `npm run build` before the e2e tests");
  return createRequire(__filename)(entry) as typeof Dockyard;
}

beforeAll(async () => {
  await ensurePulumiCli();
  h = testHost();
  dockyard = loadSdk();
  testhost("spare", "start");
  sb = new Sandbox({ dockerd: true });
}, 60 * 60_000);

// A hook of its own, run last (after hooks run in reverse order): the sandbox
// goes even when the stacks' cleanup fails or times out. Should this process
// end first, the sandbox's watchdog removes it.
afterAll(() => {
  sb?.destroy();
});

afterAll(async () => {
  try {
    await cleanupAllTestStacks();
  } finally {
    testhost("spare", "start");
  }
});

// ------------------------------------------------------------------ helpers

interface FleetOptions {
  /** Server inputs other than the key (read from secret config `sshKey`). */
  server: (cfg: pulumi.Config) => Record<string, unknown>;
  prefix: string;
  /** Destination i depends on destination i - chains: `chains` sequential chains. */
  chains?: number;
  extra?: (i: number, cfg: pulumi.Config) => Record<string, unknown>;
}

/**
 * A fresh stack of this suite: its name from `tag`, and `program` given a
 * network-name prefix of its own (`dyrel-<tag>-…`).
 */
async function suiteStack(tag: string, program: (prefix: string) => PulumiFn, config: Record<string, TestConfigValue>) {
  const stackName = uniq(tag);
  const prefix = uniq(`dyrel-${tag}`);
  const s = await createTestStack({ projectName: PROJECT, stackName, program: program(prefix), config });
  return { s, stackName, prefix };
}

/** A Server and `count` (config) standalone Destinations named `<prefix>-<i>`. */
function fleet(o: FleetOptions) {
  return async () => {
    const cfg = new pulumi.Config();
    const server = new dockyard.Server("server", {
      ...(o.server(cfg) as unknown as Dockyard.ServerArgs),
      privateKey: cfg.requireSecret("sshKey"),
    });
    const made: Dockyard.Destination[] = [];
    for (let i = 0; i < cfg.requireNumber("count"); i++) {
      const dependsOn = o.chains && i >= o.chains ? [made[i - o.chains]!] : [];
      made.push(
        new dockyard.Destination(
          `d${i}`,
          { server, type: "standalone", network: `${o.prefix}-${i}`, ...(o.extra?.(i, cfg) ?? {}) },
          { dependsOn },
        ),
      );
    }
    return { destinations: made.length };
  };
}

/** Everything the engine and the provider say, as one text: stdout, stderr and engine events. */
function capture(onEvent?: (e: EngineEvent) => void) {
  const chunks: string[] = [];
  return {
    opts: {
      onOutput: (s: string) => chunks.push(s),
      onError: (s: string) => chunks.push(s),
      onEvent: (e: EngineEvent) => {
        chunks.push(JSON.stringify(e));
        onEvent?.(e);
      },
    },
    text: () => chunks.join("\n"),
  };
}

/** Calls `fault` once, right after the `n`th Destination has been created. */
function afterCreated(n: number, fault: () => Promise<unknown>) {
  let created = 0;
  const state: { fired?: Promise<unknown>; at?: number } = {};
  return {
    state,
    onEvent(e: EngineEvent) {
      const m = e.resOutputsEvent?.metadata;
      if (m?.type === DESTINATION_TYPE && m.op === "create" && ++created === n && !state.fired) {
        state.at = Date.now();
        state.fired = fault();
      }
    },
  };
}

/**
 * `up` with `fault` fired right after the second Destination is created. It
 * must end within 90 s, in success or an error matching `clear`; returns the
 * error's text ("" on success).
 */
async function upWithFault(s: TestStack, what: string, fault: () => Promise<unknown>, clear: RegExp): Promise<string> {
  const f = afterCreated(2, fault);
  const cap = capture(f.onEvent);
  const started = Date.now();
  const r = await attempt(s.up(cap.opts));
  await f.state.fired;
  expect(f.state.at, "the fault happened during up").toBeDefined();
  expect(Date.now() - started).toBeLessThan(90_000);
  report(what, r);
  if (r.ok) return "";
  expect(r.err.message).toMatch(clear);
  return r.err.message;
}

/** One line in the test log saying how a faulted run ended. */
function report(what: string, r: { ok: boolean; err?: Error }): void {
  const first = r.ok
    ? "succeeded"
    : (r.err!.message.split("\n").find((l) => /^\s*error: (?!update failed)/.test(l)) ?? "failed").trim();
  console.info(`[fault] ${what}: ${first}`);
}

async function attempt<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: Error }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, err: err as Error };
  }
}

/** Destinations in the stack's state: network name → id. */
async function inState(s: TestStack): Promise<Map<string, string>> {
  const res = (await s.resources()).filter((r) => r.type === DESTINATION_TYPE);
  return new Map(res.map((r) => [String(r.outputs?.network), String(r.id)]));
}

/** Networks on the sandbox's daemon owned by resources of this stack: name → id. */
function onDaemon(stackName: string): Map<string, string> {
  return labelledNetworks(
    (...args) => sb.docker(...args),
    "dockyard.owner",
    (_, owner) => owner.startsWith(`${PROJECT}/${stackName}/`),
  );
}

/**
 * The state matches the daemon: every destination in state exists there with
 * its id. With `inFlight`, networks whose create was cut off mid-way may
 * exist beyond the state, and only those (the next `up` takes them over).
 */
async function expectStateMatchesDaemon(
  s: TestStack,
  stackName: string,
  inFlight?: (name: string) => boolean,
): Promise<void> {
  const state = await inState(s);
  const daemon = onDaemon(stackName);
  for (const [name, id] of state) expect(daemon.get(name), `${name} in state`).toBe(id);
  for (const name of daemon.keys()) {
    if (state.has(name)) continue;
    if (!inFlight?.(name)) throw new Error(`${name} exists on the daemon but not in state`);
  }
  if (!inFlight) expect(daemon.size).toBe(state.size);
}

/** A second up succeeds, the state then matches the daemon exactly, and a preview shows no changes. */
async function expectConverges(s: TestStack, stackName: string, count: number): Promise<void> {
  const again = await s.up();
  expect(again.summary.result).toBe("succeeded");
  await expectStateMatchesDaemon(s, stackName);
  expect(onDaemon(stackName).size).toBe(count);
  expect(changesOf((await s.preview()).changeSummary)).toEqual({});
}

/** Remove this stack's networks by hand and the stack without a destroy (faster; destroy is tested elsewhere). */
async function dispose(s: TestStack, stackName: string): Promise<void> {
  const names = [...onDaemon(stackName).keys()];
  if (names.length) sb.docker("network", "rm", ...names);
  await s.cleanup({ destroy: false });
}

function expectNoPlaintext(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    if (text.includes(secret)) {
      const at = text.indexOf(secret);
      throw new Error(`a secret appears in plaintext: …${text.slice(Math.max(0, at - 120), at)}<SECRET>…`);
    }
  }
}

/** The body lines of a private key: what must never be seen. */
function keyLines(key: string): string[] {
  return key
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith("-----"));
}

// ------------------------------------------------------------ faults in up

describe("faults during up", () => {
  // A test that fails half-way must not leave the spare sshd down for the next.
  afterEach(async () => {
    await testhostAsync("spare", "start");
  });

  it("the spare sshd is killed during up: a clear error, state matches the daemon, a re-run converges", async () => {
    const { s, stackName } = await suiteStack(
      "kill",
      (prefix) =>
        fleet({
          prefix,
          chains: 2,
          server: () => ({
            host: h.host,
            port: h.sparePort,
            user: "root",
            dockerSocket: sb.dockerSocket,
            perDialTimeout: 3,
            dialErrorLimit: 2,
          }),
        }),
      { sshKey: { value: read(h.rootKey), secret: true }, count: "10" },
    );
    // Two dials of 3 s each, a 5 s … 30 s call at most, plus the engine's own time.
    const errors = await upWithFault(
      s,
      "spare sshd killed during up",
      () => testhostAsync("spare", "stop"),
      /(root@127\.0\.0\.1:2225: (network '\S+' \(id [0-9a-f]{12}\) was created but setting it up failed \()?|could not connect to root@127\.0\.0\.1:2225 after 2 attempts: )(connection refused: is sshd listening on port 2225\?|Docker .* failed in transit|connection reset by the server)/,
    );
    // A network beyond the state may only be one whose create was cut off (its error names it).
    await expectStateMatchesDaemon(s, stackName, (name) => errors.includes(name));

    await testhostAsync("spare", "start");
    await expectConverges(s, stackName, 10);
    await dispose(s, stackName);
  });

  it("the daemon is restarted during up: success or a clear error, state matches the daemon, a re-run converges", async () => {
    const { s, stackName } = await suiteStack(
      "restart",
      (prefix) =>
        fleet({
          prefix,
          chains: 2,
          server: () => ({
            host: sb.address,
            dockerSocket: sb.dockerSocket,
            hostKey: sb.hostPublicKey,
            perDialTimeout: 5,
            dialErrorLimit: 2,
          }),
        }),
      { sshKey: { value: sb.clientKey, secret: true }, count: "10" },
    );
    // Ours, or the daemon's own answer while it shuts down, prefixed with the call that got it.
    const errors = await upWithFault(
      s,
      "dockerd restarted during up",
      () => sb.restartDockerdAsync(),
      /dockerd is not running|Docker .* failed in transit|Docker .* timed out after \d+ ms|network create \S+: Docker answered 5\d\d: /,
    );
    await expectStateMatchesDaemon(s, stackName, (name) => errors.includes(name));
    await expectConverges(s, stackName, 10);
    await dispose(s, stackName);
  });

  it("the connection drops between preview and up: up applies what preview showed, then nothing is left to do", async () => {
    const { s, stackName, prefix } = await suiteStack(
      "drop",
      (prefix) =>
        fleet({
          prefix,
          server: () => ({
            host: h.host,
            port: h.sparePort,
            user: "root",
            dockerSocket: sb.dockerSocket,
            dialErrorLimit: 3,
          }),
          extra: (i, cfg) => ({ labels: { tier: i === 0 ? cfg.require("tier0") : "app" } }),
        }),
      { sshKey: { value: read(h.rootKey), secret: true }, count: "3", tier0: "web" },
    );
    await s.up();
    await s.setAllConfig({ count: "5", tier0: "front" });
    // Refresh talks to the server; the diff: two new destinations, one replaced (labels).
    const preview = await s.preview({ refresh: true });
    expect(changesOf(preview.changeSummary)).toMatchObject({ create: 2, replace: 1 });

    await testhostAsync("spare", "stop");
    await testhostAsync("spare", "start");

    const up = await s.up();
    expect(changesOf(up.summary.resourceChanges)).toMatchObject({ create: 2, replace: 1 });
    await expectStateMatchesDaemon(s, stackName);
    expect(onDaemon(stackName).size).toBe(5);
    expect(JSON.parse(sb.docker("network", "inspect", `${prefix}-0`))[0].Labels.tier).toBe("front");
    expect(changesOf((await s.preview()).changeSummary)).toEqual({});
    await dispose(s, stackName);
  });

  describe("a slow link (150 ms each way, and a tbf rate limit on the sandbox's veth)", () => {
    let proxy: DelayProxy;
    beforeAll(async () => {
      proxy = await sb.slowLink(150);
    });
    afterAll(() => sb.fastLink());

    it("a handshake slower than perDialTimeout fails fast and clearly; with room to spare up succeeds; a re-run converges", async () => {
      const { s, stackName } = await suiteStack(
        "slow",
        (prefix) =>
          fleet({
            prefix,
            server: (cfg) => ({
              host: "127.0.0.1",
              port: proxy.port,
              hostKey: sb.hostPublicKey,
              dockerSocket: sb.dockerSocket,
              perDialTimeout: cfg.requireNumber("perDialTimeout"),
              dialErrorLimit: 2,
            }),
          }),
        { sshKey: { value: sb.clientKey, secret: true }, count: "4", perDialTimeout: "1" },
      );
      let started = Date.now();
      const first = await attempt(s.up());
      const failedAfter = Date.now() - started;
      expect(first.ok).toBe(false);
      expect((first as { err: Error }).err.message).toMatch(
        /could not connect to root@127\.0\.0\.1:\d+ after 2 attempts: SSH handshake timed out after 1000 ms/,
      );
      // The failed first attempt was reported as it happened, and Pulumi shows it.
      expect((first as { err: Error }).err.message).toMatch(
        /root@127\.0\.0\.1:\d+: dial 1\/2 failed: SSH handshake timed out after 1000 ms, retrying/,
      );
      // perDialTimeout × dialErrorLimit is 2 s; the rest is the engine starting and stopping.
      expect(failedAfter).toBeLessThan(30_000);
      expect((await s.resources()).filter((r) => r.type === SERVER_TYPE)).toEqual([]);
      expect(onDaemon(stackName).size).toBe(0);

      await s.setConfig("perDialTimeout", "15");
      started = Date.now();
      const second = await s.up();
      expect(changesOf(second.summary.resourceChanges)).toEqual({ create: 5 });
      expect(Date.now() - started).toBeLessThan(120_000);
      await expectStateMatchesDaemon(s, stackName);
      expect(onDaemon(stackName).size).toBe(4);
      expect(changesOf((await s.preview()).changeSummary)).toEqual({});
      await dispose(s, stackName);
    });
  });
});

// ------------------------------------------------------------- concurrency

describe("concurrency", () => {
  it("up --parallel 32 with 100 destinations: all created over one SSH connection, no refused channels, no duplicates; a second up changes nothing", async () => {
    const { s, stackName } = await suiteStack(
      "many",
      (prefix) =>
        fleet({
          prefix,
          server: () => ({ host: sb.address, dockerSocket: sb.dockerSocket, hostKey: sb.hostPublicKey }),
        }),
      { sshKey: { value: sb.clientKey, secret: true }, count: "100" },
    );
    try {
      const offset = sb.sshdLogSize();
      const cap = capture();
      const up = await s.up({ parallel: 32, ...cap.opts });
      expect(changesOf(up.summary.resourceChanges)).toEqual({ create: 102 });
      const log = sb.sshdLogSince(offset);
      // One SSH connection for the whole run (the sandbox's sshd serves this test alone).
      expect(log.match(/Accepted publickey for root/g)).toHaveLength(1);
      expect(log.match(/Connection from /g)).toHaveLength(1);
      // No refused or failed channel, no error of any kind.
      expect(log).not.toMatch(/open failed|refused|error|fatal|administratively prohibited|channel \d+:/i);
      const events = cap.text();
      expect(events).not.toMatch(/"severity":"error"/);
      // Exactly 100 networks with the owner label, each once, each the one in state.
      const owners = sb
        .docker("network", "ls", "--filter", "label=dockyard.owner", "--format", '{{.Label "dockyard.owner"}}')
        .split("\n")
        .filter((o) => o.startsWith(`${PROJECT}/${stackName}/`));
      expect(owners).toHaveLength(100);
      expect(new Set(owners).size).toBe(100);
      await expectStateMatchesDaemon(s, stackName);
      expect(onDaemon(stackName).size).toBe(100);

      const second = await s.up({ parallel: 32 });
      expect(changesOf(second.summary.resourceChanges)).toEqual({});
    } finally {
      await dispose(s, stackName);
    }
  });
});

// ------------------------------------------------------- bad input, engine

describe("bad input through the SDK and the engine", () => {
  it("a preview with bad input fails naming the field, and nothing reaches the server", async () => {
    const { s, stackName } = await suiteStack(
      "bad",
      (prefix) => async () => {
        const cfg = new pulumi.Config();
        const bad = cfg.require("case");
        const server = new dockyard.Server("server", {
          host: sb.address,
          port: bad === "port" ? 70000 : 22,
          privateKey: cfg.requireSecret("sshKey"),
          dockerSocket: sb.dockerSocket,
        });
        new dockyard.Destination("dest", {
          server,
          type: "standalone",
          network: bad === "network" ? "-bad name" : `${prefix}-ok`,
          subnet: bad === "subnet" ? "10.77.0.1/24" : undefined,
          labels: bad === "labels" ? { tier: 5 as unknown as string } : { tier: "web" },
        });
      },
      { sshKey: { value: sb.clientKey, secret: true }, case: "network" },
    );
    // The engine words a check failure as "resource 'x': property <field> value {…} has a problem: <reason>".
    const cases: Array<[string, RegExp]> = [
      ["network", /resource 'dest': property network value .* has a problem: must start with a letter or digit/],
      ["port", /resource 'server': property port value .* has a problem: must be between 1 and 65535, got 70000/],
      ["labels", /resource 'dest': property labels\.tier value .* has a problem: value must be a string, got a number/],
      [
        "subnet",
        /resource 'dest': property subnet value .* has a problem: '10\.77\.0\.1\/24' has host bits set; the network is 10\.77\.0\.0\/24/,
      ],
    ];
    for (const [name, message] of cases) {
      await s.setConfig("case", name);
      const offset = sb.sshdLogSize();
      const r = await attempt(s.preview());
      expect(r.ok, name).toBe(false);
      expect((r as { err: Error }).err.message, name).toMatch(message);
      // Nothing reached the server: no SSH connection, no network.
      expect(sb.sshdLogSince(offset), name).not.toMatch(/Connection from/);
      expect(onDaemon(stackName).size).toBe(0);
    }
    // Through `up` too: a Server with a bad port is never created, nor what depends on it.
    await s.setConfig("case", "port");
    const offset = sb.sshdLogSize();
    const r = await attempt(s.up());
    expect(r.ok).toBe(false);
    expect((r as { err: Error }).err.message).toMatch(/property port value .* has a problem/);
    expect((await s.resources()).filter((x) => x.type === SERVER_TYPE || x.type === DESTINATION_TYPE)).toEqual([]);
    expect(sb.sshdLogSince(offset)).not.toMatch(/Connection from/);
    expect(onDaemon(stackName).size).toBe(0);
    await s.cleanup();
  });
});

// ------------------------------------------------------------------ secrets

describe("secrets", () => {
  it("no key, password or passphrase in output, errors or plaintext state, with failures provoked", async () => {
    const stackName = uniq("secrets");
    const prefix = uniq("dyrel-sec");
    // The nodocker user must be able to see the sandbox's socket (and be refused by it).
    chmodSync(sb.dir, 0o711);
    const wrongPassword = `wrong-pw-${uniq("x")}`;
    const wrongPassphrase = `wrong-pp-${uniq("x")}`;
    const bogusKey = `bogus-key-${uniq("x")}-${uniq("y")}`;
    const secrets = [
      wrongPassword,
      wrongPassphrase,
      bogusKey,
      h.encKeyPassphrase,
      h.dockerUserPassword,
      ...keyLines(read(h.encKey)),
      ...keyLines(read(h.nodockerUserKey)),
      ...keyLines(sb.clientKey),
    ];
    const s = await createTestStack({
      projectName: PROJECT,
      stackName,
      program: async () => {
        const cfg = new pulumi.Config();
        const phase = cfg.require("phase");
        if (phase === "passphrase") {
          new dockyard.Server("enc", {
            host: h.host,
            port: h.port,
            privateKey: cfg.requireSecret("encKey"),
            privateKeyPassword: cfg.requireSecret("wrongPassphrase"),
          });
        } else if (phase === "badkey") {
          new dockyard.Server("bogus", { host: h.host, port: h.port, privateKey: cfg.requireSecret("bogusKey") });
        } else {
          // A wrong password (refused by sshd), a user the daemon refuses, and one that works.
          new dockyard.Server("wrongpw", {
            host: h.host,
            port: h.port,
            user: h.dockerUser,
            password: cfg.requireSecret("wrongPassword"),
            dialErrorLimit: 1,
          });
          new dockyard.Server("nodocker", {
            host: h.host,
            port: h.port,
            user: h.nodockerUser,
            privateKey: cfg.requireSecret("nodockerKey"),
            dockerSocket: sb.dockerSocket,
          });
          const ok = new dockyard.Server("ok", {
            host: sb.address,
            privateKey: cfg.requireSecret("sandboxKey"),
            dockerSocket: sb.dockerSocket,
          });
          new dockyard.Destination("dest", { server: ok, type: "standalone", network: `${prefix}-dest` });
        }
      },
      config: {
        phase: "passphrase",
        encKey: { value: read(h.encKey), secret: true },
        wrongPassphrase: { value: wrongPassphrase, secret: true },
        bogusKey: { value: bogusKey, secret: true },
        wrongPassword: { value: wrongPassword, secret: true },
        nodockerKey: { value: read(h.nodockerUserKey), secret: true },
        sandboxKey: { value: sb.clientKey, secret: true },
      },
    });
    let seen = "";

    // Check failures on secret fields: the engine prints the failing property's value.
    for (const [phase, message] of [
      [
        "passphrase",
        /property privateKeyPassword value \{\[secret\]\} has a problem: does not decrypt the private key/,
      ],
      ["badkey", /property privateKey value \{\[secret\]\} has a problem: does not parse as an SSH private key/],
    ] as const) {
      await s.setConfig("phase", phase);
      const cap = capture();
      const r = await attempt(s.preview({ ...cap.opts, diff: true }));
      expect(r.ok, phase).toBe(false);
      const err = (r as { err: Error }).err.message;
      expect(err).toMatch(message);
      seen += cap.text() + err;
    }

    // Failures at create: authentication refused, Docker permission denied; and one success.
    await s.setConfig("phase", "runtime");
    const cap = capture();
    const r = await attempt(s.up({ ...cap.opts, diff: true, continueOnError: true }));
    expect(r.ok).toBe(false);
    const err = (r as { err: Error }).err.message;
    expect(err).toMatch(new RegExp(`authentication refused for user '${h.dockerUser}' \\(offered: password\\)`));
    expect(err).toMatch(
      new RegExp(
        `user '${h.nodockerUser}' may not open ${sb.dockerSocket} \\(owner uid 0, group gid \\d+, mode 660\\)`,
      ),
    );
    seen += cap.text() + err;
    expect(onDaemon(stackName).size).toBe(1);

    // Outputs of the engine and the provider, and every error message.
    expectNoPlaintext(seen, secrets);
    // Exported state without --show-secrets, the checkpoint file, the stack's
    // config and anything else the backend or the workspace holds.
    const bin = await ensurePulumiCli();
    const exported = await run(path.join(bin, "pulumi"), ["stack", "export", "--stack", stackName], {
      cwd: s.workDir,
      env: { ...process.env, ...s.env },
      maxBuffer: 64 << 20,
    });
    expect(exported.stdout).toContain(DESTINATION_TYPE);
    expectNoPlaintext(exported.stdout, secrets);
    const checkpoint = s.checkpointText();
    expect(checkpoint).toContain("ciphertext");
    expectNoPlaintext(checkpoint, secrets);
    for (const dir of [s.workDir, s.tempDir]) {
      for (const file of readdirSync(dir, { recursive: true }) as string[]) {
        const p = path.join(dir, file);
        if (statSync(p).isFile() && statSync(p).size < 5_000_000) expectNoPlaintext(readFileSync(p, "utf8"), secrets);
      }
    }
    await s.cleanup();
    expect(onDaemon(stackName).size).toBe(0);
  });
});

// ------------------------------------------------------ foreign networks

describe("networks Dockyard did not create", () => {
  it("are never deleted unless adopted: a network re-created by hand survives destroy; an adopted one goes", async () => {
    const stackName = uniq("foreign");
    const prefix = uniq("dyrel-foreign");
    const keep = `${prefix}-keep`;
    const adopted = `${prefix}-adopted`;
    sb.docker("network", "create", "--label", "made-by=hand", adopted);
    try {
      const s = await createTestStack({
        projectName: PROJECT,
        stackName,
        program: async () => {
          const cfg = new pulumi.Config();
          const server = new dockyard.Server("server", {
            host: sb.address,
            privateKey: cfg.requireSecret("sshKey"),
            dockerSocket: sb.dockerSocket,
          });
          new dockyard.Destination("keep", { server, type: "standalone", network: keep });
          new dockyard.Destination("adopted", { server, type: "standalone", network: adopted, adopt: true });
        },
        config: { sshKey: { value: sb.clientKey, secret: true } },
      });
      await s.up();
      const adoptedId = JSON.parse(sb.docker("network", "inspect", adopted))[0].Id;
      expect((await inState(s)).get(adopted)).toBe(adoptedId);

      // Someone removes Dockyard's network and puts their own in its place.
      sb.docker("network", "rm", keep);
      const handMade = sb.docker("network", "create", "--label", "made-by=hand", keep);
      const refreshed = await s.refresh();
      expect(refreshed.summary.result).toBe("succeeded");
      // Not Dockyard's: refresh does not take it for the destination's network (the destination is gone).
      expect(changesOf(refreshed.summary.resourceChanges)).toEqual({ delete: 1 });
      expect((await inState(s)).has(keep)).toBe(false);

      await s.destroy();
      expect(JSON.parse(sb.docker("network", "inspect", keep))[0].Id).toBe(handMade);
      expect(sb.networks()).not.toContain(adopted);
      await s.cleanup();
    } finally {
      for (const n of [keep, adopted]) if (sb.networks().includes(n)) sb.docker("network", "rm", n);
    }
  });
});
