import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPORT_MARKER } from "../../../drift/report";

const root = path.resolve(__dirname, "../../..");
const workflowsDir = path.join(root, ".github/workflows");
const script = path.join(root, "scripts/actionlint.sh");

function actionlint(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("bash", [script, ...args], { cwd: root, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "actionlint-"));
  // First run builds actionlint with `go install` into the tools cache (outside the repo).
  const built = await actionlint(["--print-path"]);
  if (built.code !== 0) throw new Error(`scripts/actionlint.sh could not provide actionlint:\n${built.output}`);
}, 600_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const files = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const load = (f: string) => parse(readFileSync(path.join(workflowsDir, f), "utf8")) as Record<string, any>;

describe("GitHub workflows", () => {
  it("pass actionlint", async () => {
    expect(files).toEqual(["drift.yml", "pr-preview.yml"]);
    const r = await actionlint([]);
    expect(r.output).toBe("");
    expect(r.code).toBe(0);
  }, 120_000);

  it("make actionlint fail on a broken workflow", async () => {
    const broken = path.join(tmp, "broken.yml");
    await writeFile(
      broken,
      [
        "on: pull_request",
        "permissions:",
        "  pull-request: write", // typo: the scope is pull-requests
        "jobs:",
        "  x:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - uses: actions/checkout@v6",
        "      - run: echo ${{ steps.nope.outputs.x }}", // unknown step id
        "",
      ].join("\n"),
    );
    const r = await actionlint([broken]);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/pull-request/);
  }, 120_000);

  it("pin every action by major version", () => {
    for (const f of files) {
      const uses = Object.values(load(f).jobs as Record<string, any>).flatMap((j) => (j.steps ?? []).map((s: any) => s.uses).filter(Boolean));
      expect(uses.length).toBeGreaterThan(0);
      for (const u of uses) expect(u, `${f}: ${u}`).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    }
  });

  it("ask for least privilege and serialise runs per stack", () => {
    const pr = load("pr-preview.yml");
    expect(pr.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const drift = load("drift.yml");
    expect(drift.permissions).toEqual({ contents: "read", issues: "write" });
    for (const wf of [pr, drift]) {
      expect(wf.concurrency.group).toMatch(/^homelab-pulumi-/);
      expect(wf.concurrency["cancel-in-progress"]).toBe(false);
    }
  });

  it("update the PR comment the report marks (a failure notice when the check failed), and gate on the drift exit codes", () => {
    const pr = readFileSync(path.join(workflowsDir, "pr-preview.yml"), "utf8");
    expect(pr).toContain(REPORT_MARKER);
    expect(pr).toMatch(/npm run --silent drift -- --stack "\$STACK" --markdown/);
    const comment = load("pr-preview.yml").jobs.preview.steps.find((s: any) => String(s.name).startsWith("Create or update the PR comment"));
    expect(comment.if).toBe("always()");
    expect(comment.with.script).toMatch(/Drift check failed/);
    expect(comment.with.script).toMatch(/run log/);
    expect(pr).toMatch(/exit-code != '0' && steps\.drift\.outputs\.exit-code != '2' && steps\.drift\.outputs\.exit-code != '3'/);
    const drift = load("drift.yml");
    expect(Object.keys(drift.on)).toEqual(["schedule", "workflow_dispatch"]);
    expect(readFileSync(path.join(workflowsDir, "drift.yml"), "utf8")).toMatch(/npm run --silent drift -- --stack "\$STACK" --refresh-only/);
    const last = drift.jobs.drift.steps.at(-1);
    expect(last.if).toBe("steps.drift.outputs.exit-code != '0' && steps.drift.outputs.exit-code != '3'");
  });

  it("install the Pulumi CLI the normal way, with the Go build as the offline path, and pass a Pulumi Cloud token", () => {
    for (const f of files) {
      const steps = Object.values(load(f).jobs as Record<string, any>)[0].steps as any[];
      const action = steps.find((s) => String(s.uses).startsWith("pulumi/actions@"));
      expect(action.with).toEqual({ "pulumi-version": `^${(require("@pulumi/pulumi/package.json") as { version: string }).version}` });
      expect(action.if).toBe("vars.HOMELAB_PULUMI_FROM_GO != 'true'");
      const build = steps.find((s) => s.run === "bash scripts/pulumi-cli.sh");
      expect(build.if).toBe("vars.HOMELAB_PULUMI_FROM_GO == 'true'");
      expect(JSON.stringify(steps)).toContain("secrets.PULUMI_ACCESS_TOKEN");
    }
  });
});
