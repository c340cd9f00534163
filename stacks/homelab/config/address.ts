/**
 * IPv4 parsing and subnet maths for the config rules, on top of ipaddr.js. Strict on purpose:
 * "192.168.04.1" or "192.168.4" would be accepted by many parsers and then mean something
 * different to MAAS, Proxmox and K3s.
 */
import * as ipaddr from "ipaddr.js";

export interface Cidr {
  /** As written, e.g. "192.168.4.0/24". */
  readonly text: string;
  readonly network: ipaddr.IPv4;
  readonly prefix: number;
  readonly broadcast: ipaddr.IPv4;
}

/** A dotted-quad IPv4 address, or undefined. */
export function parseIpv4(text: unknown): ipaddr.IPv4 | undefined {
  if (typeof text !== "string" || !ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return ipaddr.IPv4.parse(text);
}

export type CidrParse =
  | { readonly ok: true; readonly cidr: Cidr }
  | { readonly ok: false; readonly reason: string; /** the network address, when only host bits are wrong */ readonly suggestion?: string };

/** An IPv4 CIDR without host bits ("192.168.4.0/24", not "192.168.4.5/24"). */
export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  if (slash < 0 || !ipaddr.IPv4.isValidFourPartDecimal(address)) {
    return { ok: false, reason: `"${text}" is not an IPv4 CIDR` };
  }
  let parsed: [ipaddr.IPv4, number];
  try {
    parsed = ipaddr.IPv4.parseCIDR(text);
  } catch {
    return { ok: false, reason: `"${text}" has an invalid prefix length (0-32)` };
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(text);
  if (network.toString() !== parsed[0].toString()) {
    const suggestion = `${network.toString()}/${parsed[1]}`;
    return { ok: false, reason: `${text} has host bits set`, suggestion };
  }
  return { ok: true, cidr: { text, network, prefix: parsed[1], broadcast: ipaddr.IPv4.broadcastAddressFromCIDR(text) } };
}

export function cidrContains(cidr: Cidr, ip: ipaddr.IPv4): boolean {
  return ip.match(cidr.network, cidr.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

/** Unsigned 32-bit value, for range comparisons. */
export function ipToNumber(ip: ipaddr.IPv4): number {
  return ip.octets.reduce((acc, octet) => acc * 256 + octet, 0);
}

export function inRange(ip: ipaddr.IPv4, start: ipaddr.IPv4, end: ipaddr.IPv4): boolean {
  const n = ipToNumber(ip);
  return n >= ipToNumber(start) && n <= ipToNumber(end);
}

/** An example usable host address of the subnet that is none of `taken`, for "e.g." hints. */
export function firstFreeHost(cidr: Cidr, taken: (ip: ipaddr.IPv4) => boolean): string | undefined {
  const first = ipToNumber(cidr.network) + 1;
  const last = ipToNumber(cidr.broadcast) - 1;
  for (let n = last; n >= first && n > last - 4096; n--) {
    const ip = ipaddr.IPv4.parse([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."));
    if (!taken(ip)) return ip.toString();
  }
  return undefined;
}
