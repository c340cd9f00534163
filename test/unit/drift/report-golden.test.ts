import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePreview } from "../../../drift/preview-json";
import { renderReport } from "../../../drift/report";
import { buildSections } from "../../../drift/sections";

// Every drift fixture is the raw output of the drift command's two Pulumi runs, captured from
// an engine run (test/fixtures/drift/README.md); it is rendered and compared byte for byte with
// test/golden/report/<scenario>.md. Regenerate with UPDATE_GOLDEN=1 and review the diff like code.
const fixtures = path.resolve(__dirname, "../../fixtures/drift");
const goldens = path.resolve(__dirname, "../../golden/report");
const update = process.env.UPDATE_GOLDEN === "1";

const names = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function render(name: string): string {
  const read = (f: string) => readFileSync(path.join(fixtures, name, f), "utf8");
  const refresh = parsePreview(read("refresh.jsonl"), { mode: "refresh" });
  const preview = existsSync(path.join(fixtures, name, "preview.json")) ? parsePreview(read("preview.json")) : undefined;
  return renderReport(buildSections(refresh, preview), { stack: "lab" });
}

describe("golden drift reports", () => {
  it("finds the engine-captured fixtures", () => {
    expect(names.length).toBeGreaterThanOrEqual(8);
  });

  it.each(names)("renders %s exactly as its golden file", (name) => {
    const golden = path.join(goldens, `${name}.md`);
    const md = render(name);
    if (update) {
      mkdirSync(goldens, { recursive: true });
      writeFileSync(golden, md);
    }
    expect(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npx vitest run --project unit test/unit/drift and review it`).toBe(true);
    expect(md).toBe(readFileSync(golden, "utf8"));
  });

  it("has no golden file without a fixture", () => {
    const orphans = existsSync(goldens) ? readdirSync(goldens).filter((g) => g.endsWith(".md") && !names.includes(g.replace(/\.md$/, ""))) : [];
    expect(orphans).toEqual([]);
  });
});
