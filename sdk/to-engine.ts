/**
 * What both of Dockyard's Pulumi adapters (the dynamic provider, `dynamic.ts`,
 * and the plugin provider, `plugin/provider.ts`) hand the engine: values
 * protobuf accepts, and errors without a stack of internals.
 */

/**
 * Pulumi's dynamic-provider host turns results into protobuf Structs, which
 * reject `undefined` anywhere ("Unexpected struct type"). Drop such members
 * (an absent optional field) before handing state back.
 */
export function withoutUndefined<T>(v: T): T {
  if (Array.isArray(v)) return (v as unknown[]).map((x) => (x === undefined ? null : withoutUndefined(x))) as T;
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, withoutUndefined(x)]),
    ) as T;
  }
  return v;
}

/** Turn any error into one whose message says what failed, without a stack of internals. */
function plainError(err: unknown): Error {
  if (err instanceof Error) {
    const e = new Error(err.message);
    e.name = err.name;
    return e;
  }
  return new Error(String(err));
}

/** Run a remote operation; whatever it throws reaches the engine as a `plainError`. */
export async function withPlainErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw plainError(err);
  }
}
