import { UnsupportedError } from "../errors";
import type { EngineApi } from "../engine-api";
import { MIN_API_VERSION, compareApiVersions } from "../transport/docker/api-version";
import type { ServerFacts } from "./server-types";

export { MIN_API_VERSION, compareApiVersions };

export function swarmRoleOf(
  swarm: { LocalNodeState?: string; ControlAvailable?: boolean } | undefined,
): ServerFacts["swarmRole"] {
  if (swarm?.LocalNodeState !== "active") return "none";
  return swarm.ControlAvailable ? "manager" : "worker";
}

/** Ping the daemon and collect what a Server records. */
export async function inspectDaemon(docker: EngineApi): Promise<ServerFacts> {
  await docker.ping();
  const [version, info] = await Promise.all([docker.version(), docker.info()]);
  if (compareApiVersions(version.ApiVersion, MIN_API_VERSION) < 0) {
    throw new UnsupportedError(
      `${docker.target}: Docker ${version.Version} speaks Engine API ${version.ApiVersion}; ` +
        `Dockyard needs API ${MIN_API_VERSION} (Docker 20.10) or newer. Upgrade Docker on the server.`,
    );
  }
  return {
    dockerVersion: version.Version,
    apiVersion: version.ApiVersion,
    os: info.OperatingSystem ?? version.Os ?? "",
    architecture: info.Architecture ?? version.Arch ?? "",
    kernelVersion: info.KernelVersion ?? version.KernelVersion ?? "",
    cpus: info.NCPU ?? 0,
    memoryBytes: info.MemTotal ?? 0,
    swarmState: info.Swarm?.LocalNodeState || "inactive",
    swarmRole: swarmRoleOf(info.Swarm),
    swarmNodeId: info.Swarm?.NodeID ?? "",
  };
}
