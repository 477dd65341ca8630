import { describe, expect, it } from "vitest";
import { LABEL_MANAGED, LABEL_OWNER } from "../../../provider/destination/destination-types";
import { scanNetworks } from "../../../provider/networks/network-scan";
import { FakeDaemons } from "../../support/fake-engine";
import { CONNECTION, HOST } from "../../support/fake-world";

function setUp() {
  const daemons = new FakeDaemons();
  const daemon = daemons.daemon(HOST, { defaultBridge: false });
  return { daemons, daemon };
}

describe("scanning a server's networks", () => {
  it("lists every network by name, with its driver, scope and attached containers", async () => {
    const { daemons, daemon } = setUp();
    const zeta = daemon.addNetwork({ Name: "zeta" });
    const alpha = daemon.addNetwork({ Name: "alpha", Driver: "bridge" });
    const web = daemon.addContainer("web");
    daemon.attach("alpha", "web");
    const found = await scanNetworks(daemons, CONNECTION);
    // The daemon's own networks (host, none) are listed too, all sorted by name.
    expect(found.map((n) => n.name)).toEqual(["alpha", "host", "none", "zeta"]);
    expect(found[0]).toEqual({
      name: "alpha",
      id: alpha,
      driver: "bridge",
      scope: "local",
      managed: false,
      containers: [{ name: "web", id: web }],
    });
    expect(found[3]).toMatchObject({ name: "zeta", id: zeta, managed: false, containers: [] });
    expect(daemons.connections).toEqual([CONNECTION]);
  });

  it("tells Dockyard's networks by their label, with the owner they name", async () => {
    const { daemons, daemon } = setUp();
    daemon.addNetwork({ Name: "prod", Labels: { [LABEL_MANAGED]: "true", [LABEL_OWNER]: "p/s/prod" } });
    daemon.addNetwork({ Name: "claims", Labels: { [LABEL_MANAGED]: "false", [LABEL_OWNER]: "p/s/x" } });
    daemon.addNetwork({ Name: "bare", Labels: { [LABEL_MANAGED]: "true" } });
    const byName = Object.fromEntries((await scanNetworks(daemons, CONNECTION)).map((n) => [n.name, n]));
    expect(byName.prod).toMatchObject({ managed: true, owner: "p/s/prod" });
    // An owner label on a network Dockyard does not manage is not reported.
    expect(byName.claims!.managed).toBe(false);
    expect("owner" in byName.claims!).toBe(false);
    expect(byName.bare!.managed).toBe(true);
    expect("owner" in byName.bare!).toBe(false);
  });

  it("skips a network removed between the list and its inspect", async () => {
    const { daemons, daemon } = setUp();
    daemon.addNetwork({ Name: "stays" });
    const goes = daemon.addNetwork({ Name: "goes" });
    daemon.before("inspectNetwork", () => daemon.removeByHand("goes"), { match: (args) => args[0] === goes });
    const found = await scanNetworks(daemons, CONNECTION);
    expect(found.map((n) => n.name)).toEqual(["host", "none", "stays"]);
  });

  it("passes a daemon's failure on", async () => {
    const { daemons, daemon } = setUp();
    daemon.addNetwork({ Name: "a" });
    daemon.fail("inspectNetwork", new Error("daemon went away"));
    await expect(scanNetworks(daemons, CONNECTION)).rejects.toThrow("daemon went away");
  });
});
