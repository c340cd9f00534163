/**
 * Writes the drift command's raw Pulumi output as a golden-test fixture (test/fixtures/drift/).
 * One change is made: `__provider` values (the serialized provider code, ~1.5 KB per resource
 * and twice per state, which the parser skips) are replaced by a placeholder, so a scenario is
 * ~60 KB instead of ~700 KB. Everything else is exactly what the CLI printed.
 */
import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";

export const PROVIDER_PLACEHOLDER = "<serialized provider code, removed at capture>";

export function shrinkCapture(text: string): string {
  return text.replace(/("__provider"\s*:\s*)"(?:[^"\\]|\\.)*"/g, `$1${JSON.stringify(PROVIDER_PLACEHOLDER)}`);
}

export async function writeDriftFixture(dir: string, raw: Partial<Record<"refresh" | "preview", string>>): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (raw.refresh !== undefined) await writeFile(path.join(dir, "refresh.jsonl"), shrinkCapture(raw.refresh));
  if (raw.preview !== undefined) await writeFile(path.join(dir, "preview.json"), shrinkCapture(raw.preview));
}
