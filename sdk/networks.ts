import * as pulumi from "@pulumi/pulumi";
import type { NetworkInfo } from "../provider/networks/network-scan";
import type { ConnectionArgs } from "./destination";

export type { NetworkInfo } from "../provider/networks/network-scan";

/** Inputs of {@link getNetworks}. */
export interface GetNetworksArgs {
  /** How to reach the server: a Server's `connection` output, or written out. */
  connection: pulumi.Input<ConnectionArgs | Record<string, unknown>>;
}

export interface GetNetworksResult {
  /** Every network on the server, by name. */
  networks: NetworkInfo[];
}

/**
 * Scan a server's existing Docker networks ("Scan for Destinations"): name,
 * id, driver, scope, whether Dockyard manages it, attached containers.
 *
 * An invoke of the plugin provider (`dockyard:index:getNetworks`): the engine
 * must find the plugin `dockyard`, i.e. `pulumi-resource-dockyard` from this
 * package's `bin/` on `PATH` or in `Pulumi.yaml`'s `plugins.providers[].path`.
 */
export function getNetworksOutput(
  args: GetNetworksArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetNetworksResult> {
  return pulumi.runtime.invokeOutput<GetNetworksResult>(
    "dockyard:index:getNetworks",
    { connection: args.connection },
    opts,
  );
}
