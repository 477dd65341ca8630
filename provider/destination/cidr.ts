import { isIP } from "node:net";

/** An IP network: family, base address as a bigint, prefix length. */
export interface Cidr {
  family: 4 | 6;
  base: bigint;
  prefix: number;
  text: string;
}

export function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  // A zone id (fe80::1%eth0) names an interface of this machine, not a network address.
  if (text.includes("%")) return undefined;
  const family = isIP(text);
  if (family === 4) {
    const parts = text.split(".").map(Number);
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (family === 6) {
    let t = text;
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
    if (v4 && v4[1]) {
      const p = v4[1].split(".").map(Number) as [number, number, number, number];
      t = t.slice(0, -v4[1].length) + ((p[0] << 8) | p[1]).toString(16) + ":" + ((p[2] << 8) | p[3]).toString(16);
    }
    const [head = "", tail] = t.split("::");
    const h = head ? head.split(":") : [];
    const tl = tail !== undefined && tail !== "" ? tail.split(":") : [];
    const missing = 8 - h.length - tl.length;
    const groups = tail !== undefined ? [...h, ...Array<string>(missing).fill("0"), ...tl] : h;
    if (groups.length !== 8) return undefined;
    return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || "0", 16)), 0n) };
  }
  return undefined;
}

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const total = bits(family);
  return ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - prefix)) - 1n);
}

function format(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 255n).toString()).join(".");
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/**
 * Parse `a.b.c.d/n` or an IPv6 CIDR. Returns an error string when malformed,
 * including when host bits are set (Docker rejects `10.1.2.3/16`).
 */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!m || !m[1] || !m[2]) return `'${text}' is not in CIDR notation (address/prefix, e.g. 10.20.0.0/24)`;
  const addr = parseAddress(m[1]);
  if (!addr) return `'${m[1]}' is not an IP address`;
  const prefix = Number(m[2]);
  if (prefix > bits(addr.family)) return `prefix /${prefix} is too long for IPv${addr.family}`;
  const base = addr.value & mask(addr.family, prefix);
  if (base !== addr.value) {
    return `'${text}' has host bits set; the network is ${format(addr.family, base)}/${prefix}`;
  }
  return { family: addr.family, base, prefix, text };
}

export function cidrContains(net: Cidr, addr: { family: 4 | 6; value: bigint }): boolean {
  return net.family === addr.family && (addr.value & mask(net.family, net.prefix)) === net.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, p);
  return (a.base & m) === (b.base & m);
}

/** `inner` lies within `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return (
    inner.family === outer.family &&
    inner.prefix >= outer.prefix &&
    cidrContains(outer, { family: inner.family, value: inner.base })
  );
}
