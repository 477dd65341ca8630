/**
 * Scan a server's networks ("Scan for Destinations"): what exists, whether
 * Dockyard manages it, and who is attached. Reads only.
 */
import { observe } from "../destination/destination-state";
import { LABEL_MANAGED, LABEL_OWNER } from "../destination/destination-types";
import type { Daemons } from "../engine-api";
import type { ConnectionSpec } from "../transport/endpoint";

export interface NetworkInfo {
  name: string;
  id: string;
  driver: string;
  scope: string;
  managed: boolean;
  owner?: string;
  containers: Array<{ name: string; id: string }>;
}

export async function scanNetworks(transport: Daemons, connection: ConnectionSpec): Promise<NetworkInfo[]> {
  const docker = transport.docker(connection);
  const listed = await docker.listNetworks();
  // The list leaves out attached containers; an inspect has them. A network removed meanwhile is skipped.
  const nets = await Promise.all(listed.map((n) => docker.findNetwork(n.Id)));
  return nets
    .filter((n) => n !== undefined)
    .map((n) => {
      const o = observe(n);
      const info: NetworkInfo = {
        name: n.Name,
        id: n.Id,
        driver: n.Driver,
        scope: n.Scope,
        managed: o.rawLabels[LABEL_MANAGED] === "true",
        containers: o.containers.map((c) => ({ name: c.name, id: c.id })),
      };
      const owner = o.rawLabels[LABEL_OWNER];
      if (info.managed && owner) info.owner = owner;
      return info;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
