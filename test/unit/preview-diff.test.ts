// What a preview says when a Server changes under its Destinations. Pure logic:
// no transport is used.
import { describe, expect, it } from "vitest";
import { createControllers, UNKNOWN, type DestinationState } from "../../provider";
import { checkDestination } from "../../provider/destination/destination-check";

const { destination } = createControllers();

const connection = {
  host: "web1.example.com",
  port: 22,
  user: "root",
  password: "pw",
  dockerSocket: "/var/run/docker.sock",
  perDialTimeout: 15,
  dialErrorLimit: 10,
};
const daemon = { host: "web1.example.com", dockerSocket: "/var/run/docker.sock", login: "sha256:aaaa" };

function inputsWith(over: Record<string, unknown> = {}, olds?: Record<string, unknown>) {
  const r = checkDestination(olds, {
    connection,
    daemon,
    serverName: "web1",
    serverSwarmRole: "none",
    owner: "p/s/prod",
    serverId: "0b6f2c1e-5d1a-4c3e-9f7a-2a1b3c4d5e6f",
    resourceUrn: "urn:pulumi:s::p::pulumi-nodejs:dynamic/dockyard:Destination::prod",
    network: "prod",
    labels: { tier: "web" },
    ...over,
  });
  expect(r.failures).toEqual([]);
  return r.inputs;
}
const destInputs = inputsWith();
const destState: DestinationState = {
  ...destInputs,
  networkId: "abc",
  driver: "bridge",
  scope: "local",
  adopted: false,
  subnets: ["172.20.0.0/16"],
};

describe("a Server update under a Destination", () => {
  it("that does not touch the login (description, name) changes nothing, though the connection is not known yet", () => {
    const d = destination.diff("abc", destState, inputsWith({ connection: UNKNOWN }));
    expect(d).toMatchObject({ changes: false, replaces: [], updates: [] });
  });
  it("a rotated key, new port or user (another login) updates the destination in place", () => {
    const d = destination.diff(
      "abc",
      destState,
      inputsWith({ connection: UNKNOWN, daemon: { ...daemon, login: "sha256:bbbb" } }),
    );
    expect(d).toMatchObject({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(d.updates).toEqual(["daemon", "connection"]);
  });
  it("a login not known yet (a key computed by another resource) is an update, never a replacement", () => {
    const d = destination.diff(
      "abc",
      destState,
      inputsWith({ connection: UNKNOWN, daemon: { ...daemon, login: UNKNOWN } }),
    );
    expect(d).toMatchObject({ changes: true, replaces: [] });
    expect(d.updates).toEqual(["daemon", "connection"]);
  });
  it("a login that changes while the connection stays the same updates only the login record", () => {
    const d = destination.diff("abc", destState, inputsWith({ daemon: { ...daemon, login: "sha256:cccc" } }));
    expect(d.updates).toEqual(["daemon"]);
  });
  it("the same host in other letter case is the same daemon", () => {
    const d = destination.diff(
      "abc",
      destState,
      inputsWith({ connection: UNKNOWN, daemon: { ...daemon, host: "WEB1.Example.COM" } }),
    );
    expect(d).toMatchObject({ changes: false, replaces: [] });
  });
  it("another host or socket is another daemon: replaced, the new network first (names cannot collide there)", () => {
    for (const other of [{ host: "web2.example.com" }, { dockerSocket: "/run/other.sock" }]) {
      const d = destination.diff(
        "abc",
        destState,
        inputsWith({ connection: UNKNOWN, daemon: { ...daemon, ...other } }),
      );
      expect(d).toMatchObject({ changes: true, replaces: ["daemon"], deleteBeforeReplace: false });
    }
  });
  it("a host or socket not known yet may be another daemon: replaced, deleting first in case it is the same", () => {
    for (const other of [{ host: UNKNOWN }, { dockerSocket: UNKNOWN }]) {
      const d = destination.diff(
        "abc",
        destState,
        inputsWith({ connection: UNKNOWN, daemon: { ...daemon, ...other } }),
      );
      expect(d).toMatchObject({ replaces: ["daemon"], deleteBeforeReplace: true });
    }
    expect(destination.diff("abc", destState, inputsWith({ connection: UNKNOWN, daemon: UNKNOWN })).replaces).toEqual([
      "daemon",
    ]);
  });
  it("a network name not known yet replaces and says delete-before-replace, the safe order if it turns out the same", () => {
    const d = destination.diff("abc", destState, inputsWith({ network: UNKNOWN }));
    expect(d).toMatchObject({ replaces: ["network"], deleteBeforeReplace: true });
  });
  it("unknown values in the destination's own fields name those fields", () => {
    expect(destination.diff("abc", destState, inputsWith({ labels: { tier: UNKNOWN } })).replaces).toEqual(["labels"]);
    expect(destination.diff("abc", destState, inputsWith({ connect: [UNKNOWN] })).updates).toEqual(["connect"]);
    expect(destination.diff("abc", destState, inputsWith({ name: UNKNOWN })).updates).toEqual(["name"]);
  });
});

describe("a Destination recorded before the daemon field existed", () => {
  const { daemon: _dropped, ...oldInputs } = destInputs;
  const oldState = {
    ...oldInputs,
    networkId: "abc",
    driver: "bridge",
    scope: "local",
    adopted: false,
    subnets: [],
  } as DestinationState;
  it("previews no change when nothing changed (no upgrade churn)", () => {
    expect(destination.diff("abc", oldState, destInputs)).toMatchObject({ changes: false });
  });
  it("falls back to the recorded connection to tell the daemon", () => {
    const d = destination.diff(
      "abc",
      oldState,
      inputsWith({
        connection: { ...connection, host: "web2.example.com" },
        daemon: { ...daemon, host: "web2.example.com" },
      }),
    );
    expect(d.replaces).toEqual(["daemon"]);
  });
  it("an unknown connection with no login record to compare is an update", () => {
    const d = destination.diff("abc", oldState, inputsWith({ connection: UNKNOWN }));
    expect(d).toMatchObject({ changes: true, replaces: [], updates: ["connection"] });
  });
});
