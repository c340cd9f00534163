/**
 * `pulumi preview --json` (and `pulumi refresh --preview-only --json`) as typed data, and the one
 * parser that turns it into what the drift report needs: the logical changes grouped per node,
 * each with property-level "live → desired" values.
 *
 * Why compute the property diff here: every resource of this project with a custom dynamic `diff`
 * (MAAS reservation, K3s settings, read-back) comes through with `detailedDiff: null` and empty
 * `diffReasons` (ref/pulumi.md §2.3), so the only way to say *what* drifted is to compare the
 * state the engine holds (`oldState.outputs`, refreshed first under `options.refresh: always`) with
 * the desired inputs (`newState.inputs`). `__provider` (the serialized provider code) is skipped;
 * "[secret]" is kept as is; every string is passed through `maskSecrets` in case a credential
 * slipped into plain text.
 */
import { maskValue } from "./secret-mask";

// ---- The document, as `pkg/display/json.go` writes it (ref/pulumi.md §2.3) ----

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

// ---- What the report works with ----

/** "preview": `pulumi preview [--refresh] --json`; "refresh": `pulumi refresh --preview-only --json`. */
export type PreviewMode = "preview" | "refresh";

/** Ops that are not changes (they match `--expect-no-changes`'s exemptions, plus refresh steps). */
export const NON_CHANGE_OPS: readonly string[] = ["same", "read", "refresh", "discard", "discard-replaced", "read-replacement"];

/** One changed leaf: `path` in dotted/indexed form (`initialization.ipConfigs[0].ipv4.address`). */
export interface PropertyChange {
  path: string;
  /** What is there now: the live (refreshed) value; `undefined` when absent. */
  before: unknown;
  /** What Pulumi will make it: the desired value; `undefined` when absent. */
  after: unknown;
}

export interface ResourceChange {
  urn: string;
  /** Last URN segment, e.g. "k3s-vm-pve-reservation". */
  name: string;
  /** Resource type token, e.g. "pulumi-nodejs:dynamic/maas:Reservation". */
  type: string;
  op: string;
  /** Node the resource belongs to, or null for stack-level resources. */
  node: string | null;
  /**
   * The object is gone from the real world although Pulumi created it before: a `create` under a
   * parent that is not itself being created (refresh-preview), or a refresh-only `delete`.
   */
  missing: boolean;
  replaceReasons: string[];
  diffReasons: string[];
  properties: PropertyChange[];
  /** Desired inputs (masked, without __provider): values for the consequence texts. */
  desired: Record<string, unknown>;
  /** Live state (masked, without __provider). */
  live: Record<string, unknown>;
}

export interface Diagnostic {
  severity: string;
  message: string;
  urn?: string;
  node: string | null;
}

/** A MAAS dynamic (pool) range, when the preview's config names one. */
export interface AddressRange {
  start: string;
  end: string;
}

export interface ParsedPreview {
  mode: PreviewMode;
  changeSummary: Record<string, number>;
  /** Every logical change, in the order of the document. */
  changes: ResourceChange[];
  /** `changes` grouped by node; resources outside any node are under STACK_GROUP. */
  nodes: Record<string, ResourceChange[]>;
  diagnostics: Diagnostic[];
  /** Number of logical changes (from changeSummary, or the steps when it is absent). */
  changeCount: number;
  clean: boolean;
  maybeCorrupt: boolean;
  /** `homelab:network.dynamicRange` from the preview's config, when present. */
  dynamicRange: AddressRange | null;
}

/** Group key for resources that belong to no node (alerts, providers). */
export const STACK_GROUP = "(stack)";

/** The component every node's children are parented to. */
export const NODE_COMPONENT_TYPE = "homelab:index:Node";

/** Child name suffixes (`${node}-reservation`, …), longest first so "-k3s-userdata" beats "-userdata". */
const CHILD_SUFFIXES = ["-k3s-userdata", "-reservation", "-readback", "-userdata", "-vm", "-k3s"];

export class PreviewParseError extends Error {
  override readonly name = "PreviewParseError";
  readonly code = "PREVIEW_JSON_INVALID";
}

// ---- URNs ----

/** `urn:pulumi:<stack>::<project>::<parentType$type>::<name>` → { type, name, typeChain }. */
export function parseUrn(urn: string): { type: string; name: string; typeChain: string[] } {
  const parts = urn.split("::");
  const name = parts.length >= 4 ? parts.slice(3).join("::") : (parts[parts.length - 1] ?? "");
  const chain = (parts[2] ?? "").split("$").filter(Boolean);
  return { type: chain[chain.length - 1] ?? "", name, typeChain: chain };
}

function nodeOf(step: PreviewStep, type: string, name: string, typeChain: string[]): string | null {
  if (type === NODE_COMPONENT_TYPE) return name;
  const parent = step.newState?.parent ?? step.oldState?.parent;
  if (parent) {
    const p = parseUrn(parent);
    if (p.type === NODE_COMPONENT_TYPE) return p.name;
  }
  const underNode = typeChain.slice(0, -1).includes(NODE_COMPONENT_TYPE);
  for (const suffix of CHILD_SUFFIXES) {
    if (name.endsWith(suffix) && name.length > suffix.length) return name.slice(0, -suffix.length);
  }
  return underNode ? name : null;
}

// ---- Property diff ----

function withoutProvider(bag: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(bag ?? {})) if (k !== "__provider" && k !== "__defaults") out[k] = v;
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Keys that are bookkeeping, not properties: the serialized provider and the bridge's defaults list. */
const SKIPPED_KEYS = new Set(["__provider", "__defaults"]);

/**
 * Leaf-level differences under `path`, driven by the desired side: keys only the live side has
 * (defaults and computed fields a provider fills in) are not differences. A side that is absent
 * altogether is `undefined`, and then every leaf of the other side is listed.
 */
function diffValues(path: string, before: unknown, after: unknown, out: PropertyChange[]): void {
  const join = (k: string) => (path ? `${path}.${k}` : k);
  if (isPlainObject(after) && (isPlainObject(before) || before === undefined)) {
    for (const k of Object.keys(after)) if (!SKIPPED_KEYS.has(k)) diffValues(join(k), isPlainObject(before) ? before[k] : undefined, after[k], out);
    return;
  }
  if (isPlainObject(before) && after === undefined) {
    for (const k of Object.keys(before)) if (!SKIPPED_KEYS.has(k)) diffValues(join(k), before[k], undefined, out);
    return;
  }
  if (Array.isArray(after) && (Array.isArray(before) || before === undefined)) {
    const b = Array.isArray(before) ? before : [];
    const n = Math.max(b.length, after.length);
    for (let i = 0; i < n; i++) diffValues(`${path}[${i}]`, b[i], after[i], out);
    return;
  }
  if (Array.isArray(before) && after === undefined) {
    before.forEach((v, i) => diffValues(`${path}[${i}]`, v, undefined, out));
    return;
  }
  if (before !== undefined && after !== undefined && JSON.stringify(before) === JSON.stringify(after)) return;
  if (before === undefined && after === undefined) return;
  out.push({ path, before, after });
}

/** Splits a Pulumi property path (`a.b[0]["c.d"]`) into keys and indexes. */
export function splitPropertyPath(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.[\]]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) parts.push(Number(m[1]));
    else if (m[2] !== undefined) parts.push(m[2].replace(/\\(.)/g, "$1"));
    else if (m[3] !== undefined) parts.push(m[3]);
  }
  return parts;
}

function valueAt(bag: unknown, path: string): unknown {
  let cur: unknown = bag;
  for (const key of splitPropertyPath(path)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/**
 * The changed properties of one step. When the engine sent a `detailedDiff` (bridged providers:
 * Proxmox, Kubernetes) its paths are used, with values looked up on both sides; otherwise (custom
 * dynamic `diff`) the desired inputs are compared with the live state key by key, so output-only
 * fields (ids, agent-reported lists) never show as drift.
 */
export function propertyChanges(
  live: Record<string, unknown>,
  desired: Record<string, unknown>,
  op: string,
  detailedDiff?: Record<string, PreviewPropertyDiff> | null,
  oldInputs: Record<string, unknown> = {},
): PropertyChange[] {
  const out: PropertyChange[] = [];
  if (detailedDiff && Object.keys(detailedDiff).length > 0 && op !== "create" && op !== "delete") {
    for (const [path, d] of Object.entries(detailedDiff)) {
      if (SKIPPED_KEYS.has(String(splitPropertyPath(path)[0]))) continue;
      const kind = d?.kind ?? "update";
      const before = kind.startsWith("add") ? undefined : valueAt(live, path);
      const after = kind.startsWith("delete") ? undefined : valueAt(desired, path);
      const leaves: PropertyChange[] = [];
      diffValues(path, before, after, leaves);
      out.push(...(leaves.length ? leaves : [{ path, before, after }]));
    }
    return out;
  }
  if (op === "delete" || op === "delete-replaced" || Object.keys(desired).length === 0) {
    for (const k of Object.keys(live)) if (!SKIPPED_KEYS.has(k)) diffValues(k, live[k], undefined, out);
    return out;
  }
  for (const k of Object.keys(desired)) if (!SKIPPED_KEYS.has(k)) diffValues(k, live[k], desired[k], out);
  // An input the program no longer sets (e.g. `server` dropped from the K3s settings) is a change too.
  for (const k of Object.keys(oldInputs)) {
    if (!SKIPPED_KEYS.has(k) && !(k in desired)) diffValues(k, live[k] ?? oldInputs[k], undefined, out);
  }
  return out;
}

// ---- Parsing ----

function parseDocument(text: string): PreviewDocument {
  const trimmed = text.trim();
  if (!trimmed) throw new PreviewParseError("the preview printed no JSON (empty output); run it by hand with --json to see why.");
  try {
    const doc = JSON.parse(trimmed) as unknown;
    if (isPlainObject(doc)) {
      if (Array.isArray(doc.steps) || isPlainObject(doc.changeSummary)) return doc as PreviewDocument;
      throw new PreviewParseError(
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
  return documentFromEvents(events);
}

/**
 * Converts engine events (`--json` with PULUMI_ENABLE_STREAMING_JSON_PREVIEW=1, ref/pulumi.md §2.4)
 * into the document shape. A refresh step's pre-event still carries the *recorded* state; only its
 * outputs event says what the refresh found (op same/update/delete, `new` = refreshed state, null
 * when gone), so for refresh steps the outputs event wins. This is why `drift --refresh-only`
 * asks for the stream: the digest document of `refresh --preview-only --json` keeps the pre-events
 * only and cannot say what changed.
 */
function documentFromEvents(events: Record<string, unknown>[]): PreviewDocument {
  const doc: PreviewDocument = { steps: [], diagnostics: [] };
  const asState = (s: unknown): PreviewResourceState | undefined =>
    isPlainObject(s) ? ({ ...s, type: String(s.type ?? "") } as PreviewResourceState) : undefined;
  const toStep = (m: Record<string, unknown>): PreviewStep => {
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
  };
  const byUrn = new Map<string, number>();
  for (const e of events) {
    const pre = e.resourcePreEvent as { metadata?: Record<string, unknown> } | undefined;
    if (pre?.metadata) {
      byUrn.set(String(pre.metadata.urn), doc.steps!.length);
      doc.steps!.push(toStep(pre.metadata));
    }
    const outs = e.resOutputsEvent as { metadata?: Record<string, unknown> } | undefined;
    if (outs?.metadata) {
      const i = byUrn.get(String(outs.metadata.urn));
      if (i !== undefined && doc.steps![i]!.op === "refresh") doc.steps![i] = toStep(outs.metadata);
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
  if (events.length > 0 && doc.steps!.length === 0 && !doc.changeSummary) {
    throw new PreviewParseError("the preview output holds JSON but neither a preview document nor engine events.");
  }
  return doc;
}

function dynamicRangeOf(config: Record<string, string> | undefined): AddressRange | null {
  const raw = config?.["homelab:network"];
  if (!raw) return null;
  try {
    const net = JSON.parse(raw) as { dynamicRange?: { start?: unknown; end?: unknown } };
    const r = net.dynamicRange;
    return r && typeof r.start === "string" && typeof r.end === "string" ? { start: r.start, end: r.end } : null;
  } catch {
    return null;
  }
}

function isHidden(type: string): boolean {
  return type === "pulumi:pulumi:Stack";
}

/** Parses a preview document (or event stream) into per-node changes. Throws PreviewParseError. */
export function parsePreview(text: string, options: { mode?: PreviewMode } = {}): ParsedPreview {
  const mode = options.mode ?? "preview";
  const doc = parseDocument(text);
  const steps = Array.isArray(doc.steps) ? doc.steps : [];
  const createdUrns = new Set(steps.filter((s) => s.op === "create").map((s) => s.urn));
  // `preview --refresh` lists a refresh step for every resource that was in state: a create of one
  // of those is a re-create of something that vanished. Without refresh steps, a create under a
  // node that is not itself being created is the best available sign.
  const refreshedUrns = new Set(steps.filter((s) => s.op === "refresh").map((s) => s.urn));

  const changes: ResourceChange[] = [];
  for (const step of steps) {
    if (!step || typeof step.urn !== "string" || NON_CHANGE_OPS.includes(step.op)) continue;
    const { type: urnType, name, typeChain } = parseUrn(step.urn);
    const type = step.newState?.type || step.oldState?.type || urnType;
    if (isHidden(type)) continue;
    const parent = step.newState?.parent ?? step.oldState?.parent;
    let live: Record<string, unknown>;
    let desired: Record<string, unknown>;
    if (mode === "refresh") {
      // oldState = what state recorded, newState = what the refresh found (absent: gone).
      live = step.op === "delete" ? {} : withoutProvider(step.newState?.outputs);
      desired = withoutProvider(step.newState?.inputs ?? step.oldState?.inputs);
    } else {
      live = step.op === "create" ? {} : withoutProvider(step.oldState?.outputs ?? step.oldState?.inputs);
      desired = step.op === "delete" ? {} : withoutProvider(step.newState?.inputs);
    }
    live = maskValue(live);
    desired = maskValue(desired);
    const parentExists = parent !== undefined && parseUrn(parent).type !== "pulumi:pulumi:Stack" && !createdUrns.has(parent);
    const missing =
      mode === "refresh"
        ? step.op === "delete"
        : step.op === "create" && (refreshedUrns.size > 0 ? refreshedUrns.has(step.urn) : parentExists);
    const properties =
      mode === "refresh" && step.op === "delete"
        ? propertyChanges({}, desired, "create")
        : propertyChanges(live, desired, step.op, mode === "refresh" ? null : step.detailedDiff, mode === "refresh" ? {} : maskValue(withoutProvider(step.oldState?.inputs)));
    changes.push({
      urn: step.urn,
      name,
      type,
      op: step.op,
      node: nodeOf(step, type, name, typeChain),
      missing,
      replaceReasons: [...(step.replaceReasons ?? [])],
      diffReasons: [...(step.diffReasons ?? [])],
      properties,
      desired,
      live,
    });
  }

  const nodes: Record<string, ResourceChange[]> = {};
  for (const c of changes) (nodes[c.node ?? STACK_GROUP] ??= []).push(c);

  const nodeByUrn = new Map(changes.map((c) => [c.urn, c.node]));
  const diagnostics: Diagnostic[] = (doc.diagnostics ?? [])
    .filter((d) => d && typeof d.message === "string")
    .map((d) => {
      const node = d.urn ? (nodeByUrn.get(d.urn) ?? nodeOf({ op: "", urn: d.urn }, parseUrn(d.urn).type, parseUrn(d.urn).name, parseUrn(d.urn).typeChain)) : null;
      const out: Diagnostic = { severity: d.severity, message: maskValue(d.message.trim()), node };
      if (d.urn) out.urn = d.urn;
      return out;
    });

  const changeSummary = { ...(doc.changeSummary ?? {}) };
  const summaryCount = Object.entries(changeSummary)
    .filter(([op]) => !NON_CHANGE_OPS.includes(op))
    .reduce((n, [, c]) => n + (typeof c === "number" ? c : 0), 0);
  const changeCount = doc.changeSummary ? Math.max(summaryCount, changes.length) : changes.length;
  return {
    mode,
    changeSummary,
    changes,
    nodes,
    diagnostics,
    changeCount,
    clean: changeCount === 0,
    maybeCorrupt: doc.maybeCorrupt === true,
    dynamicRange: dynamicRangeOf(doc.config),
  };
}
