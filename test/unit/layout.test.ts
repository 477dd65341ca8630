// The source tree's shape: every file under provider/ and sdk/ is small
// enough to read as one job (at most 350 lines), no two files under
// provider/ share a name, so a name says which file is meant, and the unit
// tests mirror provider/: provider/X/Y.ts is tested in test/unit/X/Y.test.ts.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const MAX_LINES = 350;

/**
 * provider/ files with no unit test of their own, each with the reason.
 * Anything else under provider/ needs its mirrored test file.
 */
const UNTESTED_ALONE: Record<string, string> = {
  // Types, constants and the package's entry point: nothing runs on its own.
  "provider/engine-api.ts": "types only: the Engine API the controllers call",
  "provider/destination/destination-types.ts": "types and constants derived from destination-fields.ts",
  "provider/server/server-types.ts": "types and key lists derived from server-fields.ts",
  "provider/index.ts": "re-exports, and createControllers, tested in test/unit/create-controllers.test.ts",
  // Field tables: data, checked as tables.
  "provider/destination/destination-fields.ts": "field table, tested in test/unit/fields.test.ts",
  "provider/server/server-fields.ts": "field table, tested in test/unit/fields.test.ts",
  "provider/networks/networks-fields.ts":
    "the getNetworks schema's field table, checked through the plugin in test/e2e/plugin-entry.test.ts",
  // The SSH and Docker socket transport: exercised against the real sshd
  // and dockerd by the integration tier (test/integration/).
  "provider/transport/ssh/ssh-dial.ts": "dialling real sshds: test/integration/dial.test.ts",
  "provider/transport/ssh/ssh-session.ts":
    "a real SSH connection: test/integration/transport.test.ts (its exec race: exec-channel.test.ts)",
  "provider/transport/docker/docker-socket.ts":
    "streamlocal and dial-stdio on a real sshd: test/integration/hardened.test.ts, faults.test.ts",
  "provider/transport/docker/docker-agent.ts":
    "channels as HTTP sockets, under the real sshd's channel cap: test/integration/transport.test.ts",
  "provider/transport/docker/socket-diagnosis.ts":
    "SFTP and exec on a real host to explain a refused socket: test/integration/hardened.test.ts",
};

/** The unit test file that mirrors a provider/ file. */
function mirrorOf(file: string): string {
  return join("test", "unit", relative("provider", file)).replace(/\.ts$/, ".test.ts");
}

function sources(dir: string): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f))
    .sort();
}

/** Lines as `wc -l` counts them. */
function lineCount(file: string): number {
  return (readFileSync(join(root, file), "utf8").match(/\n/g) ?? []).length;
}

describe("the source tree", () => {
  const provider = sources("provider");
  const sdk = sources("sdk");

  it("has files to judge (the listing is not empty)", () => {
    expect(provider.length).toBeGreaterThan(20);
    expect(sdk.length).toBeGreaterThan(5);
  });

  it(`has no file under provider/ or sdk/ over ${MAX_LINES} lines`, () => {
    const long = [...provider, ...sdk].map((f) => ({ f, lines: lineCount(f) })).filter((x) => x.lines > MAX_LINES);
    expect(long.map((x) => `${x.f}: ${x.lines} lines`)).toEqual([]);
  });

  it("has no two files under provider/ with the same name", () => {
    const byName = new Map<string, string[]>();
    for (const f of provider) byName.set(basename(f), [...(byName.get(basename(f)) ?? []), f]);
    expect([...byName.values()].filter((files) => files.length > 1)).toEqual([]);
  });

  it("has a unit test for every provider/ file, at the same path under test/unit/", () => {
    const missing = provider.filter((f) => !(f in UNTESTED_ALONE) && !existsSync(join(root, mirrorOf(f))));
    expect(missing.map((f) => `${f}: no ${mirrorOf(f)}`)).toEqual([]);
  });

  it("allows only provider/ files that exist and have no mirrored test", () => {
    const stale = Object.keys(UNTESTED_ALONE).filter(
      (f) => !provider.includes(f) || existsSync(join(root, mirrorOf(f))),
    );
    expect(stale).toEqual([]);
  });

  it("has no test in a folder mirroring provider/ that mirrors no provider/ file", () => {
    // Top-level test/unit/*.test.ts files may cut across files; in a folder
    // that mirrors one of provider/'s, each test file names its subject.
    const folders = new Set(provider.map((f) => dirname(mirrorOf(f))).filter((d) => d !== join("test", "unit")));
    const mirrors = new Set(provider.map(mirrorOf));
    const orphans = sources(join("test", "unit")).filter(
      (f) => f.endsWith(".test.ts") && folders.has(dirname(f)) && !mirrors.has(f),
    );
    expect(orphans).toEqual([]);
  });
});
