/**
 * The plugin provider's entry point. `bin/pulumi-resource-dockyard` calls it;
 * so does Pulumi's Node.js plugin runner (`PulumiPlugin.yaml`), which
 * `require`s the package directory (package.json `main`, this file) and calls
 * the function it exports.
 */
import * as provider from "@pulumi/pulumi/provider";
import { DockyardProvider } from "./provider";

function version(): string {
  return (require("../../../package.json") as { version: string }).version;
}

/** Serve the provider to the engine whose address is in `args`; prints the port. */
function serve(args: string[] = process.argv.slice(2)): Promise<void> {
  return provider.main(new DockyardProvider(version()), args);
}

export = serve;
