// Renders one run's results as Markdown (readable in a terminal as well).

import type { DeployOp, Deployment, Op, Results } from "./results";
import type { Summary } from "./stats";

/** Provider memory counts as flat when the largest N's peak is within this factor of the smallest N's. */
const FLAT_MEMORY_FACTOR = 1.25;
const OVERHEAD_FACTOR = 1.5;
const CLI_SPEEDUP = 10;

const OPS: DeployOp[] = ["up", "preview", "refresh", "destroy"];
const PER_OPS: Op[] = ["inspect", "create", "remove"];

function ms(x: number): string {
  if (!Number.isFinite(x)) return "–";
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

function secs(msValue: number): string {
  if (!Number.isFinite(msValue)) return "–";
  const s = msValue / 1000;
  return s < 10 ? s.toFixed(2) : s.toFixed(1);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "–";
  const r = a / b;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

function cell(s: Summary): string {
  return `${ms(s.median)} / ${ms(s.p95)}`;
}

function verdict(ok: boolean): string {
  return ok ? "HOLDS" : "DOES NOT HOLD";
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}

function render(r: Results): string {
  const m = r.machine;
  const p = r.perOp;
  const meth = p.methods;
  const deps = r.deployments;
  const lo = deps[0]!;
  const hi = deps[deps.length - 1]!;
  const out: string[] = [];

  out.push(`# Dockyard benchmark (run ${r.runId}, ${r.started})`, "");
  out.push(
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memGiB} GiB RAM, Linux ${m.kernel}, ${m.os}. ` +
      `Docker daemon ${m.dockerServer} (API ${m.dockerApi}), docker CLI ${m.dockerCli}, ${m.openssh}. ` +
      `Node.js ${m.node}, Pulumi CLI ${m.pulumi}, pulumi --parallel ${m.parallel}.`,
  );
  out.push(
    `Load average (1/5/15 min): ${r.loadStart} at start, ${r.loadEnd} at end. The run took ${(r.durationS / 60).toFixed(1)} min.`,
  );
  if (r.retries?.length)
    out.push(
      `Sections run twice after a failure (shared test host): ${r.retries.map((x) => `${x.what} (${x.error.split("\n")[0]})`).join("; ")}.`,
    );
  out.push("");

  // Per-operation latency.
  out.push("## Per-operation latency (ms, median / p95)", "");
  const rows: string[][] = [];
  for (const op of PER_OPS) {
    const d = meth.dockyard[op];
    const l = meth.local[op];
    rows.push([
      `network ${op} (n=${d.n})`,
      cell(d),
      cell(l),
      cell(meth["cli-plain"][op]),
      cell(meth["cli-mux"][op]),
      ratio(d.median, l.median),
      `${ms(d.median - l.median)}`,
      ratio(meth["cli-plain"][op].median, d.median),
    ]);
  }
  out.push(
    table(
      [
        "Operation",
        "(a) Dockyard transport over SSH",
        "(b) local Docker socket (the limit)",
        "(c) docker CLI over ssh",
        "(c') docker CLI, ssh connection sharing",
        "(a) ÷ (b)",
        "(a) − (b), ms",
        "(c) ÷ (a)",
      ],
      rows,
    ),
    "",
  );
  if (meth.rawSsh && meth.rawLocal) {
    const d = meth.dockyard.inspect;
    const l = meth.local.inspect;
    const rs = meth.rawSsh.inspect;
    const rl = meth.rawLocal.inspect;
    out.push(
      "Where an inspect's time goes (same loop, ms, median / p95):",
      "",
      table(
        ["Path", "Latency", "Step", "Adds (medians)"],
        [
          ["bare HTTP/1.1, kept-alive local socket connection: the daemon's own time", cell(rl), "", ""],
          [
            "bare HTTP/1.1 on one forwarded SSH channel of Dockyard's connection",
            cell(rs),
            "the SSH hop (ssh2 + sshd + loopback TCP)",
            ms(rs.median - rl.median),
          ],
          [
            "(a) Dockyard `DockerClient` on the same connection",
            cell(d),
            "the client layer (dockerode and docker-modem, agent, channel socket, AbortController + timer, JSON)",
            ms(d.median - rs.median),
          ],
          [
            "(b) dockerode, local socket",
            cell(l),
            "dockerode's client layer + a connection per request",
            ms(l.median - rl.median),
          ],
        ],
      ),
      "",
    );
  }
  const dm = p.dockyardMetrics;
  out.push(
    `(a) Dockyard's \`DockerClient\` on a fresh \`Transport\`; its first call (SSH handshake, first channel, \`/version\` to pick the API version, \`/_ping\`) took ${ms(p.dockyardFirstCallMs)} ms, ` +
      `and the whole section used ${dm.handshakes} SSH handshake(s) and ${dm.channelsOpened} channel(s) for ${p.dockyardCalls} calls. ` +
      `(b) dockerode on the local unix socket. (c) \`docker -H ssh://root@host:port network inspect|create|rm\`: ` +
      `${p["cli-plain"].sshProcesses} ssh processes for ${p["cli-plain"].commands} commands; ` +
      `(c') the same with OpenSSH connection sharing (ControlMaster auto, ControlPersist): ${p["cli-mux"].sshProcesses} ssh processes, ` +
      (p["cli-mux"].oneMaster
        ? "all riding on one master connection (one SSH handshake); each command still starts a local ssh and a remote `docker system dial-stdio`."
        : "but the master connection did not persist through the section (more than one handshake)."),
    "",
  );

  // Deployments.
  const sizes = deps.map((d) => d.n);
  out.push(`## Deployments: one Server + N standalone Destinations (seconds unless noted)`, "");
  const growthHeader = `N=${hi.n} ÷ N=${lo.n}`;
  const drows: string[][] = [];
  const row = (label: string, get: (d: Deployment) => number | undefined, fmt: (x: number) => string) => {
    const vals = deps.map(get);
    drows.push([label, ...vals.map((v) => (v === undefined ? "–" : fmt(v))), ratio(vals[vals.length - 1], vals[0])]);
  };
  const label: Record<DeployOp, string> = {
    up: "pulumi up",
    preview: "pulumi preview (no changes)",
    refresh: "pulumi refresh",
    destroy: "pulumi destroy",
  };
  for (const op of OPS) row(label[op], (d) => d.ops[op].wallMs, secs);
  row("docker CLI over ssh: N × network create", (d) => d.cli.create.wallMs, secs);
  row("docker CLI over ssh: N × network inspect", (d) => d.cli.inspect.wallMs, secs);
  row("docker CLI over ssh: N × network rm", (d) => d.cli.rm.wallMs, secs);
  const fc = lo.floor?.concurrency;
  row(`local socket, ${fc} at a time: N × network create (the daemon's floor)`, (d) => d.floor?.createMs, secs);
  row(`local socket, ${fc} at a time: N × network remove (the daemon's floor)`, (d) => d.floor?.removeMs, secs);
  for (const op of ["preview", "refresh"] as const) {
    row(`Pulumi's floor: pulumi ${op}, a program with no resources`, (d) => d.pulumiFloor?.empty[op].wallMs, secs);
    row(
      `Pulumi's floor: pulumi ${op}, N+1 no-op resources shaped like Dockyard's`,
      (d) => d.pulumiFloor?.noop[op].wallMs,
      secs,
    );
    row(
      `Dockyard's share of pulumi ${op} (Dockyard − no-op)`,
      (d) => (d.pulumiFloor ? d.ops[op].wallMs - d.pulumiFloor.noop[op].wallMs : undefined),
      secs,
    );
  }
  row(`budget for ${CLI_SPEEDUP}×: N CLI inspects ÷ ${CLI_SPEEDUP}`, (d) => d.cli.inspect.wallMs / CLI_SPEEDUP, secs);
  row(
    "speed-up: CLI inspects ÷ pulumi refresh",
    (d) => d.cli.inspect.wallMs / d.ops.refresh.wallMs,
    (x) => ratio(x, 1),
  );
  row(
    "speed-up: CLI inspects ÷ pulumi preview",
    (d) => d.cli.inspect.wallMs / d.ops.preview.wallMs,
    (x) => ratio(x, 1),
  );
  row(
    "speed-up: CLI creates ÷ pulumi up",
    (d) => d.cli.create.wallMs / d.ops.up.wallMs,
    (x) => ratio(x, 1),
  );
  row(
    "speed-up: CLI rms ÷ pulumi destroy",
    (d) => d.cli.rm.wallMs / d.ops.destroy.wallMs,
    (x) => ratio(x, 1),
  );
  for (const op of OPS) row(`SSH handshakes, ${label[op]}`, (d) => d.ops[op].handshakes, String);
  row(
    "SSH handshakes, docker CLI create + inspect + rm",
    (d) => d.cli.create.handshakes + d.cli.inspect.handshakes + d.cli.rm.handshakes,
    String,
  );
  for (const op of OPS)
    row(
      `provider peak RSS (MiB), ${label[op]}`,
      (d) => d.ops[op].providerPeakRssMiB,
      (x) => x.toFixed(1),
    );
  row(
    "Pulumi engine peak RSS (MiB), pulumi up (for context)",
    (d) => d.ops.up.enginePeakRssMiB,
    (x) => x.toFixed(1),
  );
  for (const op of OPS) {
    const vals = deps.map((d) => d.ops[op].cpuS);
    const total = (c: { program: number; engine: number; provider: number } | undefined) =>
      c ? c.program + c.engine + c.provider : undefined;
    drows.push([
      `CPU s, program / engine / provider, ${label[op]}`,
      ...vals.map((c) => `${c.program.toFixed(1)} / ${c.engine.toFixed(1)} / ${c.provider.toFixed(1)}`),
      ratio(total(vals[vals.length - 1]), total(vals[0])),
    ]);
  }
  out.push(table(["Figure", ...sizes.map((n) => `N=${n}`), growthHeader], drows), "");
  const refreshChanges = deps
    .filter((d) => Object.keys(d.refreshChanges ?? {}).length)
    .map((d) => `N=${d.n}: ${JSON.stringify(d.refreshChanges)}`);
  if (refreshChanges.length) out.push(`Refresh reported changes: ${refreshChanges.join("; ")}.`, "");
  const failed = deps.filter((d) => d.refreshFailure);
  if (failed.length) {
    out.push(
      `**\`pulumi refresh\` failed** (${failed.map((d) => `N=${d.n}`).join(", ")}): "${failed[0]!.refreshFailure}". ` +
        `The refresh rows above are a second \`pulumi refresh --exclude <Server URN>\`, which reads the N Destinations and not the Server.`,
      "",
    );
  }
  const others = deps
    .flatMap((d) => OPS.map((op) => d.ops[op].sshdAcceptedAll - d.ops[op].handshakes))
    .reduce((a, b) => a + b, 0);
  out.push(
    `Preview and refresh figures (Dockyard's and the floors') are the median of ${r.repeats ?? 1} run(s) each; the SSH handshake count is the largest and the peak RSS the highest of those runs. ` +
      `The floors run the same CLI with the same backend and secrets provider: "no resources" is an empty program; "no-op resources" is one Server-like and N Destination-like dynamic resources with the same input keys (checked against the Dockyard stack's state) and a secret connection, whose provider makes no remote call. ` +
      `Handshakes are sshd's "Accepted publickey" log lines whose client port belonged to a TCP connection of the dynamic-provider process ` +
      `(sampled from /proc). During the deployments sshd accepted ${others} other connection(s) (other clients of the shared test host), not counted. ` +
      `Peak RSS is the maximum of VmRSS and VmHWM read from /proc every 50 ms while the command ran. ` +
      `CPU: "program" is the benchmark process, which hosts the inline Pulumi program (the language host) and the Automation API; ` +
      `"engine" the \`pulumi\` process; "provider" the dynamic-provider process (growth column: the sum).`,
    "",
  );

  // Targets.
  out.push("## Targets", "");
  const ovr = PER_OPS.map((op) => [op, meth.dockyard[op].median / meth.local[op].median] as const);
  const ovrOk = ovr.every(([, x]) => x <= OVERHEAD_FACTOR);
  out.push(
    `- Per-operation overhead within ${OVERHEAD_FACTOR}× of the local socket (median): ${verdict(ovrOk)} — ` +
      ovr.map(([op, x]) => `${op} ${ratio(x, 1)}`).join(", ") +
      ".",
  );
  const speed = deps.map(
    (d) => [d.n, d.cli.inspect.wallMs / d.ops.refresh.wallMs, d.cli.inspect.wallMs / d.ops.preview.wallMs] as const,
  );
  const speedOk = speed.every(([, a, b]) => a >= CLI_SPEEDUP && b >= CLI_SPEEDUP);
  const speedAny = speed.filter(([, a, b]) => a >= CLI_SPEEDUP && b >= CLI_SPEEDUP).map(([n]) => `N=${n}`);
  out.push(
    `- At least ${CLI_SPEEDUP}× faster than N docker CLI inspects over ssh (refresh and preview): ${verdict(speedOk)} — ` +
      speed.map(([n, a, b]) => `N=${n}: refresh ${ratio(a, 1)}, preview ${ratio(b, 1)}`).join("; ") +
      (speedOk ? "." : `; holds at ${speedAny.length ? speedAny.join(", ") : "no N measured"}.`),
  );
  if (!speedOk) {
    // Where the target is missed: is it Pulumi's own floor, or Dockyard's share?
    const missed = deps.filter(
      (d) =>
        !(
          d.cli.inspect.wallMs / d.ops.refresh.wallMs >= CLI_SPEEDUP &&
          d.cli.inspect.wallMs / d.ops.preview.wallMs >= CLI_SPEEDUP
        ),
    );
    for (const d of missed) {
      const budget = d.cli.inspect.wallMs / CLI_SPEEDUP;
      const f = d.pulumiFloor;
      if (!f) continue;
      const parts = (["preview", "refresh"] as const).map((op) => {
        const floor = f.noop[op].wallMs;
        const share = d.ops[op].wallMs - floor;
        return floor >= budget
          ? `${op}: Pulumi alone needs ${secs(floor)} s with no-op resources of the same shape (${secs(f.empty[op].wallMs)} s with no resources at all), over the budget of ${secs(budget)} s before Dockyard does anything; Dockyard's share ${secs(share)} s`
          : `${op}: Pulumi's floor ${secs(floor)} s leaves ${secs(budget - floor)} s of the ${secs(budget)} s budget; Dockyard's share is ${secs(share)} s`;
      });
      out.push(`  - N=${d.n}: ${parts.join("; ")}.`);
    }
  }
  const hs = deps.flatMap((d) => OPS.map((op) => [d.n, op, d.ops[op].handshakes] as const));
  const hsOk = hs.every(([, op, x]) => (op === "preview" ? x <= 1 : x === 1));
  out.push(
    `- One SSH handshake per server per deployment: ${verdict(hsOk)} — ` +
      deps.map((d) => `N=${d.n}: ${OPS.map((op) => `${op} ${d.ops[op].handshakes}`).join(", ")}`).join("; ") +
      ` (preview calls only check and diff, which need no connection). The docker CLI made one per command.`,
  );
  const mem = OPS.map((op) => [op, hi.ops[op].providerPeakRssMiB / lo.ops[op].providerPeakRssMiB] as const);
  const memOk = mem.every(([, x]) => x <= FLAT_MEMORY_FACTOR);
  out.push(
    `- Provider memory flat in N (peak RSS at N=${hi.n} within ${FLAT_MEMORY_FACTOR}× of N=${lo.n}): ${verdict(memOk)} — ` +
      mem.map(([op, x]) => `${op} ${ratio(x, 1)}`).join(", ") +
      ".",
  );
  out.push("");
  return out.join("\n");
}

export { render, FLAT_MEMORY_FACTOR, OVERHEAD_FACTOR, CLI_SPEEDUP };
