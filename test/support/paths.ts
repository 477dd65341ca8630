import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Repository root: the nearest directory above this file whose package.json is
 * pulumi-dockyard's (test/support/../.., or above a compiled copy of the tests,
 * as scripts/record-fixture runs them).
 */
export const repoRoot: string = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (
      fs.existsSync(manifest) &&
      (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === "pulumi-dockyard"
    )
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no pulumi-dockyard package.json above ${from}`);
  }
}

/** The repository's node_modules/.bin; its `node` is the Node.js the package is developed with. */
export const repoBin: string = path.join(repoRoot, "node_modules", ".bin");

/** A PATH with `dirs` first, then the repository's node_modules/.bin, then the inherited PATH. */
export function pathWith(...dirs: string[]): string {
  return [...dirs, repoBin, process.env.PATH ?? ""].join(path.delimiter);
}

const rootPackage = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The @pulumi/pulumi the repository develops against: the newest of the peer range. */
export const NEWEST_PULUMI: string = rootPackage.devDependencies["@pulumi/pulumi"]!;

/** The floor of the peer range `^X.Y.Z` (undefined if the range is not of that form). */
export const LOWEST_PULUMI: string | undefined = /^\^(\d+\.\d+\.\d+)$/.exec(
  rootPackage.peerDependencies["@pulumi/pulumi"] ?? "",
)?.[1];
