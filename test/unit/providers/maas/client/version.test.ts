import { describe, expect, it } from "vitest";
import { isKnownVersion, mechanismForVersion, parseMaasVersion } from "../../../../../providers/maas/client/version";

describe("MAAS version detection", () => {
  it.each([
    ["3.5.7", "ipaddresses"],
    ["3.5.99", "ipaddresses"],
    ["2.9.2", "ipaddresses"],
    ["3.6.0", "reservedips"],
    ["3.6.0~rc1", "reservedips"],
    ["3.7.0~beta2", "reservedips"],
    ["3.7.3", "reservedips"],
    ["4.0.0", "reservedips"],
  ])("picks the mechanism for %s: %s", (raw, mechanism) => {
    expect(mechanismForVersion(parseMaasVersion(raw))).toBe(mechanism);
  });

  it("parses the numeric parts and keeps the raw text", () => {
    expect(parseMaasVersion("3.6.0~rc1")).toEqual({ raw: "3.6.0~rc1", major: 3, minor: 6, patch: 0 });
  });

  it.each(["None", "", "3.6", "unknown"])("treats %j as unknown, so the caller probes", (raw) => {
    const v = parseMaasVersion(raw);
    expect(isKnownVersion(v)).toBe(false);
    expect(mechanismForVersion(v)).toBeNull();
  });
});
