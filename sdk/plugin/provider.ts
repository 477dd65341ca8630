/**
 * The plugin provider: the same controllers as the dynamic provider, served
 * to the engine as the resource plugin `dockyard` (`sdk/plugin/main.ts`).
 *
 * What differs from the dynamic adapter is only the wire: resources are told
 * apart by their type token, secrets arrive and leave wrapped (`secrets.ts`),
 * the engine gives every call the resource's URN (so its operation context
 * names it, and a Destination's owner comes from it), and a Destination
 * takes a `connection` object rather than a Server.
 */
import type * as pulumi from "@pulumi/pulumi";
import { checkConnection } from "../../provider/connection";
import { DESTINATION_SECRET_KEYS } from "../../provider/destination/destination-types";
import { DESTINATION_FIELDS } from "../../provider/destination/destination-fields";
import { SERVER_FIELDS } from "../../provider/server/server-fields";
import { createControllers, type CheckFailure, type Controllers, type ResourceController } from "../../provider";
import { contextForUrn, type Logger, type OperationContext } from "../../provider/operation-context";
import { scanNetworks } from "../../provider/networks/network-scan";
import { SERVER_SECRET_KEYS } from "../../provider/server/server-types";
import { importDestination } from "./import";
import { DESTINATION_TYPE, GET_NETWORKS, SERVER_TYPE, schema } from "./schema";
import { conceal, reveal, secretKeys } from "./secrets";
import { withPlainErrors, withoutUndefined } from "../to-engine";

type Props = Record<string, unknown>;

interface Kind {
  ctl: ResourceController<object, object>;
  secrets: readonly string[];
  /** Inputs as the controller's `check` takes them, from what the engine sent. */
  prepare(urn: string, news: Props, failures: CheckFailure[]): Props;
}

/** Where the plugin's progress goes: its standard error (its standard output speaks to the engine). */
const toStderr: Logger = (message) => console.error(message);

export class DockyardProvider implements pulumi.provider.Provider {
  readonly version: string;
  private readonly kinds: Record<string, Kind>;
  private controllers?: Controllers;

  constructor(version: string, controllers?: Controllers) {
    this.version = version;
    this.controllers = controllers;
    const ctl = () => this.ctl();
    this.kinds = {
      [SERVER_TYPE]: {
        get ctl() {
          return ctl().server as unknown as ResourceController<object, object>;
        },
        secrets: SERVER_SECRET_KEYS,
        prepare: (_urn, news) => news,
      },
      [DESTINATION_TYPE]: {
        get ctl() {
          return ctl().destination as unknown as ResourceController<object, object>;
        },
        secrets: DESTINATION_SECRET_KEYS,
        prepare: (_urn, news, failures) => {
          const r = checkConnection(news.connection);
          failures.push(...r.failures);
          // The owner and URN are the resource's own, from the context, whatever the program says.
          return { ...news, connection: r.connection ?? news.connection };
        },
      },
    };
  }

  private ctl(): Controllers {
    return (this.controllers ??= createControllers({ log: toStderr }));
  }

  /** Aborted when the engine cancels the deployment: operations stop waiting. */
  private readonly cancelled = new AbortController();

  async cancel(): Promise<void> {
    this.cancelled.abort(new Error("dockyard: the deployment was cancelled"));
  }

  /** The context of one call for the resource `urn`. */
  private context(urn: string): OperationContext {
    return contextForUrn(urn, toStderr, this.cancelled.signal);
  }

  async getSchema(): Promise<string> {
    return JSON.stringify(schema(this.version));
  }

  private kind(urn: string): Kind {
    const type = urn.split("::")[2] ?? "";
    const kind = this.kinds[type.split("$").pop() ?? ""];
    if (!kind) throw new Error(`dockyard: unknown resource type '${type}'`);
    return kind;
  }

  /** Wrap the kind's secret fields, and any field that came in holding a secret. */
  private out(kind: Kind, props: object, sent?: Props): Props {
    return conceal(withoutUndefined(props) as Props, new Set([...kind.secrets, ...secretKeys(sent)]));
  }

  async check(urn: string, olds: Props, news: Props): Promise<pulumi.provider.CheckResult> {
    const kind = this.kind(urn);
    const failures: CheckFailure[] = [];
    const prepared = kind.prepare(urn, reveal(news) as Props, failures);
    const r = kind.ctl.check(
      olds && Object.keys(olds).length ? (reveal(olds) as Props) : undefined,
      prepared,
      this.context(urn),
    );
    // A bad connection is reported once, by field; the controller's own check (which
    // calls a missing one `server`, as the TypeScript SDK takes a Server) would only repeat it.
    const repeated = failures.length ? new Set(["connection", "server"]) : new Set<string>();
    const own = r.failures.filter((f) => !repeated.has(f.property.split(".")[0] ?? ""));
    return { inputs: this.out(kind, r.inputs, news), failures: [...failures, ...own] };
  }

  async diff(id: string, urn: string, olds: Props, news: Props): Promise<pulumi.provider.DiffResult> {
    const r = this.kind(urn).ctl.diff(id, reveal(olds) as object, reveal(news) as object, this.context(urn));
    return { changes: r.changes, replaces: r.replaces, stables: r.stables, deleteBeforeReplace: r.deleteBeforeReplace };
  }

  create(urn: string, inputs: Props): Promise<pulumi.provider.CreateResult> {
    const kind = this.kind(urn);
    return withPlainErrors(async () => {
      const r = await kind.ctl.create(reveal(inputs) as object, this.context(urn));
      return { id: r.id, outs: this.out(kind, r.state, inputs) };
    });
  }

  read(id: string, urn: string, props?: Props): Promise<pulumi.provider.ReadResult> {
    const kind = this.kind(urn);
    return withPlainErrors(async () => {
      const known = reveal(props ?? {}) as Props;
      // An import: the engine gives only the id (see import.ts).
      const importing = kind === this.kinds[DESTINATION_TYPE] && known.connection === undefined;
      const ctx = this.context(urn);
      const r = importing ? await importDestination(this.ctl(), id, ctx) : await kind.ctl.read(id, known, ctx);
      if (!r) return { id: "", props: {} };
      const state = this.out(kind, r.state, props);
      // The inputs that give this state: refresh records drift in the inputs too,
      // so the engine's own inputs diff (it gets no detailed diff) shows it.
      const inputs = Object.fromEntries(Object.entries(state).filter(([key]) => this.isInput(urn, key)));
      return { id: r.id, props: state, inputs };
    });
  }

  update(id: string, urn: string, olds: Props, news: Props): Promise<pulumi.provider.UpdateResult> {
    const kind = this.kind(urn);
    return withPlainErrors(async () => ({
      outs: this.out(
        kind,
        await kind.ctl.update(id, reveal(olds) as object, reveal(news) as object, this.context(urn)),
        news,
      ),
    }));
  }

  delete(id: string, urn: string, props: Props): Promise<void> {
    const kind = this.kind(urn);
    return withPlainErrors(() => kind.ctl.delete(id, reveal(props) as object, this.context(urn)));
  }

  async invoke(token: string, inputs: Props): Promise<pulumi.provider.InvokeResult> {
    if (token !== GET_NETWORKS) throw new Error(`dockyard: unknown function '${token}'`);
    const r = checkConnection(reveal(inputs?.connection));
    // (The library's server serializes `outputs` even alongside failures: it must be an object.)
    if (!r.connection) return { outputs: {}, failures: r.failures };
    const connection = r.connection;
    return withPlainErrors(async () => ({
      outputs: withoutUndefined({ networks: await scanNetworks(this.ctl().transport, connection) }),
    }));
  }

  private isInput(urn: string, key: string): boolean {
    return inputKeys(urn.split("::")[2] ?? "").has(key);
  }
}

const INPUTS: Record<string, ReadonlySet<string>> = {
  [SERVER_TYPE]: new Set(SERVER_FIELDS.filter((f) => f.input).map((f) => f.name)),
  [DESTINATION_TYPE]: new Set(DESTINATION_FIELDS.filter((f) => f.input).map((f) => f.name)),
};

function inputKeys(type: string): ReadonlySet<string> {
  return INPUTS[type] ?? new Set();
}
