import type * as pulumi from "@pulumi/pulumi";

/**
 * The provider object Pulumi serializes into every Dockyard resource's state.
 *
 * It holds no logic: each method `require`s the installed package's adapter
 * (`pulumi-dockyard/dynamic`) when the engine calls it. State written by any
 * version therefore runs the code of the version installed now, and the
 * serialized text stays a few stable lines. Only `kind` (a string) and
 * `require` are captured; nothing local is pulled into the closure.
 *
 * Keep this file's behaviour stable: stacks store what it serializes to.
 */
export function shim(kind: "server" | "destination"): pulumi.dynamic.ResourceProvider {
  // One object per kind: Pulumi caches a provider's serialization by object
  // identity, so every resource after the first reuses it.
  return (shims[kind] ??= makeShim(kind));
}

const shims: Partial<Record<"server" | "destination", pulumi.dynamic.ResourceProvider>> = {};

// `require("pulumi-dockyard/dynamic")` is untyped here on purpose: the methods' text is
// stored in state and must capture only `kind` and `require` (see above), so no
// typed import or helper may be pulled into them.
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- the shim's text is stored in state; see above */
function makeShim(kind: "server" | "destination"): pulumi.dynamic.ResourceProvider {
  return {
    check: (olds, news) => require("pulumi-dockyard/dynamic").providers[kind].check(olds, news),
    diff: (id, olds, news) => require("pulumi-dockyard/dynamic").providers[kind].diff(id, olds, news),
    create: (inputs) => require("pulumi-dockyard/dynamic").providers[kind].create(inputs),
    read: (id, props) => require("pulumi-dockyard/dynamic").providers[kind].read(id, props),
    update: (id, olds, news) => require("pulumi-dockyard/dynamic").providers[kind].update(id, olds, news),
    delete: (id, props) => require("pulumi-dockyard/dynamic").providers[kind].delete(id, props),
  };
}
/* eslint-enable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return */
