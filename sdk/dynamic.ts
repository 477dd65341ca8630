/**
 * The edge between Pulumi's dynamic-provider protocol and the provider core.
 *
 * The provider object that Pulumi serializes into state is a thin shim (see
 * `shim.ts`) that `require`s this module at run time, so every stored state
 * runs the installed package's code: upgrades apply to existing stacks.
 */
import type * as pulumi from "@pulumi/pulumi";
import { withPlainErrors, withoutUndefined } from "./to-engine";
import { createControllers, type Controllers, type DiffResult, type ResourceController } from "../provider";
import { consoleLogger, contextForUrn, type Logger, type OperationContext } from "../provider/operation-context";

/** Key under which Pulumi keeps the serialized provider in inputs and state. */
const PROVIDER_KEY = "__provider";

type Props = Record<string, unknown>;

function withoutProviderKey(props: Props | undefined): Props | undefined {
  if (!props) return props;
  const { [PROVIDER_KEY]: _ignored, ...rest } = props;
  return rest;
}

/**
 * What to tell the engine about changes. The dynamic-provider protocol cannot
 * carry the names of changed inputs, but the engine names them itself (in
 * the preview's \`diffs\` and \`detailedDiff\`) when a provider says the
 * answer is unknown, by comparing recorded and new inputs; the replacements
 * and delete-before-replace given here still hold. That comparison agrees
 * with the controller's only while recorded inputs and state are in step,
 * and it would name \`__provider\` if the serialized shim differs: then say
 * "changes" plainly. No change is always said plainly.
 */
function engineChanges(r: DiffResult, olds: Props, news: Props): boolean | undefined {
  if (!r.changes) return false;
  if (!r.inputsInStep || olds[PROVIDER_KEY] !== news[PROVIDER_KEY]) return true;
  return undefined;
}

/**
 * Where a resource's URN is among its inputs and state: a dynamic provider's
 * calls carry none, so the SDK passes it as an input (Destination's
 * `resourceUrn`); a Server has none.
 */
export type UrnIn = (props: Props | undefined) => unknown;

/**
 * Drive a controller from the dynamic-provider protocol. Every call gets an
 * operation context: the resource's identity where `urnIn` finds its URN,
 * and `log`.
 */
export function adapt<I extends object, S extends object>(
  ctl: ResourceController<I, S>,
  urnIn: UrnIn = () => undefined,
  log: Logger = consoleLogger,
): pulumi.dynamic.ResourceProvider {
  const context = (props: Props | undefined): OperationContext => {
    const urn = urnIn(props);
    return typeof urn === "string" && urn !== "" ? contextForUrn(urn, log) : { log };
  };
  return {
    async check(olds: Props, news: Props) {
      const r = ctl.check(withoutProviderKey(olds), withoutProviderKey(news) ?? {}, context(news));
      return { inputs: withoutUndefined(r.inputs), failures: r.failures };
    },
    async diff(id: string, olds: Props, news: Props) {
      const r = ctl.diff(id, withoutProviderKey(olds) as S, withoutProviderKey(news) as I, context(news));
      return {
        changes: engineChanges(r, olds, news),
        replaces: r.replaces,
        stables: r.stables,
        deleteBeforeReplace: r.deleteBeforeReplace,
      };
    },
    create: (inputs: Props) =>
      withPlainErrors(async () => {
        const r = await ctl.create(withoutProviderKey(inputs) as I, context(inputs));
        return { id: r.id, outs: withoutUndefined(r.state) };
      }),
    read: (id: string, props: Props) =>
      withPlainErrors(async () => {
        const r = await ctl.read(id, withoutProviderKey(props) as S, context(props));
        // No id: the object is gone, and the engine drops it from state.
        if (!r) return { id: undefined as unknown as string, props: {} };
        return r.inputs
          ? { id: r.id, props: withoutUndefined(r.state), inputs: withoutUndefined(r.inputs) }
          : { id: r.id, props: withoutUndefined(r.state) };
      }),
    update: (id: string, olds: Props, news: Props) =>
      withPlainErrors(async () => ({
        outs: withoutUndefined(
          await ctl.update(id, withoutProviderKey(olds) as S, withoutProviderKey(news) as I, context(news)),
        ),
      })),
    delete: (id: string, props: Props) =>
      withPlainErrors(() => ctl.delete(id, withoutProviderKey(props) as S, context(props))),
  };
}

let controllers: Controllers | undefined;

/** The process-wide controllers: one transport, so one SSH connection per server. */
export function getControllers(): Controllers {
  controllers ??= createControllers();
  return controllers;
}

let adapted: Record<"server" | "destination", pulumi.dynamic.ResourceProvider> | undefined;

/** What the serialized shim calls: `providers.server.create(...)` and so on. */
export const providers: Record<"server" | "destination", pulumi.dynamic.ResourceProvider> = {
  get server() {
    return adapters().server;
  },
  get destination() {
    return adapters().destination;
  },
};

function adapters(): Record<"server" | "destination", pulumi.dynamic.ResourceProvider> {
  adapted ??= {
    server: adapt(getControllers().server),
    destination: adapt(getControllers().destination, (props) => props?.resourceUrn),
  };
  return adapted;
}
