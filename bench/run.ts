/**
 * `npm run bench`: what a refresh-preview of N MAAS reservations costs, measured in one run
 * against N no-op dynamic resources (the engine floor), for N = 10 and 100.
 *
 * Targets (issue 3): MAAS requests per refresh grow with the number of subnets, not with N (one
 * shared list per run), and wall time stays within 1.25× the floor. Figures are ratios from the
 * same run on the same machine; each timing is the median of REPEATS alternating runs.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { startMaasSimulator } from "../lab/maas";
import { startLabFleet } from "../lab/node";
import { createTempStack, repoRoot, type TempStack } from "../lab/temp-stack";

const SIZES = (process.env.BENCH_SIZES ?? "10,100").split(",").map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TARGET_RATIO = 1.25;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function reservationsFor(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${i}`,
    ip: `192.168.4.${10 + i}`,
    mac: `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
  }));
}

const SSH_SIZES = (process.env.BENCH_SSH_SIZES ?? "10,50").split(",").map(Number);
const SSH_TARGET_RATIO = 1.5;

/**
 * Refresh-preview of N K3sNodeConfig resources on N lab machines (real sshd each) vs N no-op
 * resources, in the same run; and the SSH logins per node per refresh (target: one).
 */
async function sshFigure(): Promise<{ rows: string[]; pass: boolean }> {
  const rows: string[] = [];
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
      for (let i = 0; i < REPEATS; i++) {
        floorMs.push(await timed(() => floor.stack.previewRefresh()));
        const before = [...fleet.machines.values()].reduce((a, m) => a + m.logins(), 0);
        k3sMs.push(await timed(() => k3s.stack.previewRefresh()));
        logins.push([...fleet.machines.values()].reduce((a, m) => a + m.logins(), 0) - before);
      }
      const ratio = median(k3sMs) / median(floorMs);
      pass &&= ratio <= SSH_TARGET_RATIO && Math.max(...logins) <= n;
      rows.push(`| ${n} | ${Math.max(...logins)} | ${(Math.max(...logins) / n).toFixed(2)} | ${median(floorMs).toFixed(0)} | ${median(k3sMs).toFixed(0)} | ${ratio.toFixed(2)}× |`);
      process.stdout.write(`[bench] ssh N=${n}: logins ${logins.join("/")}, floor ${floorMs.map((x) => x.toFixed(0)).join("/")} ms, k3s ${k3sMs.map((x) => x.toFixed(0)).join("/")} ms\n`);
    } finally {
      for (const s of stacks) await s.dispose();
      await fleet.close();
    }
  }
  return { rows, pass };
}

async function main() {
  if ((process.env.BENCH_FIGURES ?? "maas,ssh").split(",").includes("ssh")) {
    const ssh = await sshFigure();
    console.log("\nRefresh-preview of N SSH-managed K3s nodes (lab machines) vs N no-op dynamic resources (same run, median of " + REPEATS + ")\n");
    console.log("| N | SSH logins per refresh | logins / N | floor ms | K3s nodes ms | time vs floor |");
    console.log("|---|---|---|---|---|---|");
    for (const r of ssh.rows) console.log(r);
    console.log(`\ntarget: one SSH connection per node; time ≤ ${SSH_TARGET_RATIO}× the floor → ${ssh.pass ? "met" : "NOT met"}\n`);
    if (!(process.env.BENCH_FIGURES ?? "maas,ssh").split(",").includes("maas")) return;
  }
  const rows: string[] = [];
  let pass = true;
  for (const n of SIZES) {
    process.stdout.write(`[bench] N=${n}: provisioning…\n`);
    const sim = await startMaasSimulator({ version: "3.6.0" });
    const stacks: TempStack[] = [];
    try {
      const maas = await createTempStack({
        main: path.join(repoRoot, "lab/programs/reservations"),
        project: "res",
        config: { "maas:url": sim.url, "maas:apiKey": { value: sim.apiKey, secret: true }, "res:reservations": reservationsFor(n) },
      });
      const floor = await createTempStack({ main: path.join(repoRoot, "lab/programs/noop"), project: "bench", config: { "bench:count": n } });
      stacks.push(maas, floor);
      await maas.stack.up();
      await floor.stack.up();

      const maasMs: number[] = [];
      const floorMs: number[] = [];
      const requests: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        floorMs.push(await timed(() => floor.stack.previewRefresh()));
        sim.resetCounters();
        maasMs.push(await timed(() => maas.stack.previewRefresh()));
        requests.push(sim.counters().total);
      }
      const ratio = median(maasMs) / median(floorMs);
      const req = Math.max(...requests);
      pass &&= ratio <= TARGET_RATIO;
      rows.push(
        `| ${n} | ${req} | ${(req / n).toFixed(2)} | ${median(floorMs).toFixed(0)} | ${median(maasMs).toFixed(0)} | ${ratio.toFixed(2)}× |`,
      );
      process.stdout.write(`[bench] N=${n}: requests ${requests.join("/")}, floor ${floorMs.map((x) => x.toFixed(0)).join("/")} ms, maas ${maasMs.map((x) => x.toFixed(0)).join("/")} ms\n`);
    } finally {
      for (const s of stacks) await s.dispose();
      await sim.close();
    }
  }
  console.log("\nRefresh-preview of N MAAS reservations vs N no-op dynamic resources (same run, median of " + REPEATS + ")\n");
  console.log("| N | MAAS requests | requests / N | floor ms | reservations ms | time vs floor |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log(`\ntarget: requests independent of N; time ≤ ${TARGET_RATIO}× the floor → ${pass ? "met" : "NOT met"}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
