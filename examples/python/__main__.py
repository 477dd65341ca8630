"""One server, two standalone destinations (production and staging), and a
scan of the server's networks, through the plugin provider `dockyard`."""
import pulumi
import pulumi_dockyard as dockyard

cfg = pulumi.Config()
prefix = cfg.get("prefix") or pulumi.get_stack()

server = dockyard.Server(
    "server",
    host=cfg.require("host"),
    port=cfg.get_int("port"),
    user=cfg.get("user"),
    private_key=cfg.get_secret("sshKey"),
    host_key=cfg.get("hostKey"),
)

destinations = {
    env: dockyard.Destination(
        env,
        connection=server.connection,
        server_name=server.name,
        type="standalone",
        network=f"{prefix}-{env}",
        labels={"environment": env},
    )
    for env in ("production", "staging")
}

scan = dockyard.get_networks_output(connection=server.connection)

pulumi.export("dockerVersion", server.docker_version)
pulumi.export("networks", {env: d.network_id for env, d in destinations.items()})
pulumi.export("scanned", scan.networks.apply(lambda ns: [n.name for n in ns]))
