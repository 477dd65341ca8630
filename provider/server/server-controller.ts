import { randomUUID } from "node:crypto";
import { diffKeys, type CheckResult, type DiffResult, type ReadResult, type ResourceController } from "../resource";
import type { Daemons } from "../engine-api";
import type { OperationContext } from "../operation-context";
import type { ConnectionSpec, SshEndpoint } from "../transport/endpoint";
import { hostIdentity } from "../validate";
import { checkServer } from "./server-check";
import { inspectDaemon } from "./daemon-facts";
import {
  ENDPOINT_KEYS,
  SERVER_INPUT_KEYS,
  SERVER_REPLACE_KEYS,
  type ProxyInputs,
  type ServerInputs,
  type ServerState,
} from "./server-types";

/** The inputs recorded in a state, without absent ones: what `read` hands back for Pulumi to record. */
function inputsOf(state: ServerState): Record<string, unknown> {
  return Object.fromEntries(SERVER_INPUT_KEYS.filter((k) => state[k] !== undefined).map((k) => [k, state[k]]));
}

/** The SSH fields of a server or jump host, without absent ones. */
function endpointOf(e: ProxyInputs): SshEndpoint {
  return Object.fromEntries(
    ENDPOINT_KEYS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]),
  ) as unknown as SshEndpoint;
}

/**
 * The connection for these inputs. `pinned` supplies host keys recorded
 * earlier (trust on first use) where the inputs give none.
 */
export function connectionOf(
  inputs: ServerInputs,
  pinned?: { hostKey?: string; proxyHostKey?: string },
): ConnectionSpec {
  const spec: ConnectionSpec = { ...endpointOf(inputs), dockerSocket: inputs.dockerSocket };
  if (!spec.hostKey && pinned?.hostKey) spec.hostKey = pinned.hostKey;
  if (inputs.proxy) {
    spec.proxy = endpointOf(inputs.proxy);
    if (!spec.proxy.hostKey && pinned?.proxyHostKey) spec.proxy.hostKey = pinned.proxyHostKey;
  }
  return spec;
}

/** Two host inputs that name the same machine (see `hostIdentity`). */
function sameHost(a: unknown, b: unknown): boolean {
  return typeof a === "string" && typeof b === "string" && hostIdentity(a) === hostIdentity(b);
}

export class ServerController implements ResourceController<ServerInputs, ServerState> {
  constructor(private readonly daemons: Daemons) {}

  check(
    _olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
    _ctx?: OperationContext,
  ): CheckResult<ServerInputs> {
    return checkServer(news);
  }

  diff(_id: string, olds: ServerState, news: ServerInputs, _ctx?: OperationContext): DiffResult {
    // Host names are case-insensitive: `Web-1.example.com` and `web-1.example.com` are the same
    // machine, so the change is made in place and the recorded host key stays pinned (no new trust on first use).
    const recase = olds.host !== news.host && sameHost(olds.host, news.host);
    const { replaces, updates } = diffKeys(
      (recase ? { ...olds, host: news.host } : olds) as unknown as Record<string, unknown>,
      news as unknown as Record<string, unknown>,
      SERVER_INPUT_KEYS,
      SERVER_REPLACE_KEYS,
    );
    if (recase) updates.unshift("host");
    return {
      changes: replaces.length + updates.length > 0,
      replaces,
      updates,
      // A new hostKey, given in place, is what the next connection records.
      stables: replaces.length === 0 && !updates.includes("hostKey") ? ["hostPublicKey", "hostKeyFingerprint"] : [],
      deleteBeforeReplace: false,
      // A Server's inputs are never rewritten by read: recorded inputs and state agree.
      inputsInStep: true,
    };
  }

  /** Connect with `spec`, inspect the daemon, and build the state to record. */
  private async inspect(inputs: ServerInputs, spec: ConnectionSpec): Promise<ServerState> {
    const docker = this.daemons.docker(spec);
    const facts = await inspectDaemon(docker);
    const seen = this.daemons.hostKeySeen(spec);
    if (!seen) throw new Error("internal: connected without recording the host key");
    const connection: ConnectionSpec = { ...spec, hostKey: spec.hostKey ?? seen.publicKey };
    if (spec.proxy) {
      const proxySeen = this.daemons.hostKeySeen(spec.proxy);
      connection.proxy = { ...spec.proxy, hostKey: spec.proxy.hostKey ?? proxySeen?.publicKey };
    }
    return {
      ...inputs,
      ...facts,
      hostKeyFingerprint: seen.fingerprint,
      hostPublicKey: seen.publicKey,
      connection,
    };
  }

  async create(inputs: ServerInputs, _ctx?: OperationContext): Promise<ReadResult<ServerState>> {
    const state = await this.inspect(inputs, connectionOf(inputs));
    return { id: randomUUID(), state };
  }

  async read(id: string, state: ServerState, _ctx?: OperationContext): Promise<ReadResult<ServerState>> {
    // Reconnect exactly as recorded (host keys pinned). Unreachable is an error, never "gone".
    const inputs = inputsOf(state) as unknown as ServerInputs;
    const fresh = await this.inspect(inputs, state.connection);
    return { id, state: { ...state, ...fresh, connection: state.connection }, inputs: inputsOf(state) };
  }

  async update(_id: string, olds: ServerState, news: ServerInputs, _ctx?: OperationContext): Promise<ServerState> {
    const spec = connectionOf(news, {
      hostKey: olds.connection?.hostKey ?? olds.hostPublicKey,
      // A jump host's recorded key only carries over while it is the same jump host.
      proxyHostKey:
        olds.proxy && news.proxy && sameHost(olds.proxy.host, news.proxy.host) && olds.proxy.port === news.proxy.port
          ? olds.connection?.proxy?.hostKey
          : undefined,
    });
    return this.inspect(news, spec);
  }

  async delete(): Promise<void> {
    // Forgetting a server never touches the machine.
  }
}
