// Watches the processes a `pulumi` operation starts, from outside them.
//
//   node <build>/lib/sampler.js <root pid> <ssh port> [interval ms]
//
// Every tick it reads /proc: it finds the Pulumi dynamic-provider processes
// among the descendants of <root pid> (the `pulumi-resource-pulumi-nodejs`
// launcher execs `node …/@pulumi/pulumi/cmd/dynamic-provider …`), and for each
// records VmRSS and VmHWM (the kernel's high-water mark of resident memory), its
// CPU time (the engine's too), and the local ports of its TCP connections to <ssh port>. Ports are what tie the
// provider to the "Accepted publickey … port P" lines in sshd's log.
//
// A line "stop" on stdin makes it print one JSON summary on stdout and exit.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";

const rootPid = Number(process.argv[2]);
const sshPort = Number(process.argv[3]);
const intervalMs = Number(process.argv[4] ?? 50);
if (!rootPid || !sshPort) {
  process.stderr.write("usage: sampler.js <root pid> <ssh port> [interval ms]\n");
  process.exit(2);
}

function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
}

/** pid -> ppid for every process. */
function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    if (!stat) continue;
    // The command name (field 2) is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.set(Number(name), Number(rest[1]));
  }
  return table;
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of processTable()) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function argv(pid: number): string[] {
  const raw = readText(`/proc/${pid}/cmdline`);
  return raw ? raw.split("\0").filter(Boolean) : [];
}

/** The dynamic-provider host: node running …/cmd/dynamic-provider (not the `node -e` that resolves its path). */
function isProvider(args: string[]): boolean {
  return (
    args.length >= 2 &&
    /(^|\/)node$/.test(args[0]!) &&
    args[1] !== "-e" &&
    /cmd\/dynamic-provider(\/index\.js)?$/.test(args[1]!)
  );
}

function isEngine(args: string[]): boolean {
  return args.length >= 1 && /(^|\/)pulumi$/.test(args[0]!);
}

/** utime + stime of a process so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

function memKb(pid: number): { rss: number; hwm: number } | undefined {
  const status = readText(`/proc/${pid}/status`);
  if (!status) return undefined;
  const field = (k: string): number => {
    const m = new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) : 0;
  };
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  return inodes;
}

/** inode -> local port, for TCP sockets whose remote port is sshPort. */
function sshSockets(): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = readText(file);
    if (!text) continue;
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = f[1]!.split(":");
      const remote = f[2]!.split(":");
      if (parseInt(remote[remote.length - 1]!, 16) !== sshPort) continue;
      out.set(f[9]!, parseInt(local[local.length - 1]!, 16));
    }
  }
  return out;
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // Linux's usual USER_HZ
}

interface Watched {
  peakRssKb: number;
  hwmKb: number;
  cpuTicks: number;
  samples: number;
}

const providers = new Map<number, Watched>();
const engines = new Map<number, Watched>();
const ports = new Set<number>();
let tick = 0;
let samples = 0;

function sample(): void {
  if (tick++ % 4 === 0) {
    for (const pid of descendants(rootPid)) {
      if (providers.has(pid) || engines.has(pid)) continue;
      const args = argv(pid);
      if (isProvider(args)) providers.set(pid, { peakRssKb: 0, hwmKb: 0, cpuTicks: 0, samples: 0 });
      else if (isEngine(args)) engines.set(pid, { peakRssKb: 0, hwmKb: 0, cpuTicks: 0, samples: 0 });
    }
    if (providers.size) {
      const socks = sshSockets();
      for (const pid of providers.keys()) {
        for (const inode of socketInodes(pid)) {
          const port = socks.get(inode);
          if (port !== undefined) ports.add(port);
        }
      }
    }
  }
  for (const group of [providers, engines]) {
    for (const [pid, s] of group) {
      const m = memKb(pid);
      if (!m) continue;
      s.samples++;
      s.peakRssKb = Math.max(s.peakRssKb, m.rss);
      s.hwmKb = Math.max(s.hwmKb, m.hwm);
      s.cpuTicks = Math.max(s.cpuTicks, cpuTicks(pid) ?? 0);
    }
  }
  samples++;
}

const timer = setInterval(sample, intervalMs);
sample();

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d: string) => {
  input += d;
  if (!input.includes("stop")) return;
  clearInterval(timer);
  sample();
  const cpu = (group: Map<number, Watched>): number =>
    [...group.values()].reduce((a, s) => a + s.cpuTicks, 0) / clockTicks;
  const peak = (group: Map<number, Watched>): number =>
    Math.max(0, ...[...group.values()].map((s) => Math.max(s.peakRssKb, s.hwmKb)));
  process.stdout.write(
    JSON.stringify({
      samples,
      intervalMs,
      providerPids: [...providers.keys()],
      providerPeakRssKb: peak(providers),
      providers: Object.fromEntries(providers),
      enginePeakRssKb: peak(engines),
      providerCpuS: cpu(providers),
      engineCpuS: cpu(engines),
      sshClientPorts: [...ports],
    }) + "\n",
    () => process.exit(0),
  );
});
