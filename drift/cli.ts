#!/usr/bin/env node
/**
 * `npm run drift -- --stack <name>`: runs the project's normal preview (which refreshes first, so
 * MAAS, Proxmox and the nodes are read), writes a Markdown report and a JSON summary, prints one
 * line, and exits
 *   0  no drift (no logical change),
 *   2  drift: at least one create/update/replace/delete,
 *   1  error: the Pulumi CLI failed, printed no JSON, or could not be found.
 * The exit code is what CI gates on (.github/workflows/drift.yml, pr-preview.yml).
 *
 * Flags:
 *   --stack <name>      required; the stack to preview.
 *   --cwd <dir>         the Pulumi project directory (default: the current directory).
 *   --markdown <file>   report path (default: drift-report.md in --cwd); "-" prints it to stdout.
 *   --json <file>       summary path (default: drift-summary.json in --cwd); "-" prints it to stdout.
 *   --refresh-only      use `pulumi refresh --preview-only --json` (no program run; compares the
 *                       real world with the last deployment instead of with the code).
 * Relative --markdown/--json paths are resolved against the current directory, like any shell tool.
 * The CLI comes from `PULUMI_BIN` when set, else from `locatePulumiCli()` (scripts/pulumi-cli.sh).
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parsePreview, PreviewParseError, type ParsedPreview, type PreviewMode } from "./preview-json";
import { locatePulumiCli } from "./pulumi-cli";
import { renderReport } from "./report";
import { maskSecrets } from "./secret-mask";
import { buildSummary } from "./summary";

export const EXIT_CLEAN = 0;
export const EXIT_ERROR = 1;
export const EXIT_DRIFT = 2;

export const USAGE = `usage: npm run drift -- --stack <name> [--cwd <dir>] [--markdown <file>|-] [--json <file>|-] [--refresh-only]

Runs \`pulumi preview --refresh --json\` (or \`pulumi refresh --preview-only --json\` with --refresh-only),
writes a Markdown report (default drift-report.md) and a JSON summary (default drift-summary.json) in --cwd,
and exits 0 when nothing drifted, 2 on drift, 1 on error. PULUMI_BIN overrides the Pulumi CLI path.`;

export interface DriftOptions {
  stack: string;
  cwd: string;
  markdown: string;
  json: string;
  mode: PreviewMode;
}

/** Where output goes; tests pass buffers. */
export interface DriftIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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

/** The pulumi arguments for a mode. `--refresh` is explicit although Pulumi.yaml says `refresh: always`. */
export function pulumiArgs(options: Pick<DriftOptions, "stack" | "mode">): string[] {
  const common = ["--json", "--non-interactive", "--stack", options.stack];
  return options.mode === "refresh" ? ["refresh", "--preview-only", ...common] : ["preview", "--refresh", ...common];
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

function summaryLine(parsed: ParsedPreview, options: DriftOptions, processCwd: string): string {
  const where = [options.markdown, options.json]
    .filter((f) => f !== "-")
    .map((f) => path.relative(processCwd, f) || f);
  const files = where.length ? ` (${where.join(", ")})` : "";
  if (parsed.clean) return `drift: stack ${options.stack}: no drift${files}`;
  const nodes = Object.keys(parsed.nodes).sort();
  return `drift: stack ${options.stack}: ${parsed.changeCount} change${parsed.changeCount === 1 ? "" : "s"} on ${nodes.join(", ")}${files}`;
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
    bin = env.PULUMI_BIN ? path.resolve(processCwd, env.PULUMI_BIN) : locatePulumiCli().bin;
  } catch (err) {
    io.stderr(`drift: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }

  const args = pulumiArgs(options);
  // `refresh --preview-only --json` only itemises what the refresh found when it streams engine
  // events (its summary document keeps the pre-refresh state), so ask for the stream there.
  const childEnv = options.mode === "refresh" ? { ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "1" } : env;
  const run = await runPulumi(bin, args, options.cwd, childEnv);
  const command = `pulumi ${args.join(" ")}`;

  let parsed: ParsedPreview | undefined;
  let parseError: string | undefined;
  try {
    parsed = parsePreview(run.stdout, { mode: options.mode });
  } catch (err) {
    parseError = err instanceof PreviewParseError ? err.message : `could not read its output: ${(err as Error).message}`;
  }

  if (parsed) {
    const markdown = renderReport(parsed, { stack: options.stack });
    const summary = buildSummary(parsed, options.stack, new Date().toISOString());
    try {
      await writeOutput(options.markdown, markdown, io);
      await writeOutput(options.json, `${JSON.stringify(summary, null, 2)}\n`, io);
    } catch (err) {
      io.stderr(`drift: could not write the report: ${(err as Error).message}; check that the directory is writable.\n`);
      return EXIT_ERROR;
    }
  }

  if (run.code !== 0) {
    io.stderr(
      `drift: \`${command}\` failed with exit code ${run.code} in ${options.cwd}` +
        `${parsed ? " (its partial report was written)" : ""}. Last lines of its output:\n${stderrTail(run.stderr)}\n`,
    );
    return EXIT_ERROR;
  }
  if (!parsed) {
    io.stderr(`drift: \`${command}\` exited 0 but ${parseError}\nLast lines of its stderr:\n${stderrTail(run.stderr)}\n`);
    return EXIT_ERROR;
  }
  log(`${summaryLine(parsed, options, processCwd)}\n`);
  return parsed.clean ? EXIT_CLEAN : EXIT_DRIFT;
}

if (require.main === module) {
  runDrift(process.argv.slice(2), process.env, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then((code) => {
    process.exitCode = code;
  });
}
