import { isUnknown } from "./resource";

/**
 * What a controller knows about the one operation it is running: which
 * resource it is for, where to report progress, and whether to stop. The
 * Pulumi adapters (`sdk/dynamic.ts`, `sdk/plugin/provider.ts`) build one for
 * every call; a caller that gives none gets the controller's own logger.
 */

/** Where progress worth telling the user goes (dial retries, a network left in place). */
export type Logger = (message: string) => void;

/** The logger used when nobody says otherwise: standard error, as a warning. */
export const consoleLogger: Logger = (message) => console.warn(message);

export interface OperationContext {
  /** The resource's URN, where the caller knows it. */
  urn?: string;
  /** The resource's name in its program (the URN's last part). */
  name?: string;
  /** The resource's type token (`dockyard:index:Destination`, `pulumi-nodejs:dynamic/dockyard:Destination`). */
  type?: string;
  log: Logger;
  /** Aborted when the operation should stop waiting (the engine cancelled it). */
  signal?: AbortSignal;
}

/** The parts of a Pulumi URN, `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export interface UrnParts {
  stack: string;
  project: string;
  /** The resource's type, with its parents' types before it (`parent$type`). */
  qualifiedType: string;
  /** The last of the qualified types: the resource's own. */
  type: string;
  name: string;
}

/** Read a URN. A name may itself contain `::`; nothing else in a URN does. */
export function parseUrn(urn: string): UrnParts {
  const [head, project = "", qualifiedType = "", ...name] = urn.split("::");
  return {
    stack: (head ?? "").replace(/^urn:pulumi:/, ""),
    project,
    qualifiedType,
    type: qualifiedType.split("$").pop() ?? "",
    name: name.join("::"),
  };
}

/** A context for the resource with this URN (during a preview it may not be known yet: then it names nothing more). */
export function contextForUrn(urn: string, log: Logger, signal?: AbortSignal): OperationContext {
  const ctx: OperationContext = { urn, log, ...(signal ? { signal } : {}) };
  if (isUnknown(urn)) return ctx;
  const { type, name } = parseUrn(urn);
  return { ...ctx, name, type };
}

/** Throw the signal's reason when the operation was cancelled. */
export function throwIfAborted(ctx: OperationContext): void {
  if (ctx.signal?.aborted)
    throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("operation cancelled");
}
