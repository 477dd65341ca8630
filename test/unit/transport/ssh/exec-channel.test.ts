// An exec channel's exit status arriving in the same read as its opening, as
// it does for a quick command when many channels open at once: ssh2 emits
// `exit` right after handing the channel over, with no backlog for a listener
// attached later. The client is a stand-in for ssh2's; the session, its slots
// and the Docker socket are the real ones. Then execOpening on its own.

import { Readable } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { describe, expect, it, vi } from "vitest";
import { DockerPermissionError } from "../../../../provider/errors";
import { SshDockerSockets } from "../../../../provider/transport/docker/docker-socket";
import type { SshEndpoint } from "../../../../provider/transport/endpoint";
import { shellCommand } from "../../../../provider/transport/shell";
import { execOpening } from "../../../../provider/transport/ssh/exec-channel";
import type { SshPool } from "../../../../provider/transport/ssh/ssh-pool";
import { SshSession } from "../../../../provider/transport/ssh/ssh-session";

/** Like ssh2's exec channel: output is buffered until read; `close` follows the end of stdout. */
class FakeExecChannel extends Readable {
  readonly stderr = new Readable({ read: () => undefined });
  constructor() {
    super({ read: () => undefined });
    this.once("end", () => this.emit("close"));
  }
  close(): void {
    this.push(null);
    this.stderr.push(null);
  }
}

/** A client whose every command has finished by the time its channel is handed over. */
function quickClient(stdout: string, stderr: string, code: number): { client: Client; commands: string[] } {
  const commands: string[] = [];
  const client = {
    exec(command: string, cb: (err: Error | undefined, channel: FakeExecChannel) => void) {
      commands.push(command);
      const channel = new FakeExecChannel();
      // All in one read, as ssh2 parses it: the opening, output, exit status, EOF and close.
      cb(undefined, channel);
      if (stdout) channel.push(stdout);
      if (stderr) channel.stderr.push(stderr);
      channel.emit("exit", code);
      channel.close();
    },
  };
  return { client: client as unknown as Client, commands };
}

function session(client: Client): SshSession {
  const pool = { metrics: { handshakes: 0, dialFailures: 0, channelsOpened: 0, channelsOpen: 0 } };
  const s = new SshSession({ host: "h", port: 22, user: "deploy" } as SshEndpoint, pool as unknown as SshPool);
  vi.spyOn(s, "connect").mockResolvedValue(client);
  return s;
}

describe("exit status that comes with the channel's opening", () => {
  it("run() reports it, for one command and for 40 at once", async () => {
    const ok = session(quickClient("uid=0(root)\n", "", 0).client);
    expect(await ok.run(["id"], 5_000)).toEqual({ code: 0, stdout: "uid=0(root)\n", stderr: "" });
    const runs = await Promise.all(Array.from({ length: 40 }, () => ok.run(["id", "-u"], 5_000)));
    expect(runs.map((r) => r.code)).toEqual(Array(40).fill(0));
    expect(ok.slots.waiting).toBe(0);

    const failing = session(quickClient("", "no such user\n", 1).client);
    expect(await failing.run(["id", "nobody"], 5_000)).toEqual({ code: 1, stdout: "", stderr: "no such user\n" });
  });

  it("a dial-stdio that fails at once gives its explained error, not a hang-up", async () => {
    const { client, commands } = quickClient(
      "",
      "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n",
      1,
    );
    const s = session(client);
    s.streamLocalRefused = true;
    const socket = new SshDockerSockets(s).openDockerSocket("/var/run/docker.sock", 5_000);
    const outcome = await new Promise<Error | "ended">((resolve) => {
      socket.on("error", resolve);
      socket.on("close", () => resolve("ended"));
      socket.resume();
    });
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain("dial-stdio");
    expect(outcome).toBeInstanceOf(DockerPermissionError);
    expect((outcome as Error).message).toMatch(/user 'deploy' may not use \/var\/run\/docker\.sock: permission denied/);
  });
});

describe("execOpening", () => {
  it("runs the argv quoted, and hands the channel to onOpen before the opening's own callback", () => {
    const order: string[] = [];
    const channel = {} as ClientChannel;
    let command = "";
    const client = {
      exec(c: string, cb: (err: Error | undefined, ch: ClientChannel) => void) {
        command = c;
        cb(undefined, channel);
      },
    } as unknown as Client;
    const open = execOpening(client, ["docker", "system", "dial-stdio", "it's"], (ch) => {
      expect(ch).toBe(channel);
      order.push("onOpen");
    });
    expect(command).toBe("");
    open((err, ch) => {
      expect(err).toBeUndefined();
      expect(ch).toBe(channel);
      order.push("cb");
    });
    expect(command).toBe(shellCommand(["docker", "system", "dial-stdio", "it's"]));
    expect(order).toEqual(["onOpen", "cb"]);
  });

  it("does not call onOpen when the channel is refused", () => {
    const refused = new Error("open failed");
    const client = {
      exec(_c: string, cb: (err: Error | undefined, ch: ClientChannel) => void) {
        cb(refused, undefined as unknown as ClientChannel);
      },
    } as unknown as Client;
    const opened: ClientChannel[] = [];
    const errors: (Error | undefined)[] = [];
    execOpening(client, ["id"], (ch) => opened.push(ch))((err) => errors.push(err));
    expect(opened).toEqual([]);
    expect(errors).toEqual([refused]);
  });
});
