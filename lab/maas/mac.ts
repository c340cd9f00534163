/**
 * MAC address checks exactly as MAAS 3.6 performs them (ref §3.1, §3.2).
 *
 * MAAS's input pattern is three alternatives joined by `|` between a leading `^` and a trailing `$`, and Django
 * applies it with `re.search`. Alternation binds loosest, so the anchors only attach to the first and last branch:
 * `aa:bb:cc:dd:ee:ff:00` passes (prefix match), and so does bare `aabbccddeeff` (the dotted branch's `.` is "any
 * character"). Such values then fail the storage pattern after normalisation, and that error quotes the normalised
 * value. The simulator keeps the quirk because real MAAS has it.
 */

/** The reservedips form field's input pattern (maascommon MAC_FIELD_RE), with Python `re.search` semantics. */
export const MAC_INPUT_PATTERN =
  /^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}|([0-9a-fA-F]{1,2}-){5}[0-9a-fA-F]{1,2}|([0-9a-fA-F]{3,4}.){2}[0-9a-fA-F]{3,4}$/;

/** The storage pattern (maascommon MAC_RE): colon-separated, 1–2 hex digits per group, case kept. */
export const MAC_STORAGE_PATTERN = /^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/;

/**
 * maascommon `normalise_macaddress`: lowercase, split on `-`, `:` or `.`; one token → pairs of characters; three
 * tokens → each zero-filled to 4 and split in pairs; otherwise each token zero-filled to 2. Joined with colons.
 */
export function normaliseMac(mac: string): string {
  const tokens = mac.toLowerCase().split(/[-:.]/);
  let parts: string[];
  if (tokens.length === 1) {
    parts = tokens[0].match(/[\s\S]{2}/g) ?? [];
  } else if (tokens.length === 3) {
    parts = tokens.flatMap((t) => t.padStart(4, "0").match(/[\s\S]{2}/g) ?? []);
  } else {
    parts = tokens.map((t) => t.padStart(2, "0"));
  }
  return parts.join(":");
}

/** The message MAAS uses for both MAC checks. */
export function invalidMacMessage(value: string): string {
  return `'${value}' is not a valid MAC address.`;
}

/** Lenient canonical form for the simulator's own comparisons (DHCP matching, out-of-band lookups). */
export function canonicalMac(mac: string): string | null {
  const s = mac.trim();
  if (!MAC_INPUT_PATTERN.test(s)) return null;
  const n = normaliseMac(s);
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(n) ? n : null;
}
