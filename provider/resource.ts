/**
 * The contract every resource controller implements. It mirrors the CRUD
 * surface of a Pulumi resource provider but knows nothing of Pulumi: the
 * dynamic-provider adapter (`sdk/dynamic.ts`) and the plugin provider
 * (`sdk/plugin/provider.ts`) both drive controllers through this interface.
 */
import type { OperationContext } from "./operation-context";

/** Placeholder the Pulumi engine sends for values not yet known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** True when `v`, or anything nested in it, is not yet known. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

export interface CheckFailure {
  /** The input at fault, dotted for nested fields (`proxy.port`, `labels.tier`). */
  property: string;
  reason: string;
}

export interface CheckResult<I> {
  inputs: I;
  failures: CheckFailure[];
}

export interface DiffResult {
  changes: boolean;
  /** Inputs whose change forces a replacement. */
  replaces: string[];
  /** Inputs whose change is applied in place. */
  updates: string[];
  /** Outputs guaranteed not to change. */
  stables: string[];
  deleteBeforeReplace: boolean;
  /**
   * Whether the inputs Pulumi recorded agree with the state on every compared
   * field (so Pulumi's own comparison of recorded and new inputs names the
   * same changes). False for state that may have been refreshed without its
   * inputs being updated.
   */
  inputsInStep?: boolean;
}

export interface ReadResult<S> {
  id: string;
  state: S;
  /**
   * The inputs that describe what was found, recorded by Pulumi in place of
   * the old ones (a refresh then leaves no spurious diff, and drift shows as
   * the fields that drifted). Only `read` sets it.
   */
  inputs?: Record<string, unknown>;
}

/**
 * A resource's operations. Each takes the operation's context last; the
 * adapters always give one, and a caller that gives none gets the
 * controller's own logger.
 */
export interface ResourceController<I, S> {
  /** Validate and normalise inputs (apply defaults). Never touches a server. */
  check(
    olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
    ctx?: OperationContext,
  ): CheckResult<I>;
  /** What an update from `olds` (current state) to `news` (checked inputs) would do. */
  diff(id: string, olds: S, news: I, ctx?: OperationContext): DiffResult;
  create(inputs: I, ctx?: OperationContext): Promise<ReadResult<S>>;
  /** Current state, or undefined when the object is gone. Transport failures throw. */
  read(id: string, state: S, ctx?: OperationContext): Promise<ReadResult<S> | undefined>;
  update(id: string, olds: S, news: I, ctx?: OperationContext): Promise<S>;
  delete(id: string, state: S, ctx?: OperationContext): Promise<void>;
}

/** Deep equality for JSON-like values; `undefined` members count as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/**
 * Compare `keys` of old state and new inputs. A key whose new value is not yet
 * known counts as changed. Keys in `replaceKeys` go to `replaces`.
 */
export function diffKeys(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
  replaceKeys: ReadonlySet<string>,
): { replaces: string[]; updates: string[] } {
  const replaces: string[] = [];
  const updates: string[] = [];
  for (const k of keys) {
    if (containsUnknown(news[k]) || !jsonEqual(olds[k], news[k])) {
      (replaceKeys.has(k) ? replaces : updates).push(k);
    }
  }
  return { replaces, updates };
}
