import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePreview } from "../../../drift/preview-json";
import { renderReport } from "../../../drift/report";

// Every preview fixture (hand-made *.synthetic.json and engine-captured *.captured.json) is
// rendered and compared byte for byte with test/golden/report/<fixture>.md.
// Regenerate with UPDATE_GOLDEN=1 and review the diff like code.
const fixtures = path.resolve(__dirname, "../../fixtures/preview");
const goldens = path.resolve(__dirname, "../../golden/report");
const update = process.env.UPDATE_GOLDEN === "1";

/** Strings planted in fixtures where a credential could slip into plain text. */
const SENTINELS = [/Snt1nel/i, /5ent1ne1/i, /SENTINEL/];

const names = readdirSync(fixtures).filter((f) => f.endsWith(".json")).sort();
const modeOf = (f: string) => (f.includes("refresh-only") ? "refresh" : "preview");
const render = (f: string) => renderReport(parsePreview(readFileSync(path.join(fixtures, f), "utf8"), { mode: modeOf(f) }), { stack: "homelab" });

describe("golden drift reports", () => {
  it("finds the fixtures", () => {
    expect(names.length).toBeGreaterThanOrEqual(5);
  });

  it.each(names)("renders %s exactly as its golden file", (name) => {
    const golden = path.join(goldens, name.replace(/\.json$/, ".md"));
    const md = render(name);
    if (update) {
      mkdirSync(goldens, { recursive: true });
      writeFileSync(golden, md);
    }
    expect(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npx vitest run --project unit test/unit/drift and review it`).toBe(true);
    expect(md).toBe(readFileSync(golden, "utf8"));
  });

  it.each(names)("leaves no planted secret in the report for %s", (name) => {
    const md = render(name);
    for (const s of SENTINELS) expect(md).not.toMatch(s);
  });

  it("has a fixture with a planted secret, so the secret check can fail", () => {
    const planted = names.filter((n) => SENTINELS.some((s) => s.test(readFileSync(path.join(fixtures, n), "utf8"))));
    expect(planted.length).toBeGreaterThan(0);
  });

  it("has no golden file without a fixture", () => {
    const orphans = existsSync(goldens)
      ? readdirSync(goldens).filter((g) => g.endsWith(".md") && !names.includes(g.replace(/\.md$/, ".json")))
      : [];
    expect(orphans).toEqual([]);
  });
});
