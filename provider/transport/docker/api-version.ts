/** Which Engine API version Dockyard speaks with a daemon. */
import { UnsupportedError } from "../../errors";
import type { VersionInfo } from "../../engine-api";

/**
 * The oldest Engine API Dockyard speaks: Docker 20.10's, the docker.io of
 * Debian 12 (bookworm), where attachable overlays and every call Dockyard
 * makes have their current shape.
 */
export const MIN_API_VERSION = "1.41";

export function compareApiVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
}

/**
 * The Engine API version to speak with a daemon that reports `v`: the oldest
 * one both sides support, so responses have the same shape on every daemon.
 * That is Dockyard's minimum, 1.41 (Docker 20.10), unless the daemon no
 * longer accepts it (Docker 29 accepts nothing older than 1.44). Older
 * daemons are refused.
 */
export function negotiateApiVersion(
  v: Pick<VersionInfo, "ApiVersion" | "Version"> & { MinAPIVersion?: string },
  target: string,
): string {
  if (typeof v.ApiVersion !== "string" || compareApiVersions(v.ApiVersion, MIN_API_VERSION) < 0) {
    throw new UnsupportedError(
      `${target}: Docker ${v.Version} speaks Engine API ${v.ApiVersion}; ` +
        `Dockyard needs API ${MIN_API_VERSION} (Docker 20.10) or newer. Upgrade Docker on the server.`,
    );
  }
  const min = v.MinAPIVersion;
  return min && /^\d+\.\d+$/.test(min) && compareApiVersions(min, MIN_API_VERSION) > 0 ? min : MIN_API_VERSION;
}
