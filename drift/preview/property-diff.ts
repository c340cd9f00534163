/**
 * Property-level "live → desired" differences of one step. Every resource of this project with a
 * custom dynamic `diff` comes through with `detailedDiff: null` and empty `diffReasons`
 * (ref/pulumi.md §2.3), so for those the desired inputs are compared with the live state key by
 * key; bridged providers (Proxmox, Kubernetes) send `detailedDiff` paths, whose values are looked
 * up on both sides. `__provider` (the serialized provider code) and `__defaults` are skipped.
 */

/** One changed leaf: `path` in dotted/indexed form (`initialization.ipConfigs[0].ipv4.address`). */
export interface PropertyChange {
  path: string;
  /** What is there now: the live (refreshed) value; `undefined` when absent. */
  before: unknown;
  /** What Pulumi will make it: the desired value; `undefined` when absent. */
  after: unknown;
}

export interface PropertyDiffKind {
  kind: string;
}

/** Keys that are bookkeeping, not properties: the serialized provider and the bridge's defaults list. */
export const SKIPPED_KEYS: ReadonlySet<string> = new Set(["__provider", "__defaults"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `bag` without the bookkeeping keys. */
export function withoutBookkeeping(bag: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(bag ?? {})) if (!SKIPPED_KEYS.has(k)) out[k] = v;
  return out;
}

/**
 * Leaf-level differences under `path`, driven by the desired side: keys only the live side has
 * (defaults and computed fields a provider fills in) are not differences. A side that is absent
 * altogether is `undefined`, and then every leaf of the other side is listed.
 */
export function diffValues(path: string, before: unknown, after: unknown, out: PropertyChange[]): void {
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

/** True when the two bags hold the same properties (bookkeeping keys ignored). */
export function sameProperties(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const out: PropertyChange[] = [];
  const x = withoutBookkeeping(a);
  const y = withoutBookkeeping(b);
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) diffValues(k, x[k], y[k], out);
  return out.length === 0;
}

/**
 * The changed properties of one step. When the engine sent a `detailedDiff` its paths are used;
 * otherwise (custom dynamic `diff`) the desired inputs are compared with the live state key by
 * key, so output-only fields (ids, agent-reported lists) never show as drift.
 */
export function propertyChanges(
  live: Record<string, unknown>,
  desired: Record<string, unknown>,
  op: string,
  detailedDiff?: Record<string, PropertyDiffKind> | null,
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
