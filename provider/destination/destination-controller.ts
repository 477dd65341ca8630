import { ConflictError, ConnectionError, DockyardError, NotFoundError, UnsupportedError } from "../errors";
import type { Daemons, EngineApi, NetworkInspect } from "../engine-api";
import { consoleLogger, type Logger, type OperationContext } from "../operation-context";
import type { CheckResult, DiffResult, ReadResult, ResourceController } from "../resource";
import { swarmRoleOf } from "../server/daemon-facts";
import type { ConnectionSpec } from "../transport/endpoint";
import { checkDestination } from "./destination-check";
import { diffDestination } from "./destination-diff";
import { attached, mismatches, observe, refersTo, stateFrom, type Observed } from "./destination-state";
import { inputsOf, LABEL_OWNER, type DestinationInputs, type DestinationState } from "./destination-types";
import { createBody, explainCreateError, findByName, overlappingNetworks } from "./network-requests";
import { allocated, removeWhenReleased } from "./network-waits";
import { isOurs, ownerIdOf, ownsNetwork, recordedOwner, resourceNameOf, type Owner } from "./ownership";

/**
 * A Destination's life: create (or take over what an interrupted run left),
 * read (follow the network by its owner labels), update (attach and detach
 * containers) and delete (only what is this destination's).
 */
export class DestinationController implements ResourceController<DestinationInputs, DestinationState> {
  constructor(
    private readonly daemons: Daemons,
    private readonly log: Logger = consoleLogger,
  ) {}

  /** The operation's context, or one with this controller's logger. */
  private context(ctx: OperationContext | undefined): OperationContext {
    return ctx ?? { log: this.log };
  }

  check(
    olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
    ctx?: OperationContext,
  ): CheckResult<DestinationInputs> {
    return checkDestination(olds, news, ctx);
  }

  diff(_id: string, olds: DestinationState, news: DestinationInputs, _ctx?: OperationContext): DiffResult {
    return diffDestination(olds, news);
  }

  private docker(connection: ConnectionSpec): EngineApi {
    return this.daemons.docker(connection);
  }

  async create(inputs: DestinationInputs, opCtx?: OperationContext): Promise<ReadResult<DestinationState>> {
    const ctx = this.context(opCtx);
    const docker = this.docker(inputs.connection);
    const target = docker.target;
    const who = { owner: inputs.owner, ownerId: ownerIdOf(inputs) };

    if (inputs.type === "swarm") {
      const info = await docker.info();
      const role = swarmRoleOf(info.Swarm);
      if (role !== "manager") {
        throw new UnsupportedError(
          `${target}: swarm destination '${inputs.name}' needs a swarm manager, but this server is ` +
            (role === "worker"
              ? `a swarm worker (node ${info.Swarm?.NodeID}). Create it through a Server connected to a manager node.`
              : `not in a swarm. Use type: "standalone", or join the server to a swarm as a manager.`),
        );
      }
    }

    let existing = await findByName(docker, inputs.network);
    // A swarm network created a moment ago may not be allocated yet (empty driver).
    if (existing && !existing.Driver) existing = await allocated(docker, existing.Id, ctx);
    if (existing) {
      const found = observe(existing);
      const ours = ownsNetwork(found.rawLabels, who);
      if (ours || inputs.adopt) {
        // Ours (left by an interrupted run of this very resource) or adopted on request.
        const bad = mismatches(found, inputs);
        if (bad.length) {
          throw new ConflictError(
            409,
            `${target}: network '${inputs.network}' exists (id ${found.networkId.slice(0, 12)}) but differs from this destination: ` +
              `${bad.join("; ")}. Remove it, or change the destination to match.`,
          );
        }
        await this.attachAll(docker, existing.Id, inputs.connect, found);
        const net = await docker.inspectNetwork(existing.Id);
        return { id: existing.Id, state: stateFrom(inputs, observe(net), !ours, who.ownerId) };
      }
      const twin =
        found.rawLabels[LABEL_OWNER] === inputs.owner
          ? `It carries this destination's owner name (${inputs.owner}) but not its owner id: it belongs to another stack ` +
            `with the same project and stack names (another backend), or to another destination of that name in this stack. `
          : "";
      throw new ConflictError(
        409,
        `${target}: a network named '${inputs.network}' already exists (id ${found.networkId.slice(0, 12)}, driver ${found.driver}). ` +
          twin +
          `Choose another network name, or set adopt: true to take it over.`,
      );
    }

    const overlaps = await overlappingNetworks(docker, inputs);
    if (overlaps.length) {
      throw new ConflictError(
        409,
        `${target}: requested subnet is taken: ${overlaps.join("; ")}. Choose a free subnet.`,
      );
    }

    let id: string;
    try {
      id = await docker.createNetwork(createBody(inputs, who.ownerId, ctx.name ?? resourceNameOf(inputs.owner)));
    } catch (err) {
      // The request may have reached the daemon before the link broke: converge on what exists.
      const recovered = err instanceof ConnectionError ? await this.recover(docker, inputs.network, who) : undefined;
      if (!recovered) throw explainCreateError(err, inputs, target);
      id = recovered.Id;
    }

    const attachedHere: string[] = [];
    try {
      await allocated(docker, id, ctx);
      await this.attachAll(docker, id, inputs.connect, undefined, attachedHere);
      const net = await docker.inspectNetwork(id);
      return { id, state: stateFrom(inputs, observe(net), false, who.ownerId) };
    } catch (err) {
      // Leave nothing half-done: the network is not in state yet, so detach
      // the containers this create attached (Docker refuses to remove a
      // network with endpoints), then remove it.
      const left = await this.detach(docker, id, attachedHere)
        .then(() => docker.removeNetwork(id))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      if (left === undefined) throw err;
      // It could not be removed either (say the connection is gone): say so,
      // naming it. It carries this destination's owner label, so the next
      // `pulumi up` takes it over instead of failing on the name.
      const full = err instanceof Error ? err.message : String(err);
      const why = full.startsWith(`${target}: `) ? full.slice(target.length + 2) : full;
      const message =
        `network '${inputs.network}' (id ${id.slice(0, 12)}) was created but setting it up failed (${why}). ` +
        `Removing it failed too, so it is left on the server; the next \`pulumi up\` takes it over.`;
      // Keep the kind of failure: a broken link stays a ConnectionError.
      if (err instanceof ConnectionError) throw new ConnectionError(target, message, { cause: err, code: err.code });
      if (err instanceof UnsupportedError) throw new UnsupportedError(`${target}: ${message}`, { cause: err });
      throw new DockyardError(err instanceof DockyardError ? err.code : "CONNECTION", `${target}: ${message}`, {
        cause: err,
      });
    }
  }

  private async recover(docker: EngineApi, network: string, who: Owner): Promise<NetworkInspect | undefined> {
    try {
      const net = await findByName(docker, network);
      return net && ownsNetwork(net.Labels, who) ? net : undefined;
    } catch {
      return undefined;
    }
  }

  /** Attach the containers `refs` not attached yet; those attached are pushed onto `done`. */
  private async attachAll(
    docker: EngineApi,
    networkId: string,
    refs: readonly string[],
    found?: Observed,
    done: string[] = [],
  ): Promise<void> {
    for (const ref of refs) {
      if (found && attached(found, ref)) continue;
      try {
        await docker.connectContainer(networkId, ref);
        done.push(ref);
      } catch (err) {
        if (err instanceof NotFoundError) {
          throw new NotFoundError(
            `${docker.target}: container '${ref}' named in connect does not exist on this server.`,
            { cause: err },
          );
        }
        // Already attached (a retried call that had gone through) is success.
        if (
          err instanceof DockyardError &&
          /already exists|already attached|endpoint with name .* already exists/i.test(err.message)
        )
          continue;
        throw err;
      }
    }
  }

  /** Disconnect these containers from the network; one already gone counts as disconnected. */
  private async detach(docker: EngineApi, networkId: string, refs: readonly string[]): Promise<void> {
    for (const ref of refs) {
      try {
        await docker.disconnectContainer(networkId, ref, true);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }

  async read(
    id: string,
    state: DestinationState,
    opCtx?: OperationContext,
  ): Promise<ReadResult<DestinationState> | undefined> {
    const ctx = this.context(opCtx);
    const docker = this.docker(state.connection);
    let net = await docker.findNetwork(id);
    if (!net || !isOurs(net, id, state)) {
      // Removed, or re-created under the same name: by a run of this very
      // destination (its owner labels), or by someone else, whose network is
      // never taken for this destination's.
      net = await findByName(docker, state.network);
      if (!net || !isOurs(net, id, state)) return undefined;
    }
    if (!net.Driver) net = await allocated(docker, net.Id, ctx);
    const found = observe(net);
    const adopted = state.adopted && net.Id === id;
    const fresh = stateFrom(state, found, adopted, state.ownerId);
    return { id: net.Id, state: fresh, inputs: inputsOf(fresh) };
  }

  async update(
    id: string,
    olds: DestinationState,
    news: DestinationInputs,
    _ctx?: OperationContext,
  ): Promise<DestinationState> {
    const docker = this.docker(news.connection);
    const net = await docker.findNetwork(id);
    if (!net) {
      throw new NotFoundError(
        `${docker.target}: network '${olds.network}' (id ${id.slice(0, 12)}) no longer exists. Run \`pulumi refresh\`, then \`pulumi up\` re-creates it.`,
      );
    }
    if (!isOurs(net, id, olds)) {
      throw new ConflictError(
        409,
        `${docker.target}: network '${net.Name}' (id ${id.slice(0, 12)}) is not this destination's: it lacks its owner labels and was not adopted, ` +
          `so Dockyard attaches and detaches nothing on it. Run \`pulumi refresh\` (which forgets it), then \`pulumi up\`.`,
      );
    }
    let found = observe(net);
    // Detach containers no longer listed, attach the listed ones (re-attaching any detached by hand).
    for (const ref of olds.connect) {
      if (!news.connect.includes(ref) && attached(found, ref)) await docker.disconnectContainer(id, ref, false);
    }
    await this.attachAll(docker, id, news.connect, found);
    found = observe(await docker.inspectNetwork(id));
    return stateFrom(news, found, olds.adopted, olds.ownerId);
  }

  async delete(id: string, state: DestinationState, opCtx?: OperationContext): Promise<void> {
    const ctx = this.context(opCtx);
    const docker = this.docker(state.connection);
    const net = await docker.findNetwork(id);
    if (!net) return; // already gone counts as deleted
    const found = observe(net);
    const ours = ownsNetwork(found.rawLabels, recordedOwner(state));
    if (!ours && !state.adopted) {
      ctx.log(
        `${docker.target}: network '${net.Name}' (id ${id.slice(0, 12)}) was not created by this destination and was not adopted; ` +
          `leaving it in place and forgetting it.`,
      );
      return;
    }
    const listed = found.containers.filter((container) => state.connect.some((ref) => refersTo(container, ref)));
    const foreign = found.containers.filter((container) => !listed.includes(container));
    if (foreign.length && !state.force) {
      const names = foreign.map((container) => container.name).join(", ");
      throw new ConflictError(
        409,
        `${docker.target}: destination '${state.name}' still has containers attached to network '${state.network}': ${names}. ` +
          `Stop them or disconnect them (docker network disconnect ${state.network} <container>), ` +
          `or set force: true to have Dockyard disconnect them, then run again.`,
      );
    }
    for (const container of [...listed, ...foreign]) {
      try {
        await docker.disconnectContainer(id, container.id, true);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    await removeWhenReleased(docker, id, state, ctx);
  }
}
