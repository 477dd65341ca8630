/**
 * Secrets on the plugin wire. The provider server tells the engine it accepts
 * secrets, so secret values arrive wrapped (`{ <sig>: <secret sig>, value }`)
 * anywhere in a property bag, and the engine takes the provider's word for
 * which outputs are secret: what we return unwrapped is stored in plaintext.
 */

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;

function isSecret(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && (v as Props)[SIG_KEY] === SECRET_SIG;
}

function containsSecret(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (v && typeof v === "object") return Object.values(v).some(containsSecret);
  return false;
}

/** `v` with every secret wrapper removed. */
export function reveal(v: unknown): unknown {
  if (isSecret(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

/** Top-level keys of `props` that hold a secret anywhere inside. */
export function secretKeys(props: Props | undefined): string[] {
  return props ? Object.keys(props).filter((k) => containsSecret(props[k])) : [];
}

/** `props` with the values under `keys` wrapped as secrets (absent keys stay absent). */
export function conceal(props: Props, keys: Iterable<string>): Props {
  const out = { ...props };
  for (const k of keys) if (out[k] !== undefined && out[k] !== null) out[k] = { [SIG_KEY]: SECRET_SIG, value: out[k] };
  return out;
}
