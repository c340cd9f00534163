/**
 * The drift command run on a temp stack, in-process, as the lab and the engine tests use it:
 * the report comes back as text, the summary as data, plus the command's one-line verdict.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { runDrift } from "../drift/cli";
import type { DriftSummary } from "../drift/summary";
import type { TempStack } from "./temp-stack";

export interface DriftRun {
  /** 0 clean, 2 drift or changes, 3 could not verify, 1 error (drift/exit-codes.ts). */
  exitCode: number;
  markdown: string;
  /** Absent when the command failed before writing it. */
  summary?: DriftSummary;
  /** The command's own summary line(s), from stderr. */
  line: string;
  /** Each Pulumi run's raw JSON output, as the command received it. */
  raw: Partial<Record<"refresh" | "preview", string>>;
}

export async function runDriftOn(stack: TempStack, stackName = "lab", extra: string[] = []): Promise<DriftRun> {
  const summaryFile = path.join(stack.baseDir, "drift-summary.json");
  let markdown = "";
  const lines: string[] = [];
  const raw: DriftRun["raw"] = {};
  const exitCode = await runDrift(
    ["--stack", stackName, "--markdown", "-", "--json", summaryFile, ...extra],
    { ...process.env, ...stack.env, PULUMI_BIN: stack.cli.bin },
    { stdout: (t) => (markdown += t), stderr: (t) => lines.push(t.trimEnd()), raw: (run, text) => (raw[run] = text) },
    stack.workDir,
  );
  const summary = await readFile(summaryFile, "utf8").then((t) => JSON.parse(t) as DriftSummary, () => undefined);
  return { exitCode, markdown, summary, line: lines.join(" "), raw };
}
