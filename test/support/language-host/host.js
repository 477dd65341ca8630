// Test stand-in for Pulumi's Node.js language host, pulumi-language-nodejs
// (started through the launcher next to this file; see docs/language-host.md).
//
// The real host is a Go program that the Go module proxy does not serve, so
// this repository's tests cannot have it. This one serves the same gRPC
// service, pulumirpc.LanguageRuntime, built from @pulumi/pulumi's own generated
// protocol modules (proto/language_grpc_pb.js and the @grpc/grpc-js that
// @pulumi/pulumi loads), and its Run does what the real host's Run does: it
// starts `node <@pulumi/pulumi/cmd/run> ...`, resolved from the program's
// directory, in that directory, with the flags and environment the real host
// passes. So the program is loaded, type-checked (ts-node, through
// @pulumi/pulumi's runner) and run by the program's own @pulumi/pulumi, in its
// own process, as it is for a user.
//
// What it does not do (none of it is used by this repository's programs):
//   - proxy the resource monitor: the runner gets the engine's monitor address
//     itself (--monitor); the real host puts a forwarding gRPC server between.
//   - synchronous invokes over pipes (--sync): the runner falls back to its
//     asynchronous invokes when the flag is absent.
//   - debugging (attachDebugger), the bun runtime, fnm, package managers other
//     than npm, tracing, code generation, packing and linking (these answer
//     UNIMPLEMENTED, as grpc-js does for a method without a handler).
//
// Only for this repository's tests and demo: users have the real host.
"use strict";

const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const { createRequire } = require("node:module");
const net = require("node:net");
const path = require("node:path");

// @pulumi/pulumi as this host finds it (the repository's), and the grpc-js and
// protobuf runtime its generated modules were made for.
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = pulumiRequire("@grpc/grpc-js");
const { LanguageRuntimeService } = pulumiRequire("./proto/language_grpc_pb.js");
const langpb = pulumiRequire("./proto/language_pb.js");
const pluginpb = pulumiRequire("./proto/plugin_pb.js");
const { Empty } = pulumiRequire("google-protobuf/google/protobuf/empty_pb.js");

const VERSION = pulumiRequire("./package.json").version;
const DEFAULT_RUN_PATH = "@pulumi/pulumi/cmd/run";
/** The runner's exit code for "the user was already shown an actionable message". */
const EXIT_AFTER_USER_MESSAGE = 32;

const log = (msg) => process.stderr.write(`pulumi-language-nodejs (test stand-in): ${msg}\n`);

/** Language options from Pulumi.yaml (`runtime: {name: nodejs, options: {...}}`), checked as the real host checks them. */
function parseOptions(options) {
  const out = { typescript: true, tsconfig: "", nodeargs: "", packagemanager: "auto", production: false };
  const typed = (key, type) => {
    if (!(key in options)) return;
    if (typeof options[key] !== type) throw new Error(`${key} option must be a ${type}`);
    out[key] = options[key];
  };
  typed("typescript", "boolean");
  typed("tsconfig", "string");
  typed("nodeargs", "string");
  typed("production", "boolean");
  typed("packagemanager", "string");
  if (!["auto", "npm"].includes(out.packagemanager)) {
    throw new Error(`packagemanager option ${JSON.stringify(out.packagemanager)}: this test host supports only npm`);
  }
  return out;
}

/** Splits `nodeargs` the way a POSIX shell splits words (quotes and backslashes; no expansion). */
function splitWords(text) {
  const words = [];
  let word;
  let quote;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word ??= "";
      if (c === "'" || c === '"') quote = c;
      else if (c === "\\" && i + 1 < text.length) word += text[++i];
      else word += c;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in nodeargs`);
  if (word !== undefined) words.push(word);
  return words;
}

/** The first executable `name` on $PATH. */
function lookPath(name) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The program's configuration as @pulumi/pulumi reads it from PULUMI_CONFIG:
 * keys in the `<namespace>:config:<name>` form that every @pulumi/pulumi
 * version understands (the engine sends `<namespace>:<name>`).
 */
function configJson(configMap) {
  const out = {};
  for (const [key, value] of configMap.entries()) {
    const i = key.indexOf(":");
    if (i <= 0) throw new Error(`config key ${JSON.stringify(key)} has no namespace`);
    const ns = key.slice(0, i);
    const rest = key.slice(i + 1);
    const name = rest.startsWith("config:") ? rest.slice("config:".length) : rest;
    out[`${ns}:config:${name}`] = value;
  }
  return JSON.stringify(out);
}

/** Resolves a module the way `require` does from a file in `dir`. */
function resolveFrom(dir, request) {
  return createRequire(path.join(dir, "__pulumi_language_host__.js")).resolve(request);
}

/** Packages under `dir`'s node_modules trees that declare a Pulumi resource plugin, and every @pulumi/pulumi found. */
function scanPackages(dir, found, inNodeModules, visited) {
  let real;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return;
  }
  if (visited.has(real)) return;
  visited.add(real);
  let entries;
  try {
    entries = fs.readdirSync(real, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const p = path.join(real, entry.name);
    let isDir = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      try {
        isDir = fs.statSync(p).isDirectory();
      } catch {
        continue;
      }
    }
    if (isDir) {
      if (fs.existsSync(path.join(p, "PulumiPolicy.yaml"))) continue; // a policy pack's plugins are not the program's
      scanPackages(p, found, inNodeModules || path.basename(real) === "node_modules", visited);
    } else if (inNodeModules && entry.name === "package.json") {
      let info;
      try {
        info = JSON.parse(fs.readFileSync(p, "utf8"));
      } catch (err) {
        found.errors.push(`${p}: ${err.message}`);
        continue;
      }
      if (info.name === "@pulumi/pulumi" && typeof info.version === "string")
        found.sdks.push({ file: p, version: info.version });
      const plugin = info.pulumi;
      if (plugin && plugin.resource === true) {
        let name = plugin.name;
        if (!name && typeof info.name === "string" && info.name.startsWith("@pulumi/"))
          name = info.name.slice("@pulumi/".length);
        const version = plugin.version || info.version;
        if (!name || !version) {
          found.errors.push(`${p}: a resource plugin package needs pulumi.name (or an @pulumi/ name) and a version`);
          continue;
        }
        const dep = new pluginpb.PackageDependency();
        dep.setName(name);
        dep.setKind("resource");
        dep.setVersion(version.startsWith("v") ? version : `v${version}`);
        if (plugin.server) dep.setServer(plugin.server);
        found.packages.push(dep);
      }
    }
  }
}

class Host {
  constructor(engineAddress) {
    this.engineAddress = engineAddress;
    /** Running programs, interrupted by Cancel. */
    this.children = new Set();
  }

  handlers() {
    const unary = (fn) => (call, callback) => {
      Promise.resolve()
        .then(() => fn.call(this, call.request, call))
        .then(
          (res) => callback(null, res),
          (err) => callback(toStatus(err)),
        );
    };
    return {
      handshake: unary(this.handshake),
      getPluginInfo: unary(() => {
        const info = new pluginpb.PluginInfo();
        info.setVersion(VERSION);
        return info;
      }),
      getRequiredPlugins: unary(() => {
        throw Object.assign(new Error("method GetRequiredPlugins not implemented"), {
          code: grpc.status.UNIMPLEMENTED,
        });
      }),
      getRequiredPackages: unary(this.getRequiredPackages),
      run: unary(this.run),
      installDependencies: (call) => this.installDependencies(call),
      about: unary(this.about),
      getProgramDependencies: unary(this.getProgramDependencies),
      cancel: unary(() => {
        for (const child of this.children) child.kill("SIGINT");
        return new Empty();
      }),
    };
  }

  handshake(req) {
    this.engineAddress = req.getEngineAddress();
    watchEngine(this.engineAddress, () => this.shutdown());
    return new langpb.LanguageHandshakeResponse();
  }

  getRequiredPackages(req) {
    const dir = programInfo(req).programDirectory;
    const found = { packages: [], sdks: [], errors: [] };
    scanPackages(dir, found, false, new Set());
    const majors = new Map(found.sdks.map((s) => [s.version.split(".")[0], s]));
    if (majors.size > 1) {
      const [a, b] = [...majors.values()];
      process.stderr.write(
        "Found incompatible versions of @pulumi/pulumi. Differing major versions are not supported.\n" +
          `  Version ${a.version} referenced at ${a.file}\n  Version ${b.version} referenced at ${b.file}\n`,
      );
    }
    const res = new langpb.GetRequiredPackagesResponse();
    res.setPackagesList(found.packages);
    return res;
  }

  async run(req, call) {
    const res = new langpb.RunResponse();
    const fail = (msg) => {
      res.setError(msg);
      return res;
    };
    if (!this.engineAddress) throw new Error("when debugging or running explicitly, must call Handshake before Run");
    if (req.getAttachDebugger()) return fail("this test language host does not support attaching a debugger");

    const info = programInfo(req);
    let opts;
    try {
      opts = parseOptions(info.options);
    } catch (err) {
      return fail(err.message);
    }
    const node = lookPath("node");
    if (!node) return fail("could not find node on the $PATH");

    let runPath;
    try {
      runPath = resolveFrom(info.programDirectory, process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || DEFAULT_RUN_PATH);
    } catch (err) {
      return fail(
        err && err.code === "MODULE_NOT_FOUND"
          ? "It looks like the Pulumi SDK has not been installed. Have you run pulumi install?"
          : String(err && err.message),
      );
    }

    const args = [runPath];
    const flag = (name, value) => {
      if (value !== undefined && value !== "") args.push(`--${name}`, String(value));
    };
    flag("monitor", req.getMonitorAddress());
    flag("engine", this.engineAddress);
    flag("organization", req.getOrganization());
    flag("project", req.getProject());
    flag("root-directory", info.rootDirectory);
    flag("stack", req.getStack());
    flag("pwd", info.programDirectory);
    if (req.getDryrun()) args.push("--dry-run");
    flag("parallel", req.getParallel());
    args.push(info.entryPoint || ".", ...req.getArgsList());

    const env = {
      ...process.env,
      PULUMI_CONFIG: configJson(req.getConfigMap()),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
    };
    if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (opts.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;
    let nodeArgs;
    try {
      nodeArgs = splitWords(opts.nodeargs);
    } catch (err) {
      return fail(err.message);
    }

    const child = spawn(node, [...nodeArgs, ...args], {
      cwd: info.programDirectory,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    this.children.add(child);
    const interrupt = () => child.kill("SIGINT");
    call.on("cancelled", interrupt);
    const outcome = await new Promise((resolve) => {
      child.on("error", (err) => resolve({ err }));
      child.on("exit", (code, signal) => resolve({ code, signal }));
    });
    this.children.delete(child);
    call.removeListener("cancelled", interrupt);

    if (outcome.err) return fail(`Problem executing program (could not run language executor): ${outcome.err.message}`);
    if (outcome.code === 0) return res;
    if (outcome.code === EXIT_AFTER_USER_MESSAGE) {
      res.setBail(true);
      return res;
    }
    const code = outcome.code ?? -1;
    return fail(`Program exited with non-zero exit code: ${code}${outcome.signal ? ` (${outcome.signal})` : ""}`);
  }

  /** `npm install` in the program's directory, streaming its output. */
  installDependencies(call) {
    const req = call.request;
    const info = programInfo(req);
    const dir = info.programDirectory || req.getDirectory();
    const send = (field, chunk) => {
      const res = new langpb.InstallDependenciesResponse();
      if (field === "stdout") res.setStdout(chunk);
      else res.setStderr(chunk);
      call.write(res);
    };
    let opts;
    try {
      opts = parseOptions(info.options);
    } catch (err) {
      call.emit("error", toStatus(err));
      return;
    }
    send("stdout", Buffer.from("Installing dependencies...\n\n"));
    const npmArgs = ["install", "--no-audit", "--no-fund", ...(opts.production ? ["--omit=dev"] : [])];
    const child = spawn("npm", npmArgs, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk) => send("stdout", chunk));
    child.stderr.on("data", (chunk) => send("stderr", chunk));
    child.on("error", (err) => call.emit("error", toStatus(err)));
    child.on("close", (code) => {
      if (code !== 0) {
        call.emit("error", toStatus(new Error(`npm install failed with exit code ${code}`)));
        return;
      }
      send("stdout", Buffer.from("Finished installing dependencies\n\n"));
      call.end();
    });
  }

  about(req) {
    const info = programInfo(req);
    const res = new langpb.AboutResponse();
    const node = lookPath("node");
    if (node) res.setExecutable(node);
    const quiet = (file, args, cwd) => {
      try {
        return execFileSync(file, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      } catch {
        return "";
      }
    };
    if (node) res.setVersion(quiet(node, ["--version"]));
    const meta = res.getMetadataMap();
    meta.set("packagemanager", "npm");
    meta.set("packagemanagerVersion", quiet("npm", ["--version"]));
    const ts = node
      ? quiet(node, ["-e", "console.log(require('typescript/package.json').version)"], info.programDirectory)
      : "";
    if (ts) meta.set("typescriptVersion", ts);
    return res;
  }

  /** The program's npm dependencies (`npm ls --json`). */
  getProgramDependencies(req) {
    const info = programInfo(req);
    const args = ["ls", "--json", ...(req.getTransitivedependencies() ? ["--all"] : [])];
    let tree;
    try {
      tree = JSON.parse(
        execFileSync("npm", args, {
          cwd: info.programDirectory,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        }),
      );
    } catch (err) {
      // npm ls exits non-zero on problems in the tree but still prints it.
      if (!err.stdout) throw new Error(`failed to get node dependencies: ${err.message}`, { cause: err });
      tree = JSON.parse(err.stdout);
    }
    const list = [];
    const walk = (deps) => {
      for (const [name, dep] of Object.entries(deps || {})) {
        const d = new langpb.DependencyInfo();
        d.setName(name);
        d.setVersion(dep.version || "");
        list.push(d);
        walk(dep.dependencies);
      }
    };
    walk(tree.dependencies);
    const res = new langpb.GetProgramDependenciesResponse();
    res.setDependenciesList(list);
    return res;
  }

  shutdown() {
    for (const child of this.children) child.kill("SIGINT");
    process.exit(0);
  }
}

/** A request's ProgramInfo as plain values (older requests carry pwd/program instead). */
function programInfo(req) {
  const info = req.getInfo ? req.getInfo() : undefined;
  if (info) {
    const options = info.getOptions();
    return {
      rootDirectory: info.getRootDirectory(),
      programDirectory: info.getProgramDirectory(),
      entryPoint: info.getEntryPoint(),
      options: options ? options.toJavaScript() : {},
    };
  }
  return {
    rootDirectory: "",
    programDirectory: req.getPwd ? req.getPwd() : process.cwd(),
    entryPoint: req.getProgram ? req.getProgram() : ".",
    options: {},
  };
}

function toStatus(err) {
  if (err && typeof err.code === "number") return { code: err.code, details: err.message };
  return { code: grpc.status.UNKNOWN, details: err && err.message ? err.message : String(err) };
}

/**
 * Like the real host, leave when the engine is gone: the engine's address
 * stops accepting connections (three checks in a row, a second apart).
 */
const watched = new Set();
function watchEngine(address, onGone) {
  if (!address || watched.has(address)) return;
  watched.add(address);
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i) || "127.0.0.1";
  const port = Number(address.slice(i + 1));
  let misses = 0;
  const timer = setInterval(() => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      misses = 0;
      socket.destroy();
    });
    socket.once("error", () => {
      if (++misses >= 3) onGone();
    });
  }, 1000);
  timer.unref();
}

function main(argv) {
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].replace(/^--?/, "-");
    if (a === "-version") {
      process.stdout.write(`${VERSION}\n`);
      return;
    }
    if (a === "-tracing" || a === "-runtime")
      i++; // flag with a value: accepted, unused
    else if (a.startsWith("-tracing=") || a.startsWith("-runtime=")) continue;
    else if (a.startsWith("-")) {
      log(`unknown flag ${argv[i]}`);
      process.exit(2);
    } else positional.push(argv[i]);
  }
  const host = new Host(positional[0] || "");
  const server = new grpc.Server();
  server.addService(LanguageRuntimeService, host.handlers());
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      log(`could not start the language host RPC server: ${err.message}`);
      process.exit(1);
    }
    // The engine reads the port from our first line of output.
    process.stdout.write(`${port}\n`);
    if (host.engineAddress) watchEngine(host.engineAddress, () => host.shutdown());
  });
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      for (const child of host.children) child.kill("SIGINT");
      if (sig === "SIGTERM" || host.children.size === 0) process.exit(0);
    });
  }
}

main(process.argv.slice(2));
