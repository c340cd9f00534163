import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, resolveRetryPolicy, retryDelayMs } from "../../../../../providers/maas/client/retry-policy";

describe("retry policy", () => {
  it("defaults to 4 retries on 502/503/504 with 250 ms doubling backoff capped at 10 s", () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({ limit: 4, baseDelayMs: 250, maxDelayMs: 10_000, jitter: true, statusCodes: [502, 503, 504] });
  });

  it("doubles the backoff per retry up to the cap when jitter is off", () => {
    const p = resolveRetryPolicy({ jitter: false });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(p, n))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it("draws full jitter between zero and the backoff", () => {
    const p = resolveRetryPolicy({});
    expect(retryDelayMs(p, 3, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(p, 3, undefined, () => 0.5)).toBe(500);
    expect(retryDelayMs(p, 3, undefined, () => 0.999)).toBeLessThan(1000);
  });

  it("uses Retry-After instead of the backoff, capped at maxRetryAfterMs", () => {
    const p = resolveRetryPolicy({ maxRetryAfterMs: 3_000 });
    expect(retryDelayMs(p, 1, 2_000)).toBe(2_000);
    expect(retryDelayMs(p, 1, 60_000)).toBe(3_000);
  });

  it("merges a partial policy over the defaults without sharing the default list", () => {
    const p = resolveRetryPolicy({ limit: 1 });
    p.statusCodes.push(500);
    expect(p.limit).toBe(1);
    expect(DEFAULT_RETRY_POLICY.statusCodes).toEqual([502, 503, 504]);
  });

  it("rejects negative or non-numeric settings", () => {
    expect(() => resolveRetryPolicy({ limit: -1 })).toThrow(/retry.limit must be a non-negative number/);
    expect(() => resolveRetryPolicy({ baseDelayMs: Number.NaN })).toThrow(/retry.baseDelayMs/);
  });
});
