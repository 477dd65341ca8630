/**
 * One description of a resource's fields. Each resource has one table
 * (`server/server-fields.ts`, `destination/destination-fields.ts`); the controllers' key lists, the plugin
 * provider's schema and the TypeScript SDK's TSDoc (checked by a unit test)
 * all come from it, so they cannot disagree.
 */

/** A field's type: a scalar, a list or map of strings, or an object type of the schema (`Proxy`, `Connection`). */
export type FieldType = "string" | "integer" | "boolean" | "stringList" | "stringMap" | { ref: string };

/** What a change of an input does: replace the resource, update it in place, or decided by the controller. */
export type Change = "replaces" | "updates" | "controller";

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** Set by the user (an input) or only reported by the provider (an output). Inputs are recorded as outputs too. */
  readonly input: boolean;
  readonly required?: boolean;
  /** The value applied when the input is absent, where it is a constant. */
  readonly default?: string | number | boolean;
  readonly secret?: boolean;
  /** For inputs compared by diff: what a change does. Absent: never compared (derived, or fixed at creation). */
  readonly change?: Change;
  /** Not an input of the plugin provider's schema: the dynamic provider's SDK sets it, or the core derives it (the owner, from the URN). */
  readonly dynamicOnly?: boolean;
  /** Markdown, shown in the schema and as the TSDoc of the TypeScript SDK's member. */
  readonly doc: string;
}

/** Names of the fields matching `pred`, in table order, typed as the table's names. */
export function namesWhere<T extends readonly Field[]>(table: T, pred: (f: Field) => boolean): T[number]["name"][] {
  return table.filter(pred).map((f) => f.name);
}

export const isInput = (f: Field): boolean => f.input;
export const isCompared = (f: Field): boolean => f.input && (f.change === "replaces" || f.change === "updates");
export const isReplacing = (f: Field): boolean => f.input && f.change === "replaces";
export const isSecret = (f: Field): boolean => f.secret === true;
