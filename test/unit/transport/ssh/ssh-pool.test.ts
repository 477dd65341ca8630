import { describe, expect, it } from "vitest";
import { endpointKey } from "../../../../provider/transport/ssh/ssh-pool";

describe("endpoints", () => {
  const e = { host: "h", port: 22, user: "root", perDialTimeout: 15, dialErrorLimit: 10 };
  it("keys pool entries by every connection setting, without secrets in the key", () => {
    expect(endpointKey(e)).toBe(endpointKey({ ...e }));
    expect(endpointKey(e)).not.toBe(endpointKey({ ...e, port: 2222 }));
    expect(endpointKey({ ...e, privateKey: "k1" })).not.toBe(endpointKey({ ...e, privateKey: "k2" }));
    expect(endpointKey({ ...e, password: "hunter2" })).not.toContain("hunter2");
  });
});
