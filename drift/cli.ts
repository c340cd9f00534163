#!/usr/bin/env node
/**
 * `npm run drift -- --stack <name>`: answers the reviewer's two questions (drift/sections.ts),
 * writes a Markdown report and a JSON summary, prints one line, and exits with a code from
 * drift/exit-codes.ts: 0 clean, 2 drift or changes, 3 could not verify, 1 error.
 *
 * Runs (both read MAAS, Proxmox and the nodes; neither writes state):
 *   1. `pulumi refresh --preview-only --json` (streamed engine events): drift since the last deployment;
 *   2. `pulumi preview --refresh --show-sames --json`: what this pull request changes
 *      (skipped with --refresh-only, the scheduled check).
 *
 * Flags:
 *   --stack <name>      required; the stack to check.
 *   --cwd <dir>         the Pulumi project directory (default: the current directory).
 *   --markdown <file>   report path (default: drift-report.md in --cwd); "-" prints it to stdout.
 *   --json <file>       summary path (default: drift-summary.json in --cwd); "-" prints it to stdout.
 *   --refresh-only      only the drift section (no program run).
 * Relative --markdown/--json paths are resolved against the current directory, like any shell tool.
 * The CLI: `PULUMI_BIN`, else a compatible `pulumi` on PATH, else the project's build (drift/pulumi-cli.ts).
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { EXIT_ERROR, exitCodeFor } from "./exit-codes";
import { parsePreview, PreviewParseError, type ParsedPreview, type PreviewMode } from "./preview-json";
import { locatePulumiCli } from "./pulumi-cli";
import { renderReport } from "./report";
import { buildSections, type DriftSections } from "./sections";
import { maskSecrets } from "./secret-mask";
import { buildSummary } from "./summary";

export { EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR, EXIT_UNVERIFIED } from "./exit-codes";

export const USAGE = `usage: npm run drift -- --stack <name> [--cwd <dir>] [--markdown <file>|-] [--json <file>|-] [--refresh-only]

Runs \`pulumi refresh --preview-only\` (drift since the last deployment) and, unless --refresh-only,
\`pulumi preview --refresh\` (what this pull request changes); writes a Markdown report (default
drift-report.md) and a JSON summary (default drift-summary.json) in --cwd. Exits 0 clean, 2 drift or
changes, 3 could not verify (a source did not answer; nothing else differs), 1 error.
The Pulumi CLI: PULUMI_BIN, else a compatible pulumi on PATH, else the project's build.`;

export interface DriftOptions {
  stack: string;
  cwd: string;
  markdown: string;
  json: string;
  /** "refresh": only the drift section; "preview": both sections. */
  mode: PreviewMode;
}

/** Where output goes; tests pass buffers. */
export interface DriftIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Receives each Pulumi run's raw JSON output (the engine tests capture fixtures with it). */
  raw?: (run: PreviewMode, text: string) => void;
}

export class DriftUsageError extends Error {
  override readonly name = "DriftUsageError";
}

/** Parses argv (without `node cli.js`). Throws DriftUsageError with what to fix. */
export function parseDriftArgs(argv: string[], processCwd: string): DriftOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        cwd: { type: "string" },
        markdown: { type: "string" },
        json: { type: "string" },
        "refresh-only": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new DriftUsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new DriftUsageError(USAGE);
  const stack = typeof values.stack === "string" ? values.stack.trim() : "";
  if (!stack) throw new DriftUsageError(`--stack is required: name the stack to check, e.g. --stack homelab.\n${USAGE}`);
  const cwd = path.resolve(processCwd, typeof values.cwd === "string" ? values.cwd : ".");
  const out = (v: unknown, fallback: string) => (v === "-" ? "-" : typeof v === "string" ? path.resolve(processCwd, v) : path.join(cwd, fallback));
  return {
    stack,
    cwd,
    markdown: out(values.markdown, "drift-report.md"),
    json: out(values.json, "drift-summary.json"),
    mode: values["refresh-only"] ? "refresh" : "preview",
  };
}

/**
 * The pulumi arguments of one run. `--refresh` is explicit although Pulumi.yaml says `refresh:
 * always`; `--show-sames` lists unchanged resources too, whose refreshed state says which sources
 * could not be verified.
 */
export function pulumiArgs(options: Pick<DriftOptions, "stack">, run: PreviewMode): string[] {
  const common = ["--json", "--non-interactive", "--stack", options.stack];
  return run === "refresh" ? ["refresh", "--preview-only", ...common] : ["preview", "--refresh", "--show-sames", ...common];
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runPulumi(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, {
      cwd,
      env: {
        ...env,
        // Plugins and the language host sit next to the CLI (scripts/pulumi-cli.sh).
        PATH: `${path.dirname(bin)}${path.delimiter}${env.PATH ?? ""}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => resolve({ code: -1, stdout: "", stderr: `could not start ${bin}: ${e.message}` }));
    child.on("close", (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + (signal ? `\n(killed by ${signal})` : ""),
      }),
    );
  });
}

/** Last `lines` non-empty lines of CLI stderr, masked, for error messages. */
export function stderrTail(stderr: string, lines = 20): string {
  const tail = stderr.split("\n").filter((l) => l.trim() !== "").slice(-lines).join("\n");
  return maskSecrets(tail || "(no stderr output)");
}

async function writeOutput(target: string, text: string, io: DriftIo): Promise<void> {
  if (target === "-") {
    io.stdout(text.endsWith("\n") ? text : `${text}\n`);
    return;
  }
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, text);
}

function summaryLine(sections: DriftSections, options: DriftOptions, processCwd: string): string {
  const where = [options.markdown, options.json]
    .filter((f) => f !== "-")
    .map((f) => path.relative(processCwd, f) || f);
  const files = where.length ? ` (${where.join(", ")})` : "";
  const parts: string[] = [];
  const list = (nodes: Record<string, unknown>) => Object.keys(nodes).sort().join(", ");
  const n = (count: number) => `${count} change${count === 1 ? "" : "s"}`;
  if (sections.drift.changeCount > 0) parts.push(`drift: ${n(sections.drift.changeCount)} on ${list(sections.drift.nodes)}`);
  if (sections.pullRequest && sections.pullRequest.changeCount > 0) {
    parts.push(`this pull request: ${n(sections.pullRequest.changeCount)} on ${list(sections.pullRequest.nodes)}`);
  }
  if (sections.unverified.length > 0) {
    const nodes = [...new Set(sections.unverified.map((u) => u.node ?? u.resource))].sort().join(", ");
    parts.push(`could not verify ${nodes}`);
  }
  return `drift: stack ${options.stack}: ${parts.length ? parts.join("; ") : "no drift"}${files}`;
}

interface PulumiView {
  parsed?: ParsedPreview;
  failure?: string;
}

async function view(bin: string, options: DriftOptions, run: PreviewMode, env: NodeJS.ProcessEnv, io: DriftIo): Promise<PulumiView> {
  const args = pulumiArgs(options, run);
  // `refresh --preview-only --json` only itemises what the refresh found when it streams engine
  // events (its summary document keeps the pre-refresh state), so ask for the stream there.
  const childEnv = run === "refresh" ? { ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "1" } : env;
  const out = await runPulumi(bin, args, options.cwd, childEnv);
  io.raw?.(run, out.stdout);
  const command = `pulumi ${args.join(" ")}`;
  if (out.code !== 0) {
    return { failure: `\`${command}\` failed with exit code ${out.code} in ${options.cwd}. Last lines of its output:\n${stderrTail(out.stderr)}` };
  }
  try {
    return { parsed: parsePreview(out.stdout, { mode: run }) };
  } catch (err) {
    const why = err instanceof PreviewParseError ? err.message : `could not read its output: ${(err as Error).message}`;
    return { failure: `\`${command}\` exited 0 but ${why}\nLast lines of its stderr:\n${stderrTail(out.stderr)}` };
  }
}

/** Runs the drift check; returns the exit code. Never throws. */
export async function runDrift(argv: string[], env: NodeJS.ProcessEnv, io: DriftIo, processCwd = process.cwd()): Promise<number> {
  let options: DriftOptions;
  try {
    options = parseDriftArgs(argv, processCwd);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return EXIT_ERROR;
  }
  const log = options.markdown === "-" || options.json === "-" ? io.stderr : io.stdout;

  let bin: string;
  try {
    bin = locatePulumiCli(env, processCwd).bin;
  } catch (err) {
    io.stderr(`drift: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }

  const refresh = await view(bin, options, "refresh", env, io);
  const preview = options.mode === "preview" && refresh.parsed ? await view(bin, options, "preview", env, io) : undefined;
  const failure = refresh.failure ?? preview?.failure;
  if (failure || !refresh.parsed) {
    io.stderr(`drift: ${failure ?? "the refresh printed nothing"}\n`);
    return EXIT_ERROR;
  }

  const sections = buildSections(refresh.parsed, preview?.parsed);
  const code = exitCodeFor(sections.verdict);
  const markdown = renderReport(sections, { stack: options.stack });
  const summary = buildSummary(sections, options.stack, code, new Date().toISOString());
  try {
    await writeOutput(options.markdown, markdown, io);
    await writeOutput(options.json, `${JSON.stringify(summary, null, 2)}\n`, io);
  } catch (err) {
    io.stderr(`drift: could not write the report: ${(err as Error).message}; check that the directory is writable.\n`);
    return EXIT_ERROR;
  }
  log(`${summaryLine(sections, options, processCwd)}\n`);
  return code;
}

if (require.main === module) {
  runDrift(process.argv.slice(2), process.env, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then((code) => {
    process.exitCode = code;
  });
}
