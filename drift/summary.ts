/**
 * The machine-readable twin of the Markdown report (`--json <file>`): what CI steps and scripts
 * read to decide what to do, with the same per-node grouping, values and consequence texts.
 */
import { consequencesFor } from "./consequences";
import type { ParsedPreview } from "./preview-json";

export interface DriftSummaryProperty {
  path: string;
  /** Live value; absent when the object does not exist. */
  before?: unknown;
  /** Desired value; absent when it will be deleted. */
  after?: unknown;
}

export interface DriftSummaryChange {
  resource: string;
  type: string;
  op: string;
  /** True when the object vanished outside Pulumi (recreated by `pulumi up`). */
  missing: boolean;
  replaceReasons: string[];
  properties: DriftSummaryProperty[];
  /** Ids of the matching consequence rules. */
  rules?: string[];
  /** What the change means (one line per matching rule). */
  consequence?: string;
  /** How to recover (one line per matching rule). */
  recovery?: string;
}

export interface DriftSummary {
  stack: string;
  mode: ParsedPreview["mode"];
  clean: boolean;
  changeCount: number;
  changeSummary: Record<string, number>;
  /** Per node; stack-level resources under "(stack)". */
  nodes: Record<string, DriftSummaryChange[]>;
  diagnostics: Array<{ severity: string; message: string; urn?: string; node: string | null }>;
  generatedAt: string;
}

export function buildSummary(parsed: ParsedPreview, stack: string, generatedAt: string): DriftSummary {
  const nodes: Record<string, DriftSummaryChange[]> = {};
  for (const [node, changes] of Object.entries(parsed.nodes)) {
    nodes[node] = changes.map((c) => {
      const out: DriftSummaryChange = {
        resource: c.name,
        type: c.type,
        op: c.op,
        missing: c.missing,
        replaceReasons: c.replaceReasons,
        properties: c.properties.map((p) => ({ path: p.path, before: p.before, after: p.after })),
      };
      const consequences = consequencesFor(c, parsed.dynamicRange);
      if (consequences.length) {
        out.rules = consequences.map((q) => q.rule);
        out.consequence = consequences.map((q) => q.consequence).join("\n");
        out.recovery = consequences.map((q) => q.recovery).join("\n");
      }
      return out;
    });
  }
  return {
    stack,
    mode: parsed.mode,
    clean: parsed.clean,
    changeCount: parsed.changeCount,
    changeSummary: parsed.changeSummary,
    nodes,
    diagnostics: parsed.diagnostics.filter((d) => d.severity === "error" || d.severity === "warning"),
    generatedAt,
  };
}
