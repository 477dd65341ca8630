import { describe, expect, it } from "vitest";
import type { SshDockerSockets } from "../../../provider/transport/docker/docker-socket";
import { Transport } from "../../../provider/transport/transport";

describe("Transport", () => {
  const spec = {
    host: "h",
    port: 22,
    user: "root",
    password: "pw",
    perDialTimeout: 15,
    dialErrorLimit: 10,
    dockerSocket: "/var/run/docker.sock",
  };

  it("hands out one client per connection, socket and expected host key, all on one SSH session; connects to nothing until called", () => {
    const t = new Transport({ callTimeoutMs: 1234, log: () => undefined });
    try {
      const a = t.docker(spec);
      expect(t.docker({ ...spec })).toBe(a);
      const other = t.docker({ ...spec, dockerSocket: "/run/other.sock" });
      const pinned = t.docker({ ...spec, hostKey: "SHA256:" + "A".repeat(43) });
      expect(new Set([a, other, pinned]).size).toBe(3);
      expect((other.socketSource as SshDockerSockets).session).toBe((a.socketSource as SshDockerSockets).session);
      expect((pinned.socketSource as SshDockerSockets).session).toBe((a.socketSource as SshDockerSockets).session);
      expect(other.socketPath).toBe("/run/other.sock");
      expect(a.target).toBe("root@h:22");
      expect((t.docker({ ...spec, port: 2222 }).socketSource as SshDockerSockets).session).not.toBe(
        (a.socketSource as SshDockerSockets).session,
      );
      expect(t.hostKeySeen(spec)).toBeUndefined();
      expect(t.pool.metrics.handshakes).toBe(0);
    } finally {
      t.closeAll();
    }
    expect(t.pool.size).toBe(0);
  });
});
