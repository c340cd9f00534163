import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR, parseDriftArgs, pulumiArgs, runDrift } from "../../../drift/cli";
import { ensureBuilt, repoRoot } from "../../harness/ensure-built";

const fixtures = path.join(repoRoot, "test/fixtures/preview");
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "drift-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A stand-in `pulumi`: records its arguments and working directory, prints `stdout` (a file's
 * content) and `stderr`, and exits with `code`.
 */
async function fakePulumi(opts: { stdoutFile?: string; stdout?: string; stderr?: string; code?: number }): Promise<string> {
  const bin = path.join(dir, "pulumi");
  const out = opts.stdoutFile ?? path.join(dir, "stdout.txt");
  if (opts.stdout !== undefined) await writeFile(out, opts.stdout);
  await writeFile(path.join(dir, "stderr.txt"), opts.stderr ?? "");
  await writeFile(
    bin,
    [
      "#!/bin/sh",
      `printf '%s\\n' "$@" > '${dir}/args.txt'`,
      `pwd > '${dir}/cwd.txt'`,
      `printf '%s' "$PULUMI_ENABLE_STREAMING_JSON_PREVIEW" > '${dir}/stream.txt'`,
      `[ -f '${out}' ] && cat '${out}'`,
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

  it("runs the normal refresh-preview, or refresh --preview-only", () => {
    expect(pulumiArgs({ stack: "homelab", mode: "preview" })).toEqual(["preview", "--refresh", "--json", "--non-interactive", "--stack", "homelab"]);
    expect(pulumiArgs({ stack: "homelab", mode: "refresh" })).toEqual(["refresh", "--preview-only", "--json", "--non-interactive", "--stack", "homelab"]);
  });
});

describe("drift CLI exit codes and files", () => {
  it("exits 0 and writes both files when nothing drifted", async () => {
    const bin = await fakePulumi({ stdoutFile: path.join(fixtures, "clean.synthetic.json") });
    const r = await drift(["--stack", "homelab"], bin);
    expect(r.code).toBe(EXIT_CLEAN);
    expect(r.stdout).toMatch(/^drift: stack homelab: no drift/);
    expect(await readFile(path.join(dir, "drift-report.md"), "utf8")).toMatch(/^## ✅ No drift on stack `homelab`/);
    const summary = JSON.parse(await readFile(path.join(dir, "drift-summary.json"), "utf8"));
    expect(summary).toMatchObject({ stack: "homelab", clean: true, nodes: {}, changeSummary: { same: 16 } });
    expect((await readFile(path.join(dir, "args.txt"), "utf8")).trim().split("\n")).toEqual(pulumiArgs({ stack: "homelab", mode: "preview" }));
    expect((await readFile(path.join(dir, "cwd.txt"), "utf8")).trim()).toBe(await realDir(dir));
    expect(await readFile(path.join(dir, "stream.txt"), "utf8")).toBe("");
  });

  it("exits 2 on drift, with the nodes in the summary line and JSON", async () => {
    const bin = await fakePulumi({ stdoutFile: path.join(fixtures, "incident-pool-addresses.synthetic.json") });
    const r = await drift(["--stack", "homelab", "--json", "s.json", "--markdown", "r.md"], bin);
    expect(r.code).toBe(EXIT_DRIFT);
    expect(r.stdout).toMatch(/^drift: stack homelab: 6 changes on k3s-vm-chief-horse, k3s-vm-pve, k3s-vm-still-fawn/);
    const summary = JSON.parse(await readFile(path.join(dir, "s.json"), "utf8"));
    expect(summary.clean).toBe(false);
    expect(summary.nodes["k3s-vm-pve"][0]).toMatchObject({ resource: "k3s-vm-pve-reservation", op: "create", missing: true, rules: ["reservation-missing"] });
    expect(typeof summary.generatedAt).toBe("string");
    const report = await readFile(path.join(dir, "r.md"), "utf8");
    expect(report).toContain("<!-- homelab-ipam-drift-report -->");
    expect(report + JSON.stringify(summary)).not.toMatch(/Snt1nel|5ent1ne1/);
  });

  it("passes --refresh-only through as refresh --preview-only", async () => {
    const bin = await fakePulumi({ stdoutFile: path.join(fixtures, "refresh-only-reservation-gone.synthetic.json") });
    const r = await drift(["--stack", "homelab", "--refresh-only"], bin);
    expect(r.code).toBe(EXIT_DRIFT);
    expect((await readFile(path.join(dir, "args.txt"), "utf8")).split("\n").slice(0, 2)).toEqual(["refresh", "--preview-only"]);
    // refresh --preview-only itemises what the refresh found only in its event stream
    expect(await readFile(path.join(dir, "stream.txt"), "utf8")).toBe("1");
    expect(await readFile(path.join(dir, "drift-report.md"), "utf8")).toContain("- delete (gone)");
  });

  it("prints the report to stdout with --markdown - and keeps the summary line off stdout", async () => {
    const bin = await fakePulumi({ stdoutFile: path.join(fixtures, "reservation-dropped.synthetic.json") });
    const r = await drift(["--stack", "homelab", "--markdown", "-"], bin);
    expect(r.code).toBe(EXIT_DRIFT);
    expect(r.stdout).toMatch(/^## ⚠️ 1 change on stack `homelab`/);
    expect(r.stderr).toMatch(/^drift: stack homelab: 1 change on k3s-vm-pve/);
    expect(existsSync(path.join(dir, "drift-report.md"))).toBe(false);
  });

  it("exits 1 with the CLI's stderr tail, masked, when pulumi fails", async () => {
    const stderr = "warning: something\nerror: failed to decrypt config: PVEAPIToken=root@pam!ci=1f2e3d4c-secret-value\n";
    const bin = await fakePulumi({ stderr, code: 255 });
    const r = await drift(["--stack", "homelab"], bin);
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/`pulumi preview --refresh --json --non-interactive --stack homelab` failed with exit code 255/);
    expect(r.stderr).toContain("error: failed to decrypt config");
    expect(r.stderr).not.toContain("1f2e3d4c-secret-value");
    expect(existsSync(path.join(dir, "drift-report.md"))).toBe(false);
  });

  it("still writes the partial report when pulumi fails after printing its JSON", async () => {
    const doc = { steps: [], diagnostics: [{ message: "read failed: MAAS unreachable", severity: "error" }], changeSummary: { same: 3 } };
    const bin = await fakePulumi({ stdout: JSON.stringify(doc), stderr: "error: preview failed\n", code: 1 });
    const r = await drift(["--stack", "homelab"], bin);
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/its partial report was written/);
    expect(await readFile(path.join(dir, "drift-report.md"), "utf8")).toContain("- **error**: read failed: MAAS unreachable");
  });

  it("exits 1 when pulumi succeeds without printing a preview document", async () => {
    const bin = await fakePulumi({ stdout: "Previewing update (homelab)\n" });
    const r = await drift(["--stack", "homelab"], bin);
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/exited 0 but the preview output is not JSON/);
  });

  it("exits 1 when the CLI cannot be started", async () => {
    const r = await drift(["--stack", "homelab"], path.join(dir, "no-such-pulumi"));
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/could not start .*no-such-pulumi/);
  });

  it("exits 1 with the usage when --stack is missing", async () => {
    const r = await drift([], await fakePulumi({}));
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/--stack is required.*\nusage: npm run drift/s);
    expect(existsSync(path.join(dir, "args.txt"))).toBe(false);
  });
});

describe("the compiled drift CLI", () => {
  it("runs as `node dist/drift/cli.js` and exits with the drift code", async () => {
    const cli = await ensureBuilt("dist/drift/cli.js", ["drift"]);
    const bin = await fakePulumi({ stdoutFile: path.join(fixtures, "reservation-moved.synthetic.json") });
    const code = await new Promise<number>((resolve) => {
      execFile(process.execPath, [cli, "--stack", "homelab", "--cwd", dir], { env: { ...process.env, PULUMI_BIN: bin } }, (err) =>
        resolve(err ? Number((err as { code?: number }).code) : 0),
      );
    });
    expect(code).toBe(EXIT_DRIFT);
    expect(await readFile(path.join(dir, "drift-report.md"), "utf8")).toMatch(/^## ⚠️ 2 changes on stack `homelab`/);
    expect((await readFile(cli, "utf8")).startsWith("#!/usr/bin/env node")).toBe(true);
  }, 120_000);
});

async function realDir(p: string): Promise<string> {
  const { realpath } = await import("node:fs/promises");
  return realpath(p);
}
