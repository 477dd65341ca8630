// Runs one of examples/<name> against the local test host the way its README
// tells users to: `pulumi <operation>` with the CLI binary in the example's own
// directory. Called by scripts/run-example, which first brings the test host
// up, builds the Pulumi CLI and compiles the package to dist/. The e2e tests
// reuse the exported helpers.
//
//   node scripts/run-example.js <name> <up|preview|refresh|destroy> [--stack S]
//
// Program:    examples/<name> (Pulumi.yaml, package.json, tsconfig.json,
//             index.ts). `npm install` runs there first; it installs this
//             working tree's package as a packed copy (.npmrc install-links),
//             afresh on every run so the copy is the current dist/.
// Language:   the Node.js language host the CLI starts is the test stand-in
//             in test/support/language-host (docs/language-host.md), first on
//             PATH: the real pulumi-language-nodejs cannot be built here. It
//             runs index.ts through the example's own @pulumi/pulumi, type
//             checking on, as the real host does.
// State:      file:// backend in ${DOCKYARD_STATE:-$HOME/.dockyard/state}
// Secrets:    passphrase provider; PULUMI_CONFIG_PASSPHRASE (or
//             PULUMI_CONFIG_PASSPHRASE_FILE), default DEFAULT_PASSPHRASE below
// Stack:      settings in examples/<name>/Pulumi.<stack>.yaml (git-ignored)
// Config:     set on every run from the test host's env.json; other keys you
//             set yourself (pulumi config set ...) are left alone.
"use strict";

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..");

/** The examples this runner knows, by directory name. */
const EXAMPLES = ["standalone", "swarm", "multi-server"];
const OPERATIONS = ["up", "preview", "refresh", "destroy"];
const DEFAULT_STACK = "dev";
/** Protects only the local demo state; set PULUMI_CONFIG_PASSPHRASE for anything else. */
const DEFAULT_PASSPHRASE = "dockyard-demo";

function exampleDir(name) {
  if (!EXAMPLES.includes(name)) {
    throw new Error(`unknown example '${name}'; expected one of: ${EXAMPLES.join(", ")}`);
  }
  return path.join(repoRoot, "examples", name);
}

/** Project settings from the example's Pulumi.yaml (only the flat `name:` / `description:` lines are read). */
function projectOf(name) {
  const text = fs.readFileSync(path.join(exampleDir(name), "Pulumi.yaml"), "utf8");
  const field = (key) => {
    const m = new RegExp(`^${key}:\\s*(.+?)\\s*$`, "m").exec(text);
    return m ? m[1].replace(/^["']|["']$/g, "") : undefined;
  };
  const projectName = field("name");
  if (!projectName) throw new Error(`examples/${name}/Pulumi.yaml has no name`);
  return { name: projectName, description: field("description") };
}

/** The local test host's details, as `scripts/testhost up` writes them. */
function readTestHost(dir = process.env.DOCKYARD_TESTHOST_DIR || "/var/lib/dockyard-testhost") {
  const file = path.join(dir, "env.json");
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read ${file} (is the test host up? run scripts/testhost up): ${err.message}`, {
      cause: err,
    });
  }
}

/**
 * The example's config for the local test host, as an Automation API ConfigMap
 * (keys without a namespace belong to the project). Private keys are secrets.
 * `stackName` names the networks of multi-server (see below).
 */
function testHostConfig(name, h, stackName) {
  const secret = (file) => ({ value: fs.readFileSync(file, "utf8"), secret: true });
  const server = (ns, user, keyFile) => ({
    [`${ns}host`]: { value: String(h.host) },
    [`${ns}port`]: { value: String(h.port) },
    [`${ns}user`]: { value: user },
    [`${ns}sshKey`]: secret(keyFile),
    [`${ns}hostKey`]: { value: h.hostPublicKey },
  });
  switch (name) {
    case "standalone":
    case "swarm":
      return server("", "root", h.rootKey);
    case "multi-server":
      return {
        // The program is written for two machines. Here both "servers"
        // are the one test host (as root and as the docker-group user),
        // i.e. one Docker daemon, where a network name exists only once:
        // the second server's destination gets its own name.
        ...server("server1:", "root", h.rootKey),
        ...server("server2:", h.dockerUser, h.dockerUserKey),
        network: { value: `${stackName}-apps` },
        "server2:network": { value: `${stackName}-apps-2` },
      };
    default:
      throw new Error(`no test host config for example '${name}'`);
  }
}

/**
 * The example's config for hosts started by `scripts/testhost-nodes up`
 * (`nodes` is its nodes.json): root on each node, over the node's own sshd,
 * host key pinned. `picked` are the nodes to use, as nodes.json lists them:
 * one for swarm (a manager; a worker to see the refusal), two for
 * multi-server (two machines with two daemons, so both destinations get the
 * same network name, the program's default `<stack>-apps`).
 *
 * Each node's dockerd listens on a socket of its own (`node.dockerSocket`),
 * not at the default /var/run/docker.sock, which on these nodes is the test
 * host's daemon (they share this machine's filesystem). The examples take no
 * socket path from config: whoever runs them against the nodes sets each
 * Server's `dockerSocket` (see test/e2e/examples-nodes.test.ts).
 */
function nodesConfig(name, nodes, stackName, picked) {
  const want = { swarm: 1, "multi-server": 2 }[name];
  if (!want) throw new Error(`no nodes config for example '${name}'`);
  if (!Array.isArray(picked) || picked.length !== want) {
    throw new Error(`example '${name}' runs on ${want} node(s), got ${Array.isArray(picked) ? picked.length : "none"}`);
  }
  const key = { value: fs.readFileSync(nodes.rootKey, "utf8"), secret: true };
  const server = (ns, node) => ({
    [`${ns}host`]: { value: String(node.address) },
    [`${ns}port`]: { value: String(node.sshPort) },
    [`${ns}user`]: { value: "root" },
    [`${ns}sshKey`]: key,
    [`${ns}hostKey`]: { value: node.hostPublicKey },
    [`${ns}dockerSocket`]: { value: node.dockerSocket },
  });
  if (name === "swarm") return server("", picked[0]);
  return { ...server("server1:", picked[0]), ...server("server2:", picked[1]) };
}

function usage() {
  return (
    `usage: scripts/run-example <example> <operation> [--stack NAME]\n` +
    `  example:   ${EXAMPLES.join(" | ")}\n` +
    `  operation: ${OPERATIONS.join(" | ")}\n` +
    `  --stack:   stack name (default ${DEFAULT_STACK})\n`
  );
}

function parseArgs(argv) {
  const positional = [];
  let stack = DEFAULT_STACK;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack" || a === "-s") {
      stack = argv[++i];
      if (!stack) throw new Error(`${a} needs a value\n${usage()}`);
    } else if (a.startsWith("--stack=")) {
      stack = a.slice("--stack=".length);
    } else if (a === "-h" || a === "--help") {
      process.stdout.write(usage());
      process.exit(0);
    } else if (a.startsWith("-")) {
      throw new Error(`unknown option ${a}\n${usage()}`);
    } else {
      positional.push(a);
    }
  }
  const [example, op, ...extra] = positional;
  if (!example || !op || extra.length) throw new Error(usage());
  if (!EXAMPLES.includes(example)) throw new Error(`unknown example '${example}'\n${usage()}`);
  if (!OPERATIONS.includes(op)) throw new Error(`unknown operation '${op}'\n${usage()}`);
  return { example, op, stack };
}

/** Where the test stand-in for the Node.js language host lives (docs/language-host.md). */
const languageHostDir = path.join(repoRoot, "test", "support", "language-host");

/**
 * `npm install` in the example's directory, this package's packed copy made
 * afresh from the working tree (its dist/ must be built). Output goes to stderr.
 */
function installExample(dir) {
  fs.rmSync(path.join(dir, "node_modules", "pulumi-dockyard"), { recursive: true, force: true });
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", 2, 2] });
  if (r.status !== 0) throw new Error(`npm install in ${path.relative(repoRoot, dir)} failed`);
}

/** Config as `pulumi config set-all` arguments. */
function configArgs(config) {
  const args = [];
  for (const [key, { value, secret }] of Object.entries(config))
    args.push(secret ? "--secret" : "--plaintext", `${key}=${value}`);
  return args;
}

async function main(argv) {
  const { example, op, stack: stackName } = parseArgs(argv);

  const bin = process.env.DOCKYARD_PULUMI_BIN;
  if (!bin || !fs.existsSync(path.join(bin, "pulumi"))) {
    throw new Error(
      "DOCKYARD_PULUMI_BIN must name the bin dir printed by scripts/pulumi-cli (use scripts/run-example)",
    );
  }
  const stateDir = path.resolve(process.env.DOCKYARD_STATE || path.join(os.homedir(), ".dockyard", "state"));
  const project = projectOf(example);
  const dir = exampleDir(example);
  fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });

  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: "file://" + stateDir,
    PULUMI_HOME: path.join(stateDir, "home"),
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PATH: [languageHostDir, bin, path.join(repoRoot, "node_modules", ".bin"), process.env.PATH || ""].join(
      path.delimiter,
    ),
  };
  if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    env.PULUMI_CONFIG_PASSPHRASE = DEFAULT_PASSPHRASE;
  }
  const log = (line) => process.stdout.write(`run-example: ${line}\n`);
  const pulumi = (args, opts = {}) => {
    const r = spawnSync(path.join(bin, "pulumi"), args, {
      cwd: dir,
      env,
      stdio: opts.capture ? ["ignore", "pipe", 2] : "inherit",
      encoding: "utf8",
    });
    if (r.error) throw r.error;
    if (r.status !== 0) {
      const err = new Error(`pulumi ${args[0]} exited with code ${r.status}`);
      err.exitCode = r.status;
      throw err;
    }
    return r.stdout;
  };

  log(`npm install in examples/${example}`);
  installExample(dir);
  log(`${example} ${op}: project ${project.name}, stack ${stackName}, state ${env.PULUMI_BACKEND_URL}`);
  log(
    `running \`pulumi ${op}\` in examples/${example} with the CLI binary; the Node.js language host is the test stand-in (docs/language-host.md)`,
  );
  pulumi(["stack", "select", "--create", stackName, "--secrets-provider", "passphrase"]);
  pulumi(["config", "set-all", ...configArgs(testHostConfig(example, readTestHost(), stackName))]);
  pulumi(op === "preview" ? ["preview"] : [op, "--yes"]);
  if (op !== "destroy") {
    process.stdout.write(`\nOutputs of ${project.name}/${stackName}:\n`);
    process.stdout.write(pulumi(["stack", "output", "--json"], { capture: true }));
  }
}

module.exports = {
  EXAMPLES,
  DEFAULT_PASSPHRASE,
  repoRoot,
  exampleDir,
  projectOf,
  readTestHost,
  testHostConfig,
  nodesConfig,
  languageHostDir,
};

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`run-example: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
