/**
 * IP address and network arithmetic for the simulator, on top of ipaddr.js.
 *
 * MAAS validates addresses with Django's GenericIPAddressField and does range maths with netaddr. This module gives
 * the same answers for the cases the API exercises: strict four-part decimal IPv4 (no leading zeros), IPv6 in any
 * valid spelling (returned compressed), and networks as [first, last] BigInt intervals.
 */
import ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";

export interface ParsedIp {
  family: IpFamily;
  value: bigint;
  /** Canonical text: dotted quad, or compressed lowercase IPv6. */
  text: string;
}

export interface ParsedNetwork {
  family: IpFamily;
  prefix: number;
  /** Network address. */
  first: bigint;
  /** Broadcast (IPv4) or last address (IPv6). */
  last: bigint;
  /** Normalised CIDR text (host bits cleared). */
  cidr: string;
}

function bytesToBigInt(bytes: number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function bitsOf(family: IpFamily): number {
  return family === "ipv4" ? 32 : 128;
}

/** Render a BigInt as an address of the given family. */
export function formatIp(family: IpFamily, value: bigint): string {
  const count = bitsOf(family) / 8;
  const bytes: number[] = [];
  let n = value;
  for (let i = 0; i < count; i++) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return canonicalText(ipaddr.fromByteArray(bytes));
}

function canonicalText(addr: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (addr.kind() === "ipv6") {
    const v6 = addr as ipaddr.IPv6;
    // Django keeps IPv4-mapped addresses in their mixed notation.
    if (v6.isIPv4MappedAddress()) return `::ffff:${v6.toIPv4Address().toString()}`;
    return v6.toRFC5952String();
  }
  return addr.toString();
}

/**
 * Parse like Django's GenericIPAddressField: IPv4 must be four decimal parts without leading zeros; anything with a
 * colon is IPv6. Returns null when invalid.
 */
export function parseIp(text: string): ParsedIp | null {
  const s = text.trim();
  if (s.includes(":")) {
    if (!ipaddr.IPv6.isValid(s)) return null;
    const addr = ipaddr.IPv6.parse(s);
    return { family: "ipv6", value: bytesToBigInt(addr.toByteArray()), text: canonicalText(addr) };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return null;
  const addr = ipaddr.IPv4.parse(s);
  return { family: "ipv4", value: bytesToBigInt(addr.toByteArray()), text: addr.toString() };
}

/** Parse "a.b.c.d/n" or an IPv6 CIDR; host bits are cleared (as netaddr's `.cidr` does). Null when invalid. */
export function parseNetwork(cidr: string): ParsedNetwork | null {
  const s = cidr.trim();
  const slash = s.indexOf("/");
  if (slash < 0) return null;
  const ip = parseIp(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (ip === null || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const bits = bitsOf(ip.family);
  if (prefix > bits) return null;
  const hostBits = BigInt(bits - prefix);
  const first = (ip.value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return { family: ip.family, prefix, first, last, cidr: `${formatIp(ip.family, first)}/${prefix}` };
}

export function networkContains(net: ParsedNetwork, ip: ParsedIp): boolean {
  return net.family === ip.family && ip.value >= net.first && ip.value <= net.last;
}

/** Postgres `inet << cidr`: the address (as a host route) is strictly inside the network. */
export function networkStrictlyContains(net: ParsedNetwork, ip: ParsedIp): boolean {
  return networkContains(net, ip) && net.prefix < bitsOf(net.family);
}

/** Parse an address that the simulator itself stored (always valid); throws otherwise. */
export function mustParseIp(text: string): ParsedIp {
  const ip = parseIp(text);
  if (ip === null) throw new Error(`simulator state holds an invalid IP address "${text}"`);
  return ip;
}

export function mustParseNetwork(cidr: string): ParsedNetwork {
  const net = parseNetwork(cidr);
  if (net === null) throw new Error(`simulator state holds an invalid CIDR "${cidr}"`);
  return net;
}

/** An inclusive interval of addresses of one family. */
export interface IpInterval {
  first: bigint;
  last: bigint;
}

export function intervalContains(range: IpInterval, value: bigint): boolean {
  return value >= range.first && value <= range.last;
}
