// Running Pulumi YAML programs from their own directories with the real CLI,
// the YAML language host (scripts/pulumi-yaml) and the plugin provider
// `dockyard` (bin/pulumi-resource-dockyard, named by each program's
// plugins.providers[].path). State, home and secrets live in a temp dir.

import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { pathWith } from "../support/paths";
import { ensurePulumiCli, repoRoot, TEST_PASSPHRASE } from "../support/pulumi";

let yamlBin: Promise<string> | undefined;

/** The YAML language host's bin dir (PULUMI_YAML_BIN, or built/cached by scripts/pulumi-yaml). */
export function ensureYamlHost(): Promise<string> {
  if (process.env.PULUMI_YAML_BIN) return Promise.resolve(process.env.PULUMI_YAML_BIN);
  yamlBin ??= new Promise((resolve, reject) => {
    execFile(
      "bash",
      [path.join(repoRoot, "scripts", "pulumi-yaml")],
      { encoding: "utf8" },
      (err: Error | null, stdout) => {
        if (err) reject(err);
        else resolve(stdout.trim().split("\n").pop() ?? "");
      },
    );
  });
  return yamlBin;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stack of a YAML program in `dir`, with its own backend; the stack's config file is removed by `remove()`. */
export class YamlStack {
  readonly name = `e2e-${randomBytes(4).toString("hex")}`;
  private readonly temp = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-yaml-"));
  private env: Record<string, string> = {};

  constructor(readonly dir: string) {}

  async init(
    config: Record<string, string | { secret: string }>,
    extraEnv: Record<string, string> = {},
  ): Promise<void> {
    const [cli, yaml] = await Promise.all([ensurePulumiCli(), ensureYamlHost()]);
    fs.mkdirSync(path.join(this.temp, "state"), { recursive: true });
    this.env = {
      ...(process.env as Record<string, string>),
      PULUMI_HOME: path.join(this.temp, "home"),
      PULUMI_BACKEND_URL: "file://" + path.join(this.temp, "state"),
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "1",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      // The plugin is `#!/usr/bin/env node`: the project's Node 22 goes first.
      PATH: pathWith(cli, yaml),
      ...extraEnv,
    };
    await this.ok("stack", "init");
    for (const [k, v] of Object.entries(config)) {
      if (typeof v === "string") await this.ok("config", "set", k, v);
      // On stdin: a PEM key is multi-line and starts with dashes.
      else await this.ok({ stdin: v.secret }, "config", "set", "--secret", k);
    }
  }

  /** Run `pulumi <args>` for this stack in the program's directory. */
  run(...args: (string | { stdin: string })[]): Promise<CliResult> {
    const stdin = args.find((a): a is { stdin: string } => typeof a !== "string")?.stdin;
    const full = [
      ...args.filter((a): a is string => typeof a === "string"),
      "--stack",
      this.name,
      "--non-interactive",
      "--color",
      "never",
    ];
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", full, {
        cwd: this.dir,
        env: this.env,
        stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
      if (stdin !== undefined) child.stdin!.end(stdin);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Run and require success. */
  async ok(...args: (string | { stdin: string })[]): Promise<CliResult> {
    const r = await this.run(...args);
    // (The command line is not shown: it may hold a secret being set.)
    if (r.code !== 0)
      throw new Error(
        `pulumi ${args
          .filter((a) => typeof a === "string")
          .slice(0, 2)
          .join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`,
      );
    return r;
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.ok("stack", "output", "--json", "--show-secrets")).stdout) as Record<string, unknown>;
  }

  /** The change summary of a preview (`{ create: 1, same: 2 }`). */
  async previewSummary(): Promise<Record<string, number>> {
    const r = await this.ok("preview", "--json");
    return (JSON.parse(r.stdout) as { changeSummary: Record<string, number> }).changeSummary;
  }

  async remove(): Promise<void> {
    await this.run("destroy", "--yes", "--skip-preview").catch(() => undefined);
    await this.run("stack", "rm", "--yes", "--force").catch(() => undefined);
    fs.rmSync(path.join(this.dir, `Pulumi.${this.name}.yaml`), { force: true });
    fs.rmSync(this.temp, { recursive: true, force: true });
  }
}
