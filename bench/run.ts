/**
 * `npm run bench`: what a refresh-preview of N MAAS reservations costs, measured in one run
 * against N no-op dynamic resources (the engine floor), for N = 10 and 100.
 *
 * Targets (issue 3): MAAS requests per refresh grow with the number of subnets, not with N (one
 * shared list per run), and wall time stays within 1.25× the floor. Figures are ratios from the
 * same run on the same machine; each timing is the median of REPEATS alternating runs.
 */
import * as path from "node:path";
import { startMaasSimulator } from "../lab/maas";
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

async function main() {
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
