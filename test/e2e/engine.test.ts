// Smoke test of the real Pulumi engine: an inline program with a tiny dynamic
// provider (one file in a temp dir per resource) goes through up, preview,
// update, replace, refresh and destroy.
//
// How the provider gets to the engine: `new pulumi.dynamic.Resource(provider,
// ...)` serializes the provider object with Pulumi's closure serializer into
// JavaScript text, stored as the `__provider` input of the resource. The
// engine starts pulumi-resource-pulumi-nodejs (cwd = the workspace workDir),
// which loads that text with require-from-string. So:
//   - the provider methods must not capture local modules or test-file values:
//     captured values are serialized by value (local modules included), which
//     is why everything here is reached through `require(...)` inside the
//     methods, and inputs carry the data;
//   - `require` is one of the names the serializer never captures (with
//     `__dirname` and `__filename`): a call like
//     `require("pulumi-dockyard/package.json")` inside a method stays in the
//     serialized text verbatim and runs in the dynamic-provider process, where
//     require-from-string gives the module the node_modules lookup paths of
//     its cwd. It therefore resolves from <workDir>/node_modules upwards, i.e.
//     <repo>/node_modules, here through the package's self-link
//     node_modules/pulumi-dockyard -> .. . The first test checks exactly
//     that: the text in the checkpoint, the provider's cwd, the resolved path
//     and the value read at run time.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { changesOf, createTestStack, ensurePulumiCli, repoRoot, TestStack } from "../support/pulumi";

interface FileInputs {
  dir: string;
  name: string;
  content: string;
}

interface FileOutputs extends FileInputs {
  path: string;
  writes: number;
  packageName: string;
  packageJsonPath: string;
  providerCwd: string;
}

// Everything below runs in the dynamic-provider process, not in vitest.
const fileProvider: pulumi.dynamic.ResourceProvider<FileInputs, FileOutputs> = {
  async create(inputs) {
    const nodeFs = require("fs");
    const nodePath = require("path");
    const file: string = nodePath.join(inputs.dir, inputs.name);
    nodeFs.writeFileSync(file, inputs.content, { flag: "wx" });
    return {
      id: file,
      outs: {
        ...inputs,
        path: file,
        writes: 1,
        packageName: require("pulumi-dockyard/package.json").name,
        packageJsonPath: require.resolve("pulumi-dockyard/package.json"),
        providerCwd: require("process").cwd(),
      },
    };
  },

  async read(id, props) {
    const nodeFs = require("fs");
    if (!props || !nodeFs.existsSync(id)) {
      // No id: the resource is gone, and refresh drops it from the state.
      return {};
    }
    return { id, props: { ...props, content: nodeFs.readFileSync(id, "utf8") as string } };
  },

  async diff(_id, olds, news) {
    // A new place is a new file (replace); new content is rewritten in place (update).
    const replaces = (["dir", "name"] as const).filter((k) => olds[k] !== news[k]);
    return {
      changes: replaces.length > 0 || olds.content !== news.content,
      replaces,
      deleteBeforeReplace: false,
    };
  },

  async update(id, olds, news) {
    require("fs").writeFileSync(id, news.content);
    return { outs: { ...olds, ...news, path: id, writes: olds.writes + 1 } };
  },

  async delete(id) {
    require("fs").rmSync(id, { force: true });
  },
};

class TestFile extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly content: pulumi.Output<string>;
  declare readonly writes: pulumi.Output<number>;
  declare readonly packageName: pulumi.Output<string>;
  declare readonly packageJsonPath: pulumi.Output<string>;
  declare readonly providerCwd: pulumi.Output<string>;

  constructor(
    name: string,
    args: { dir: pulumi.Input<string>; name: pulumi.Input<string>; content: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      fileProvider,
      name,
      {
        ...args,
        path: undefined,
        writes: undefined,
        packageName: undefined,
        packageJsonPath: undefined,
        providerCwd: undefined,
      },
      opts,
    );
  }
}

const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

describe("Pulumi engine with a dynamic provider", () => {
  let fileDir: string;
  let s: TestStack;

  const file = (name: string) => path.join(fileDir, name);
  const dynamicResources = async () => (await s.resources()).filter((r) => r.type === DYNAMIC_TYPE);

  beforeAll(async () => {
    await ensurePulumiCli(); // a cold build can take far longer than hookTimeout
  }, 60 * 60_000);

  beforeAll(async () => {
    fileDir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-e2e-files-"));
    s = await createTestStack({
      program: async () => {
        const cfg = new pulumi.Config();
        const f = new TestFile("file", {
          dir: fileDir,
          name: cfg.require("name"),
          content: cfg.require("content"),
        });
        return {
          path: f.path,
          content: f.content,
          writes: f.writes,
          packageName: f.packageName,
          packageJsonPath: f.packageJsonPath,
          providerCwd: f.providerCwd,
          token: cfg.requireSecret("token"),
        };
      },
      config: {
        name: "a.txt",
        content: "one",
        token: { value: "s3cret-token-value", secret: true },
      },
    });
  });

  afterAll(async () => {
    try {
      await s?.cleanup();
    } finally {
      if (fileDir) fs.rmSync(fileDir, { recursive: true, force: true });
    }
  });

  it("up creates the resource", async () => {
    const res = await s.up();
    expect(changesOf(res.summary.resourceChanges)).toEqual({ create: 2 }); // stack + file
    expect(fs.readFileSync(file("a.txt"), "utf8")).toBe("one");

    const out = await s.outputValues();
    expect(out.path).toBe(file("a.txt"));
    expect(out.writes).toBe(1);
  });

  it("a require() inside a provider method runs in the provider process, resolved from its cwd", async () => {
    const [res] = await dynamicResources();
    const serialized = String(res?.inputs?.__provider);
    // Kept as a call, not inlined: the package.json's contents are not in the text.
    expect(serialized).toContain('require("pulumi-dockyard/package.json")');
    expect(serialized).not.toContain("Coolify");

    const out = await s.outputValues();
    expect(out.providerCwd).toBe(fs.realpathSync(s.workDir));
    expect(out.packageJsonPath).toBe(path.join(fs.realpathSync(repoRoot), "package.json"));
    expect(out.packageName).toBe("pulumi-dockyard");
  });

  it("secret config stays encrypted in the checkpoint", async () => {
    const outs = await s.outputs();
    expect(outs.token).toEqual({ value: "s3cret-token-value", secret: true });
    const checkpoint = s.checkpointText();
    expect(checkpoint).toContain("ciphertext");
    expect(checkpoint).not.toContain("s3cret-token-value");
  });

  it("a second preview reports no changes", async () => {
    const res = await s.preview();
    expect(changesOf(res.changeSummary)).toEqual({});
  });

  it("changing an input updates in place when diff says so", async () => {
    await s.setConfig("content", "two");
    expect(changesOf((await s.preview()).changeSummary)).toEqual({ update: 1 });

    const res = await s.up();
    expect(changesOf(res.summary.resourceChanges)).toEqual({ update: 1 });
    expect(fs.readFileSync(file("a.txt"), "utf8")).toBe("two");
    const out = await s.outputValues();
    expect(out.path).toBe(file("a.txt"));
    expect(out.writes).toBe(2);
  });

  it("changing an input replaces when diff says so", async () => {
    await s.setConfig("name", "b.txt");
    expect(changesOf((await s.preview()).changeSummary)).toEqual({ replace: 1 });

    const res = await s.up();
    expect(changesOf(res.summary.resourceChanges)).toEqual({ replace: 1 });
    expect(fs.existsSync(file("a.txt"))).toBe(false);
    expect(fs.readFileSync(file("b.txt"), "utf8")).toBe("two");
    const out = await s.outputValues();
    expect(out.path).toBe(file("b.txt"));
    expect(out.writes).toBe(1);
  });

  it("refresh notices a file deleted by hand", async () => {
    fs.rmSync(file("b.txt"));

    const res = await s.refresh();
    expect(changesOf(res.summary.resourceChanges)).toEqual({ delete: 1 });
    expect(await dynamicResources()).toEqual([]);
    expect(changesOf((await s.preview()).changeSummary)).toEqual({ create: 1 });
  });

  it("up recreates it and destroy removes it", async () => {
    const up = await s.up();
    expect(changesOf(up.summary.resourceChanges)).toEqual({ create: 1 });
    expect(fs.readFileSync(file("b.txt"), "utf8")).toBe("two");

    const res = await s.destroy();
    expect(changesOf(res.summary.resourceChanges)).toEqual({ delete: 2 }); // file + stack
    expect(fs.existsSync(file("b.txt"))).toBe(false);
    expect(await s.resources()).toEqual([]);
  });
});
