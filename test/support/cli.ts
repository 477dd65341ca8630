// The `pulumi` binary run the way users run it: in a program directory
// (Pulumi.yaml, package.json, tsconfig.json, index.ts), `pulumi up`,
// `preview`, `refresh`, `destroy`. The engine starts `pulumi-language-nodejs`
// from $PATH; here that is the test stand-in in test/support/language-host
// (docs/language-host.md), which runs the program through the program's own
// @pulumi/pulumi (its runner, ts-node type checking, its node_modules).
//
// Each world is throw-away, like the Automation API harness in pulumi.ts:
// a fresh file:// backend and PULUMI_HOME in a temp dir, the passphrase
// secrets provider, no update checks or plugin downloads.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ensurePulumiCli, pulumiEnv, repoRoot } from "./pulumi";

/** The directory holding the test stand-in `pulumi-language-nodejs`. */
export const languageHostDir: string = path.join(repoRoot, "test", "support", "language-host");

/**
 * Environment for the CLI in one world: pulumiEnv's (backend, home,
 * passphrase, no network) with the language host's directory first on PATH,
 * before the CLI's bin dir and the repository's node_modules/.bin (whose
 * `node` is Node 22: the language host and the program run the first `node`
 * on PATH).
 */
export function cliEnv(binDir: string, tempDir: string): Record<string, string> {
    const env = pulumiEnv(binDir, tempDir);
    return { ...env, PATH: [languageHostDir, env.PATH].join(path.delimiter) };
}

export interface PulumiRun {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunPulumiOptions {
    /** Text for the CLI's stdin (e.g. a secret for `config set --secret`). */
    input?: string;
    /** Resolve with a non-zero exit code instead of rejecting. */
    allowFailure?: boolean;
}

/** Where the `pulumi` binary of scripts/pulumi-cli is, once per process. */
export async function pulumiBinary(): Promise<string> {
    return path.join(await ensurePulumiCli(), "pulumi");
}

/**
 * Runs `pulumi <args>` in `dir` with exactly `env` on top of process.env
 * (build it with cliEnv). Rejects when the exit code is not 0 (unless
 * allowFailure), with the command, its exit code and both outputs in the
 * message.
 */
export async function runPulumi(
    dir: string,
    args: string[],
    env: Record<string, string>,
    opts: RunPulumiOptions = {},
): Promise<PulumiRun> {
    const bin = await pulumiBinary();
    const result = await new Promise<PulumiRun>((resolve, reject) => {
        const child = spawn(bin, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
        child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
        child.stdin.end(opts.input ?? "");
    });
    if (result.code !== 0 && !opts.allowFailure) {
        throw new Error(
            `pulumi ${args.join(" ")} (in ${dir}) exited with code ${result.code}\n` +
                `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
        );
    }
    return result;
}

/** A throw-away backend and PULUMI_HOME for CLI runs; `run` is runPulumi with this world's env. */
export interface CliWorld {
    readonly tempDir: string;
    readonly env: Record<string, string>;
    run(dir: string, args: string[], opts?: RunPulumiOptions): Promise<PulumiRun>;
    /** `pulumi <args> --json` parsed. */
    json<T = unknown>(dir: string, args: string[], opts?: RunPulumiOptions): Promise<T>;
    /** Deletes the temp dir (state included). */
    cleanup(): void;
}

export async function createCliWorld(extraEnv: Record<string, string> = {}): Promise<CliWorld> {
    const bin = await ensurePulumiCli();
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-cli-"));
    fs.mkdirSync(path.join(tempDir, "home"));
    fs.mkdirSync(path.join(tempDir, "state"));
    const env = { ...cliEnv(bin, tempDir), ...extraEnv };
    const run = (dir: string, args: string[], opts?: RunPulumiOptions) => runPulumi(dir, args, env, opts);
    return {
        tempDir,
        env,
        run,
        async json<T>(dir: string, args: string[], opts?: RunPulumiOptions) {
            const r = await run(dir, [...args, "--json"], opts);
            try {
                return JSON.parse(r.stdout) as T;
            } catch {
                throw new Error(`pulumi ${args.join(" ")} --json printed no JSON:\n${r.stdout}\n--- stderr\n${r.stderr}`);
            }
        },
        cleanup() {
            fs.rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
        },
    };
}
