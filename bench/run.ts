/**
 * `npm run bench`: what MAAS reservations cost against the engine floor (N no-op dynamic resources in a stack
 * whose config holds one secret, as the reservations' stack holds the MAAS key), measured in one run, for
 * N = 10, 100 and 2000 reservations spread over 8 subnets (BENCH_SIZES to change).
 *
 * Targets (issue 9): MAAS requests per refresh ≤ 2 + the number of subnets (one shared list per run, not one per
 * reservation); refresh-preview ≤ 1.15× the floor at N = 100 and 2000; `up` creating N reservations ≤ 1.3× the
 * floor's `up` of N no-op resources (creates are one write each). Also reported: peak memory (VmHWM) of the
 * provider process during the refresh. Figures are ratios from the same run on the same machine; each refresh
 * timing is the median of REPEATS alternating runs, `up` is measured once.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { startMaasSimulator, type MaasSimSeed } from "../lab/maas";
import { cpuSecondsOf, startLabFleet } from "../lab/node";
import { createTempStack, repoRoot, type TempStack } from "../lab/temp-stack";

const SIZES = (process.env.BENCH_SIZES ?? "10,100,2000").split(",").map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const SUBNETS = 8;
const REFRESH_TARGET = 1.15;
const UP_TARGET = 1.3;
const REQUEST_TARGET = 2 + SUBNETS;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Eight /23 subnets as MAAS ships them: a gateway, a reserved range for network gear, a dynamic pool at the top. */
const seed: MaasSimSeed = {
  subnets: Array.from({ length: SUBNETS }, (_, k) => ({
    id: k + 1,
    cidr: `10.8.${2 * k}.0/23`,
    gatewayIp: `10.8.${2 * k}.1`,
    dnsServers: [`10.8.${2 * k}.2`],
    ranges: [
      { type: "reserved" as const, startIp: `10.8.${2 * k}.1`, endIp: `10.8.${2 * k}.9` },
      { type: "dynamic" as const, startIp: `10.8.${2 * k + 1}.200`, endIp: `10.8.${2 * k + 1}.250` },
    ],
  })),
};

function reservationsFor(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const k = i % SUBNETS;
    const offset = 10 + Math.floor(i / SUBNETS); // ≤ 10 + 250 for N = 2000: below the pool at .1.200
    return {
      name: `node-${i}`,
      ip: `10.8.${2 * k + (offset >> 8)}.${offset & 255}`,
      mac: `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
    };
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `timed`, plus the CPU seconds of this process's children that finished meanwhile (the CLI and the plugins it started). */
async function timedWithCpu(fn: () => Promise<unknown>): Promise<{ ms: number; cpu: number }> {
  const before = cpuSecondsOf("self").reaped;
  const ms = await timed(fn);
  return { ms, cpu: cpuSecondsOf("self").reaped - before };
}

/** Peak RSS (VmHWM, MiB) of dynamic-provider processes of the stack in `dir` (found by its environment), sampled while `fn` runs. */
async function withProviderMemory<T>(dir: string, fn: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = 0;
  const sample = () => {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("dynamic-provider")) continue;
        if (!readFileSync(`/proc/${pid}/environ`, "utf8").includes(dir) && !readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) continue;
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
        peak = Math.max(peak, kb / 1024);
      } catch {
        // the process ended between listing and reading
      }
    }
  };
  const timer = setInterval(sample, 200);
  try {
    const result = await fn();
    return { result, peakMiB: peak };
  } finally {
    clearInterval(timer);
  }
}

const SSH_SIZES = (process.env.BENCH_SSH_SIZES ?? "10,50").split(",").map(Number);
const SSH_TARGET_RATIO = 1.5;

/**
 * Refresh-preview of N K3sNodeConfig resources on N lab machines (real sshd each) vs N no-op
 * resources, in the same run; the SSH logins per node per refresh (target: one); and the CPU
 * time of each side, because the lab machines' sshd runs on the same cores as the engine.
 */
/** Least time a refresh of N nodes can take here: all its CPU (both sides) spread over every core. */
interface CpuBound {
  n: number;
  ms: number;
  targetMs: number;
}

async function sshFigure(): Promise<{ rows: string[]; pass: boolean; bounds: CpuBound[] }> {
  const rows: string[] = [];
  const bounds: CpuBound[] = [];
  let pass = true;
  for (const n of SSH_SIZES) {
    process.stdout.write(`[bench] ssh N=${n}: starting ${n} lab machines…\n`);
    const fleet = await startLabFleet({ nodes: Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, role: "agent" as const })) });
    const stacks: TempStack[] = [];
    try {
      const token = "bench-token-not-a-secret";
      const nodes = [...fleet.machines.keys()].map((name, i) => ({ name, ip: `192.168.4.${10 + i}`, ssh: fleet.sshFor(name) }));
      const k3s = await createTempStack({
        main: path.join(repoRoot, "lab/programs/k3s-nodes"),
        project: "bench",
        config: {
          "bench:nodes": nodes,
          "bench:token": { value: token, secret: true },
          "bench:tokenSha256": createHash("sha256").update(token).digest("hex"),
          "bench:sshPrivateKey": { value: fleet.clientKey.privateKey, secret: true },
        },
      });
      const floor = await createTempStack({ main: path.join(repoRoot, "lab/programs/noop"), project: "bench", config: { "bench:count": n } });
      stacks.push(k3s, floor);
      await k3s.stack.up();
      await floor.stack.up();
      const k3sMs: number[] = [];
      const floorMs: number[] = [];
      const logins: number[] = [];
      const cpu = { floor: [] as number[], k3s: [] as number[], machines: [] as number[] };
      const machines = [...fleet.machines.values()];
      const machinesCpu = async () => (await Promise.all(machines.map((m) => m.cpuSeconds()))).reduce((a, b) => a + b, 0);
      for (let i = 0; i < REPEATS; i++) {
        const floorRun = await timedWithCpu(() => floor.stack.previewRefresh());
        floorMs.push(floorRun.ms);
        cpu.floor.push(floorRun.cpu);
        const before = machines.reduce((a, m) => a + m.logins(), 0);
        const machinesBefore = await machinesCpu();
        const k3sRun = await timedWithCpu(() => k3s.stack.previewRefresh());
        k3sMs.push(k3sRun.ms);
        cpu.k3s.push(k3sRun.cpu);
        cpu.machines.push((await machinesCpu()) - machinesBefore);
        logins.push(machines.reduce((a, m) => a + m.logins(), 0) - before);
      }
      const ratio = median(k3sMs) / median(floorMs);
      pass &&= ratio <= SSH_TARGET_RATIO && Math.max(...logins) <= n;
      const s = (xs: number[]) => median(xs).toFixed(2);
      bounds.push({ n, ms: ((median(cpu.k3s) + median(cpu.machines)) / availableParallelism()) * 1000, targetMs: SSH_TARGET_RATIO * median(floorMs) });
      rows.push(
        `| ${n} | ${Math.max(...logins)} | ${(Math.max(...logins) / n).toFixed(2)} | ${median(floorMs).toFixed(0)} | ${median(k3sMs).toFixed(0)} | ${ratio.toFixed(2)}× | ${s(cpu.floor)} | ${s(cpu.k3s)} | ${s(cpu.machines)} |`,
      );
      process.stdout.write(`[bench] ssh N=${n}: logins ${logins.join("/")}, floor ${floorMs.map((x) => x.toFixed(0)).join("/")} ms, k3s ${k3sMs.map((x) => x.toFixed(0)).join("/")} ms\n`);
    } finally {
      for (const s of stacks) await s.dispose();
      await fleet.close();
    }
  }
  return { rows, pass, bounds };
}

async function main() {
  if ((process.env.BENCH_FIGURES ?? "maas,ssh").split(",").includes("ssh")) {
    const ssh = await sshFigure();
    console.log("\nRefresh-preview of N SSH-managed K3s nodes (lab machines) vs N no-op dynamic resources (same run, median of " + REPEATS + ")\n");
    console.log("| N | SSH logins per refresh | logins / N | floor ms | K3s nodes ms | time vs floor | CPU s, Pulumi side, floor | CPU s, Pulumi side, K3s nodes | CPU s, lab machines (sshd and sessions) |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const r of ssh.rows) console.log(r);
    console.log(
      `\nPulumi side: the CLI and the plugins it starts (this process's finished children). Lab machines: their sshd and every session it ran,` +
        ` on this same machine (${availableParallelism()} cores); on a real network that work runs on the nodes. So here a refresh cannot take less than` +
        ` (Pulumi side + lab machines) / ${availableParallelism()} cores: ${ssh.bounds.map((b) => `N=${b.n} ≥ ${b.ms.toFixed(0)} ms (target ${b.targetMs.toFixed(0)} ms)`).join(", ")}.`,
    );
    console.log(`\ntarget: one SSH connection per node; time ≤ ${SSH_TARGET_RATIO}× the floor → ${ssh.pass ? "met" : "NOT met"}\n`);
    if (!(process.env.BENCH_FIGURES ?? "maas,ssh").split(",").includes("maas")) return;
  }
  const rows: string[] = [];
  const verdicts: string[] = [];
  for (const n of SIZES) {
    process.stdout.write(`[bench] N=${n}: provisioning (up of ${n} reservations and ${n} no-op resources)…\n`);
    const sim = await startMaasSimulator({ version: "3.6.0", seed });
    const stacks: TempStack[] = [];
    try {
      // Both stacks skip the engine's intermediate checkpoints: with a file:// backend each step rewrites
      // the whole state, which is quadratic in N and kept the floor's own `up` of 2000 no-op resources
      // from finishing in 5 minutes. Only the final state is written (Pulumi's PULUMI_SKIP_CHECKPOINTS).
      const env = { PULUMI_SKIP_CHECKPOINTS: "true" };
      const maas = await createTempStack({
        main: path.join(repoRoot, "lab/programs/reservations"),
        project: "res",
        env,
        config: { "maas:url": sim.url, "maas:apiKey": { value: sim.apiKey, secret: true } },
      });
      // The list goes in a file in the stack's temp directory (removed with it): 2000 entries are too long for config.
      const listFile = path.join(maas.baseDir, "reservations.json");
      await writeFile(listFile, JSON.stringify(reservationsFor(n)));
      await maas.setConfig({ "res:reservationsFile": listFile, "res:exportOutputs": false });
      // The reservations' stack holds a secret (the MAAS key), and for a stack whose config holds one the
      // CLI derives the passphrase key (PBKDF2) on every run: ≈ 60 ms, whatever the resources. The floor
      // holds one too, so the ratio compares like with like; the same floor without it is also timed.
      const floor = await createTempStack({
        main: path.join(repoRoot, "lab/programs/noop"),
        project: "bench",
        env,
        config: { "bench:count": n, "bench:unused": { value: "a secret like the MAAS key", secret: true } },
      });
      const plainFloor = await createTempStack({ main: path.join(repoRoot, "lab/programs/noop"), project: "bench", env, config: { "bench:count": n } });
      stacks.push(maas, floor, plainFloor);
      await plainFloor.stack.up();
      const floorUp = await timed(() => floor.stack.up());
      sim.resetCounters();
      const maasUp = await timed(() => maas.stack.up());
      const upWrites = sim.counters().writes;
      process.stdout.write(`[bench] N=${n}: up floor ${floorUp.toFixed(0)} ms, reservations ${maasUp.toFixed(0)} ms (${upWrites} MAAS writes)\n`);

      const maasMs: number[] = [];
      const floorMs: number[] = [];
      const plainFloorMs: number[] = [];
      const requests: number[] = [];
      let peakMiB = 0;
      for (let i = 0; i < REPEATS; i++) {
        floorMs.push(await timed(() => floor.stack.previewRefresh()));
        plainFloorMs.push(await timed(() => plainFloor.stack.previewRefresh()));
        sim.resetCounters();
        const { result: ms, peakMiB: p } = await withProviderMemory(maas.baseDir, () => timed(() => maas.stack.previewRefresh()));
        maasMs.push(ms);
        peakMiB = Math.max(peakMiB, p);
        requests.push(sim.counters().total);
        process.stdout.write(`[bench] N=${n}: refresh ${i + 1}/${REPEATS}: floor ${floorMs[i]!.toFixed(0)} ms (no secret: ${plainFloorMs[i]!.toFixed(0)} ms), reservations ${ms.toFixed(0)} ms, ${requests[i]} requests\n`);
      }
      const ratio = median(maasMs) / median(floorMs);
      const upRatio = maasUp / floorUp;
      const req = Math.max(...requests);
      if (req > REQUEST_TARGET) verdicts.push(`N=${n}: ${req} requests per refresh > ${REQUEST_TARGET}`);
      if (n >= 100 && ratio > REFRESH_TARGET) verdicts.push(`N=${n}: refresh ${ratio.toFixed(2)}× > ${REFRESH_TARGET}×`);
      if (upRatio > UP_TARGET) verdicts.push(`N=${n}: up ${upRatio.toFixed(2)}× > ${UP_TARGET}×`);
      rows.push(
        `| ${n} | ${req} | ${median(floorMs).toFixed(0)} | ${median(plainFloorMs).toFixed(0)} | ${median(maasMs).toFixed(0)} | ${ratio.toFixed(2)}× | ${(median(maasMs) / median(plainFloorMs)).toFixed(2)}× | ${floorUp.toFixed(0)} | ${maasUp.toFixed(0)} | ${upRatio.toFixed(2)}× | ${peakMiB ? peakMiB.toFixed(0) : "n/a"} |`,
      );
    } finally {
      for (const s of stacks) await s.dispose();
      await sim.close();
    }
  }
  console.log(`\nN MAAS reservations over ${SUBNETS} subnets vs N no-op dynamic resources (same run; refresh: median of ${REPEATS})\n`);
  console.log(
    "| N | MAAS requests per refresh | floor refresh ms | floor refresh ms, no secret in config | reservations refresh ms | refresh vs floor | refresh vs floor without secret | floor up ms | reservations up ms | up vs floor | provider peak RSS MiB |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log(
    `\ntargets: requests ≤ ${REQUEST_TARGET}; refresh ≤ ${REFRESH_TARGET}× at N ≥ 100; up ≤ ${UP_TARGET}× → ${verdicts.length ? `NOT met: ${verdicts.join("; ")}` : "met"}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
