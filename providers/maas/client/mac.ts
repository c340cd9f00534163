/**
 * MAC address normalisation. MAAS's `reservedips` endpoint normalises what it is given, but the legacy
 * `ipaddresses op=reserve` stores `mac` verbatim, and both report lowercase colon form. Normalising on the
 * client before sending, comparing and storing state is what keeps `pulumi preview` free of spurious diffs
 * (ref/maas-api.md §7.6).
 */

/** Colon- or dash-separated, 1–2 hex digits per group (MAAS accepts "a:b:c:d:e:f" and pads it). */
const SEPARATED = /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i;
/** Cisco-style dotted form: three groups of four hex digits (aabb.ccdd.eeff). */
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
/** Twelve bare hex digits (aabbccddeeff); MAAS accepts and normalises this too. */
const BARE = /^[0-9a-f]{12}$/i;

/**
 * Returns the MAC as lowercase, colon-separated, zero-padded octets ("bc:24:11:3b:7a:a7"),
 * or null when the text is not a MAC in one of the shapes MAAS accepts.
 * Surrounding whitespace is ignored; mixed separators are rejected.
 */
export function normalizeMac(input: string): string | null {
  if (typeof input !== "string") return null;
  const text = input.trim();
  const separated = SEPARATED.exec(text);
  if (separated) {
    const groups = [separated[1], separated[3], separated[4], separated[5], separated[6], separated[7]];
    return groups.map((g) => g!.padStart(2, "0").toLowerCase()).join(":");
  }
  const dotted = DOTTED.exec(text);
  const hex = dotted ? dotted.slice(1, 4).join("") : BARE.test(text) ? text : null;
  if (hex === null) return null;
  return hex.toLowerCase().match(/../g)!.join(":");
}
