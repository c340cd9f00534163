/**
 * Which MAAS behaviours a simulated version has.
 *
 * The simulator pretends to be one MAAS release; a few API details depend on it (ref §0, §2.1, §3.2, §5). Parsing
 * follows the detection rule clients are told to use: `^(\d+)\.(\d+)\.(\d+)`, so "3.6.0~rc1" counts as 3.6.
 */

export interface MaasFeatures {
  /** `/reservedips/` exists (MAAS ≥ 3.6.0). */
  reservedIps: boolean;
  /** Named ops can also be reached as a path suffix `…/op-<name>` (MAAS ≥ 3.3). */
  opPathSuffix: boolean;
  /** op=reserve accepts `ip` as well as `ip_address` (MAAS ≥ 2.1). */
  reserveIpParam: boolean;
  /** Timestamps are timezone-aware (MAAS ≥ 3.6), e.g. "2025-07-28T15:00:00.123+00:00". */
  tzAwareTimestamps: boolean;
}

/** [major, minor, patch], or null when the string does not start with three dotted numbers (e.g. "None"). */
export function parseMaasVersion(version: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function atLeast(v: [number, number, number] | null, major: number, minor: number): boolean {
  if (v === null) return false;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

export function featuresOf(version: string): MaasFeatures {
  const v = parseMaasVersion(version);
  return {
    reservedIps: atLeast(v, 3, 6),
    opPathSuffix: atLeast(v, 3, 3),
    // An unparsable version is treated as a modern MAAS for this alias.
    reserveIpParam: v === null || atLeast(v, 2, 1),
    tzAwareTimestamps: atLeast(v, 3, 6),
  };
}
