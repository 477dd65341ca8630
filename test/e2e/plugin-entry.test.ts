// The plugin provider's two ways to start, each asked for its schema over the
// provider protocol (gRPC), as the engine asks:
//   - bin/pulumi-resource-dockyard, what the engine runs when it finds the
//     executable on PATH or in a program's plugins.providers[].path;
//   - @pulumi/pulumi/cmd/run-plugin <package dir>, what the Node.js language
//     host runs for a source-based plugin (PulumiPlugin.yaml, runtime: nodejs):
//     it requires the directory (package.json `main`) and calls its export.
// (The Node.js language host itself is not available here, so
// `pulumi package get-schema <dir>` cannot run; this is the step it performs.)

import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

import { pathWith, repoBin } from "../support/paths";
import { repoRoot } from "../support/pulumi";

const req = createRequire(path.join(repoRoot, "package.json"));
const grpc = req("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const provrpc = req("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = req("@pulumi/pulumi/proto/provider_pb");

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

/** Start a plugin, read the port it prints, and ask it for its schema. */
async function schemaOf(cmd: string, args: string[]): Promise<Record<string, any>> {
  const env = { ...process.env, PATH: pathWith() };
  const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n")[0]!;
      if (out.includes("\n")) resolve(line.trim());
    });
    child.on("exit", (code) => reject(new Error(`${cmd} exited (${code}) before printing a port: ${stderr}`)));
  });
  expect(port).toMatch(/^\d+$/);
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const request = new provproto.GetSchemaRequest();
    request.setVersion(0);
    const resp = await new Promise<any>((resolve, reject) =>
      client.getSchema(request, (err: Error | null, r: any) => (err ? reject(err) : resolve(r))),
    );
    return JSON.parse(resp.getSchema());
  } finally {
    client.close();
  }
}

describe("the plugin provider starts and serves its schema", () => {
  it("dist/ is built", () => {
    expect(fs.existsSync(path.join(repoRoot, "dist", "sdk", "plugin", "main.js"))).toBe(true);
  });

  it("as bin/pulumi-resource-dockyard", async () => {
    const s = await schemaOf(path.join(repoRoot, "bin", "pulumi-resource-dockyard"), []);
    expect(s.name).toBe("dockyard");
    expect(Object.keys(s.resources)).toEqual(["dockyard:index:Server", "dockyard:index:Destination"]);
    expect(Object.keys(s.functions)).toEqual(["dockyard:index:getNetworks"]);
  });

  it("from the package directory, as the Node.js runtime starts a PulumiPlugin.yaml plugin", async () => {
    expect(fs.readFileSync(path.join(repoRoot, "PulumiPlugin.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
    const runPlugin = req.resolve("@pulumi/pulumi/cmd/run-plugin");
    const s = await schemaOf(path.join(repoBin, "node"), [runPlugin, repoRoot]);
    expect(s.name).toBe("dockyard");
    expect(s.version).toBe(JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version);
    expect(s.resources["dockyard:index:Destination"].inputProperties.connection.description).toMatch(/connection/);
  });
});
