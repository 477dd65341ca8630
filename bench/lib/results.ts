// The shape of one run's results (bench/results/<stamp>.json): what bench.ts
// collects and report.ts renders.

import type { Summary } from "./stats";

export interface Machine {
  nproc: number;
  cpuModel: string;
  memGiB: string;
  kernel: string;
  os: string;
  dockerServer: string;
  dockerApi: string;
  dockerCli: string;
  openssh: string;
  node: string;
  pulumi: string;
  parallel: number | string;
}

export type Op = "inspect" | "create" | "remove";

export interface CliSection {
  sshProcesses: number;
  sshdAcceptedAll: number;
  commands: number;
  masterPids?: Array<number | undefined>;
  oneMaster?: boolean;
}

export interface PerOperation {
  methods: {
    dockyard: Record<Op, Summary>;
    local: Record<Op, Summary>;
    "cli-plain": Record<Op, Summary>;
    "cli-mux": Record<Op, Summary>;
    rawSsh?: { inspect: Summary };
    rawLocal?: { inspect: Summary };
  };
  dockyardFirstCallMs: number;
  dockyardMetrics: { handshakes: number; channelsOpened: number };
  dockyardCalls: number;
  "cli-plain": CliSection;
  "cli-mux": CliSection;
}

export interface CpuSeconds {
  program: number;
  engine: number;
  provider: number;
}

/** One measured `pulumi <op>`. */
export interface OpMeasure {
  result?: unknown;
  wallMs: number;
  automationMs: number;
  handshakes: number;
  sshdAcceptedAll: number;
  providerConnections: number;
  providerProcesses: number;
  providerPeakRssMiB: number;
  enginePeakRssMiB: number;
  cpuS: CpuSeconds;
  runsMs?: number[];
  excluded?: string[];
}

export type DeployOp = "up" | "preview" | "refresh" | "destroy";

export interface FloorOp {
  wallMs: number;
  runsMs: number[] | undefined;
  cpuS: CpuSeconds;
}

export interface Deployment {
  n: number;
  ops: Record<DeployOp, OpMeasure>;
  cli: Record<"create" | "inspect" | "rm", { wallMs: number; handshakes: number; sshdAcceptedAll: number }>;
  refreshFailure?: string;
  refreshChanges?: Record<string, number>;
  destKeys?: string[];
  pulumiFloor?: Record<"empty" | "noop", { preview: FloorOp; refresh: FloorOp }>;
  floor?: { concurrency: number; createMs: number; removeMs: number };
  loadBefore?: string;
}

export interface Results {
  runId: string;
  started: string;
  loadStart: string;
  loadEnd: string;
  machine: Machine;
  perOp: PerOperation;
  deployments: Deployment[];
  retries: Array<{ what: string; error: string }>;
  durationS: number;
  sizes: number[];
  repeats: number;
}
