/**
 * `pulumi preview --json` and `pulumi refresh --preview-only --json` as the CLI writes them
 * (`pkg/display/json.go`, ref/pulumi.md §2.3): the types, and reading the text into one document
 * whether the CLI printed the digest document or a stream of engine events (engine-events.ts).
 */
import { documentFromEvents } from "./engine-events";

/** A resource in state-file form (apitype ResourceV3), as it appears in a preview step. */
export interface PreviewResourceState {
  urn?: string;
  custom?: boolean;
  delete?: boolean;
  id?: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  provider?: string;
  [key: string]: unknown;
}

export interface PreviewPropertyDiff {
  kind: string;
  inputDiff?: boolean;
}

export interface PreviewStep {
  op: string;
  urn: string;
  provider?: string;
  oldState?: PreviewResourceState;
  newState?: PreviewResourceState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, PreviewPropertyDiff> | null;
}

export interface PreviewDiagnostic {
  urn?: string;
  prefix?: string;
  message: string;
  severity: string;
}

export interface PreviewDocument {
  config?: Record<string, string>;
  steps?: PreviewStep[];
  diagnostics?: PreviewDiagnostic[];
  /** Go duration in nanoseconds. */
  duration?: number;
  changeSummary?: Record<string, number>;
  maybeCorrupt?: boolean;
}

export class PreviewParseError extends Error {
  override readonly name = "PreviewParseError";
  readonly code = "PREVIEW_JSON_INVALID";
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The document in `text`: a preview document, or engine events one per line. Throws PreviewParseError. */
export function parseDocument(text: string): PreviewDocument {
  const trimmed = text.trim();
  if (!trimmed) throw new PreviewParseError("the preview printed no JSON (empty output); run it by hand with --json to see why.");
  try {
    const doc = JSON.parse(trimmed) as unknown;
    if (isPlainObject(doc)) {
      if (Array.isArray(doc.steps) || isPlainObject(doc.changeSummary)) return doc as PreviewDocument;
      // A one-line event stream is a single JSON object too.
      if (!Object.keys(doc).some((k) => k.endsWith("Event"))) throw new PreviewParseError(
        `the output is JSON but not a preview document (keys: ${Object.keys(doc).slice(0, 5).join(", ") || "none"}); expected steps and changeSummary.`,
      );
    }
  } catch (err) {
    if (err instanceof PreviewParseError) throw err;
    // Maybe a stream of engine events (PULUMI_ENABLE_STREAMING_JSON_PREVIEW), one per line.
  }
  const events: Record<string, unknown>[] = [];
  for (const line of trimmed.split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as unknown;
      if (isPlainObject(e)) events.push(e);
    } catch {
      throw new PreviewParseError(
        `the preview output is not JSON (it starts with ${JSON.stringify(trimmed.slice(0, 40))}); ` +
          "make sure nothing else prints to stdout and that --json was passed.",
      );
    }
  }
  const doc = documentFromEvents(events);
  if (events.length > 0 && (doc.steps ?? []).length === 0 && !doc.changeSummary) {
    throw new PreviewParseError("the preview output holds JSON but neither a preview document nor engine events.");
  }
  return doc;
}
