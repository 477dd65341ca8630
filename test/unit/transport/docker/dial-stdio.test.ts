import { describe, expect, it } from "vitest";
import { dialStdioArgv } from "../../../../provider/transport/docker/dial-stdio";

describe("dial-stdio", () => {
  it("always names the socket, the default one too", () => {
    expect(dialStdioArgv("/var/run/docker.sock")).toEqual([
      "docker",
      "-H",
      "unix:///var/run/docker.sock",
      "system",
      "dial-stdio",
    ]);
  });
});
