/**
 * MAAS version parsing and the feature gate it drives. No capability announces reserved IPs, so the
 * version is the signal: `reservedips` exists from 3.6.0 (not 3.5 — ref/maas-api.md §0). MAAS reports
 * e.g. "3.6.0~rc1" (counts as 3.6), or the string "None" when it has no controller info.
 */
import type { MaasVersion, ReservationMechanism } from "./types";

const VERSION_RE = /^(\d+)\.(\d+)\.(\d+)/;

/** Parses MAAS's `version` field. Unparseable text gives 0.0.0 with `raw` kept; see `isKnownVersion`. */
export function parseMaasVersion(raw: string): MaasVersion {
  const m = VERSION_RE.exec(raw.trim());
  if (!m) return { raw, major: 0, minor: 0, patch: 0 };
  return { raw, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function isKnownVersion(v: MaasVersion): boolean {
  return VERSION_RE.test(v.raw.trim());
}

/** The reservation mechanism a version implies, or null when the version is unknown (then probe). */
export function mechanismForVersion(v: MaasVersion): ReservationMechanism | null {
  if (!isKnownVersion(v)) return null;
  const atLeast36 = v.major > 3 || (v.major === 3 && v.minor >= 6);
  return atLeast36 ? "reservedips" : "ipaddresses";
}
