/**
 * Finding subnets the way MAAS does: by best match for an IP, and by "specifier" strings.
 *
 * The best subnet for an IP prefers subnets on VLANs where MAAS runs DHCP, then the longest prefix, and requires
 * the address to be strictly inside (Postgres `<<`). Specifiers (ref §4.1) are an id, `cidr:`, `name:`, `ip:`,
 * `vid:`/`vlan:`, `space:`, or a bare CIDR/name; `subnet-<id>` also names an id.
 */
import {
  intervalContains,
  mustParseIp,
  mustParseNetwork,
  networkStrictlyContains,
  parseIp,
  parseNetwork,
  type ParsedIp,
} from "./ip-math";
import type { IpRangeRow, MaasStore, SubnetRow } from "./store";

export function bestSubnetForIp(store: MaasStore, ip: ParsedIp): SubnetRow | null {
  // IPv4-mapped IPv6 addresses are matched as IPv4 (MAAS does `ip.ipv4()`).
  let probe = ip;
  if (ip.family === "ipv6" && ip.text.startsWith("::ffff:") && ip.text.includes(".")) {
    probe = parseIp(ip.text.slice(7)) ?? ip;
  }
  const candidates = store.state.subnets
    .map((s) => ({ s, net: mustParseNetwork(s.cidr), dhcp: store.vlan(s.vlanId)?.dhcpOn === true }))
    .filter((c) => networkStrictlyContains(c.net, probe));
  candidates.sort((a, b) => Number(b.dhcp) - Number(a.dhcp) || b.net.prefix - a.net.prefix);
  return candidates[0]?.s ?? null;
}

/** MAAS's `get_object_id`: an integer, a digit string, or "subnet-<n>"; otherwise null. */
export function subnetObjectId(value: string): number | null {
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^subnet-(\d+)$/.exec(s);
  return m ? Number(m[1]) : null;
}

/** Subnets matching one specifier string (possibly none, possibly several). */
export function subnetsBySpecifier(store: MaasStore, specifier: string): SubnetRow[] {
  const all = store.state.subnets;
  const id = subnetObjectId(specifier);
  if (id !== null) return all.filter((s) => s.id === id);
  const colon = specifier.indexOf(":");
  const type = colon > 0 ? specifier.slice(0, colon) : null;
  const known = ["cidr", "name", "ip", "vid", "vlan", "space", "id", "fabric"];
  if (type !== null && known.includes(type)) {
    const value = specifier.slice(colon + 1);
    switch (type) {
      case "id": {
        return /^\d+$/.test(value.trim()) ? all.filter((s) => s.id === Number(value.trim())) : [];
      }
      case "cidr": {
        const net = parseNetwork(value);
        return net ? all.filter((s) => s.cidr === net.cidr) : [];
      }
      case "name":
        return all.filter((s) => s.name === value);
      case "ip": {
        const ip = parseIp(value);
        return ip ? all.filter((s) => networkStrictlyContains(mustParseNetwork(s.cidr), ip)) : [];
      }
      case "vid":
      case "vlan": {
        const vid = Number(value);
        return all.filter((s) => store.vlan(s.vlanId)?.vid === vid);
      }
      case "space":
        return value === "undefined" ? [...all] : [];
      case "fabric":
        return all.filter((s) => {
          const v = store.vlan(s.vlanId);
          return v !== undefined && (v.fabric === value || String(v.fabricId) === value);
        });
    }
  }
  // No (known) type: a CIDR if it parses as one, otherwise a name.
  const net = parseNetwork(specifier);
  if (net) return all.filter((s) => s.cidr === net.cidr);
  return all.filter((s) => s.name === specifier);
}

export function dynamicRanges(store: MaasStore, subnetId: number): IpRangeRow[] {
  return store.state.ipRanges.filter((r) => r.subnetId === subnetId && r.type === "dynamic");
}

export function reservedRanges(store: MaasStore, subnetId: number): IpRangeRow[] {
  return store.state.ipRanges.filter((r) => r.subnetId === subnetId && r.type === "reserved");
}

export function rangeContains(range: IpRangeRow, ip: ParsedIp): boolean {
  const start = mustParseIp(range.startIp);
  return (
    start.family === ip.family && intervalContains({ first: start.value, last: mustParseIp(range.endIp).value }, ip.value)
  );
}

/** The dynamic range of the subnet holding `ip`, if any (Subnet.get_dynamic_range_for_ip). */
export function dynamicRangeFor(store: MaasStore, subnetId: number, ip: ParsedIp): IpRangeRow | null {
  return dynamicRanges(store, subnetId).find((r) => rangeContains(r, ip)) ?? null;
}

export function reservedRangeFor(store: MaasStore, subnetId: number, ip: ParsedIp): IpRangeRow | null {
  return reservedRanges(store, subnetId).find((r) => rangeContains(r, ip)) ?? null;
}
