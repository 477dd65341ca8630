// The source tree's shape: every file under provider/ and sdk/ is small
// enough to read as one job (at most 350 lines), and no two files under
// provider/ share a name, so a name says which file is meant.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const MAX_LINES = 350;

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
});
