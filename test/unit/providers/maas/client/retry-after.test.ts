import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../../../../providers/maas/client/retry-after";

const NOW = Date.parse("2026-08-01T12:00:00Z");

describe("parseRetryAfter", () => {
  it.each([
    ["10", 10_000],
    ["0", 0],
    [" 5 ", 5_000],
  ])("reads delta-seconds %j as %d ms", (value, ms) => {
    expect(parseRetryAfter(value, undefined, NOW)).toBe(ms);
  });

  it("reads an HTTP date as the time left until then", () => {
    expect(parseRetryAfter("Sat, 01 Aug 2026 12:00:30 GMT", undefined, NOW)).toBe(30_000);
  });

  it("treats an HTTP date in the past as no wait", () => {
    expect(parseRetryAfter("Sat, 01 Aug 2026 11:59:00 GMT", undefined, NOW)).toBe(0);
  });

  it.each([[undefined], [null], [""], ["soon"], ["-1"], ["1.5"], ["10s"]])("ignores %j", (value) => {
    expect(parseRetryAfter(value as string | undefined, undefined, NOW)).toBeUndefined();
  });

  it("caps long waits at the given maximum", () => {
    expect(parseRetryAfter("3600", 10_000, NOW)).toBe(10_000);
    expect(parseRetryAfter("Sun, 02 Aug 2026 12:00:00 GMT", 10_000, NOW)).toBe(10_000);
    expect(parseRetryAfter("4", 10_000, NOW)).toBe(4_000);
  });
});
