/**
 * Pure rules of a MAAS reservation: input normalisation and validation (`check`), the replace
 * policy (`diff`) and the mapping from what MAAS reports to Pulumi state. No I/O here, so every
 * rule is unit-tested without a server and the same functions serve preview and refresh.
 */
import * as ipaddr from "ipaddr.js";
import { normalizeMac } from "../client/mac";
import type { IpRange, Reservation, ReservationMechanism, Subnet } from "../client/types";
import type { MaasReservationState } from "./args";

/** Value the engine sends for inputs not known yet during preview (ref/pulumi.md §1.3). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** MAAS treats ip, MAC and subnet of a reservation as immutable (ref/maas-api.md §3.1, §7.7). */
export const REPLACE_FIELDS = ["ip", "mac", "subnet"] as const;

export interface CheckFailure { property: string; reason: string }

export interface ReservationInputs {
  ip: string;
  mac: string;
  hostname: string;
  comment: string;
  subnet: string;
}

const isUnknown = (v: unknown): boolean => v === UNKNOWN;

/** Normalises what the program declared and collects every problem at once. */
export function normalizeInputs(news: Record<string, unknown>): { inputs: ReservationInputs; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const str = (k: string): string => (typeof news[k] === "string" ? (news[k] as string).trim() : "");
  const hostname = str("hostname");
  const who = hostname ? ` for ${hostname}` : "";

  let ip = str("ip");
  if (!isUnknown(ip)) {
    if (!ip) failures.push({ property: "ip", reason: `ip is required${who}: give the IPv4 address MAAS must pin, e.g. 192.168.4.238.` });
    else if (!ipaddr.IPv4.isValidFourPartDecimal(ip))
      failures.push({ property: "ip", reason: `"${ip}"${who} is not an IPv4 address; write four decimal octets, e.g. 192.168.4.238.` });
    else ip = ipaddr.IPv4.parse(ip).toString();
  }

  let mac = str("mac");
  if (!isUnknown(mac)) {
    const normal = mac ? normalizeMac(mac) : null;
    if (!mac) failures.push({ property: "mac", reason: `mac is required${who}: give the node's MAC, e.g. bc:24:11:3b:7a:a7.` });
    else if (!normal)
      failures.push({ property: "mac", reason: `"${mac}"${who} is not a MAC address; write six hex pairs, e.g. bc:24:11:3b:7a:a7.` });
    else mac = normal;
  }

  if (!hostname) failures.push({ property: "hostname", reason: "hostname is required: name the node the reservation belongs to." });
  else if (!isUnknown(hostname) && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(hostname))
    failures.push({ property: "hostname", reason: `"${hostname}" is not a valid host name; use letters, digits and '-', e.g. k3s-vm-pve.` });

  let subnet = str("subnet");
  if (subnet && !isUnknown(subnet)) {
    if (!ipaddr.IPv4.isValidCIDR(subnet))
      failures.push({ property: "subnet", reason: `"${subnet}" is not an IPv4 CIDR; write it like 192.168.4.0/24.` });
    else {
      const [addr, bits] = ipaddr.IPv4.parseCIDR(subnet);
      subnet = `${ipaddr.IPv4.networkAddressFromCIDR(subnet).toString()}/${bits}`;
      if (subnet !== `${addr.toString()}/${bits}`)
        failures.push({ property: "subnet", reason: `"${str("subnet")}" has host bits set; did you mean ${subnet}?` });
    }
  }

  const comment = typeof news.comment === "string" && news.comment !== "" ? news.comment : hostname;
  return { inputs: { ip, mac, hostname, comment, subnet }, failures };
}

/** Rules that only need the inputs (subnet maths) — the same ones MAAS would apply later. */
export function subnetFailures(inputs: ReservationInputs): CheckFailure[] {
  const { ip, subnet, hostname } = inputs;
  if (!subnet || isUnknown(subnet) || isUnknown(ip) || !ipaddr.IPv4.isValidFourPartDecimal(ip) || !ipaddr.IPv4.isValidCIDR(subnet)) return [];
  const cidr = ipaddr.IPv4.parseCIDR(subnet);
  const addr = ipaddr.IPv4.parse(ip);
  if (!addr.match(cidr))
    return [{ property: "ip", reason: `${ip} (${hostname}) is not part of the subnet ${subnet}; choose an address inside it or fix the subnet.` }];
  if (cidr[1] < 31) {
    if (ip === ipaddr.IPv4.networkAddressFromCIDR(subnet).toString())
      return [{ property: "ip", reason: `${ip} (${hostname}) is the network address of ${subnet} and cannot be reserved; choose a host address.` }];
    if (ip === ipaddr.IPv4.broadcastAddressFromCIDR(subnet).toString())
      return [{ property: "ip", reason: `${ip} (${hostname}) is the broadcast address of ${subnet} and cannot be reserved; choose a host address.` }];
  }
  return [];
}

export const ipToNumber = (ip: string): number =>
  ipaddr.IPv4.parse(ip).toByteArray().reduce((n, b) => n * 256 + b, 0);

/** The dynamic range containing `ip`, if any: MAAS hands those addresses to any client (the incident's root cause). */
export function dynamicRangeHolding(ip: string, ranges: IpRange[]): IpRange | undefined {
  return rangeHolding(ip, ranges, "dynamic");
}

export function rangeHolding(ip: string, ranges: IpRange[], type: IpRange["type"]): IpRange | undefined {
  if (isUnknown(ip) || !ipaddr.IPv4.isValidFourPartDecimal(ip)) return undefined;
  const n = ipToNumber(ip);
  return ranges.find((r) => r.type === type && ipaddr.IPv4.isValidFourPartDecimal(r.startIp) && ipToNumber(r.startIp) <= n && n <= ipToNumber(r.endIp));
}

/** The most specific MAAS subnet containing `ip` (what MAAS itself picks when none is given). */
export function subnetFor(ip: string, subnets: Subnet[]): Subnet | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return undefined;
  const addr = ipaddr.IPv4.parse(ip);
  return subnets
    .filter((s) => ipaddr.IPv4.isValidCIDR(s.cidr) && addr.match(ipaddr.IPv4.parseCIDR(s.cidr)))
    .sort((a, b) => Number(b.cidr.split("/")[1]) - Number(a.cidr.split("/")[1]))[0];
}

/** How a conflict names what holds the address: id, IP, MAC, comment or DNS names, owner. */
export function describeReservation(r: Reservation): string {
  const what = r.mechanism === "reservedips" ? `reserved IP ${r.id}` : `legacy ipaddresses reservation of ${r.ip}`;
  const details = [
    `${r.ip} for ${r.mac || "no MAC"}`,
    r.comment ? `comment "${r.comment}"` : "",
    r.dnsNames?.length ? `DNS ${r.dnsNames.join(", ")}` : "",
    r.owner ? `owner ${r.owner}` : "",
  ].filter(Boolean);
  return `${what} (${details.join(", ")})`;
}

/** Added to conflict messages when the key cannot list other MAAS users' legacy reservations. */
export const HIDDEN_OTHERS_NOTE =
  " (This key is not an admin's, so legacy reservations of other MAAS users are not visible: a conflict with one of them shows only when MAAS refuses the write.)";

/**
 * Live reservations that would stop this one from being created: the IP reserved for another MAC, or the MAC
 * holding another IP in the same subnet (MAAS allows one per MAC and subnet, either generation). `ours` says which
 * live reservations belong to this resource already (a replacement frees them first), so they are no conflict.
 */
export function conflictsWith(
  inputs: ReservationInputs,
  live: Reservation[],
  ours: (r: Reservation) => boolean = () => false,
): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const r of live) {
    if (ours(r) || (r.ip === inputs.ip && r.mac === inputs.mac)) continue;
    if (r.ip === inputs.ip)
      failures.push({
        property: "ip",
        reason: `${inputs.ip} (${inputs.hostname}) is already held in MAAS by ${describeReservation(r)}, not by ${inputs.mac}; nothing was changed. This stack does not own that reservation and will not release it: release it in MAAS if that host is gone, or choose another address.`,
      });
    else if (r.mac && r.mac === inputs.mac && (!inputs.subnet || r.subnetCidr === null || r.subnetCidr === inputs.subnet))
      failures.push({
        property: "mac",
        reason: `${inputs.mac} (${inputs.hostname}) already has ${describeReservation(r)} in MAAS; MAAS allows one reservation per MAC and subnet, so nothing was changed: release it in MAAS or declare ${r.ip}.`,
      });
  }
  return failures;
}

/**
 * What MAAS's own data says about a new reservation before it is written (ref/maas-api.md §3.1, §4): the subnet's
 * network, broadcast and gateway addresses, dynamic ranges (DHCP hands those to any client: the RCA-2025-07-27
 * root cause) and reserved ranges. Reserved ranges are refused too, although MAAS itself does not check them for
 * reservations: they mark addresses MAAS must not give out because something outside MAAS uses them (§4.1 purpose
 * "reserved"), so a pin there is an address collision MAAS cannot see.
 */
export function networkFailures(inputs: ReservationInputs, subnet: Subnet, ranges: IpRange[]): CheckFailure[] {
  const { ip, hostname } = inputs;
  const failures: CheckFailure[] = [];
  if (ipaddr.IPv4.isValidCIDR(subnet.cidr) && Number(subnet.cidr.split("/")[1]) < 31) {
    if (ip === ipaddr.IPv4.networkAddressFromCIDR(subnet.cidr).toString())
      failures.push({ property: "ip", reason: `${ip} (${hostname}) is the network address of MAAS subnet ${subnet.cidr} and cannot be reserved; choose a host address.` });
    if (ip === ipaddr.IPv4.broadcastAddressFromCIDR(subnet.cidr).toString())
      failures.push({ property: "ip", reason: `${ip} (${hostname}) is the broadcast address of MAAS subnet ${subnet.cidr} and cannot be reserved; choose a host address.` });
  }
  if (subnet.gatewayIp && ip === subnet.gatewayIp)
    failures.push({ property: "ip", reason: `${ip} (${hostname}) is the gateway of MAAS subnet ${subnet.cidr}; pinning a node there takes the router's address. Choose another address.` });
  const inSubnet = ranges.filter((r) => r.subnetId === null || r.subnetId === subnet.id);
  const dynamic = dynamicRangeHolding(ip, inSubnet);
  if (dynamic)
    failures.push({
      property: "ip",
      reason: `${ip} (${hostname}) is inside the MAAS dynamic range ${dynamic.startIp}-${dynamic.endIp}, so DHCP can hand it to another host (the RCA-2025-07-27 outage); choose an address outside that range.`,
    });
  const reserved = rangeHolding(ip, inSubnet, "reserved");
  if (reserved)
    failures.push({
      property: "ip",
      reason: `${ip} (${hostname}) is inside the MAAS reserved range ${reserved.startIp}-${reserved.endIp}${reserved.comment ? ` ("${reserved.comment}")` : ""}, which MAAS keeps for hosts it does not manage; choose an address outside it (or shrink the range in MAAS).`,
    });
  return failures;
}

/**
 * The hostname MAAS ≤ 3.5 holds for a legacy reservation, in the declaration's form: `declared` when one of the
 * IP's DNS records carries it (case aside: DNS names are case-insensitive), else the records' names joined by ", "
 * ("" when no record holds the IP: deleted in MAAS). A bare declared name goes into MAAS's default domain
 * (`_claim_ip`), which the API lists only through `domains/`, so it is compared with the records' first label: a
 * record moved to another domain under the same label is not seen. `declared` stands where MAAS was not asked
 * (`dnsNames` null: reserved IPs, whose label is the comment, and legacy rows on MAAS ≥ 3.6).
 */
export function liveHostname(r: Reservation, declared: string): string {
  if (r.mechanism !== "ipaddresses" || r.dnsNames === null) return declared;
  const bare = !declared.includes(".");
  const names = [...new Set(r.dnsNames.map((fqdn) => (bare ? fqdn.split(".")[0]! : fqdn)))];
  return names.some((n) => n.toLowerCase() === declared.toLowerCase()) ? declared : names.join(", ");
}

/** What the provider stores: desired fields under the input names plus what MAAS reported. */
export function stateFrom(r: Reservation, inputs: ReservationInputs): MaasReservationState {
  return {
    ip: r.ip,
    mac: r.mac,
    hostname: liveHostname(r, inputs.hostname),
    comment: r.mechanism === "reservedips" ? r.comment ?? "" : inputs.comment,
    // Compared with the declaration only when one was made: MAAS picks the subnet otherwise.
    subnet: inputs.subnet ? r.subnetCidr ?? inputs.subnet : "",
    reservationId: r.id,
    mechanism: r.mechanism,
    subnetId: r.subnetId,
    insideDynamicRange: "",
  };
}

export interface ReservationDiff {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * Compares stored (or freshly read) state with the declared inputs. Always explicit, so the
 * engine never falls back to comparing `__provider` (ref/pulumi.md §1.8 design A). On MAAS ≤ 3.5
 * the hostname is a DNS record made by op=reserve with no update call, so a change (declared, or a
 * rename in MAAS found by `read`) replaces: release deletes the record once it holds no address,
 * reserve makes the declared one. (`PUT dnsresources/{id}/` could rename in place, but needs an admin
 * key — DNSResource is admin-write, src/maasserver/auth/local.py — where op=reserve takes any user's,
 * and would rename a record other addresses share.) On ≥ 3.6 it is the comment, updated in place. Every replacement deletes first: MAAS keeps IPs unique and
 * one reservation per (MAC, subnet), so the new object cannot exist beside the old one. The node
 * is unpinned for that window (two API calls); its current lease is unaffected.
 */
export function diffReservation(
  olds: Partial<MaasReservationState>,
  news: ReservationInputs,
): ReservationDiff {
  const mechanism: ReservationMechanism | undefined = olds.mechanism;
  const differs = (a: unknown, b: unknown) => isUnknown(b) || (a ?? "") !== (b ?? "");
  const replaces: string[] = REPLACE_FIELDS.filter((f) => differs(olds[f], news[f]));
  const hostnameChanged = differs(olds.hostname, news.hostname);
  if (hostnameChanged && mechanism === "ipaddresses") replaces.push("hostname");
  const commentChanged = mechanism === "reservedips" && differs(olds.comment, news.comment);
  const coveredByPool = (olds.insideDynamicRange ?? "") !== "";
  return {
    changes: replaces.length > 0 || hostnameChanged || commentChanged || coveredByPool,
    replaces,
    deleteBeforeReplace: replaces.length > 0,
  };
}
