/**
 * Which addresses of a subnet are in use, and which address MAAS hands out next.
 *
 * Mirrors Subnet.get_ipranges_in_use / get_ipranges_not_in_use / get_next_ip_for_allocation (ref §4.1, §8): in use
 * are the gateway, DNS servers inside the subnet, every StaticIPAddress, reserved and dynamic ranges (and, for
 * IPv6, the subnet-router anycast address and the ::1–::ffff:ffff block of a /64). ReservedIP rows are *not* in use
 * for this purpose in 3.6.0. Allocation takes the first address of the smallest free block, not the lowest free
 * address.
 */
import { ApiError, textReply } from "./http-io";
import { formatIp, mustParseIp, mustParseNetwork, parseIp, type IpFamily, type IpInterval } from "./ip-math";
import { ALLOC_TYPE, type MaasStore, type SubnetRow } from "./store";

/** Purposes in the order MAAS lists them when several apply to one block. */
const PURPOSE_ORDER = ["rfc-4291-2.6.1", "gateway-ip", "dns-server", "assigned-ip", "excluded", "reserved", "dynamic"];

export interface UsageRange extends IpInterval {
  purposes: string[];
}

export interface UsageOptions {
  /** Only ranges (no gateway, DNS servers, assigned IPs): used when validating a reserved range. */
  rangesOnly?: boolean;
  /** DISCOVERED addresses are not in use (dynamic range validation). */
  ignoreDiscovered?: boolean;
  /** Leave this IP range out (validating an update of that range). */
  excludeRangeId?: number;
}

function purposeIntervals(store: MaasStore, subnet: SubnetRow, opts: UsageOptions): Array<IpInterval & { purpose: string }> {
  const net = mustParseNetwork(subnet.cidr);
  const out: Array<IpInterval & { purpose: string }> = [];
  const single = (text: string, purpose: string): void => {
    const ip = mustParseIp(text);
    if (ip.family === net.family && ip.value >= net.first && ip.value <= net.last) out.push({ first: ip.value, last: ip.value, purpose });
  };
  if (net.family === "ipv6") {
    if (net.prefix === 64) out.push({ first: net.first + 1n, last: net.first + 0xffffffffn, purpose: "reserved" });
    if (net.prefix < 127) out.push({ first: net.first, last: net.first, purpose: "rfc-4291-2.6.1" });
  }
  if (!opts.rangesOnly) {
    if (subnet.gatewayIp) single(subnet.gatewayIp, "gateway-ip");
    for (const dns of subnet.dnsServers) if (parseIp(dns) !== null) single(dns, "dns-server");
    for (const sip of store.state.staticIps) {
      if (sip.subnetId !== subnet.id) continue;
      if (opts.ignoreDiscovered && sip.allocType === ALLOC_TYPE.DISCOVERED) continue;
      single(sip.ip, "assigned-ip");
    }
  }
  for (const r of store.state.ipRanges) {
    if (r.subnetId !== subnet.id || r.id === opts.excludeRangeId) continue;
    out.push({ first: mustParseIp(r.startIp).value, last: mustParseIp(r.endIp).value, purpose: r.type });
  }
  return out;
}

/** In-use blocks of the subnet, merged where neighbours share the same purposes, sorted by address. */
export function usedRanges(store: MaasStore, subnet: SubnetRow, opts: UsageOptions = {}): UsageRange[] {
  const intervals = purposeIntervals(store, subnet, opts);
  const bounds = [...new Set(intervals.flatMap((i) => [i.first, i.last + 1n]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const segments: UsageRange[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const first = bounds[i];
    const last = bounds[i + 1] - 1n;
    const purposes = [...new Set(intervals.filter((iv) => iv.first <= first && iv.last >= last).map((iv) => iv.purpose))].sort(
      (a, b) => PURPOSE_ORDER.indexOf(a) - PURPOSE_ORDER.indexOf(b),
    );
    if (purposes.length === 0) continue;
    const prev = segments[segments.length - 1];
    if (prev && prev.last + 1n === first && prev.purposes.join() === purposes.join()) prev.last = last;
    else segments.push({ first, last, purposes });
  }
  return segments;
}

/** Free blocks of the subnet (network and IPv4 broadcast addresses are never free). */
export function unusedRanges(store: MaasStore, subnet: SubnetRow, opts: UsageOptions = {}): IpInterval[] {
  const net = mustParseNetwork(subnet.cidr);
  let lo = net.first;
  let hi = net.last;
  if (net.family === "ipv4" && net.prefix < 31) {
    lo += 1n;
    hi -= 1n;
  }
  const free: IpInterval[] = [];
  let cursor = lo;
  for (const used of usedRanges(store, subnet, opts)) {
    if (used.last < cursor) continue;
    if (used.first > hi) break;
    if (used.first > cursor) free.push({ first: cursor, last: used.first - 1n });
    cursor = used.last + 1n;
  }
  if (cursor <= hi) free.push({ first: cursor, last: hi });
  return free;
}

export function rangeJson(family: IpFamily, r: IpInterval): { start: string; end: string; num_addresses: number } {
  return { start: formatIp(family, r.first), end: formatIp(family, r.last), num_addresses: Number(r.last - r.first + 1n) };
}

/**
 * The address MAAS allocates next from `subnet`: the first address of the smallest free block (lowest block on a
 * tie). 503 "No more IPs available in subnet: <cidr>." when the subnet is full.
 */
export function nextFreeIp(store: MaasStore, subnet: SubnetRow): string {
  const free = unusedRanges(store, subnet);
  if (free.length === 0) throw new ApiError(textReply(503, `No more IPs available in subnet: ${subnet.cidr}.`));
  let best = free[0];
  for (const r of free) if (r.last - r.first < best.last - best.first) best = r;
  return formatIp(mustParseNetwork(subnet.cidr).family, best.first);
}
