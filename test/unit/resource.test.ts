import { describe, expect, it } from "vitest";
import { UNKNOWN, containsUnknown, diffKeys, isUnknown, jsonEqual } from "../../provider/resource";

describe("jsonEqual", () => {
  it("compares nested objects by value, in any key order", () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] } })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });

  it("counts an undefined member as absent", () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
  });

  it("keeps arrays in order and apart from objects", () => {
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual({ 0: "x" }, ["x"])).toBe(false);
  });

  it("tells null, scalars and objects apart", () => {
    expect(jsonEqual(null, null)).toBe(true);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({}, null)).toBe(false);
    expect(jsonEqual(1, "1")).toBe(false);
    expect(jsonEqual("x", "x")).toBe(true);
  });
});

describe("containsUnknown", () => {
  it("finds the placeholder at any depth, in objects and arrays", () => {
    expect(isUnknown(UNKNOWN)).toBe(true);
    expect(isUnknown("x")).toBe(false);
    expect(containsUnknown(UNKNOWN)).toBe(true);
    expect(containsUnknown({ a: { b: [1, { c: UNKNOWN }] } })).toBe(true);
    expect(containsUnknown([[UNKNOWN]])).toBe(true);
  });

  it("is false for known values, null included", () => {
    expect(containsUnknown({ a: { b: [1, { c: "known" }] }, d: null })).toBe(false);
    expect(containsUnknown(null)).toBe(false);
    expect(containsUnknown(undefined)).toBe(false);
    expect(containsUnknown(0)).toBe(false);
    // A key named like the placeholder is not a value.
    expect(containsUnknown({ [UNKNOWN]: 1 })).toBe(false);
  });
});

describe("diffKeys", () => {
  const replaceKeys = new Set(["host"]);

  it("names only the compared keys that changed, in the given order, split by replacement", () => {
    const olds = { host: "a", port: 22, user: "root", labels: { x: "1" }, ignored: 1 };
    const news = { host: "b", port: 2222, user: "root", labels: { x: "1" }, ignored: 2 };
    expect(diffKeys(olds, news, ["user", "port", "labels", "host"], replaceKeys)).toEqual({
      replaces: ["host"],
      updates: ["port"],
    });
  });

  it("compares deeply: an equal nested value is no change, a differing one is", () => {
    expect(diffKeys({ labels: { a: "1" } }, { labels: { a: "1" } }, ["labels"], replaceKeys)).toEqual({
      replaces: [],
      updates: [],
    });
    expect(diffKeys({ labels: { a: "1" } }, { labels: { a: "2" } }, ["labels"], replaceKeys).updates).toEqual([
      "labels",
    ]);
  });

  it("counts a value not yet known as changed, even nested, even when the old value is the placeholder", () => {
    expect(diffKeys({ host: UNKNOWN }, { host: UNKNOWN }, ["host"], replaceKeys).replaces).toEqual(["host"]);
    expect(diffKeys({ labels: { a: "1" } }, { labels: { a: UNKNOWN } }, ["labels"], replaceKeys).updates).toEqual([
      "labels",
    ]);
  });

  it("counts a key that appears or disappears as changed", () => {
    expect(diffKeys({}, { port: 22 }, ["port"], replaceKeys).updates).toEqual(["port"]);
    expect(diffKeys({ port: 22 }, {}, ["port"], replaceKeys).updates).toEqual(["port"]);
  });
});
