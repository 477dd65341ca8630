// Hostile and malformed input, table-driven through the controllers' `check`
// (as the engine calls it, before anything else): every case fails naming the
// field, and nothing reaches a server: no SSH handshake, no TCP connection.
// Cases already in server-check.test.ts and destination-check.test.ts are not
// repeated here. That no remote command is a shell string built from input
// is the lint rule dockyard/remote-command (tools/eslint/remote-command.js).

import { createServer, type Server as NetServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sshKeygen } from "../support/keys";
import { createControllers, type Controllers } from "../../provider";

const key = sshKeygen("ed25519");
const encrypted = sshKeygen("ed25519", { passphrase: "s3cret-passphrase" });
const [, ed25519Blob] = key.public.split(" ");
const huge = (n: number) => "x".repeat(n);

let ctl: Controllers;
let trap: NetServer;
let trapPort = 0;
let trapConnections = 0;
let savedAgent: string | undefined;

beforeAll(async () => {
  // The "no credentials" cases must not be rescued by an agent in the environment.
  savedAgent = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  ctl = createControllers({ log: () => undefined });
  // Where every case points its server: any connection attempt would land here.
  trap = createServer((s) => {
    trapConnections++;
    s.destroy();
  });
  await new Promise<void>((r) => trap.listen(0, "127.0.0.1", r));
  trapPort = (trap.address() as { port: number }).port;
});

afterAll(() => {
  if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
  ctl.transport.closeAll();
  trap.close();
});

/** What the engine does first: check, and stop on failures. Create only runs on clean inputs. */
async function engineLike(kind: "server" | "destination", news: Record<string, unknown>) {
  const c = kind === "server" ? ctl.server : ctl.destination;
  const r = c.check(undefined, news);
  if (r.failures.length === 0) await (c.create as (i: unknown) => Promise<unknown>)(r.inputs).catch(() => undefined);
  return r.failures;
}

function expectNamed(failures: Array<{ property: string; reason: string }>, field: string): void {
  expect(failures.map((f) => f.property)).toContain(field);
  for (const f of failures) {
    expect(f.reason.trim().length).toBeGreaterThan(5);
    // Never floods a log with what it was given.
    expect(f.reason.length).toBeLessThan(600);
  }
}

function expectNothingReachedAServer(): void {
  const m = ctl.transport.pool.metrics;
  expect(m).toEqual({ handshakes: 0, dialFailures: 0, channelsOpened: 0, channelsOpen: 0 });
  expect(ctl.transport.pool.size).toBe(0);
  expect(trapConnections).toBe(0);
}

describe("Server: malformed input fails naming the field, and nothing reaches a server", () => {
  const ok = () => ({ host: "127.0.0.1", port: trapPort, privateKey: key.private });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    // hosts
    ["host with an underscore", { host: "web_1.example.com" }, "host"],
    ["host with a newline", { host: "web1\nexample.com" }, "host"],
    ["host with non-ASCII letters", { host: "ünïcode.example" }, "host"],
    ["host as a short dotted number", { host: "1.2.3" }, "host"],
    ["host as a broken IPv6 address", { host: "::1::2" }, "host"],
    ["host in brackets", { host: "[::1]" }, "host"],
    ["host with a port", { host: "example.com:22" }, "host"],
    ["host with a user", { host: "root@example.com" }, "host"],
    ["host with an empty label", { host: "a..b" }, "host"],
    ["host '.'", { host: "." }, "host"],
    ["host with a 64-character label", { host: `${huge(64)}.example.com` }, "host"],
    ["host as a list", { host: ["a"] }, "host"],
    ["host as an object", { host: {} }, "host"],
    ["host as a boolean", { host: true }, "host"],
    ["host null", { host: null }, "host"],
    // ports
    ["port -1", { port: -1 }, "port"],
    ["port 65536", { port: 65536 }, "port"],
    ["port '22abc'", { port: "22abc" }, "port"],
    ["port in hex", { port: "0x16" }, "port"],
    ["port NaN", { port: Number.NaN }, "port"],
    ["port Infinity", { port: Number.POSITIVE_INFINITY }, "port"],
    ["port as a boolean", { port: true }, "port"],
    ["port as a list", { port: [22] }, "port"],
    ["port as an object", { port: {} }, "port"],
    ["port as an empty string", { port: "" }, "port"],
    ["port with a space", { port: " 22" }, "port"],
    // users
    ["user with a trailing newline", { user: "root\n" }, "user"],
    ["user starting with a digit", { user: "0day" }, "user"],
    ["user of 33 characters", { user: huge(33) }, "user"],
    ["user as an ssh option", { user: "-oProxyCommand=sh" }, "user"],
    ["user with a space", { user: "some user" }, "user"],
    ["user with non-ASCII letters", { user: "üser" }, "user"],
    ["user as a number", { user: 5 }, "user"],
    ["user as a list", { user: ["root"] }, "user"],
    ["user with a host", { user: "root@host" }, "user"],
    ["user blank", { user: "   " }, "user"],
    // keys and credentials
    ["privateKey as a number", { privateKey: 123 }, "privateKey"],
    ["privateKey given the public key", { privateKey: key.public }, "privateKey"],
    ["privateKey truncated", { privateKey: key.private.slice(0, key.private.length / 2) }, "privateKey"],
    ["privateKey of 70 KB", { privateKey: huge(70_000) }, "privateKey"],
    ["privateKey empty", { privateKey: "" }, "privateKey"],
    ["privateKey blank", { privateKey: " \n " }, "privateKey"],
    ["password as a number", { privateKey: undefined, password: 12345 }, "password"],
    ["password empty", { privateKey: undefined, password: "" }, "password"],
    ["password of 5,000 characters", { privateKey: undefined, password: huge(5000) }, "password"],
    ["passphrase as a number", { privateKey: encrypted.private, privateKeyPassword: 42 }, "privateKeyPassword"],
    ["hostKey a short fingerprint", { hostKey: "SHA256:short" }, "hostKey"],
    ["hostKey whose type does not match its key", { hostKey: `ssh-rsa ${ed25519Blob}` }, "hostKey"],
    ["hostKey with a broken blob", { hostKey: "ssh-ed25519 !!!not-base64" }, "hostKey"],
    ["hostKey as a number", { hostKey: 5 }, "hostKey"],
    ["agentSocketPath empty", { privateKey: undefined, agentSocketPath: "" }, "agentSocketPath"],
    ["agentSocketPath as a number", { agentSocketPath: 7 }, "agentSocketPath"],
    // the Docker socket
    ["dockerSocket with a space", { dockerSocket: "/var/run/docker sock" }, "dockerSocket"],
    ["dockerSocket with a command substitution", { dockerSocket: "/var/run/$(id).sock" }, "dockerSocket"],
    ["dockerSocket longer than a unix socket path", { dockerSocket: `/${huge(120)}` }, "dockerSocket"],
    ["dockerSocket empty", { dockerSocket: "" }, "dockerSocket"],
    ["dockerSocket with a newline", { dockerSocket: "/run/docker.sock\n" }, "dockerSocket"],
    // timeouts and retries
    ["perDialTimeout negative", { perDialTimeout: -5 }, "perDialTimeout"],
    ["perDialTimeout with a unit", { perDialTimeout: "15s" }, "perDialTimeout"],
    ["perDialTimeout over an hour", { perDialTimeout: 3601 }, "perDialTimeout"],
    ["dialErrorLimit 0", { dialErrorLimit: 0 }, "dialErrorLimit"],
    ["dialErrorLimit fractional", { dialErrorLimit: 2.5 }, "dialErrorLimit"],
    ["dialErrorLimit as a word", { dialErrorLimit: "many" }, "dialErrorLimit"],
    // the jump host
    ["proxy.user with a space", { proxy: { host: "jump", user: "bad user", privateKey: key.private } }, "proxy.user"],
    ["proxy.privateKey not a key", { proxy: { host: "jump", privateKey: "nope" } }, "proxy.privateKey"],
    ["proxy with an unknown field", { proxy: { host: "jump", privateKey: key.private, hots: "x" } }, "proxy.hots"],
    ["proxy as a list", { proxy: [] }, "proxy"],
    [
      "proxy with a dockerSocket",
      { proxy: { host: "jump", privateKey: key.private, dockerSocket: "/x" } },
      "proxy.dockerSocket",
    ],
    [
      "proxy with a jump host of its own",
      { proxy: { host: "jump", privateKey: key.private, proxy: { host: "j2" } } },
      "proxy.proxy",
    ],
    ["proxy.port as a word", { proxy: { host: "jump", port: "x", privateKey: key.private } }, "proxy.port"],
    // unknown fields
    ["a field in the wrong case", { Host: "x" }, "Host"],
    ["a made-up key field", { ssh_key: "x" }, "ssh_key"],
    ["privatekey in lower case", { privatekey: "x" }, "privatekey"],
    ["an output given as an input", { dockerVersion: "26.1" }, "dockerVersion"],
    ["a connection given as an input", { connection: {} }, "connection"],
    // display fields
    ["name of 256 characters", { name: huge(256) }, "name"],
    ["name empty", { name: "" }, "name"],
    ["name as a number", { name: 5 }, "name"],
    ["description as a number", { description: 5 }, "description"],
    ["description of 5,000 characters", { description: huge(5000) }, "description"],
  ];

  it.each(cases)("%s", async (_title, override, field) => {
    const news = { ...ok(), ...override };
    for (const k of Object.keys(news))
      if (news[k as keyof typeof news] === undefined) delete news[k as keyof typeof news];
    expectNamed(await engineLike("server", news), field);
  });

  it("reached no server", () => expectNothingReachedAServer());
});

describe("Destination: malformed input fails naming the field, and nothing reaches a server", () => {
  const connection = () => ({
    host: "127.0.0.1",
    port: trapPort,
    user: "root",
    privateKey: key.private,
    dockerSocket: "/var/run/docker.sock",
    perDialTimeout: 2,
    dialErrorLimit: 1,
  });
  const ok = () => ({
    connection: connection(),
    serverName: "web-1",
    serverSwarmRole: "none",
    owner: "proj/dev/dest",
    serverId: "5a1c0e6e-0000-4000-8000-000000000001",
    resourceUrn: "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/dockyard:Destination::dest",
    network: "dy-bad-input",
  });
  const { dialErrorLimit: _limit, ...withoutLimit } = connection();
  const { user: _user, ...withoutUser } = connection();
  const manyLabels = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, "v"]));

  const cases: Array<[string, Record<string, unknown>, string]> = [
    // network names
    ["network empty", { network: "" }, "network"],
    ["network with a newline", { network: "a\nb" }, "network"],
    ["network with non-ASCII letters", { network: "netwörk" }, "network"],
    ["network 'host'", { network: "host" }, "network"],
    ["network 'none'", { network: "none" }, "network"],
    ["network 'ingress'", { network: "ingress" }, "network"],
    ["network 'docker_gwbridge'", { network: "docker_gwbridge" }, "network"],
    ["network as a list", { network: ["prod"] }, "network"],
    ["network starting with a dot", { network: ".hidden" }, "network"],
    ["network with a semicolon", { network: "prod;rm" }, "network"],
    ["network with a command substitution", { network: "prod$(id)" }, "network"],
    ["network starting with an underscore", { network: "_x" }, "network"],
    // swarmkit's stricter rule for swarm (overlay) network names
    ["a swarm network name with a dot", { type: "swarm", network: "prod.v2" }, "network"],
    ["a swarm network name ending in a dash", { type: "swarm", network: "prod-" }, "network"],
    ["a swarm network name of 64 characters", { type: "swarm", network: "a".repeat(64) }, "network"],
    [
      "a swarm network (the default on a manager) named with a dot",
      { serverSwarmRole: "manager", network: "prod.v2" },
      "network",
    ],
    // type
    ["type in another case", { type: "Swarm" }, "type"],
    ["type named after the driver", { type: "bridge" }, "type"],
    ["type as a number", { type: 1 }, "type"],
    ["type empty", { type: "" }, "type"],
    // CIDRs and addresses
    ["subnet with two prefixes", { subnet: "10.0.0.0/8/8" }, "subnet"],
    ["subnet without a prefix length", { subnet: "10.0.0.0/" }, "subnet"],
    ["subnet without an address", { subnet: "/24" }, "subnet"],
    ["subnet with a leading space", { subnet: " 10.0.0.0/24" }, "subnet"],
    ["subnet with a space before the prefix", { subnet: "10.0.0.0 /24" }, "subnet"],
    ["subnet with a negative prefix", { subnet: "10.0.0.0/-1" }, "subnet"],
    ["subnet with a four-digit prefix", { subnet: "10.0.0.0/1000" }, "subnet"],
    ["subnet as a number", { subnet: 10 }, "subnet"],
    ["subnet of 100 characters", { subnet: huge(100) }, "subnet"],
    ["ipv6Subnet with a zone id", { ipv6: true, ipv6Subnet: "fe80::%eth0/64" }, "ipv6Subnet"],
    ["gateway with a zone id", { subnet: "10.1.0.0/24", gateway: "fe80::%eth0" }, "gateway"],
    ["ipv6Gateway with a zone id", { ipv6: true, ipv6Subnet: "fe80::/64", ipv6Gateway: "fe80::1%eth0" }, "ipv6Gateway"],
    ["ipRange with a zone id", { subnet: "10.1.0.0/24", ipRange: "fe80::%eth0/64" }, "ipRange"],
    ["ipRange without a subnet", { ipRange: "10.1.0.0/24" }, "ipRange"],
    ["ipRange with a /33", { subnet: "10.1.0.0/16", ipRange: "10.1.0.0/33" }, "ipRange"],
    ["an IPv6 gateway in an IPv4 subnet", { subnet: "10.1.0.0/24", gateway: "fd00::1" }, "gateway"],
    ["ipv6Gateway without an ipv6Subnet", { ipv6: true, ipv6Gateway: "fd00::1" }, "ipv6Gateway"],
    [
      "ipv6IpRange outside the ipv6Subnet",
      { ipv6: true, ipv6Subnet: "fd00:1::/64", ipv6IpRange: "fd00:2::/80" },
      "ipv6IpRange",
    ],
    ["ipv6 as a word", { ipv6: "yes", ipv6Subnet: "fd00::/64" }, "ipv6"],
    // labels
    ["a label value null", { labels: { tier: null } }, "labels.tier"],
    ["a label value true", { labels: { tier: true } }, "labels.tier"],
    ["a label value a list", { labels: { tier: [] } }, "labels.tier"],
    ["a label value a fraction", { labels: { tier: 1.5 } }, "labels.tier"],
    ["a label key empty", { labels: { "": "x" } }, "labels."],
    ["a label key with a space", { labels: { " spaced": "x" } }, "labels. spaced"],
    ["a label key starting with a dash", { labels: { "-lead": "x" } }, "labels.-lead"],
    ["a label key of 256 characters", { labels: { [huge(256)]: "x" } }, `labels.${huge(256)}`],
    ["a label key with '='", { labels: { "a=b": "x" } }, "labels.a=b"],
    ["a label key in Docker's namespace", { labels: { "com.docker.network.x": "x" } }, "labels.com.docker.network.x"],
    ["a label value of 1 MiB", { labels: { big: huge(1 << 20) } }, "labels.big"],
    ["10,000 labels", { labels: manyLabels }, "labels"],
    ["labels as a list", { labels: [] }, "labels"],
    ["labels as a number", { labels: 7 }, "labels"],
    // driver options and MTU
    ["driverOptions as a list", { driverOptions: [] }, "driverOptions"],
    ["a driver option key with a space", { driverOptions: { "bad key": "x" } }, "driverOptions.bad key"],
    ["a driver option value of 1,025 characters", { driverOptions: { k: huge(1025) } }, "driverOptions.k"],
    [
      "a driver option naming a host bridge",
      { driverOptions: { "com.docker.network.bridge.name": "docker0" } },
      "driverOptions.com.docker.network.bridge.name",
    ],
    ["driverOptions as a string", { driverOptions: "opt=1" }, "driverOptions"],
    ["mtu as a word", { mtu: "abc" }, "mtu"],
    ["mtu of a million", { mtu: 1e6 }, "mtu"],
    ["mtu 67", { mtu: 67 }, "mtu"],
    ["mtu fractional", { mtu: 1500.5 }, "mtu"],
    ["mtu negative", { mtu: -1 }, "mtu"],
    ["mtu as a boolean", { mtu: true }, "mtu"],
    // containers to connect
    ["connect with a number", { connect: [1] }, "connect[0]"],
    ["connect with a nested list", { connect: [["a"]] }, "connect[0]"],
    ["connect with a 300-character name", { connect: [huge(300)] }, "connect[0]"],
    ["connect with an empty name", { connect: [""] }, "connect[0]"],
    ["connect as an object", { connect: {} }, "connect"],
    ["connect with an option-like name", { connect: ["-x"] }, "connect[0]"],
    ["connect with a space", { connect: ["a b"] }, "connect[0]"],
    ["connect with a short container id", { connect: ["3f4e1a2b"] }, "connect[0]"],
    // booleans
    ["internal as a string", { internal: "true" }, "internal"],
    ["ipv6 as a number", { ipv6: 1 }, "ipv6"],
    ["adopt as a word", { adopt: "no" }, "adopt"],
    ["attachable as an object", { attachable: {} }, "attachable"],
    // unknown fields
    ["an output given as an input (subnets)", { subnets: ["10.0.0.0/24"] }, "subnets"],
    ["an output given as an input (networkId)", { networkId: "abc" }, "networkId"],
    ["a field in the wrong case", { Labels: {} }, "Labels"],
    ["the SDK's server argument passed through", { server: {} }, "server"],
    ["driver instead of type", { driver: "overlay" }, "driver"],
    // what the SDK fills in from the Server
    ["connection as a string", { connection: "root@host" }, "connection"],
    ["connection without a host", { connection: {} }, "connection.host"],
    ["connection.port as a string", { connection: { ...connection(), port: "22" } }, "connection.port"],
    ["connection as a list", { connection: [] }, "connection"],
    ["connection without dialErrorLimit", { connection: withoutLimit }, "connection.dialErrorLimit"],
    [
      "connection.dialErrorLimit a fraction",
      { connection: { ...connection(), dialErrorLimit: 1.5 } },
      "connection.dialErrorLimit",
    ],
    [
      "connection.perDialTimeout zero",
      { connection: { ...connection(), perDialTimeout: 0 } },
      "connection.perDialTimeout",
    ],
    ["connection without a user", { connection: withoutUser }, "connection.user"],
    ["connection.user with a space", { connection: { ...connection(), user: "ro ot" } }, "connection.user"],
    ["connection.host with a space", { connection: { ...connection(), host: "a b" } }, "connection.host"],
    ["connection.port of 70,000", { connection: { ...connection(), port: 70000 } }, "connection.port"],
    [
      "connection.dockerSocket relative",
      { connection: { ...connection(), dockerSocket: "docker.sock" } },
      "connection.dockerSocket",
    ],
    ["connection.privateKey as a number", { connection: { ...connection(), privateKey: 5 } }, "connection.privateKey"],
    [
      "connection.proxy without dialErrorLimit",
      { connection: { ...connection(), proxy: withoutLimit } },
      "connection.proxy.dialErrorLimit",
    ],
    ["connection.proxy as a string", { connection: { ...connection(), proxy: "jump" } }, "connection.proxy"],
    [
      "serverId missing for a destination given a Server",
      { serverId: undefined, daemon: { host: "127.0.0.1", dockerSocket: "/var/run/docker.sock" } },
      "serverId",
    ],
    ["serverId as a number", { serverId: 5 }, "serverId"],
    ["resourceUrn missing", { resourceUrn: undefined }, "resourceUrn"],
    ["resourceUrn empty", { resourceUrn: "" }, "resourceUrn"],
    ["owner missing", { owner: undefined }, "owner"],
    ["owner as a number", { owner: 5 }, "owner"],
    ["owner of 2,000 characters", { owner: huge(2000) }, "owner"],
    ["serverName as a number", { serverName: 5 }, "serverName"],
    ["serverSwarmRole as a number", { serverSwarmRole: 5 }, "serverSwarmRole"],
    // display name
    ["name as a number", { name: 5 }, "name"],
    ["name empty", { name: "" }, "name"],
    ["name of 256 characters", { name: huge(256) }, "name"],
  ];

  it.each(cases)("%s", async (_title, override, field) => {
    const news: Record<string, unknown> = { ...ok(), ...override };
    for (const k of Object.keys(news)) if (news[k] === undefined) delete news[k];
    expectNamed(await engineLike("destination", news), field);
  });

  it("rejects huge inputs quickly", () => {
    const news = { ...ok(), labels: { ...manyLabels, big: huge(1 << 22) }, driverOptions: manyLabels };
    // What one linear pass over the same input takes on this machine, now:
    // the check may take a generous multiple of it (never less than 2 s), so
    // a loaded machine slows both alike while work that grows faster than the
    // input (a backtracking pattern) still fails.
    let t = performance.now();
    JSON.parse(JSON.stringify(news));
    const linearMs = performance.now() - t;
    t = performance.now();
    const r = ctl.destination.check(undefined, news);
    const checkMs = performance.now() - t;
    expect(r.failures.length).toBeGreaterThan(0);
    expect(checkMs).toBeLessThan(Math.max(2000, 100 * linearMs));
  });

  it("reached no server", () => expectNothingReachedAServer());
});
