import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionSpec } from "../../provider";
import { repoRoot } from "./paths";

/** Connection details of the local test host, as `scripts/testhost up` writes them. */
export interface TestHost {
  host: string;
  port: number;
  jumpPort: number;
  nostreamPort: number;
  sparePort: number;
  /** sshd with `MaxSessions 10` and stream-local forwarding refused. */
  limitedPort: number;
  /** sshd without the SFTP subsystem, stream-local forwarding refused. */
  nosftpPort: number;
  /** sshd whose sessions get `DOCKER_HOST` pointing at the decoy daemon, stream-local forwarding refused. */
  dockerHostPort: number;
  /** sshd presenting RSA, ECDSA and ed25519 host keys. */
  multiKeyPort: number;
  /** sshd like main, presenting another ed25519 host key. */
  otherKeyPort: number;
  rootKey: string;
  dockerUser: string;
  dockerUserKey: string;
  dockerUserPassword: string;
  nodockerUser: string;
  nodockerUserKey: string;
  encKey: string;
  encKeyPassphrase: string;
  agentSock: string;
  hostKeyFingerprint: string;
  hostPublicKey: string;
  hostRsaPublicKey: string;
  hostEcdsaPublicKey: string;
  otherHostPublicKey: string;
  otherHostKeyFingerprint: string;
  dockerSocket: string;
  /** The decoy dockerd's socket: an empty daemon beside the main one. */
  decoyDockerSocket: string;
  image: string;
  swarm: string;
  stateDir: string;
}

export { repoRoot };

export function testHost(): TestHost {
  const dir = process.env.DOCKYARD_TESTHOST_DIR ?? "/var/lib/dockyard-testhost";
  try {
    return JSON.parse(readFileSync(join(dir, "env.json"), "utf8")) as TestHost;
  } catch (err) {
    throw new Error(`the test host is not up (run scripts/testhost up): ${String(err)}`, { cause: err });
  }
}

export function read(path: string): string {
  return readFileSync(path, "utf8");
}

/** Server inputs for root on the test host, key auth, host key pinned. */
export function rootServer(h: TestHost, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: h.host, port: h.port, user: "root", privateKey: read(h.rootKey), ...extra };
}

/**
 * root's connection (a ConnectionSpec for the transport) to `port` of the test
 * host, key auth, with short dial settings so that failures come quickly.
 */
export function rootSpec(h: TestHost, port: number, extra: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    host: h.host,
    port,
    user: "root",
    privateKey: read(h.rootKey),
    perDialTimeout: 5,
    dialErrorLimit: 2,
    dockerSocket: h.dockerSocket,
    ...extra,
  };
}

/** A name unique to this run, safe for Docker. */
export function uniq(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** The docker CLI on the local socket: for test fixtures and for checking results independently. */
export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function dockerOk(...args: string[]): boolean {
  try {
    docker(...args);
    return true;
  } catch {
    return false;
  }
}

export function testhost(...args: string[]): string {
  return execFileSync(join(repoRoot, "scripts", "testhost"), args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Remove networks and containers whose names start with a prefix. */
export function cleanup(prefix: string): void {
  const containers = docker("ps", "-aq", "--filter", `name=${prefix}`).split("\n").filter(Boolean);
  if (containers.length) dockerOk("rm", "-f", ...containers);
  // A swarm network is released a moment after its last container goes: retry (bounded).
  for (let i = 0; i < 20; i++) {
    const nets = docker("network", "ls", "-q", "--filter", `name=${prefix}`).split("\n").filter(Boolean);
    if (nets.length === 0 || dockerOk("network", "rm", ...nets)) return;
    execFileSync("sleep", ["0.5"]);
  }
}
