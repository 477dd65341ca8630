// Runs one of examples/<name> as an Automation API inline program against the
// local test host. Called by scripts/run-example, which first brings the test
// host up, builds the Pulumi CLI and compiles the package (examples included)
// to dist/. The e2e tests reuse the exported helpers.
//
//   node scripts/run-example.js <name> <up|preview|refresh|destroy> [--stack S]
//
// State:      file:// backend in ${DOCKYARD_STATE:-$HOME/.dockyard/state}
// Secrets:    passphrase provider; PULUMI_CONFIG_PASSPHRASE (or
//             PULUMI_CONFIG_PASSPHRASE_FILE), default DEFAULT_PASSPHRASE below
// Workspace:  $DOCKYARD_STATE/workspaces/<project>: Pulumi.yaml, the stack
//             settings (config, the passphrase's salt), and a node_modules link
//             to this repo's: the engine starts the dynamic-provider process
//             there, and the provider `require`s pulumi-dockyard from it.
// Config:     set on every run from the test host's env.json; other keys you
//             set yourself (pulumi config set ...) are left alone.
"use strict";

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

/** The compiled example (tsc compiles examples/<name>/index.ts to dist/examples/<name>/index.js). */
function compiledProgramPath(name) {
    exampleDir(name); // validates the name
    return path.join(repoRoot, "dist", "examples", name, "index.js");
}

/**
 * The example as an inline program. The compiled module exports the program
 * function (`export = async () => ...`), which is what the Node.js language
 * host would run too.
 */
function loadProgram(name) {
    const file = compiledProgramPath(name);
    if (!fs.existsSync(file)) {
        throw new Error(`${path.relative(repoRoot, file)} is missing: run \`npm run build\` first`);
    }
    const program = require(file);
    if (typeof program !== "function") {
        throw new Error(`${path.relative(repoRoot, file)} does not export a program function`);
    }
    return program;
}

/** The local test host's details, as `scripts/testhost up` writes them. */
function readTestHost(dir = process.env.DOCKYARD_TESTHOST_DIR || "/var/lib/dockyard-testhost") {
    const file = path.join(dir, "env.json");
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new Error(`cannot read ${file} (is the test host up? run scripts/testhost up): ${err.message}`);
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

/** Stack outputs as JSON text, secrets masked. */
function formatOutputs(outputs) {
    const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
    return JSON.stringify(plain, null, 2) + "\n";
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

/** A workspace dir outside the repo that still resolves the repo's packages. */
function prepareWorkDir(dir) {
    fs.mkdirSync(dir, { recursive: true });
    const link = path.join(dir, "node_modules");
    const target = path.join(repoRoot, "node_modules");
    let current;
    try {
        current = fs.readlinkSync(link);
    } catch {
        current = undefined;
    }
    if (current !== target) {
        fs.rmSync(link, { force: true, recursive: true });
        fs.symlinkSync(target, link, "dir");
    }
}

async function main(argv) {
    const { example, op, stack: stackName } = parseArgs(argv);
    const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");

    const bin = process.env.DOCKYARD_PULUMI_BIN;
    if (!bin || !fs.existsSync(path.join(bin, "pulumi"))) {
        throw new Error("DOCKYARD_PULUMI_BIN must name the bin dir printed by scripts/pulumi-cli (use scripts/run-example)");
    }
    const stateDir = path.resolve(process.env.DOCKYARD_STATE || path.join(os.homedir(), ".dockyard", "state"));
    const project = projectOf(example);
    const workDir = path.join(stateDir, "workspaces", project.name);
    fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });
    prepareWorkDir(workDir);

    const env = {
        PULUMI_BACKEND_URL: "file://" + stateDir,
        PULUMI_HOME: path.join(stateDir, "home"),
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PATH: [bin, path.join(repoRoot, "node_modules", ".bin"), process.env.PATH || ""].join(path.delimiter),
    };
    if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        env.PULUMI_CONFIG_PASSPHRASE = DEFAULT_PASSPHRASE;
    }

    const program = loadProgram(example);
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(bin), skipVersionCheck: true });
    const log = (line) => process.stdout.write(`run-example: ${line}\n`);
    log(`${example} ${op}: project ${project.name}, stack ${stackName}, state ${env.PULUMI_BACKEND_URL}`);

    const stack = await LocalWorkspace.createOrSelectStack(
        { projectName: project.name, stackName, program },
        {
            workDir,
            pulumiHome: env.PULUMI_HOME,
            pulumiCommand,
            envVars: env,
            secretsProvider: "passphrase",
            projectSettings: {
                name: project.name,
                description: project.description,
                runtime: "nodejs",
                backend: { url: env.PULUMI_BACKEND_URL },
            },
        },
    );
    await stack.setAllConfig(testHostConfig(example, readTestHost(), stackName));

    const opts = {
        onOutput: (out) => process.stdout.write(out),
        color: process.stdout.isTTY ? "always" : "never",
    };
    switch (op) {
        case "up":
            await stack.up(opts);
            break;
        case "preview":
            await stack.preview(opts);
            break;
        case "refresh":
            await stack.refresh(opts);
            break;
        case "destroy":
            await stack.destroy(opts);
            break;
    }
    if (op !== "destroy") {
        process.stdout.write(`\nOutputs of ${project.name}/${stackName}:\n`);
        process.stdout.write(formatOutputs(await stack.outputs()));
    }
}

module.exports = {
    EXAMPLES,
    DEFAULT_PASSPHRASE,
    repoRoot,
    exampleDir,
    projectOf,
    compiledProgramPath,
    loadProgram,
    readTestHost,
    testHostConfig,
    nodesConfig,
    formatOutputs,
};

if (require.main === module) {
    main(process.argv.slice(2)).catch((err) => {
        const msg = err && err.message ? err.message : String(err);
        const result = err && err.commandResult;
        if (result) {
            // The engine's stdout was streamed above; its stderr has the final error lines.
            const stderr = String(result.stderr || "").trim();
            if (stderr) process.stderr.write(stderr + "\n");
            process.stderr.write(`run-example: pulumi exited with code ${result.code}\n`);
        } else {
            process.stderr.write(`run-example: ${msg}\n`);
        }
        process.exit(1);
    });
}
