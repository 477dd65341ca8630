/**
 * Dockyard: Coolify-style Servers and Destinations on remote Docker daemons
 * over SSH, managed by Pulumi.
 *
 * ```ts
 * import * as dockyard from "pulumi-dockyard";
 * const web1 = new dockyard.Server("web-1", { host: "203.0.113.10", privateKey: cfg.requireSecret("sshKey") });
 * const prod = new dockyard.Destination("prod", { server: web1, network: "prod" });
 * ```
 */
export { Server, type ServerArgs, type ProxyArgs, type SshArgs } from "./server";
export { Destination, type DestinationArgs, type ConnectionArgs } from "./destination";
export { getNetworksOutput, type GetNetworksArgs, type GetNetworksResult, type NetworkInfo } from "./networks";
