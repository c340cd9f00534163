/**
 * The machine-readable twin of the Markdown report (`--json <file>`): what CI steps and scripts
 * read to decide what to do, with the same two sections, per-node grouping, values and
 * consequence texts, the unverified sources, and the exit code the command returns.
 */
import { consequencesFor, type ReportSection } from "./consequences";
import type { AddressRange, ResourceChange, UnverifiedSource } from "./preview-json";
import type { ChangeSection, DriftSections, Verdict } from "./sections";

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

export interface DriftSummarySection {
  changeCount: number;
  changeSummary: Record<string, number>;
  /** Per node; stack-level resources under "(stack)". */
  nodes: Record<string, DriftSummaryChange[]>;
}

export interface DriftSummary {
  stack: string;
  /** "pull-request": both sections; "refresh-only": drift only. */
  mode: "pull-request" | "refresh-only";
  verdict: Verdict;
  /** What `npm run drift` exits with (drift/exit-codes.ts). */
  exitCode: number;
  /** True when nothing drifted, nothing changes and every source was verified. */
  clean: boolean;
  /** Drift since the last deployment (`pulumi refresh --preview-only`). */
  drift: DriftSummarySection;
  /** What this pull request changes (`pulumi preview --refresh` minus the drift repairs); null in refresh-only mode. */
  pullRequest: DriftSummarySection | null;
  /** Sources that could not be asked: not drift. */
  unverified: Array<Omit<UnverifiedSource, "urn">>;
  diagnostics: Array<{ severity: string; message: string; urn?: string; node: string | null }>;
  generatedAt: string;
}

function summaryChange(c: ResourceChange, range: AddressRange | null, kind: ReportSection): DriftSummaryChange {
  const out: DriftSummaryChange = {
    resource: c.name,
    type: c.type,
    op: c.op,
    missing: c.missing,
    replaceReasons: c.replaceReasons,
    properties: c.properties.map((p) => ({ path: p.path, before: p.before, after: p.after })),
  };
  const consequences = consequencesFor(c, range, kind);
  if (consequences.length) {
    out.rules = consequences.map((q) => q.rule);
    out.consequence = consequences.map((q) => q.consequence).join("\n");
    out.recovery = consequences.map((q) => q.recovery).join("\n");
  }
  return out;
}

function summarySection(section: ChangeSection, range: AddressRange | null, kind: ReportSection): DriftSummarySection {
  const nodes: Record<string, DriftSummaryChange[]> = {};
  for (const [node, changes] of Object.entries(section.nodes)) nodes[node] = changes.map((c) => summaryChange(c, range, kind));
  return { changeCount: section.changeCount, changeSummary: section.changeSummary, nodes };
}

export function buildSummary(sections: DriftSections, stack: string, exitCode: number, generatedAt: string): DriftSummary {
  const range = sections.runs.find((r) => r.dynamicRange)?.dynamicRange ?? null;
  return {
    stack,
    mode: sections.pullRequest ? "pull-request" : "refresh-only",
    verdict: sections.verdict,
    exitCode,
    clean: sections.verdict === "clean",
    drift: summarySection(sections.drift, range, "drift"),
    pullRequest: sections.pullRequest ? summarySection(sections.pullRequest, range, "change") : null,
    unverified: sections.unverified.map(({ urn: _urn, ...u }) => u),
    diagnostics: sections.runs.flatMap((r) => r.diagnostics).filter((d) => d.severity === "error" || d.severity === "warning"),
    generatedAt,
  };
}
