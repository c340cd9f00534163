/**
 * The one parser from Pulumi's JSON output to what the drift report needs: the logical changes
 * grouped per node, each with property-level "live → desired" values, the sources that could not
 * be verified, and the diagnostics. The pieces live in preview/: wire types and reading
 * (wire.ts, engine-events.ts), the property diff (property-diff.ts) and resource → node mapping
 * (resource-node.ts). Every string is passed through `maskSecrets` in case a credential slipped
 * into plain text; "[secret]" is kept as is.
 */
import { maskValue } from "./secret-mask";
import { propertyChanges, withoutBookkeeping, type PropertyChange } from "./preview/property-diff";
import { nodeOf, parseUrn, type ParentIndex } from "./preview/resource-node";
import { isPlainObject, parseDocument, type PreviewStep } from "./preview/wire";

export { PreviewParseError, type PreviewDocument, type PreviewResourceState, type PreviewStep } from "./preview/wire";
export { NODE_COMPONENT_TYPE, parseUrn } from "./preview/resource-node";
export { splitPropertyPath, propertyChanges, type PropertyChange } from "./preview/property-diff";

/** "preview": `pulumi preview [--refresh] --json`; "refresh": `pulumi refresh --preview-only --json` (streamed). */
export type PreviewMode = "preview" | "refresh";

/** Ops that are not changes (they match `--expect-no-changes`'s exemptions, plus refresh steps). */
export const NON_CHANGE_OPS: readonly string[] = ["same", "read", "refresh", "discard", "discard-replaced", "read-replacement"];

export interface ResourceChange {
  urn: string;
  /** Last URN segment, e.g. "k3s-vm-pve-reservation". */
  name: string;
  /** Resource type token, e.g. "pulumi-nodejs:dynamic/maas:Reservation". */
  type: string;
  op: string;
  /** Node the resource belongs to (its `homelab:index:Node` ancestor), or null for stack-level resources. */
  node: string | null;
  /**
   * The object is gone from the real world although Pulumi created it before: a refresh-only
   * `delete`, or a `create` of a resource the preview's refresh found in state.
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

/**
 * A source a resource could not ask, as the resource itself reports it in its outputs
 * (`unverified: [{source, reason, fix}]`, e.g. the node read-back): not drift, a warning.
 */
export interface UnverifiedSource {
  node: string | null;
  resource: string;
  urn: string;
  source: string;
  reason: string;
  fix: string;
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
  /** Sources that could not be asked, per resource, in document order. */
  unverified: UnverifiedSource[];
  diagnostics: Diagnostic[];
  /** Number of logical changes (from changeSummary, or the steps when it is absent). */
  changeCount: number;
  clean: boolean;
  maybeCorrupt: boolean;
  /** `homelab:network.dynamicRange` from the preview's config, when present. */
  dynamicRange: AddressRange | null;
  /** The inputs recorded by the last deployment, per URN (masked), as far as the document shows them. */
  recordedInputs: ReadonlyMap<string, Record<string, unknown>>;
}

/** Group key for resources that belong to no node (alerts, providers). */
export const STACK_GROUP = "(stack)";

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

function parentIndex(steps: readonly PreviewStep[]): ParentIndex {
  const parents = new Map<string, string | undefined>();
  for (const s of steps) {
    const parent = s.newState?.parent ?? s.oldState?.parent;
    if (parent || !parents.has(s.urn)) parents.set(s.urn, parent);
  }
  return parents;
}

/** `unverified` entries a resource reports in its live outputs. */
function unverifiedOf(step: PreviewStep, live: Record<string, unknown> | undefined, parents: ParentIndex): UnverifiedSource[] {
  const list = live?.unverified;
  if (!Array.isArray(list)) return [];
  return list.filter(isPlainObject).map((u) => ({
    node: nodeOf(step.urn, parents),
    resource: parseUrn(step.urn).name,
    urn: step.urn,
    source: String(u.source ?? "unknown"),
    reason: maskValue(String(u.reason ?? "")),
    fix: maskValue(String(u.fix ?? "")),
  }));
}

/** Parses a preview document (or event stream) into per-node changes. Throws PreviewParseError. */
export function parsePreview(text: string, options: { mode?: PreviewMode } = {}): ParsedPreview {
  const mode = options.mode ?? "preview";
  const doc = parseDocument(text);
  const steps = (Array.isArray(doc.steps) ? doc.steps : []).filter((s) => s && typeof s.urn === "string");
  const parents = parentIndex(steps);
  // `preview --refresh` lists a refresh step for every resource that was in state: a create of one
  // of those is a re-create of something that vanished.
  const refreshedUrns = new Set(steps.filter((s) => s.op === "refresh").map((s) => s.urn));

  const changes: ResourceChange[] = [];
  const unverified: UnverifiedSource[] = [];
  const recordedInputs = new Map<string, Record<string, unknown>>();
  for (const step of steps) {
    const { type: urnType, name } = parseUrn(step.urn);
    const type = step.newState?.type || step.oldState?.type || urnType;
    if (isHidden(type)) continue;
    // Live state: what the refresh found (refresh mode: newState; preview: the refreshed oldState).
    const liveState = mode === "refresh" ? step.newState : step.op === "refresh" ? undefined : step.oldState;
    unverified.push(...unverifiedOf(step, liveState?.outputs, parents));
    if (mode === "refresh" && step.oldState?.inputs) recordedInputs.set(step.urn, maskValue(withoutBookkeeping(step.oldState.inputs)));
    if (NON_CHANGE_OPS.includes(step.op)) continue;

    let live: Record<string, unknown>;
    let desired: Record<string, unknown>;
    if (mode === "refresh") {
      // oldState = what state recorded, newState = what the refresh found (absent: gone). The
      // recorded inputs are what the last `up` set: a bridged provider's read (Proxmox) returns
      // inputs rebuilt from the live object, so newState's inputs would hide the drift.
      live = step.op === "delete" ? {} : withoutBookkeeping(step.newState?.outputs);
      desired = withoutBookkeeping(step.oldState?.inputs ?? step.newState?.inputs);
    } else {
      live = step.op === "create" ? {} : withoutBookkeeping(step.oldState?.outputs ?? step.oldState?.inputs);
      desired = step.op === "delete" ? {} : withoutBookkeeping(step.newState?.inputs);
    }
    live = maskValue(live);
    desired = maskValue(desired);
    const missing = mode === "refresh" ? step.op === "delete" : step.op === "create" && refreshedUrns.has(step.urn);
    const properties =
      mode === "refresh" && step.op === "delete"
        ? propertyChanges({}, desired, "create")
        : propertyChanges(live, desired, step.op, mode === "refresh" ? null : step.detailedDiff, mode === "refresh" ? {} : maskValue(withoutBookkeeping(step.oldState?.inputs)));
    changes.push({
      urn: step.urn,
      name,
      type,
      op: step.op,
      node: nodeOf(step.urn, parents),
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

  const diagnostics: Diagnostic[] = (doc.diagnostics ?? [])
    .filter((d) => d && typeof d.message === "string")
    .map((d) => {
      const out: Diagnostic = { severity: d.severity, message: maskValue(d.message.trim()), node: d.urn ? nodeOf(d.urn, parents) : null };
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
    unverified,
    diagnostics,
    changeCount,
    clean: changeCount === 0,
    maybeCorrupt: doc.maybeCorrupt === true,
    dynamicRange: dynamicRangeOf(doc.config),
    recordedInputs,
  };
}
