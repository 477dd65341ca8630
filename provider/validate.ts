import { isIP } from "node:net";
import { isUnknown, type CheckFailure } from "./resource";

/**
 * Small validation helpers shared by the resources' `check`. Each helper
 * records failures naming the field; none throws.
 */
export class Checker {
  readonly failures: CheckFailure[] = [];

  fail(property: string, reason: string): undefined {
    this.failures.push({ property, reason });
    return undefined;
  }

  /** Fields not in `known` are failures (a typo must not be silently ignored). */
  onlyKnown(obj: Record<string, unknown>, known: readonly string[], prefix = ""): void {
    for (const k of Object.keys(obj)) {
      if (!known.includes(k) && obj[k] !== undefined)
        this.fail(prefix + k, `unknown field; expected one of: ${known.join(", ")}`);
    }
  }

  string(
    property: string,
    v: unknown,
    opts: { required?: boolean; max?: number; pattern?: RegExp; patternText?: string; nonEmpty?: boolean } = {},
  ): string | undefined {
    if (v === undefined || v === null) {
      if (opts.required) this.fail(property, "is required");
      return undefined;
    }
    if (isUnknown(v)) return v as string;
    if (typeof v !== "string") return this.fail(property, `must be a string, got ${typeName(v)}`);
    if ((opts.nonEmpty ?? opts.required) && v.trim() === "") return this.fail(property, "must not be empty");
    if (opts.max !== undefined && v.length > opts.max)
      return this.fail(property, `is too long (${v.length} > ${opts.max} characters)`);
    if (opts.pattern && !opts.pattern.test(v))
      return this.fail(property, opts.patternText ?? `must match ${opts.pattern}`);
    return v;
  }

  integer(property: string, v: unknown, min: number, max: number, dflt?: number): number | undefined {
    if (v === undefined || v === null) return dflt;
    if (isUnknown(v)) return v as unknown as number;
    if (typeof v === "string" && /^\d+$/.test(v)) v = Number(v);
    if (typeof v !== "number" || !Number.isInteger(v))
      return this.fail(property, `must be a whole number, got ${show(v)}`);
    if (v < min || v > max) return this.fail(property, `must be between ${min} and ${max}, got ${v}`);
    return v;
  }

  boolean(property: string, v: unknown, dflt?: boolean): boolean | undefined {
    if (v === undefined || v === null) return dflt;
    if (isUnknown(v)) return v as unknown as boolean;
    if (typeof v !== "boolean") return this.fail(property, `must be true or false, got ${show(v)}`);
    return v;
  }

  stringMap(
    property: string,
    v: unknown,
    opts: { keyPattern?: RegExp; maxKey?: number; maxValue?: number } = {},
  ): Record<string, string> | undefined {
    if (v === undefined || v === null) return undefined;
    if (isUnknown(v)) return v as unknown as Record<string, string>;
    if (typeof v !== "object" || Array.isArray(v))
      return this.fail(property, `must be a map of strings, got ${typeName(v)}`);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      const p = `${property}.${k}`;
      if (k.length === 0 || (opts.maxKey && k.length > opts.maxKey)) {
        this.fail(p, `key must be 1 to ${opts.maxKey ?? "any"} characters`);
        continue;
      }
      if (opts.keyPattern && !opts.keyPattern.test(k)) {
        this.fail(p, `key must match ${opts.keyPattern}`);
        continue;
      }
      if (isUnknown(val)) {
        out[k] = val as string;
        continue;
      }
      if (typeof val !== "string") {
        this.fail(p, `value must be a string, got ${typeName(val)}`);
        continue;
      }
      if (opts.maxValue && val.length > opts.maxValue) {
        this.fail(p, `value is too long (${val.length} > ${opts.maxValue} characters)`);
        continue;
      }
      out[k] = val;
    }
    return out;
  }

  stringList(property: string, v: unknown, each: (p: string, s: string) => void): string[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (isUnknown(v)) return v as unknown as string[];
    if (!Array.isArray(v)) return this.fail(property, `must be a list of strings, got ${typeName(v)}`);
    const out: string[] = [];
    v.forEach((x, i) => {
      const p = `${property}[${i}]`;
      if (isUnknown(x)) out.push(x as string);
      else if (typeof x !== "string") this.fail(p, `must be a string, got ${typeName(x)}`);
      else {
        each(p, x);
        out.push(x);
      }
    });
    return out;
  }
}

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? s.slice(0, 40) + "…" : s;
}

const HOSTNAME_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * What makes two host inputs the same machine: DNS names and IPv6 hex digits
 * ignore letter case, so `Web-1.example.com` and `web-1.example.com` compare equal.
 */
export function hostIdentity(host: string): string {
  return host.toLowerCase();
}

/** A DNS name (RFC 1123), an IPv4 address or an IPv6 address. */
export function isHost(v: string): boolean {
  if (isIP(v)) return true;
  if (v.length > 253) return false;
  const name = v.endsWith(".") ? v.slice(0, -1) : v;
  if (name === "") return false;
  const labels = name.split(".");
  if (labels.every((l) => /^\d+$/.test(l))) return false; // looks like a broken IPv4 address
  return labels.every((l) => HOSTNAME_LABEL.test(l));
}

/** POSIX-portable user names (what useradd accepts), no shell metacharacters possible. */
export const USER_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/** An absolute path made only of characters that need no quoting. */
export const SAFE_ABSOLUTE_PATH = /^\/[A-Za-z0-9._+/-]*$/;
