/**
 * `Retry-After` parsing, kept apart so it can be tested on its own (as ky's retry-timing does).
 * MAAS sends `Retry-After: 10` with 503 "no rack connection" and `Retry-After: 5` with its 409
 * serialization-conflict page (ref/maas-api.md §2.4); proxies may send an HTTP date instead.
 */

/**
 * Milliseconds to wait according to a `Retry-After` value: delta-seconds ("10") or an HTTP date.
 * A date in the past gives 0. Returns undefined when the header is absent or unparseable.
 * The result is capped at `capMs` when given, so a hostile or buggy header cannot stall a run.
 */
export function parseRetryAfter(value: string | undefined | null, capMs?: number, nowMs: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // Only accept things that look like an HTTP date (contain a letter), not e.g. "-1" or "1.5".
    if (!/[a-z]/i.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  }
  if (!Number.isFinite(ms)) ms = Number.MAX_SAFE_INTEGER;
  return capMs === undefined ? ms : Math.min(ms, Math.max(0, capMs));
}
