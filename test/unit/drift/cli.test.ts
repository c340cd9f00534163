import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR, EXIT_UNVERIFIED, parseDriftArgs, pulumiArgs, runDrift } from "../../../drift/cli";
import { ensureBuilt } from "../../harness/ensure-built";
import { sdkVersion } from "../../../drift/pulumi-cli";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "drift-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RB = "pulumi-nodejs:dynamic/readback:Node";
const RES = "pulumi-nodejs:dynamic/maas:Reservation";
const nodeUrn = (n: string) => `urn:pulumi:homelab::homelab::homelab:index:Node::${n}`;
const childUrn = (n: string, type: string, suffix: string) => `urn:pulumi:homelab::homelab::homelab:index:Node$${type}::${n}-${suffix}`;

/** Engine events of `refresh --preview-only` (ref/pulumi.md §2.4): one refresh step whose outputs event says `op`. */
function refreshStream(steps: Array<{ urn: string; type: string; op: string; recorded: Record<string, unknown>; found?: Record<string, unknown> }>): string {
  const lines: unknown[] = [];
  for (const s of steps) {
    const old = { type: s.type, urn: s.urn, parent: nodeUrn("k3s-vm-pve"), inputs: s.recorded, outputs: s.recorded };
    lines.push({ resourcePreEvent: { metadata: { op: "refresh", urn: s.urn, type: s.type, old } } });
    const neu = s.found ? { ...old, outputs: s.found } : undefined;
    lines.push({ resOutputsEvent: { metadata: { op: s.op, urn: s.urn, type: s.type, old, ...(neu ? { new: neu } : {}) } } });
  }
  lines.push({ summaryEvent: { resourceChanges: Object.fromEntries(steps.map((s) => [s.op, 1])) } });
  return lines.map((l) => JSON.stringify(l)).join("\n");
}

const READBACK_OK = { nodeName: "k3s-vm-pve", ip: "192.168.4.238", reachable: { kube: true, proxmox: false }, unverified: [] };
const READBACK_UNVERIFIED = {
  ...READBACK_OK,
  reachable: { kube: false, proxmox: false },
  unverified: [{ source: "kube", reason: "the cluster API at http://127.0.0.1:1 did not answer", fix: "the cluster API is down" }],
};

/**
 * A stand-in `pulumi`: answers `version` with `version`, `refresh` with `refresh`, `preview`
 * with `preview`; records its arguments per command, its cwd and the streaming switch.
 */
async function fakePulumi(opts: { refresh?: string; preview?: string; stderr?: string; code?: number; version?: string }): Promise<string> {
  const bin = path.join(dir, "pulumi");
  await writeFile(path.join(dir, "refresh.out"), opts.refresh ?? "");
  await writeFile(path.join(dir, "preview.out"), opts.preview ?? "");
  await writeFile(path.join(dir, "stderr.txt"), opts.stderr ?? "");
  await writeFile(
    bin,
    [
      "#!/bin/sh",
      `if [ "$1" = version ]; then echo '${opts.version ?? `v${sdkVersion()}`}'; exit 0; fi`,
      `printf '%s\\n' "$@" > '${dir}/args-'"$1"'.txt'`,
      `pwd > '${dir}/cwd.txt'`,
      `printf '%s' "$PULUMI_ENABLE_STREAMING_JSON_PREVIEW" > '${dir}/stream-'"$1"'.txt'`,
      `cat '${dir}/'"$1"'.out'`,
      `cat '${dir}/stderr.txt' >&2`,
      `exit ${opts.code ?? 0}`,
      "",
    ].join("\n"),
  );
  await chmod(bin, 0o755);
  return bin;
}

async function drift(argv: string[], bin: string) {
  let stdout = "";
  let stderr = "";
  const code = await runDrift(argv, { ...process.env, PULUMI_BIN: bin }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, dir);
  return { code, stdout, stderr };
}

const cleanPreview = JSON.stringify({ steps: [], changeSummary: { same: 3 } });

describe("drift CLI arguments", () => {
  it("requires --stack and resolves outputs into --cwd by default", () => {
    expect(() => parseDriftArgs([], "/x")).toThrow(/--stack is required/);
    expect(() => parseDriftArgs(["--stack", "s", "--bogus"], "/x")).toThrow(/Unknown option '--bogus'/);
    expect(parseDriftArgs(["--stack", "homelab", "--cwd", "proj"], "/x")).toEqual({
      stack: "homelab",
      cwd: "/x/proj",
      markdown: "/x/proj/drift-report.md",
      json: "/x/proj/drift-summary.json",
      mode: "preview",
    });
    expect(parseDriftArgs(["--stack", "s", "--markdown", "-", "--json", "out/s.json", "--refresh-only"], "/x")).toMatchObject({
      markdown: "-",
      json: "/x/out/s.json",
      mode: "refresh",
    });
  });

  it("asks refresh --preview-only for drift and preview --refresh --show-sames for the pull request", () => {
    expect(pulumiArgs({ stack: "homelab" }, "refresh")).toEqual(["refresh", "--preview-only", "--json", "--non-interactive", "--stack", "homelab"]);
    expect(pulumiArgs({ stack: "homelab" }, "preview")).toEqual(["preview", "--refresh", "--show-sames", "--json", "--non-interactive", "--stack", "homelab"]);
  });
});

describe("drift CLI exit codes and files", () => {
  it("exits 0 and writes both files when nothing drifted and nothing changes", async () => {
    const refresh = refreshStream([{ urn: childUrn("k3s-vm-pve", RB, "readback"), type: RB, op: "same", recorded: READBACK_OK, found: READBACK_OK }]);
    const bin = await fakePulumi({ refresh, preview: cleanPreview });
    const r = await drift(["--stack", "homelab"], bin);
    expect(r.code).toBe(EXIT_CLEAN);
    expect(r.stdout).toMatch(/^drift: stack homelab: no drift/);
    expect(await readFile(path.join(dir, "drift-report.md"), "utf8")).toMatch(/^## ✅ No drift and no changes on stack `homelab`/);
    const summary = JSON.parse(await readFile(path.join(dir, "drift-summary.json"), "utf8"));
    expect(summary).toMatchObject({ stack: "homelab", verdict: "clean", exitCode: 0, clean: true, mode: "pull-request", drift: { nodes: {} }, pullRequest: { nodes: {} } });
    expect((await readFile(path.join(dir, "args-refresh.txt"), "utf8")).trim().split("\n")).toEqual(pulumiArgs({ stack: "homelab" }, "refresh"));
    expect((await readFile(path.join(dir, "args-preview.txt"), "utf8")).trim().split("\n")).toEqual(pulumiArgs({ stack: "homelab" }, "preview"));
    // refresh --preview-only itemises what the refresh found only in its event stream
    expect(await readFile(path.join(dir, "stream-refresh.txt"), "utf8")).toBe("1");
    expect(await readFile(path.join(dir, "stream-preview.txt"), "utf8")).toBe("");
  });

  it("exits 3 when a source could not be asked and nothing else differs, and says why and how to fix it", async () => {
    const refresh = refreshStream([{ urn: childUrn("k3s-vm-pve", RB, "readback"), type: RB, op: "same", recorded: READBACK_OK, found: READBACK_UNVERIFIED }]);
    const bin = await fakePulumi({ refresh, preview: cleanPreview });
    const r = await drift(["--stack", "homelab", "--refresh-only"], bin);
    expect(r.code).toBe(EXIT_UNVERIFIED);
    expect(r.stdout).toMatch(/could not verify k3s-vm-pve/);
    const md = await readFile(path.join(dir, "drift-report.md"), "utf8");
    expect(md).toContain("### ❔ Could not verify — 1 source");
    expect(md).toContain("- Node `k3s-vm-pve` (`k3s-vm-pve-readback`, cluster API): the cluster API at http://127.0.0.1:1 did not answer.");
    expect(md).toContain("  - **Fix:** the cluster API is down.");
    expect(existsSync(path.join(dir, "args-preview.txt"))).toBe(false);
    const summary = JSON.parse(await readFile(path.join(dir, "drift-summary.json"), "utf8"));
    expect(summary).toMatchObject({ verdict: "unverified", exitCode: 3, mode: "refresh-only", pullRequest: null });
    expect(summary.unverified).toEqual([{ node: "k3s-vm-pve", resource: "k3s-vm-pve-readback", source: "kube", reason: expect.any(String), fix: "the cluster API is down" }]);
  });

  it("exits 2 on drift; drift wins over could-not-verify", async () => {
    const gone = { ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", hostname: "k3s-vm-pve", subnet: "192.168.4.0/24" };
    const refresh = refreshStream([
      { urn: childUrn("k3s-vm-pve", RES, "reservation"), type: RES, op: "delete", recorded: gone },
      { urn: childUrn("k3s-vm-pve", RB, "readback"), type: RB, op: "same", recorded: READBACK_OK, found: READBACK_UNVERIFIED },
    ]);
    const bin = await fakePulumi({ refresh, preview: cleanPreview });
    const r = await drift(["--stack", "homelab", "--json", "s.json", "--markdown", "r.md"], bin);
    expect(r.code).toBe(EXIT_DRIFT);
    expect(r.stdout).toMatch(/^drift: stack homelab: drift: 1 change on k3s-vm-pve; could not verify k3s-vm-pve/);
    const summary = JSON.parse(await readFile(path.join(dir, "s.json"), "utf8"));
    expect(summary.drift.nodes["k3s-vm-pve"][0]).toMatchObject({ resource: "k3s-vm-pve-reservation", op: "delete", missing: true, rules: ["reservation-missing"] });
    expect(typeof summary.generatedAt).toBe("string");
    expect(await readFile(path.join(dir, "r.md"), "utf8")).toContain("<!-- homelab-ipam-drift-report -->");
  });

  it("prints the report to stdout with --markdown - and keeps the summary line off stdout", async () => {
    const bin = await fakePulumi({ refresh: refreshStream([]), preview: cleanPreview });
    const r = await drift(["--stack", "homelab", "--markdown", "-"], bin);
    expect(r.code).toBe(EXIT_CLEAN);
    expect(r.stdout).toMatch(/^## ✅ No drift and no changes/);
    expect(r.stderr).toMatch(/^drift: stack homelab: no drift/);
    expect(existsSync(path.join(dir, "drift-report.md"))).toBe(false);
  });

  it("exits 1 with the CLI's stderr tail, masked, when pulumi fails, and writes no report", async () => {
    const stderr = "warning: something\nerror: failed to decrypt config: PVEAPIToken=root@pam!ci=1f2e3d4c-secret-value\n";
    const bin = await fakePulumi({ stderr, code: 255 });
    const r = await drift(["--stack", "homelab"], bin);
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/`pulumi refresh --preview-only --json --non-interactive --stack homelab` failed with exit code 255/);
    expect(r.stderr).toContain("error: failed to decrypt config");
    expect(r.stderr).not.toContain("1f2e3d4c-secret-value");
    expect(existsSync(path.join(dir, "drift-report.md"))).toBe(false);
  });

  it("exits 1 when pulumi succeeds without printing JSON", async () => {
    const bin = await fakePulumi({ refresh: "Refreshing (homelab)\n" });
    const r = await drift(["--stack", "homelab"], bin);
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/exited 0 but the preview output is not JSON/);
  });

  it("exits 1 when PULUMI_BIN does not exist, or is an incompatible version", async () => {
    const missing = await drift(["--stack", "homelab"], path.join(dir, "no-such-pulumi"));
    expect(missing.code).toBe(EXIT_ERROR);
    expect(missing.stderr).toMatch(/PULUMI_BIN=.*no-such-pulumi: no such file/);
    const old = await drift(["--stack", "homelab"], await fakePulumi({ version: "v3.100.0" }));
    expect(old.code).toBe(EXIT_ERROR);
    expect(old.stderr).toMatch(new RegExp(`cannot be used: it is v3\\.100\\.0, older than this project's @pulumi/pulumi ${sdkVersion().replace(/\./g, "\\.")}`));
  });

  it("exits 1 with the usage when --stack is missing", async () => {
    const r = await drift([], await fakePulumi({}));
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/--stack is required.*\nusage: npm run drift/s);
    expect(existsSync(path.join(dir, "args-refresh.txt"))).toBe(false);
  });
});

describe("the compiled drift CLI", () => {
  it("runs as `node dist/drift/cli.js` and exits with the drift code", async () => {
    const cli = await ensureBuilt("dist/drift/cli.js", ["drift"]);
    const refresh = refreshStream([{ urn: childUrn("k3s-vm-pve", RB, "readback"), type: RB, op: "same", recorded: READBACK_OK, found: READBACK_UNVERIFIED }]);
    const bin = await fakePulumi({ refresh, preview: cleanPreview });
    const code = await new Promise<number>((resolve) => {
      execFile(process.execPath, [cli, "--stack", "homelab", "--cwd", dir], { env: { ...process.env, PULUMI_BIN: bin } }, (err) =>
        resolve(err ? Number((err as { code?: number }).code) : 0),
      );
    });
    expect(code).toBe(EXIT_UNVERIFIED);
    expect((await readFile(cli, "utf8")).startsWith("#!/usr/bin/env node")).toBe(true);
  }, 120_000);
});
