// Two servers, each with a standalone destination of the same network name.
// A network name only has to be unique per server: `apps` on one machine and
// `apps` on another are two unrelated networks, and Dockyard tracks each by
// its server and Docker id.
//
// Config: one namespace per server (`pulumi config set server1:host ...`):
//   serverN:host      address (required)
//   serverN:port      SSH port (default 22)
//   serverN:user      SSH user: root, or a member of the `docker` group (default root)
//   serverN:sshKey    private key, as a secret:
//                     pulumi config set --secret server1:sshKey < ~/.ssh/id_ed25519
//   serverN:hostKey   public host key or SHA256 fingerprint (optional: without
//                     it the key seen first is recorded and enforced)
//   serverN:dockerSocket  path of the Docker socket on the server (default /var/run/docker.sock)
//   serverN:network   this server's network name (optional, default `network`)
// and in the project's namespace:
//   network           the network name on both servers (default: <stack>-apps)
import * as pulumi from "@pulumi/pulumi";
import * as dockyard from "pulumi-dockyard";

export = async () => {
  const network = new pulumi.Config().get("network") ?? `${pulumi.getStack()}-apps`;

  const servers = ["server1", "server2"].map((ns) => {
    const cfg = new pulumi.Config(ns);
    const server = new dockyard.Server(ns, {
      host: cfg.require("host"),
      port: cfg.getNumber("port"),
      user: cfg.get("user"),
      privateKey: cfg.getSecret("sshKey"),
      hostKey: cfg.get("hostKey"),
      dockerSocket: cfg.get("dockerSocket"),
      name: ns,
    });
    const apps = new dockyard.Destination(`${ns}-apps`, {
      server,
      type: "standalone",
      network: cfg.get("network") ?? network,
      labels: { app: "apps" },
    });
    return { ns, server, apps };
  });

  return Object.fromEntries(
    servers.map(({ ns, server, apps }) => [
      ns,
      {
        host: server.host,
        port: server.port,
        user: server.user,
        dockerVersion: server.dockerVersion,
        os: server.os,
        swarmRole: server.swarmRole,
        hostKeyFingerprint: server.hostKeyFingerprint,
        network: apps.network,
        networkId: apps.networkId,
        driver: apps.driver,
        scope: apps.scope,
      },
    ]),
  );
};
