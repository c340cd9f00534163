/**
 * Every dynamic provider exported from providers/ must survive what pulumi.dynamic.Resource does
 * to it: serialization into state, loading back in the provider host, and running there
 * (ref/pulumi.md §1.4–1.5). Checked on the compiled dist/ in plain node, because vitest's module
 * transform changes how closures capture modules.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureBuilt } from "../../harness/ensure-built";

const root = path.resolve(__dirname, "../../..");
const check = path.join(root, "test/harness/serialize-check.js");
/** Any provider must still serialize and run (a user could register one directly). */
const BUDGET_BYTES = 160_000;
/**
 * What our resources register is stored twice per resource in state (inputs and outputs) and sent with
 * every engine call: a require of a forwarder file (forwarding-provider.ts), ≈ 300 bytes.
 */
const STORED_BUDGET_BYTES = 400;
const STORED = ["reservationForwarder", "readbackForwarder", "nodeConfigForwarder", "datastoreCheckForwarder"];

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith(".js") ? [p] : [];
  });
}

function run(modules: string[]) {
  const r = spawnSync(process.execPath, [check, String(BUDGET_BYTES), ...modules], { cwd: root, encoding: "utf8", timeout: 120_000 });
  const reports = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { export: string; ok: boolean; problems: string[]; bytes?: number });
  return { status: r.status, reports, stderr: r.stderr };
}

describe("dynamic provider serialization", () => {
  it("serializes every provider in dist/providers, within budget, without secrets, and runs read() after loading", async () => {
    await ensureBuilt("dist/providers/maas/reservation/resource.js", ["providers"]);
    const { status, reports, stderr } = run(jsFiles(path.join(root, "dist/providers")));
    const names = reports.map((r) => r.export);
    expect(names).toEqual(expect.arrayContaining(["reservationProvider", "readbackProvider", ...STORED]));
    for (const r of reports) expect({ provider: r.export, problems: r.problems }).toEqual({ provider: r.export, problems: [] });
    for (const r of reports.filter((x) => STORED.includes(x.export))) expect(r.bytes, r.export).toBeLessThan(STORED_BUDGET_BYTES);
    expect(status, stderr).toBe(0);
  }, 180_000);

  it("rejects a provider that breaks only after loading (ES #private fields)", () => {
    const { status, reports } = run([path.join(root, "test/fixtures/providers/private-field-provider.js")]);
    expect(status).toBe(1);
    expect(reports[0].problems.join()).toMatch(/Private field/);
  });
});
