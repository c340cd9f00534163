/**
 * One server process of a test cluster (etcd, kube-apiserver, kube-controller-manager): output to a
 * log file, and stopped for sure. `stop()` sends SIGTERM and waits for the exit (a graceful API
 * server shutdown takes seconds, and a restart before it ends fails with "address already in use"),
 * SIGKILL after a grace period. A detached guard shell kills the process when this node process
 * dies without running any handler (SIGKILL, a crashed test worker).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

const GRACE_MS = 20_000;

export interface ServerProcess {
  name: string;
  pid: number;
  log: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
  /** True until the process has exited. */
  running(): boolean;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export function startServer(name: string, bin: string, args: string[], log: string): ServerProcess {
  const fd = openSync(log, "a");
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${bin} (see ${log})`);
  const pid = child.pid;
  let alive = true;
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      alive = false;
      resolve(signal ?? String(code));
    });
    child.once("error", (err) => {
      alive = false;
      resolve(`error ${err.message}`);
    });
  });
  // The guard: polls this process and the server once a second; kills the server when we are gone.
  spawn("sh", ["-c", `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -TERM ${pid} 2>/dev/null; exit 0`], {
    detached: true,
    stdio: "ignore",
  }).unref();
  const tail = (lines = 15) => {
    try {
      return readFileSync(log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  return {
    name,
    pid,
    log,
    exited,
    running: () => alive,
    tail,
    async stop() {
      if (!alive) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Synchronous last resort for process.on("exit"): signal only, nothing can be awaited there. */
export function killNow(p: ServerProcess): void {
  if (!p.running()) return;
  try {
    process.kill(p.pid, "SIGTERM");
  } catch {
    // already gone
  }
}
