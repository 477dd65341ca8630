import { describe, expect, it } from "vitest";
import { compareApiVersions } from "../../../../provider/transport/docker/api-version";

describe("Engine API versions", () => {
  it("compares API versions numerically", () => {
    expect(compareApiVersions("1.41", "1.41")).toBe(0);
    expect(compareApiVersions("1.9", "1.41")).toBeLessThan(0);
    expect(compareApiVersions("1.45", "1.41")).toBeGreaterThan(0);
  });
});
