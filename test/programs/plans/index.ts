// The program of test/e2e/plans.test.ts: one Server and the Destinations
// `web` and (unless `withDb` is false) `db`, described by the stack config
// `knobs` (JSON). `privateKeyFile` names a key file, read here as a secret.
import * as fs from "fs";

import * as pulumi from "@pulumi/pulumi";
import * as dockyard from "pulumi-dockyard";

interface Knobs {
  host: string;
  port: number;
  user: string;
  privateKeyFile: string;
  hostKey: string;
  description: string;
  webNetwork: string;
  webName: string;
  webLabel: string;
  dbNetwork: string;
  withDb: boolean;
}

const k = new pulumi.Config().requireObject<Knobs>("knobs");
const server = new dockyard.Server("server", {
  host: k.host,
  port: k.port,
  user: k.user,
  privateKey: pulumi.secret(fs.readFileSync(k.privateKeyFile, "utf8")),
  hostKey: k.hostKey,
  description: k.description,
});
new dockyard.Destination("web", {
  server,
  type: "standalone",
  network: k.webNetwork,
  name: k.webName,
  labels: { tier: k.webLabel },
});
if (k.withDb) new dockyard.Destination("db", { server, type: "standalone", network: k.dbNetwork });
