/** The HTTP agent dockerode sends a daemon's requests through: its sockets are SSH channels. */
import http from "node:http";
import { inspect } from "node:util";
import type { Duplex } from "node:stream";
import { DIAL_STDIO_CHANNELS } from "../ssh/session-slots";
import type { DockerSocketSource } from "./docker-socket";

/** Channels one Docker client may hold open at once (sshd caps channels per connection). */
export const MAX_CHANNELS = 16;
/** Idle keep-alive channels are closed after this long. */
const IDLE_CHANNEL_MS = 15_000;

/**
 * An HTTP agent whose "sockets" are SSH channels to the Docker socket. Kept
 * alive and capped, so a burst of calls reuses a few channels instead of
 * opening one per request.
 */
export class SshDockerAgent extends http.Agent {
  constructor(
    private readonly socketSource: DockerSocketSource,
    private readonly socketPath: string,
    private readonly openTimeoutMs: number,
    private readonly hostKey: string | undefined,
  ) {
    super({ keepAlive: true, maxSockets: MAX_CHANNELS, maxFreeSockets: MAX_CHANNELS, timeout: IDLE_CHANNEL_MS });
    // Over dial-stdio each channel is a session, and sshd caps those (MaxSessions, 10 by default).
    Object.defineProperty(this, "maxSockets", {
      get: () => (socketSource.streamLocalRefused ? DIAL_STDIO_CHANNELS : MAX_CHANNELS),
    });
  }

  /** Inspecting the agent would walk every socket, channel and the SSH client. */
  [inspect.custom](): string {
    return `SshDockerAgent(${this.socketSource.target})`;
  }

  override createConnection(): Duplex {
    // Returned at once so the agent counts it against maxSockets; the channel opens behind it.
    return this.socketSource.openDockerSocket(this.socketPath, this.openTimeoutMs, this.hostKey);
  }
}
