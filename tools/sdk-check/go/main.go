// A small program against the generated Go SDK: it only has to build
// (scripts/sdk-check). It uses each resource, the connection output and the
// getNetworks invoke, so a schema change that breaks them breaks the build.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"pulumi-dockyard/sdk/go/dockyard"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		server, err := dockyard.NewServer(ctx, "web", &dockyard.ServerArgs{
			Host:       pulumi.String(cfg.Require("host")),
			PrivateKey: cfg.RequireSecret("sshKey"),
		})
		if err != nil {
			return err
		}
		prod, err := dockyard.NewDestination(ctx, "prod", &dockyard.DestinationArgs{
			Connection: server.Connection,
			ServerName: server.Name,
			Network:    pulumi.String("prod"),
			Labels:     pulumi.StringMap{"tier": pulumi.String("web")},
		})
		if err != nil {
			return err
		}
		scan := dockyard.GetNetworksOutput(ctx, dockyard.GetNetworksOutputArgs{Connection: server.Connection})
		ctx.Export("networkId", prod.NetworkId)
		ctx.Export("networks", scan.Networks())
		return nil
	})
}
