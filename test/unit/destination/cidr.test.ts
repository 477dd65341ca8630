import { describe, expect, it } from "vitest";
import { cidrsOverlap, cidrWithin, parseCidr, type Cidr } from "../../../provider/destination/cidr";

function cidr(t: string): Cidr {
  const c = parseCidr(t);
  if (typeof c === "string") throw new Error(c);
  return c;
}

describe("CIDR", () => {
  it("parses v4 and v6 and rejects host bits", () => {
    expect(cidr("10.20.0.0/16").prefix).toBe(16);
    expect(cidr("fd00:1::/64").family).toBe(6);
    expect(parseCidr("10.20.0.1/16")).toMatch(/host bits set; the network is 10.20.0.0\/16/);
    expect(parseCidr("fd00::1/64")).toMatch(/host bits/);
  });
  it("detects overlap and containment", () => {
    expect(cidrsOverlap(cidr("10.0.0.0/8"), cidr("10.1.0.0/16"))).toBe(true);
    expect(cidrsOverlap(cidr("10.1.0.0/16"), cidr("10.2.0.0/16"))).toBe(false);
    expect(cidrsOverlap(cidr("10.0.0.0/8"), cidr("fd00::/8"))).toBe(false);
    expect(cidrWithin(cidr("10.1.1.0/24"), cidr("10.1.0.0/16"))).toBe(true);
    expect(cidrWithin(cidr("10.0.0.0/8"), cidr("10.1.0.0/16"))).toBe(false);
  });
});
