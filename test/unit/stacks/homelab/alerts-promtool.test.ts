/**
 * The alert rules evaluated by Prometheus itself: `promtool test rules` (Debian's prometheus 2.42,
 * installed by scripts/system-packages.sh) on the scenarios in test/fixtures/alerts, with the rule
 * file rendered by the code the stack deploys, for the nodes of Pulumi.homelab.yaml.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { homelabNodes } from "../../../../lab/lab-config";
import { renderAlertRules, renderRuleFile, type PrometheusRuleSpec } from "../../../../stacks/homelab/alerts";

const PROMTOOL = process.env.PROMTOOL ?? "/usr/bin/promtool";
const fixtures = path.resolve(__dirname, "../../../fixtures/alerts");
const scenarios = readdirSync(fixtures).filter((f) => f.endsWith(".test.yaml")).sort();
const nodes = homelabNodes().map(({ name, ip }) => ({ name, ip }));
const alertNames = [...new Set(renderAlertRules(nodes).groups.flatMap((g) => g.rules.map((r) => r.alert)))];

interface PromtoolTest {
  alert_rule_test?: Array<{ eval_time: string; alertname: string; exp_alerts?: unknown[] }>;
}
const checks = (file: string) =>
  ((parse(readFileSync(path.join(fixtures, file), "utf8")) as { tests: PromtoolTest[] }).tests ?? []).flatMap((t) => t.alert_rule_test ?? []);

let work: string;
beforeAll(async () => {
  if (!existsSync(PROMTOOL)) {
    throw new Error(`promtool is not installed at ${PROMTOOL}: run \`bash scripts/system-packages.sh\` (Debian's prometheus 2.42), or set PROMTOOL.`);
  }
  work = await mkdtemp(path.join(os.tmpdir(), "homelab-promtool-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs one scenario against `rules` (written as rules.yaml beside a copy of it). */
async function promtool(scenario: string, rules: string): Promise<{ code: number; output: string }> {
  const dir = await mkdtemp(path.join(work, scenario.replace(/\.test\.yaml$/, "-")));
  await copyFile(path.join(fixtures, scenario), path.join(dir, scenario));
  await copyFile(path.join(fixtures, "rca-proposed-rule.yaml"), path.join(dir, "rca-proposed-rule.yaml"));
  await writeFile(path.join(dir, "rules.yaml"), rules);
  return new Promise((resolve) => {
    execFile(PROMTOOL, ["test", "rules", scenario], { cwd: dir }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

/** The rules with one rule's expression replaced, to show a scenario catches it. */
function withExpr(alert: string, expr: string): string {
  const spec = renderAlertRules(nodes);
  const broken: PrometheusRuleSpec = {
    groups: spec.groups.map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === alert ? { ...r, expr } : r)) })),
  };
  return stringify(broken, { lineWidth: 0 });
}

describe("alert rules under promtool test rules", () => {
  it.each(scenarios)("%s", async (scenario) => {
    const r = await promtool(scenario, renderRuleFile(nodes));
    expect(r.output).toContain("SUCCESS");
    expect(r.code, r.output).toBe(0);
  });

  it("checks every rule in the quiet cluster, and each one fires in some scenario", () => {
    const quiet = checks("quiet-cluster.test.yaml");
    expect(quiet.every((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
    expect([...new Set(quiet.map((c) => c.alertname))].sort()).toEqual([...alertNames].sort());
    const fired = new Set(scenarios.flatMap(checks).filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => c.alertname));
    for (const name of alertNames) expect(fired, `no scenario expects ${name} to fire`).toContain(name);
  });

  it("fails the steady crash loop when PodCrashLooping looks at the waiting reason's instant value", async () => {
    // The container runs for a moment between back-offs, so the instant value drops to 0 and the
    // 15-minute `for` starts again every 5 minutes: never fires (why the rule uses max_over_time).
    const r = await promtool("steady-crash-loop.test.yaml", withExpr("PodCrashLooping", 'kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} >= 1'));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/alertname: PodCrashLooping, time: 20m,[\s\S]*got:\[\]/);
  });

  it("fails the IP change when K3sNodeInternalIPChanged is the RCA's changes(kube_node_info[10m]) > 0", async () => {
    const r = await promtool("node-ip-change.test.yaml", withExpr("K3sNodeInternalIPChanged", "changes(kube_node_info[10m]) > 0"));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/alertname: K3sNodeInternalIPChanged, time: 33m,[\s\S]*got:\[\]/);
  });
});
