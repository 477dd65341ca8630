import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../provider/resource";
import { Checker, hostIdentity, isHost, typeName } from "../../provider/validate";

describe("Checker", () => {
  it("fails an unknown field naming it with its prefix, and lets undefined ones pass", () => {
    const c = new Checker();
    c.onlyKnown({ host: "h", prot: 22, extra: undefined }, ["host", "port"], "connection.");
    expect(c.failures).toEqual([{ property: "connection.prot", reason: "unknown field; expected one of: host, port" }]);
  });

  it("string: required, type, emptiness, length and pattern, each naming the field", () => {
    const c = new Checker();
    expect(c.string("a", undefined, { required: true })).toBeUndefined();
    expect(c.string("b", 5)).toBeUndefined();
    expect(c.string("c", "  ", { required: true })).toBeUndefined();
    expect(c.string("d", "abcd", { max: 3 })).toBeUndefined();
    expect(c.string("e", "x y", { pattern: /^\S+$/, patternText: "must have no spaces" })).toBeUndefined();
    expect(c.failures).toEqual([
      { property: "a", reason: "is required" },
      { property: "b", reason: "must be a string, got a number" },
      { property: "c", reason: "must not be empty" },
      { property: "d", reason: "is too long (4 > 3 characters)" },
      { property: "e", reason: "must have no spaces" },
    ]);
  });

  it("string: passes a valid value and an unknown one through, and an absent optional one silently", () => {
    const c = new Checker();
    expect(c.string("a", "ok", { required: true, max: 3, pattern: /^o/ })).toBe("ok");
    expect(c.string("b", UNKNOWN, { required: true, max: 3 })).toBe(UNKNOWN);
    expect(c.string("c", null)).toBeUndefined();
    expect(c.string("d", "", {})).toBe("");
    expect(c.failures).toEqual([]);
  });

  it("integer: default, digit strings, range and non-integers", () => {
    const c = new Checker();
    expect(c.integer("p", undefined, 1, 10, 5)).toBe(5);
    expect(c.integer("p", "7", 1, 10)).toBe(7);
    expect(c.integer("p", UNKNOWN, 1, 10)).toBe(UNKNOWN);
    expect(c.failures).toEqual([]);
    expect(c.integer("q", 11, 1, 10)).toBeUndefined();
    expect(c.integer("r", 1.5, 1, 10)).toBeUndefined();
    expect(c.integer("s", "-3", 1, 10)).toBeUndefined();
    expect(c.failures).toEqual([
      { property: "q", reason: "must be between 1 and 10, got 11" },
      { property: "r", reason: "must be a whole number, got 1.5" },
      { property: "s", reason: 'must be a whole number, got "-3"' },
    ]);
  });

  it("integer: a long value is shortened in the message", () => {
    const c = new Checker();
    c.integer("p", "x".repeat(100), 1, 10);
    expect(c.failures[0]!.reason).toBe(`must be a whole number, got "${"x".repeat(39)}…`);
  });

  it("boolean: default, pass-through, and a failure for anything else", () => {
    const c = new Checker();
    expect(c.boolean("b", undefined, true)).toBe(true);
    expect(c.boolean("b", false, true)).toBe(false);
    expect(c.boolean("b", UNKNOWN)).toBe(UNKNOWN);
    expect(c.boolean("c", "true")).toBeUndefined();
    expect(c.failures).toEqual([{ property: "c", reason: 'must be true or false, got "true"' }]);
  });

  it("stringMap: keeps the good entries and fails each bad one by its dotted key", () => {
    const c = new Checker();
    const out = c.stringMap(
      "labels",
      { ok: "v", "bad key": "v", long: "x".repeat(6), num: 1, later: UNKNOWN, ["k".repeat(9)]: "v" },
      { keyPattern: /^[a-z]+$/, maxKey: 8, maxValue: 5 },
    );
    expect(out).toEqual({ ok: "v", later: UNKNOWN });
    expect(c.failures).toEqual([
      { property: "labels.bad key", reason: "key must match /^[a-z]+$/" },
      { property: "labels.long", reason: "value is too long (6 > 5 characters)" },
      { property: "labels.num", reason: "value must be a string, got a number" },
      { property: "labels.kkkkkkkkk", reason: "key must be 1 to 8 characters" },
    ]);
  });

  it("stringMap: refuses a list or a scalar, and passes absent and unknown maps through", () => {
    const c = new Checker();
    expect(c.stringMap("labels", ["a"])).toBeUndefined();
    expect(c.stringMap("labels", "a")).toBeUndefined();
    expect(c.stringMap("labels", undefined)).toBeUndefined();
    expect(c.stringMap("labels", UNKNOWN)).toBe(UNKNOWN);
    expect(c.failures).toEqual([
      { property: "labels", reason: "must be a map of strings, got a list" },
      { property: "labels", reason: "must be a map of strings, got a string" },
    ]);
  });

  it("stringList: checks each string with the caller's check, by index, and fails non-strings", () => {
    const c = new Checker();
    const seen: string[] = [];
    const out = c.stringList("connect", ["a", 3, UNKNOWN, "b"], (p, s) => seen.push(`${p}=${s}`));
    expect(out).toEqual(["a", UNKNOWN, "b"]);
    expect(seen).toEqual(["connect[0]=a", "connect[3]=b"]);
    expect(c.failures).toEqual([{ property: "connect[1]", reason: "must be a string, got a number" }]);
    expect(c.stringList("connect", { a: 1 }, () => undefined)).toBeUndefined();
    expect(c.failures[1]).toEqual({ property: "connect", reason: "must be a list of strings, got an object" });
  });
});

describe("typeName", () => {
  it("names null, lists, objects and scalars", () => {
    expect([null, [], {}, "s", 1, true].map(typeName)).toEqual([
      "null",
      "a list",
      "an object",
      "a string",
      "a number",
      "a boolean",
    ]);
  });
});

describe("hostIdentity", () => {
  it("ignores letter case in names and IPv6 hex digits, and nothing else", () => {
    expect(hostIdentity("Web-1.Example.COM")).toBe(hostIdentity("web-1.example.com"));
    expect(hostIdentity("FE80::1")).toBe(hostIdentity("fe80::1"));
    expect(hostIdentity("web-1.example.com")).not.toBe(hostIdentity("web-2.example.com"));
  });
});

describe("isHost", () => {
  it("accepts DNS names, a trailing dot, IPv4 and IPv6 addresses", () => {
    for (const h of ["web-1.example.com", "localhost", "example.com.", "10.0.0.1", "::1", "fe80::1", "a".repeat(63)])
      expect(isHost(h), h).toBe(true);
  });

  it("refuses broken addresses, bad labels, empty names and names too long", () => {
    const tooLong = Array.from({ length: 4 }, () => "a".repeat(63)).join(".") + ".com";
    for (const h of [
      "",
      ".",
      "10.0.0.256",
      "1.2.3",
      "-web.example.com",
      "web-.example.com",
      "a..b",
      "a_b.com",
      "a".repeat(64),
      tooLong,
      "h;rm -rf /",
    ])
      expect(isHost(h), h).toBe(false);
  });
});
