import { describe, expect, it } from "vitest";
import { swarmRoleOf } from "../../../provider/server/daemon-facts";

describe("daemon facts", () => {
  it("derives the swarm role", () => {
    expect(swarmRoleOf(undefined)).toBe("none");
    expect(swarmRoleOf({ LocalNodeState: "inactive" })).toBe("none");
    expect(swarmRoleOf({ LocalNodeState: "active", ControlAvailable: true })).toBe("manager");
    expect(swarmRoleOf({ LocalNodeState: "active", ControlAvailable: false })).toBe("worker");
  });
});
