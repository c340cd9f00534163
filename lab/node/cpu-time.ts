/**
 * CPU time from /proc/<pid>/stat (proc(5)): a process's own utime + stime, and its cutime + cstime,
 * which the kernel adds when the process reaps a child and which include everything that child
 * had reaped in turn. So a long-lived parent (an sshd listener, the benchmark itself) accounts for
 * every finished process below it. Read only on Linux; the lab runs nowhere else.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Clock ticks per second of the stat fields (`getconf CLK_TCK`, 100 on Linux). */
function clockTicks(): number {
  return (ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100);
}

export interface CpuSeconds {
  /** The process itself. */
  self: number;
  /** Its finished (reaped) descendants. */
  reaped: number;
}

export function cpuSecondsOf(pid: number | "self"): CpuSeconds {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const tick = clockTicks();
  return { self: (f[11]! + f[12]!) / tick, reaped: (f[13]! + f[14]!) / tick };
}

/** Whether `pid` still has live children (/proc/<pid>/task/<pid>/children). */
export function hasChildren(pid: number): boolean {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) && readFileSync(file, "utf8").trim() !== "";
}
