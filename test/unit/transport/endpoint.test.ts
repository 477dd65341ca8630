import { describe, expect, it } from "vitest";
import { describeEndpoint } from "../../../provider/transport/endpoint";

describe("endpoints", () => {
  const e = { host: "h", port: 22, user: "root", perDialTimeout: 15, dialErrorLimit: 10 };
  it("describes endpoints for messages", () => {
    expect(describeEndpoint({ ...e, host: "::1", proxy: { ...e, host: "jump" } })).toBe(
      "root@[::1]:22 (via root@jump:22)",
    );
  });
});
