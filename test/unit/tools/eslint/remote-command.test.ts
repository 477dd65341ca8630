// The lint rule dockyard/remote-command (tools/eslint/remote-command.js):
// remote commands are argv arrays quoted by shellCommand, never a shell
// string built from input, and the provider starts no local process. Cases
// run with type information, as `npm run lint` does; the fixtures/ files are
// what the cases import. Then: the project's config turns the rule on, as an
// error, for every file of provider/ and sdk/.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ESLint, RuleTester } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import rule from "../../../../tools/eslint/remote-command";

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const fixtures = join(__dirname, "fixtures");
const tester = new RuleTester({
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: {
      projectService: { allowDefaultProject: ["case.ts"] },
      tsconfigRootDir: fixtures,
    },
  },
});

// Every case is a file next to the fixtures, with a client whose exec runs a
// command string on the server (as ssh2's Client does).
const head = `
declare const c: { exec(command: string, cb: () => void): void; shell(cb: () => void): void };
declare const input: string;
const cb = () => undefined;
`;
const at = (name: string, code: string) => ({ name, code: head + code, filename: join(fixtures, "case.ts") });
const quoting = `import { shellCommand, shellQuote } from "./quoting-shell";\n`;
const invalid = (name: string, code: string, ...messageIds: string[]) => ({
  ...at(name, code),
  errors: messageIds.map((messageId) => ({ messageId })),
});

tester.run("dockyard/remote-command", rule, {
  valid: [
    at("exec(shellCommand(literal argv))", quoting + `c.exec(shellCommand(["docker", "system", "dial-stdio"]), cb);`),
    at(
      "exec(shellCommand(argv)), argv a literal with input in it",
      quoting + `const argv = ["id", "-u", input]; c.exec(shellCommand(argv), cb);`,
    ),
    at(
      "exec(shellCommand(argv)), argv one of two literals",
      quoting + `const argv: readonly string[] = input ? ["id"] : ["id", "-u"]; c.exec(shellCommand(argv), cb);`,
    ),
    at(
      "exec(shellCommand(argv)), argv returned by an imported function",
      quoting +
        `import { dialStdioArgv } from "./argv";\nconst argv = dialStdioArgv(input); c.exec(shellCommand(argv), cb);`,
    ),
    at(
      "exec(shellCommand(argv)), argv a readonly string[] parameter",
      quoting + `function run(argv: readonly string[]) { c.exec(shellCommand(argv), cb); }\nrun(["id"]);`,
    ),
    at("optional call c?.exec(shellCommand(…))", quoting + `c?.exec(shellCommand([input]), cb);`),
    at("shellQuote used on its own", quoting + `export const quoted = shellQuote(input);`),
    // RegExp#exec runs no process, called or taken as a value.
    at(
      "RegExp#exec called and taken as a value",
      `const R = /^(\\d+)$/; export const m = R.exec(input) ?? /x/.exec(input); export const f = R.exec;`,
    ),
    at("RegExp#exec on a callback's parameter", `export const ms = [/a/, /b/].map((r) => r.exec(input));`),
    // A shellCommand declared here that quotes every element.
    at(
      "a local shellCommand that quotes every element",
      `function shellQuote(a: string): string { return "'" + a + "'"; }\n` +
        `export function shellCommand(argv: readonly string[]): string {\n` +
        `  if (argv.length === 0) throw new Error("empty command");\n` +
        `  return argv.map(shellQuote).join(" ");\n}\n` +
        `c.exec(shellCommand(["id"]), cb);`,
    ),
    at(
      "an arrow shellCommand that quotes every element",
      `declare function shellQuote(a: string): string;\nexport const shellCommand = (args: readonly string[]) => args.map(shellQuote).join(" ");`,
    ),
    // Names that only look alike, and the module's name as text.
    at(
      "names that only look alike, and the module's name as text",
      `declare const o: { execute(): void; spawned: boolean }; o.execute(); export const s = o.spawned; export const m = "child_process";`,
    ),
  ],
  invalid: [
    // No local process, in any way of loading child_process.
    invalid(
      "import from node:child_process",
      `import { execFileSync } from "node:child_process";\nexport { execFileSync };`,
      "childProcess",
    ),
    invalid('require("child_process")', `export const cp: unknown = require("child_process");`, "childProcess"),
    invalid('import("node:child_process")', `void import("node:child_process");`, "childProcess"),
    invalid(
      'import cp = require("child_process")',
      `import cp = require("child_process");\nexport { cp };`,
      "childProcess",
    ),
    invalid('export … from "child_process"', `export { spawn } from "child_process";`, "childProcess"),
    // No other process call, on any receiver, and no remote shell.
    invalid("a remote shell (Client#shell)", `c.shell(cb);`, "processCall"),
    invalid("spawn(…)", `declare function spawn(cmd: string): void;\nspawn("ls");`, "processCall"),
    invalid(
      "execFileSync, spawnSync (computed) and fork on any receiver",
      `declare const cp: any;\ncp.execFileSync("ls"); cp["spawnSync"]("ls"); cp.fork("x");`,
      "processCall",
      "processCall",
      "processCall",
    ),
    // exec is given shellCommand(argv), nothing else.
    invalid(
      "exec(string concatenation)",
      `c.exec("docker -H unix://" + input + " system dial-stdio", cb);`,
      "notShellCommand",
    ),
    invalid("exec(template string)", `c.exec(\`id -u \${input}\`, cb);`, "notShellCommand"),
    invalid("exec(shellQuote(input))", quoting + `c.exec(shellQuote(input), cb);`, "notShellCommand"),
    invalid(
      "exec(quoted and joined by hand)",
      quoting + `c.exec(["id", input].map(shellQuote).join(" "), cb);`,
      "notShellCommand",
    ),
    invalid(
      "exec() with no command",
      `declare const e: { exec(...a: unknown[]): void };\ne.exec();`,
      "notShellCommand",
    ),
    invalid('c["exec"](string concatenation)', `c["exec"]("id " + input, cb);`, "notShellCommand"),
    // ...and exec is called directly, not taken as a value.
    invalid(
      "exec taken as a value",
      quoting + `const run = c.exec;\nrun(shellCommand(["id"]), cb);`,
      "processReference",
    ),
    invalid("exec.call(…)", quoting + `c.exec.call(c, shellCommand(["id"]), cb);`, "processReference"),
    // The argv is one string[].
    invalid("shellCommand(any)", quoting + `c.exec(shellCommand(input as any), cb);`, "argvType"),
    invalid(
      "shellCommand(...spread)",
      quoting + `declare const words: [string[]];\nc.exec(shellCommand(...words), cb);`,
      "argvType",
    ),
    invalid(
      "shellCommand((string | number)[])",
      quoting + `declare const mixed: readonly (string | number)[];\nc.exec(shellCommand(mixed), cb);`,
      "argvType",
    ),
    // No shell interpreter and no -c, wherever the argv's literal is.
    invalid(
      "argv [sh, -c, …]",
      quoting + `c.exec(shellCommand(["sh", "-c", input]), cb);`,
      "shellInterpreter",
      "dashC",
    ),
    invalid(
      "argv starting /bin/bash, in a variable",
      quoting + `const argv = ["/bin/bash", "-l", input]; c.exec(shellCommand(argv), cb);`,
      "shellInterpreter",
    ),
    invalid(
      "argv starting env, in one branch of a conditional",
      quoting + `const argv = input ? ["id"] : ["env", "X=1", "id"]; c.exec(shellCommand(argv), cb);`,
      "shellInterpreter",
    ),
    invalid(
      "-c further on in the argv",
      quoting + `c.exec(shellCommand(["docker", "exec", "box", "ash", "-c", input]), cb);`,
      "dashC",
    ),
    invalid(
      "[sh, -c, …] returned by an imported function",
      quoting + `import { scriptArgv } from "./argv";\nc.exec(shellCommand(scriptArgv(input)), cb);`,
      "shellInterpreter",
      "dashC",
    ),
    invalid(
      "[eval, …] returned by a local arrow function",
      quoting + `const script = () => ["eval", input]; c.exec(shellCommand(script()), cb);`,
      "shellInterpreter",
    ),
    // The shellCommand used is the one that quotes every element.
    invalid(
      "an imported shellCommand that joins unquoted",
      `import { shellCommand } from "./joining-shell";\nc.exec(shellCommand(["id"]), cb);`,
      "unquotedDefinition",
    ),
    invalid(
      "a shellCommand with no body to check",
      `declare function shellCommand(argv: readonly string[]): string;\nc.exec(shellCommand(["id"]), cb);`,
      "unknownDefinition",
    ),
    invalid(
      "a local shellCommand that joins unquoted",
      `export function shellCommand(argv: readonly string[]): string { return argv.join(" "); }`,
      "unquotedDefinition",
    ),
    invalid(
      "a shellCommand with a second return",
      `declare function shellQuote(a: string): string;\n` +
        `export function shellCommand(argv: readonly string[]): string {\n` +
        `  if (argv.length === 1) return argv[0]!;\n` +
        `  return argv.map(shellQuote).join(" ");\n}`,
      "unquotedDefinition",
    ),
    invalid(
      "an arrow shellCommand mapping String",
      `export const shellCommand = (argv: readonly string[]) => argv.map(String).join(" ");`,
      "unquotedDefinition",
    ),
    invalid(
      "a shellCommand quoting another array than its argv",
      `declare function shellQuote(a: string): string;\ndeclare const other: string[];\n` +
        `export function shellCommand(argv: readonly string[]): string { return other.map(shellQuote).join(" "); }`,
      "unquotedDefinition",
    ),
    invalid(
      "a shellCommand joining with ';'",
      `declare function shellQuote(a: string): string;\n` +
        `export function shellCommand(argv: readonly string[]): string { return argv.map(shellQuote).join(";"); }`,
      "unquotedDefinition",
    ),
  ],
});

describe("the project's lint config", () => {
  const root = join(__dirname, "..", "..", "..", "..");
  const files = ["provider", "sdk"].flatMap((d) =>
    (readdirSync(join(root, d), { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .map((f) => join(d, f)),
  );

  it("turns dockyard/remote-command on, as an error, for every file of provider/ and sdk/", async () => {
    expect(files.length).toBeGreaterThan(10);
    const eslint = new ESLint({ cwd: root });
    for (const f of files) {
      const config = (await eslint.calculateConfigForFile(join(root, f))) as { rules?: Record<string, unknown> };
      const setting = config.rules?.["dockyard/remote-command"];
      const severity = Array.isArray(setting) ? setting[0] : setting;
      expect([f, severity]).toEqual([f, 2]);
    }
  });
});
