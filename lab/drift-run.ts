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
  /** 0 clean, 2 drift, 1 error (see drift/cli.ts). */
  exitCode: number;
  markdown: string;
  /** Absent when the command failed before writing it. */
  summary?: DriftSummary;
  /** The command's own summary line(s), from stderr. */
  line: string;
}

export async function runDriftOn(stack: TempStack, stackName = "lab"): Promise<DriftRun> {
  const summaryFile = path.join(stack.baseDir, "drift-summary.json");
  let markdown = "";
  const lines: string[] = [];
  const exitCode = await runDrift(
    ["--stack", stackName, "--markdown", "-", "--json", summaryFile],
    { ...process.env, ...stack.env },
    { stdout: (t) => (markdown += t), stderr: (t) => lines.push(t.trimEnd()) },
    stack.workDir,
  );
  const summary = await readFile(summaryFile, "utf8").then((t) => JSON.parse(t) as DriftSummary, () => undefined);
  return { exitCode, markdown, summary, line: lines.join(" ") };
}
