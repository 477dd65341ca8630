import { describe, expect, it } from "vitest";
import { checkConnection } from "../../provider/connection";

describe("checkConnection", () => {
  it("reports a missing or malformed connection naming the field", () => {
    expect(checkConnection(undefined).failures[0]?.property).toBe("connection");
    expect(checkConnection("x").failures[0]?.property).toBe("connection");
    expect(
      checkConnection({ host: "h", extra: 1 }, "connection", { SSH_AUTH_SOCK: "/s" }).failures.map((f) => f.property),
    ).toEqual(["connection.extra"]);
  });
});
