import { describe, expect, it } from "vitest";
import { sshKeygen } from "../../support/keys";
import { checkServer } from "../../../provider/server/server-check";
import { UNKNOWN } from "../../../provider/resource";

const key = sshKeygen().private;
const encrypted = sshKeygen("ed25519", { passphrase: "s3cret" }).private;
const noAgent = {} as NodeJS.ProcessEnv;

function failuresOf(news: Record<string, unknown>, env = noAgent) {
  return checkServer(news, env).failures;
}

describe("Server check", () => {
  it("accepts a minimal server and applies defaults", () => {
    const r = checkServer({ host: "203.0.113.10", privateKey: key }, noAgent);
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({
      host: "203.0.113.10",
      port: 22,
      user: "root",
      dockerSocket: "/var/run/docker.sock",
      perDialTimeout: 15,
      dialErrorLimit: 10,
      name: "203.0.113.10",
    });
  });

  it.each([
    [{ host: "", privateKey: key }, "host"],
    [{ privateKey: key }, "host"],
    [{ host: "web 1", privateKey: key }, "host"],
    [{ host: "host;rm -rf /", privateKey: key }, "host"],
    [{ host: "300.1.2.3", privateKey: key }, "host"],
    [{ host: "-leading.dash", privateKey: key }, "host"],
    [{ host: 42, privateKey: key }, "host"],
    [{ host: "a".repeat(300), privateKey: key }, "host"],
    [{ host: "h", port: 0, privateKey: key }, "port"],
    [{ host: "h", port: 70000, privateKey: key }, "port"],
    [{ host: "h", port: 22.5, privateKey: key }, "port"],
    [{ host: "h", port: "ssh", privateKey: key }, "port"],
    [{ host: "h", user: "root; reboot", privateKey: key }, "user"],
    [{ host: "h", user: "$(id)", privateKey: key }, "user"],
    [{ host: "h", user: "", privateKey: key }, "user"],
    [{ host: "h", privateKey: "not a key" }, "privateKey"],
    [{ host: "h", privateKey: encrypted }, "privateKeyPassword"],
    [{ host: "h", privateKey: encrypted, privateKeyPassword: "wrong" }, "privateKeyPassword"],
    [{ host: "h", password: "pw", privateKeyPassword: "x" }, "privateKeyPassword"],
    [{ host: "h" }, "privateKey"],
    [{ host: "h", privateKey: key, hostKey: "not-a-key" }, "hostKey"],
    [{ host: "h", privateKey: key, agentSocketPath: "relative/agent.sock" }, "agentSocketPath"],
    [{ host: "h", privateKey: key, dockerSocket: "docker.sock" }, "dockerSocket"],
    [{ host: "h", privateKey: key, dockerSocket: "/run/docker.sock; id" }, "dockerSocket"],
    [{ host: "h", privateKey: key, perDialTimeout: 0 }, "perDialTimeout"],
    [{ host: "h", privateKey: key, dialErrorLimit: 1000 }, "dialErrorLimit"],
    [{ host: "h", privateKey: key, proxy: { host: "bad host", privateKey: key } }, "proxy.host"],
    [{ host: "h", privateKey: key, proxy: { host: "jump", port: 0, privateKey: key } }, "proxy.port"],
    [{ host: "h", privateKey: key, proxy: { host: "jump" } }, "proxy"],
    [{ host: "h", privateKey: key, proxy: "jump" }, "proxy"],
    [{ host: "h", privateKey: key, hots: "typo" }, "hots"],
  ])("rejects bad input #%# naming the field", (news, field) => {
    const failures = failuresOf(news);
    expect(failures.map((f) => f.property)).toContain(field);
    for (const f of failures) expect(f.reason.length).toBeGreaterThan(5);
  });

  it("accepts an encrypted key with its passphrase", () => {
    expect(failuresOf({ host: "h", privateKey: encrypted, privateKeyPassword: "s3cret" })).toEqual([]);
  });

  it("accepts password-only, agent-only, and SSH_AUTH_SOCK from the environment", () => {
    expect(failuresOf({ host: "h", password: "pw" })).toEqual([]);
    expect(failuresOf({ host: "h", agentSocketPath: "/tmp/agent.sock" })).toEqual([]);
    expect(failuresOf({ host: "h" }, { SSH_AUTH_SOCK: "/tmp/agent" })).toEqual([]);
  });

  it("accepts IPv6 and DNS hosts and both host key forms", () => {
    const line = sshKeygen().public;
    expect(failuresOf({ host: "::1", privateKey: key, hostKey: line })).toEqual([]);
    expect(failuresOf({ host: "web-1.example.com", privateKey: key, hostKey: "SHA256:" + "A".repeat(43) })).toEqual([]);
  });

  it("rejects a host key of a type the SSH client cannot negotiate, naming hostKey; accepts RSA and ECDSA lines", () => {
    const str = (b: Buffer) => {
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length, 0);
      return Buffer.concat([l, b]);
    };
    const type = "sk-ssh-ed25519@openssh.com";
    const blob = Buffer.concat([str(Buffer.from(type)), str(Buffer.alloc(32, 7)), str(Buffer.from("ssh:"))]);
    const failures = failuresOf({ host: "h", privateKey: key, hostKey: `${type} ${blob.toString("base64")}` });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ property: "hostKey" });
    expect(failures[0]!.reason).toMatch(/cannot negotiate/);
    expect(failuresOf({ host: "h", privateKey: key, hostKey: sshKeygen("rsa").public })).toEqual([]);
    expect(failuresOf({ host: "h", privateKey: key, hostKey: sshKeygen("ecdsa").public })).toEqual([]);
  });

  it("does not judge values that are not known yet (preview)", () => {
    expect(failuresOf({ host: UNKNOWN, privateKey: UNKNOWN, port: UNKNOWN })).toEqual([]);
  });

  it("never echoes a secret in a failure", () => {
    const failures = failuresOf({
      host: "h",
      privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nsecretmaterial\n",
      password: "",
    });
    expect(JSON.stringify(failures)).not.toContain("secretmaterial");
  });
});
