/**
 * Tests that run compiled code in a plain node process (the drift CLI as a bin, the serialized
 * read-back provider) need dist/ to match the sources. This builds it with the project's tsc when
 * any source file under the given folders is newer than its output; tsc emits even when files
 * outside those folders have type errors.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");

function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when `output` (repo-relative .js) is missing or older than any .ts under `sourceDirs`. */
export async function ensureBuilt(output: string, sourceDirs: string[]): Promise<string> {
  const out = path.join(repoRoot, output);
  const stale = !existsSync(out) || sourceDirs.some((d) => newestTs(path.join(repoRoot, d)) > statSync(out).mtimeMs);
  if (stale) {
    const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
    await new Promise<void>((resolve) => {
      execFile(process.execPath, [tsc, "-p", path.join(repoRoot, "tsconfig.json")], { cwd: repoRoot }, () => resolve());
    });
  }
  if (!existsSync(out)) throw new Error(`${out} is missing after the build; run \`npm run build\` and read its errors.`);
  return out;
}
