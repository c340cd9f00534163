/**
 * IP text in one canonical form (via ipaddr.js), so "192.168.004.238"-style or IPv6 spellings compare equal
 * to what MAAS reports when the client filters reservations (MAAS has no server-side filter, §7.5).
 */
import ipaddr from "ipaddr.js";

/** The canonical text of an IPv4/IPv6 address (IPv4-mapped IPv6 becomes IPv4), or null if it is not one. */
export function canonicalIp(input: string): string | null {
  if (typeof input !== "string") return null;
  const text = input.trim();
  if (!ipaddr.isValid(text)) return null;
  // ipaddr.js accepts legacy IPv4 shapes (e.g. "10.1", octal/hex parts); MAAS only takes dotted quads.
  if (!text.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return ipaddr.process(text).toString();
}
