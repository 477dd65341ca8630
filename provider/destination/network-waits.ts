/**
 * The two waits of a network's life on a swarm: for a new network to be
 * allocated, and for a removed one's endpoints to be released. Both poll
 * within a bounded time.
 */
import { ConflictError, DockerApiError, NotFoundError, TimeoutError } from "../errors";
import type { EngineApi, NetworkInspect } from "../engine-api";
import { throwIfAborted, type OperationContext } from "../operation-context";
import type { DestinationState } from "./destination-types";

/** How long a new swarm network may take to be allocated. */
const ALLOCATION_TIMEOUT_MS = 15_000;

/** How long a swarm network may take to release endpoints of containers that just left. */
const ENDPOINT_RELEASE_TIMEOUT_MS = 15_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The network once Docker has allocated it. A swarm manager allocates a new
 * overlay network (driver, subnets) just after create returns; until then
 * inspect shows an empty driver and no subnets, which must not be recorded.
 */
export async function allocated(docker: EngineApi, id: string, ctx: OperationContext): Promise<NetworkInspect> {
  const deadline = Date.now() + ALLOCATION_TIMEOUT_MS;
  for (;;) {
    const net = await docker.inspectNetwork(id);
    if (net.Driver) return net;
    if (Date.now() >= deadline) {
      throw new TimeoutError(docker.target, `allocation of network '${net.Name}' by the swarm`, ALLOCATION_TIMEOUT_MS);
    }
    throwIfAborted(ctx);
    await sleep(100);
  }
}

/**
 * Remove the network. A swarm network stays "in use" for a moment after its
 * last container leaves (other nodes release their endpoints lazily), and
 * this node sees only its own containers: retry for a bounded time, then
 * say what is probably holding it.
 */
export async function removeWhenReleased(
  docker: EngineApi,
  id: string,
  state: DestinationState,
  ctx: OperationContext,
): Promise<void> {
  const deadline = Date.now() + ENDPOINT_RELEASE_TIMEOUT_MS;
  for (;;) {
    try {
      await docker.removeNetwork(id);
      return;
    } catch (err) {
      if (err instanceof NotFoundError) return;
      const inUse = err instanceof DockerApiError && /active endpoints|in use/i.test(err.message);
      if (!inUse) throw err;
      if (Date.now() >= deadline) {
        throw new ConflictError(
          409,
          `${docker.target}: network '${state.network}' still has endpoints after ${ENDPOINT_RELEASE_TIMEOUT_MS / 1000} s` +
            (state.type === "swarm"
              ? ": containers or services on other swarm nodes are probably attached to it. "
              : ". ") +
            `Stop or disconnect them, then run again.`,
          { cause: err },
        );
      }
      throwIfAborted(ctx);
      await sleep(500);
    }
  }
}
