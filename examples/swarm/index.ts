// A swarm destination: an attachable overlay network created through a swarm
// manager. Swarm services on every node of the swarm can use it, and so can
// plain containers (`docker run --network ...`), because it is attachable.
//
// Config (`pulumi config set ...`):
//   host      address of a swarm *manager* (required)
//   port      SSH port (default 22)
//   user      SSH user: root, or a member of the `docker` group (default root)
//   sshKey    private key, as a secret: pulumi config set --secret sshKey < ~/.ssh/id_ed25519
//             (without it, the ssh-agent at SSH_AUTH_SOCK is used)
//   hostKey   the server's public host key or SHA256 fingerprint (optional:
//             without it the key seen first is recorded and enforced)
//   dockerSocket  path of the Docker socket on the server (default /var/run/docker.sock)
//   network   name of the overlay network (default: <stack>-services)
import * as pulumi from "@pulumi/pulumi";
import * as dockyard from "pulumi-dockyard";

export = async () => {
  const cfg = new pulumi.Config();

  const manager = new dockyard.Server("manager", {
    host: cfg.require("host"),
    port: cfg.getNumber("port"),
    user: cfg.get("user"),
    privateKey: cfg.getSecret("sshKey"),
    hostKey: cfg.get("hostKey"),
    dockerSocket: cfg.get("dockerSocket"),
    description: "swarm manager",
  });

  // Creating it fails with a clear message if the server is not a swarm manager.
  const services = new dockyard.Destination("services", {
    server: manager,
    type: "swarm",
    attachable: true,
    network: cfg.get("network") ?? `${pulumi.getStack()}-services`,
    labels: { purpose: "services" },
  });

  return {
    manager: {
      name: manager.name,
      dockerVersion: manager.dockerVersion,
      swarmState: manager.swarmState,
      swarmRole: manager.swarmRole,
      swarmNodeId: manager.swarmNodeId,
      hostKeyFingerprint: manager.hostKeyFingerprint,
    },
    services: {
      name: services.name,
      network: services.network,
      networkId: services.networkId,
      type: services.type,
      driver: services.driver,
      scope: services.scope,
      attachable: services.attachable,
      subnets: services.subnets,
    },
  };
};
