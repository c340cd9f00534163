import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeMac } from "../../../../../providers/maas/client/mac";

const CANONICAL = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

describe("normalizeMac", () => {
  it.each([
    ["bc:24:11:3b:7a:a7", "bc:24:11:3b:7a:a7"],
    ["BC:24:11:3B:7A:A7", "bc:24:11:3b:7a:a7"],
    ["bc-24-11-3b-7a-a7", "bc:24:11:3b:7a:a7"],
    ["bc24.113b.7aa7", "bc:24:11:3b:7a:a7"],
    ["BC24113B7AA7", "bc:24:11:3b:7a:a7"],
    ["a:b:c:d:e:f", "0a:0b:0c:0d:0e:0f"],
    ["0:1:2:3:4:5", "00:01:02:03:04:05"],
    ["  bc:24:11:3b:7a:a7\n", "bc:24:11:3b:7a:a7"],
  ])("turns %j into %j", (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
  });

  it.each([
    ["bc:24:11:1a:38:0g", "a non-hex digit"],
    ["bc:24:11:3b:7a", "five groups"],
    ["bc:24:11:3b:7a:a7:00", "seven groups"],
    ["bc:24:11-3b:7a:a7", "mixed separators"],
    ["bc:24:11:3b:7a:a77", "a three-digit group"],
    ["bc24.113b.7aa", "a short dotted group"],
    ["bc24113b7aa", "eleven bare digits"],
    ["", "nothing"],
    ["bc::24:11:3b:7a", "an empty group"],
  ])("rejects %j (%s)", (input) => {
    expect(normalizeMac(input)).toBeNull();
  });

  const bytes = fc.uint8Array({ minLength: 6, maxLength: 6 });
  const canonicalOf = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
  const randomCase = (s: string, flips: boolean[]) =>
    [...s].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join("");

  it("maps every accepted spelling of the same six bytes to the same canonical text", () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.boolean(), { minLength: 1, maxLength: 17 }), fc.constantFrom(0, 1, 2, 3, 4), (b, flips, style) => {
        const hex = [...b].map((x) => x.toString(16).padStart(2, "0"));
        const spelled = [
          hex.join(":"),
          hex.join("-"),
          [...b].map((x) => x.toString(16)).join(":"), // unpadded groups
          `${hex[0]}${hex[1]}.${hex[2]}${hex[3]}.${hex[4]}${hex[5]}`,
          hex.join(""),
        ][style]!;
        expect(normalizeMac(randomCase(spelled, flips))).toBe(canonicalOf(b));
      }),
    );
  });

  it("is idempotent and only ever returns canonical text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const once = normalizeMac(s);
        if (once === null) return;
        expect(once).toMatch(CANONICAL);
        expect(normalizeMac(once)).toBe(once);
      }),
    );
  });

  it("rejects any text containing a character that is not hex, a separator or surrounding space", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /[^0-9a-fA-F:.\-\s]/.test(s.trim())),
        (s) => {
          expect(normalizeMac(s)).toBeNull();
        },
      ),
    );
  });
});
