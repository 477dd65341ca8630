// One server, two standalone destinations: `production` and `staging` are two
// Docker bridge networks on the same machine. Containers deployed to one
// cannot reach containers deployed to the other.
//
// Config (`pulumi config set ...`):
//   host      address of the server (required)
//   port      SSH port (default 22)
//   user      SSH user: root, or a member of the `docker` group (default root)
//   sshKey    private key, as a secret: pulumi config set --secret sshKey < ~/.ssh/id_ed25519
//             (without it, the ssh-agent at SSH_AUTH_SOCK is used)
//   hostKey   the server's public host key or SHA256 fingerprint (optional:
//             without it the key seen first is recorded and enforced)
//   dockerSocket  path of the Docker socket on the server (default /var/run/docker.sock)
//   prefix    prefix of the network names (default: the stack name)
import * as pulumi from "@pulumi/pulumi";
import * as dockyard from "pulumi-dockyard";

export = async () => {
  const cfg = new pulumi.Config();
  const prefix = cfg.get("prefix") ?? pulumi.getStack();

  const server = new dockyard.Server("server", {
    host: cfg.require("host"),
    port: cfg.getNumber("port"),
    user: cfg.get("user"),
    privateKey: cfg.getSecret("sshKey"),
    hostKey: cfg.get("hostKey"),
    dockerSocket: cfg.get("dockerSocket"),
  });

  const destinations = Object.fromEntries(
    ["production", "staging"].map((env) => [
      env,
      new dockyard.Destination(env, {
        server,
        type: "standalone",
        network: `${prefix}-${env}`,
        labels: { environment: env },
      }),
    ]),
  );

  return {
    server: {
      name: server.name,
      dockerVersion: server.dockerVersion,
      os: server.os,
      architecture: server.architecture,
      swarmRole: server.swarmRole,
      hostKeyFingerprint: server.hostKeyFingerprint,
    },
    destinations: Object.fromEntries(
      Object.entries(destinations).map(([env, d]) => [
        env,
        {
          name: d.name,
          network: d.network,
          networkId: d.networkId,
          driver: d.driver,
          scope: d.scope,
          subnets: d.subnets,
        },
      ]),
    ),
  };
};
