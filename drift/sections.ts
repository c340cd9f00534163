/**
 * The two questions a reviewer asks, kept apart (as Terraform Cloud and Spacelift do):
 * - **Drift since the last deployment**: `pulumi refresh --preview-only` — what MAAS, Proxmox and
 *   the nodes changed behind Pulumi's back (live ≠ state);
 * - **What this pull request changes**: `pulumi preview --refresh` — the program against the
 *   refreshed state, without the changes that only undo the drift above.
 *
 * A preview change is "only undoing drift" when the refresh found drift on the same resource and
 * the program's inputs for it equal the inputs the last deployment recorded; anything else (a
 * new, removed or re-declared resource, or a change on a resource that did not drift) is the
 * pull request's. Plus the sources nobody could ask ("could not verify"), which are neither.
 */
import { sameProperties } from "./preview/property-diff";
import { STACK_GROUP, type ParsedPreview, type ResourceChange, type UnverifiedSource } from "./preview-json";

/** clean: nothing differs and everything was verified; unverified: nothing differs among what could be asked. */
export type Verdict = "clean" | "drift" | "changes" | "unverified";

export interface ChangeSection {
  changes: ResourceChange[];
  nodes: Record<string, ResourceChange[]>;
  changeCount: number;
  changeSummary: Record<string, number>;
}

export interface DriftSections {
  /** From the refresh-only run. */
  drift: ChangeSection;
  /** From the preview run; null when only the refresh ran (`--refresh-only`). */
  pullRequest: ChangeSection | null;
  unverified: UnverifiedSource[];
  verdict: Verdict;
  /** The parsed runs, for diagnostics, the dynamic range and `maybeCorrupt`. */
  runs: ParsedPreview[];
}

function grouped(changes: ResourceChange[]): Record<string, ResourceChange[]> {
  const nodes: Record<string, ResourceChange[]> = {};
  for (const c of changes) (nodes[c.node ?? STACK_GROUP] ??= []).push(c);
  return nodes;
}

function countOps(changes: ResourceChange[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of changes) out[c.op] = (out[c.op] ?? 0) + 1;
  return out;
}

/** True when `change` (from the preview) only reverts drift the refresh found on the same resource. */
export function onlyUndoesDrift(change: ResourceChange, refresh: ParsedPreview): boolean {
  if (!refresh.changes.some((d) => d.urn === change.urn)) return false;
  const recorded = refresh.recordedInputs.get(change.urn);
  return recorded !== undefined && change.op !== "delete" && sameProperties(recorded, change.desired);
}

export function buildSections(refresh: ParsedPreview, preview?: ParsedPreview): DriftSections {
  const drift: ChangeSection = {
    changes: refresh.changes,
    nodes: refresh.nodes,
    changeCount: refresh.changeCount,
    changeSummary: refresh.changeSummary,
  };
  let pullRequest: ChangeSection | null = null;
  if (preview) {
    const own = preview.changes.filter((c) => !onlyUndoesDrift(c, refresh));
    pullRequest = { changes: own, nodes: grouped(own), changeCount: own.length, changeSummary: countOps(own) };
  }
  const verdict: Verdict =
    drift.changeCount > 0 ? "drift" : pullRequest && pullRequest.changeCount > 0 ? "changes" : refresh.unverified.length > 0 ? "unverified" : "clean";
  return { drift, pullRequest, unverified: refresh.unverified, verdict, runs: preview ? [refresh, preview] : [refresh] };
}
