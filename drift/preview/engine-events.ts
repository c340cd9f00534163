/**
 * Engine events (`--json` with PULUMI_ENABLE_STREAMING_JSON_PREVIEW=1, ref/pulumi.md §2.4) into
 * the preview-document shape. A refresh step's pre-event still carries the *recorded* state; only
 * its outputs event says what the refresh found (op same/update/delete, `new` = refreshed state,
 * null when gone), so for refresh steps the outputs event wins and the recorded state is kept as
 * `oldState`. This is why the drift command asks for the stream for `refresh --preview-only`: its
 * digest document keeps the pre-events only and cannot say what changed.
 */
import type { PreviewDocument, PreviewResourceState, PreviewStep } from "./wire";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const asState = (s: unknown): PreviewResourceState | undefined =>
  isPlainObject(s) ? ({ ...s, type: String(s.type ?? "") } as PreviewResourceState) : undefined;

function toStep(m: Record<string, unknown>): PreviewStep {
  const step: PreviewStep = { op: String(m.op), urn: String(m.urn) };
  const old = asState(m.old);
  const neu = asState(m.new);
  if (old) step.oldState = old;
  if (neu) step.newState = neu;
  if (Array.isArray(m.diffs)) step.diffReasons = m.diffs as string[];
  if (Array.isArray(m.keys)) step.replaceReasons = m.keys as string[];
  if (isPlainObject(m.detailedDiff)) {
    step.detailedDiff = Object.fromEntries(
      Object.entries(m.detailedDiff).map(([k, v]) => [k, { kind: String((v as { diffKind?: unknown; kind?: unknown }).diffKind ?? (v as { kind?: unknown }).kind ?? "update") }]),
    );
  }
  return step;
}

export function documentFromEvents(events: Record<string, unknown>[]): PreviewDocument {
  const steps: PreviewStep[] = [];
  const doc: PreviewDocument = { steps, diagnostics: [] };
  const byUrn = new Map<string, number>();
  for (const e of events) {
    const pre = e.resourcePreEvent as { metadata?: Record<string, unknown> } | undefined;
    if (pre?.metadata) {
      byUrn.set(String(pre.metadata.urn), steps.length);
      steps.push(toStep(pre.metadata));
    }
    const outs = e.resOutputsEvent as { metadata?: Record<string, unknown> } | undefined;
    if (outs?.metadata) {
      const i = byUrn.get(String(outs.metadata.urn));
      if (i !== undefined && steps[i]!.op === "refresh") {
        const recorded = steps[i]!.oldState;
        const found = toStep(outs.metadata);
        // The outputs event of a vanished resource has no `old`: keep the recorded state.
        if (!found.oldState && recorded) found.oldState = recorded;
        steps[i] = found;
      }
    }
    const diag = e.diagnosticEvent as Record<string, unknown> | undefined;
    if (diag && !diag.ephemeral && diag.severity !== "debug") {
      doc.diagnostics!.push({
        message: `${String(diag.prefix ?? "")}${String(diag.message ?? "")}`,
        severity: String(diag.severity),
        ...(diag.urn ? { urn: String(diag.urn) } : {}),
      });
    }
    const summary = e.summaryEvent as Record<string, unknown> | undefined;
    if (summary) {
      doc.changeSummary = (summary.resourceChanges as Record<string, number>) ?? {};
      doc.maybeCorrupt = Boolean(summary.maybeCorrupt);
    }
    const prelude = e.preludeEvent as { config?: Record<string, string> } | undefined;
    if (prelude?.config) doc.config = prelude.config;
  }
  return doc;
}
