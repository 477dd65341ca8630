import { describe, expect, it } from "vitest";
import { compareApiVersions, describeEndpoint } from "../../../provider/transport/endpoint";

describe("endpoints", () => {
  const e = { host: "h", port: 22, user: "root", perDialTimeout: 15, dialErrorLimit: 10 };
  it("describes endpoints for messages", () => {
    expect(describeEndpoint({ ...e, host: "::1", proxy: { ...e, host: "jump" } })).toBe("root@[::1]:22 (via root@jump:22)");
  });
});

describe("Engine API versions", () => {
  it("compares API versions numerically", () => {
    expect(compareApiVersions("1.41", "1.41")).toBe(0);
    expect(compareApiVersions("1.9", "1.41")).toBeLessThan(0);
    expect(compareApiVersions("1.45", "1.41")).toBeGreaterThan(0);
  });
});
