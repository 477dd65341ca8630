"use strict";
// Pulumi deployments of one Server plus N standalone Destinations on the test
// host, driven through the Automation API with the CLI from scripts/pulumi-cli.
//
// Each stack lives in its own world: a file:// backend and PULUMI_HOME in a
// temp dir, the passphrase secrets provider, no update checks or plugin
// downloads. The workspace dir is inside the repo (bench/results/work-*, git-
// ignored) because the engine starts the dynamic-provider process there and
// that process resolves @pulumi/pulumi and pulumi-dockyard from its cwd.
const { spawn } = require("node:child_process");
const { randomBytes } = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { nowMs } = require("./stats");

const repoRoot = path.resolve(__dirname, "..", "..");
const PASSPHRASE = "dockyard-bench";

/**
 * The Automation API's handle on the CLI, with every CLI invocation timed:
 * `lastRun[op]` is the wall time of the `pulumi <op>` process alone (the
 * Automation API also runs `pulumi stack output` and `pulumi stack history`
 * after an operation; those are not counted).
 */
async function timedPulumiCommand(binDir) {
  const { PulumiCommand } = require("@pulumi/pulumi/automation");
  const cmd = await PulumiCommand.get({ root: path.dirname(binDir), skipVersionCheck: true });
  const run = cmd.run.bind(cmd);
  cmd.lastRun = {};
  cmd.run = async (args, ...rest) => {
    const t0 = nowMs();
    try {
      return await run(args, ...rest);
    } finally {
      cmd.lastRun[args[0]] = nowMs() - t0;
    }
  };
  return cmd;
}

/** The inline program: one Server (key auth, host key pinned) and n Destinations. */
function program(h, privateKey, networks) {
  return async () => {
    const pulumi = require("@pulumi/pulumi");
    const dockyard = require("pulumi-dockyard");
    const server = new dockyard.Server("server", {
      host: h.host,
      port: h.port,
      user: "root",
      privateKey: pulumi.secret(privateKey),
      hostKey: h.hostPublicKey,
    });
    networks.forEach((network, i) => new dockyard.Destination(`dest-${i}`, { server, network, type: "standalone" }));
    return {};
  };
}

/** Pulumi's floor, part one: a program with no resources at all. */
function emptyProgram() {
  return async () => ({});
}

/**
 * A provider that makes no remote call: create echoes its inputs (plus a
 * network's outputs), diff reports no change, read returns what it holds.
 * Serialized by Pulumi like Dockyard's shim, so it must be self-contained.
 */
const noopProvider = {
  async create(inputs) {
    const extra = inputs.network
      ? { networkId: "0".repeat(64), driver: "bridge", scope: "local", subnets: ["10.96.0.0/24"], adopted: false }
      : {
          dockerVersion: "0",
          apiVersion: "0",
          os: "linux",
          architecture: "x86_64",
          swarmState: "active",
          swarmRole: "manager",
          connection: {
            host: inputs.host,
            port: inputs.port,
            user: inputs.user,
            privateKey: inputs.privateKey,
            hostKey: inputs.hostKey,
            dockerSocket: inputs.dockerSocket,
            perDialTimeout: inputs.perDialTimeout,
            dialErrorLimit: inputs.dialErrorLimit,
          },
        };
    return { id: `noop-${Math.random().toString(16).slice(2)}`, outs: { ...inputs, ...extra } };
  },
  async diff() {
    return { changes: false, replaces: [], stables: [], deleteBeforeReplace: false };
  },
  async read(id, props) {
    return { id, props };
  },
};

/**
 * Pulumi's floor, part two: a Server-like resource and n Destination-like
 * resources whose inputs have the shape the SDK sends for a Destination (the
 * same keys, the connection a secret built from the Server's outputs), served
 * by `noopProvider`. The difference between Dockyard and this is Dockyard's
 * own work; `sameShape` in bench.js checks that the keys still match.
 */
function noopProgram(h, privateKey, networks) {
  return async () => {
    const pulumi = require("@pulumi/pulumi");
    const server = new pulumi.dynamic.Resource(
      noopProvider,
      "server",
      {
        host: h.host,
        port: h.port,
        user: "root",
        privateKey: pulumi.secret(privateKey),
        hostKey: h.hostPublicKey,
        dockerSocket: "/var/run/docker.sock",
        perDialTimeout: 15,
        dialErrorLimit: 10,
        name: "server",
        swarmRole: undefined,
        connection: undefined,
      },
      { additionalSecretOutputs: ["privateKey", "connection"] },
      "bench",
      "NoopServer",
    );
    networks.forEach(
      (network, i) =>
        new pulumi.dynamic.Resource(
          noopProvider,
          `dest-${i}`,
          {
            connection: pulumi.secret(server.connection),
            daemon: { host: server.host, dockerSocket: server.dockerSocket, login: pulumi.secret("sha256:bench") },
            serverName: server.name,
            serverSwarmRole: server.swarmRole,
            owner: `${pulumi.getProject()}/${pulumi.getStack()}/dest-${i}`,
            serverId: server.id,
            resourceUrn: pulumi.createUrn(`dest-${i}`, "pulumi-nodejs:dynamic/bench:NoopDestination"),
            name: pulumi.interpolate`${server.name}-${network}`,
            network,
            type: "standalone",
            attachable: true,
            internal: false,
            ipv6: false,
            driverOptions: {},
            labels: {},
            connect: [],
            adopt: false,
            force: false,
          },
          { additionalSecretOutputs: ["connection"] },
          "bench",
          "NoopDestination",
        ),
    );
    return {};
  };
}

const PROGRAMS = { dockyard: program, empty: emptyProgram, noop: noopProgram };

/**
 * A stack for `networks` on the test host. `cmd` from timedPulumiCommand;
 * `kind` picks the program: "dockyard" (default), "empty" or "noop".
 * Returns { stack, ops, cleanup }.
 */
async function createBenchStack({ cmd, binDir, h, networks, projectName, parallel, kind = "dockyard" }) {
  const { LocalWorkspace } = require("@pulumi/pulumi/automation");
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `${projectName}-`));
  const workDir = path.join(repoRoot, "bench", "results", `work-${projectName}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(workDir, { recursive: true });
  fs.mkdirSync(path.join(tempDir, "home"));
  fs.mkdirSync(path.join(tempDir, "state"));
  const backend = "file://" + path.join(tempDir, "state");
  const env = {
    PULUMI_HOME: path.join(tempDir, "home"),
    PULUMI_BACKEND_URL: backend,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The launcher pulumi-resource-pulumi-nodejs runs the first `node` on PATH: the repo's Node 22.
    PATH: [binDir, path.join(repoRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
  };
  const privateKey = fs.readFileSync(h.rootKey, "utf8");
  const rmDirs = () => {
    for (const d of [workDir, tempDir]) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  };
  let stack;
  try {
    stack = await LocalWorkspace.createStack(
      { projectName, stackName: "bench", program: PROGRAMS[kind](h, privateKey, networks) },
      {
        workDir,
        pulumiHome: env.PULUMI_HOME,
        pulumiCommand: cmd,
        envVars: env,
        secretsProvider: "passphrase",
        projectSettings: { name: projectName, runtime: "nodejs", backend: { url: backend } },
      },
    );
  } catch (err) {
    rmDirs();
    throw err;
  }
  const opts = parallel ? { parallel } : {};
  return {
    stack,
    up: (more) => stack.up({ ...opts, ...more }),
    preview: (more) => stack.preview({ ...opts, ...more }),
    refresh: (more) => stack.refresh({ ...opts, ...more }),
    destroy: (more) => stack.destroy({ ...opts, ...more }),
    async cleanup({ destroy }) {
      if (destroy) await stack.destroy(opts).catch(() => undefined);
      await stack.workspace.removeStack("bench", { force: true }).catch(() => undefined);
      rmDirs();
    },
  };
}

/**
 * Start bench/lib/sampler.js watching this process's descendants. `stop()`
 * resolves to its JSON summary.
 */
function startSampler(sshPort, intervalMs = 50) {
  const child = spawn(process.execPath, [path.join(__dirname, "sampler.js"), String(process.pid), String(sshPort), String(intervalMs)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d) => (out += d));
  const done = new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`sampler exited ${code} without a summary: ${out.slice(0, 200)}`));
      }
    });
  });
  return {
    stop() {
      child.stdin.end("stop\n");
      return done;
    },
    kill() {
      child.kill();
    },
  };
}

module.exports = { timedPulumiCommand, createBenchStack, startSampler, repoRoot };
