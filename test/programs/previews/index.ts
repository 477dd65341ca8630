// The program of test/e2e/previews.test.ts: one Server, two Destinations
// (`web`, `db`) and an Echo, all described by the stack config `knobs` (JSON).
// Each row of the test's table sets `knobs` and runs `pulumi preview --json`.
//
// knobs:
//   server    the Server's inputs; `privateKeyFile` (and the proxy's) names a
//             key file, read here (the Server's key as a secret)
//   web       the Destination `web`'s inputs (without `server`)
//   dbNetwork the network of `db`
//   viaEcho   a path (`server.port`, `web.labels.tier`, `web.connect.0`) whose
//             value is taken from the Echo instead: unknown during a preview
//             that updates the Echo
//   echoSeed  changing it updates the Echo
import * as fs from "fs";

import * as pulumi from "@pulumi/pulumi";
import * as dockyard from "pulumi-dockyard";

interface Knobs {
  server: Record<string, unknown>;
  web: Record<string, unknown>;
  dbNetwork: string;
  viaEcho?: string;
  echoSeed: number;
}

interface EchoInputs {
  seed: { v: unknown; n: number };
}

// A value computed by another resource: `out` is not an input, so it is not
// known during a preview that creates or updates the Echo.
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
  declare readonly out: pulumi.Output<unknown>;
  constructor(name: string, seed: pulumi.Input<{ v: unknown; n: number }>) {
    super(echoProvider, name, { seed, out: undefined });
  }
}

const k = new pulumi.Config().requireObject<Knobs>("knobs");
const key = (file: unknown) => fs.readFileSync(String(file), "utf8");

const serverArgs: Record<string, unknown> = {};
for (const [f, v] of Object.entries(k.server)) {
  if (f === "privateKeyFile") serverArgs.privateKey = pulumi.secret(key(v));
  else if (f === "proxy") {
    const { privateKeyFile, ...proxy } = v as Record<string, unknown>;
    serverArgs.proxy = { ...proxy, privateKey: key(privateKeyFile) };
  } else serverArgs[f] = v;
}
const inputs: Record<string, Record<string, unknown>> = { server: serverArgs, web: k.web };

function valueAt(path: string): unknown {
  let v: unknown = inputs;
  for (const p of path.split(".")) v = (v as Record<string, unknown>)[p];
  return v;
}

const echo = new Echo("echo", { v: k.viaEcho ? valueAt(k.viaEcho) : "idle", n: k.echoSeed });
const withEcho = (path: string, v: unknown) => (k.viaEcho === path ? echo.out : v);

const srv: Record<string, unknown> = {};
for (const [f, v] of Object.entries(serverArgs)) srv[f] = withEcho(`server.${f}`, v);
const server = new dockyard.Server("server", srv as unknown as dockyard.ServerArgs);

const web: Record<string, unknown> = { server };
for (const [f, v] of Object.entries(k.web)) {
  if (f === "labels") {
    web.labels = Object.fromEntries(
      Object.entries(v as Record<string, string>).map(([lk, lv]) => [lk, withEcho(`web.labels.${lk}`, lv)]),
    );
  } else if (f === "connect") web.connect = (v as string[]).map((c, i) => withEcho(`web.connect.${i}`, c));
  else web[f] = withEcho(`web.${f}`, v);
}
new dockyard.Destination("web", web);
// No display name of its own: it follows the server's name.
new dockyard.Destination("db", { server, type: "standalone", network: k.dbNetwork, internal: true });
