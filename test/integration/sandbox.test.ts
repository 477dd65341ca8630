// The sandbox of the fault suites (scripts/sandbox, test/support/sandbox.ts)
// never outlives its run: its watchdog removes it once its owner is gone,
// and the next sandbox made on this machine removes whatever an earlier one
// left (its namespace, link, dockerd, containerd, sshd and directory), even
// when the watchdog went too.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";

import { Sandbox, sandboxCli, type SandboxDescription } from "../support/sandbox";

const owners: ChildProcess[] = [];
const made: Sandbox[] = [];

afterEach(() => {
  for (const o of owners.splice(0)) o.kill("SIGKILL");
  for (const sb of made.splice(0)) sb.destroy();
});

/** A process to own a sandbox, killed at will (as a test process killed mid-run). */
function owner(): ChildProcess {
  const p = spawn("sleep", ["600"], { stdio: "ignore" });
  owners.push(p);
  return p;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
}

function pidIn(file: string): number {
  return Number(readFileSync(file, "utf8").trim());
}

/** What is left of sandbox `d` on this machine (empty once it is gone). */
function traces(d: SandboxDescription, pids: number[]): string[] {
  const out: string[] = [];
  if (existsSync(`/run/netns/${d.ns}`)) out.push(`namespace ${d.ns}`);
  if (existsSync(`/sys/class/net/${d.hostIf}`)) out.push(`link ${d.hostIf}`);
  if (existsSync(d.dir)) out.push(`directory ${d.dir}`);
  for (const p of pids.filter(alive))
    out.push(`process ${p} (${readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ").trim()})`);
  return out;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A sandbox with a dockerd, owned by `pid`, and the pids of its sshd, dockerd and containerd. */
function sandboxOf(pid: number): { d: SandboxDescription; pids: number[] } {
  const d = JSON.parse(sandboxCli("create", "--dockerd", "--owner", String(pid))) as SandboxDescription;
  const dockerd = pidIn(`${d.dir}/dockerd.pid`);
  const containerd = execFileSync("pgrep", ["-P", String(dockerd), "-x", "containerd"], { encoding: "utf8" })
    .trim()
    .split(/\s+/)
    .map(Number);
  const pids = [pidIn(`${d.dir}/sshd.pid`), dockerd, ...containerd];
  expect(pids.every(alive)).toBe(true);
  expect(traces(d, pids)).toHaveLength(3 + pids.length);
  return { d, pids };
}

describe("a sandbox never outlives its run", () => {
  it("its watchdog removes it once the owner is gone, though nobody called destroy", async () => {
    const o = owner();
    const { d, pids } = sandboxOf(o.pid!);
    o.kill("SIGKILL");
    await until(`sandbox ${d.id} removed`, () => traces(d, pids).length === 0);
    expect(traces(d, pids)).toEqual([]);
  }, 120_000);

  it("the next sandbox removes what an earlier one left when its watchdog went too", async () => {
    const o = owner();
    const { d, pids } = sandboxOf(o.pid!);
    // The whole run killed at once: the owner and the watchdog.
    process.kill(pidIn(`${d.dir}/watch.pid`), "SIGKILL");
    o.kill("SIGKILL");
    await until("the owner gone", () => !alive(o.pid!));
    // Without an owner and a watchdog, everything is still there …
    expect(traces(d, pids)).toHaveLength(3 + pids.length);
    // … until the next sandbox is made, which removes it before anything else.
    const next = new Sandbox();
    made.push(next);
    expect(traces(d, pids)).toEqual([]);
    expect(existsSync(`/run/netns/${next.ns}`)).toBe(true);
    // A sandbox whose owner runs is left alone.
    const other = owner();
    const kept = sandboxOf(other.pid!);
    made.push(new Sandbox());
    expect(traces(kept.d, kept.pids)).toHaveLength(3 + kept.pids.length);
    sandboxCli("destroy", kept.d.dir);
    expect(traces(kept.d, kept.pids)).toEqual([]);
  }, 180_000);

  it("a stray dyrel- namespace and its processes, with no sandbox directory, are removed too", async () => {
    const ns = `dyrel-${Math.floor(Math.random() * 0xffffff)
      .toString(16)
      .padStart(6, "0")}`;
    execFileSync("ip", ["netns", "add", ns]);
    const stray = spawn("ip", ["netns", "exec", ns, "sleep", "600"], { stdio: "ignore" });
    owners.push(stray);
    await until(
      "the stray process in its namespace",
      () => execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).trim() !== "",
    );
    const next = new Sandbox();
    made.push(next);
    expect(existsSync(`/run/netns/${ns}`)).toBe(false);
    await until("the stray process gone", () => !alive(stray.pid!));
  }, 120_000);
});
