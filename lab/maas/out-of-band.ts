/**
 * Changes made behind the API's back: what MAAS itself did in the incident (dropping host entries) or what an
 * admin does by hand. They bypass validation on purpose, but keep the tables consistent (one reservation per IP),
 * and their errors name the argument and how to fix it.
 */
import { nowIso } from "./api-context";
import { DEFAULT_DOMAIN, fileAddress, namesOf } from "./dns-resources";
import { releaseStaticIp } from "./ip-addresses";
import { parseIp, type ParsedIp } from "./ip-math";
import { canonicalMac } from "./mac";
import { ALLOC_TYPE, type InterfaceRow, type MaasStore, type ReservedIpRow, type StaticIpRow, type SubnetRow } from "./store";
import { bestSubnetForIp } from "./subnet-query";
import type { SimReservation } from "./types";
import type { MaasFeatures } from "./version";

/** The admin user, owner of reservations made "by hand" on legacy MAAS. */
const ADMIN_USER_ID = 1;

function mustIp(what: string, text: string): ParsedIp {
  const ip = parseIp(text);
  if (ip === null) throw new Error(`${what}: "${text}" is not an IP address; write e.g. 192.168.4.236.`);
  return ip;
}

function mustMac(what: string, text: string): string {
  const mac = canonicalMac(text);
  if (mac === null) throw new Error(`${what}: "${text}" is not a MAC address; write six hex pairs, e.g. bc:24:11:1a:38:07.`);
  return mac;
}

function mustSubnet(store: MaasStore, what: string, ip: ParsedIp): SubnetRow {
  const subnet = bestSubnetForIp(store, ip);
  if (subnet === null) {
    const cidrs = store.state.subnets.map((s) => s.cidr).join(", ");
    throw new Error(`${what}: no simulated subnet contains ${ip.text} (subnets: ${cidrs}); use an address inside one of them.`);
  }
  return subnet;
}

/** Legacy reservations: USER_RESERVED static IPs linked to an interface with a MAC. */
function legacyAt(store: MaasStore, ip: string): StaticIpRow[] {
  return store.state.staticIps.filter((s) => s.ip === ip && s.allocType === ALLOC_TYPE.USER_RESERVED);
}

function reservedAt(store: MaasStore, ip: string): ReservedIpRow | undefined {
  return store.state.reservedIps.find((r) => r.ip === ip);
}

export function listReservations(store: MaasStore): SimReservation[] {
  const out: SimReservation[] = store.state.reservedIps
    .slice()
    .sort((a, b) => a.id - b.id)
    .map((r) => ({
      id: String(r.id),
      ip: r.ip,
      mac: r.macAddress,
      subnetId: r.subnetId,
      comment: r.comment,
      hostname: null,
      mechanism: "reservedips" as const,
    }));
  for (const s of store.state.staticIps.slice().sort((a, b) => a.id - b.id)) {
    if (s.allocType !== ALLOC_TYPE.USER_RESERVED) continue;
    for (const nic of store.interfacesOf(s.id)) {
      const names = namesOf(store, s.id).map((fqdn) => (fqdn.endsWith(`.${DEFAULT_DOMAIN}`) ? fqdn.slice(0, -DEFAULT_DOMAIN.length - 1) : fqdn));
      out.push({ id: s.ip, ip: s.ip, mac: nic.macAddress, subnetId: s.subnetId, comment: null, hostname: names.length ? names.join(", ") : null, mechanism: "ipaddresses" });
    }
  }
  return out;
}

export function dropReservation(store: MaasStore, ipText: string): boolean {
  const ip = mustIp("dropReservation(ip)", ipText);
  let dropped = false;
  const reserved = reservedAt(store, ip.text);
  if (reserved) {
    store.state.reservedIps = store.state.reservedIps.filter((r) => r !== reserved);
    dropped = true;
  }
  for (const legacy of legacyAt(store, ip.text)) {
    releaseStaticIp(store.state, legacy);
    dropped = true;
  }
  if (dropped) store.save();
  return dropped;
}

function noReservation(what: string, ip: string): Error {
  return new Error(`${what}: no reservation holds ${ip}; see reservations() for the current ones.`);
}

/** Another MAAS user ("user"), owner of legacy reservations an admin made for another host. */
const OTHER_USER_ID = 2;

/**
 * Someone deletes the reservation holding `ip` in MAAS and reserves the address for another host's MAC. MAAS has
 * no in-place MAC change: reserved IPs are immutable apart from the comment (ref/maas-api.md §3.1 "Update (PUT)
 * quirks", §7.7) and op=reserve has no update at all (§3.2), so the result is a *new* reservation — a new id on
 * MAAS ≥ 3.6; on ≤ 3.5 a new USER_RESERVED row owned by another user (the IP stays the identity).
 */
export function reassignReservation(store: MaasStore, features: MaasFeatures, ipText: string, macText: string, comment = "another host"): SimReservation {
  const what = "reassignReservation";
  const ip = mustIp(`${what}(ip)`, ipText);
  const mac = mustMac(`${what}(mac)`, macText);
  if (!reservedAt(store, ip.text) && legacyAt(store, ip.text).length === 0) throw noReservation(what, ip.text);
  dropReservation(store, ip.text);
  addReservation(store, features, { ip: ip.text, mac, comment, hostname: comment.replace(/[^a-z0-9-]/gi, "-") }, OTHER_USER_ID);
  return listReservations(store).find((r) => r.ip === ip.text)!;
}

function attachLegacy(store: MaasStore, sip: StaticIpRow, mac: string, vlanId: number | null): void {
  let nic: InterfaceRow | undefined = store.state.interfaces.find((i) => i.macAddress === mac);
  if (nic === undefined) {
    nic = { id: store.nextId("interface"), name: "eth0", type: "unknown", macAddress: mac, vlanId, staticIpIds: [] };
    store.state.interfaces.push(nic);
  }
  nic.staticIpIds.push(sip.id);
}

export function setReservationIp(store: MaasStore, oldIpText: string, newIpText: string): void {
  const what = "setReservationIp";
  const oldIp = mustIp(`${what}(oldIp)`, oldIpText);
  const newIp = mustIp(`${what}(newIp)`, newIpText);
  const reserved = reservedAt(store, oldIp.text);
  const legacy = legacyAt(store, oldIp.text);
  if (!reserved && legacy.length === 0) throw noReservation(what, oldIp.text);
  if (newIp.text === oldIp.text) return;
  if (reservedAt(store, newIp.text) || store.state.staticIps.some((s) => s.ip === newIp.text)) {
    throw new Error(`${what}(newIp): ${newIp.text} is already held by another reservation or address; drop that one first.`);
  }
  const subnet = mustSubnet(store, `${what}(newIp)`, newIp);
  if (reserved) {
    reserved.ip = newIp.text;
    reserved.subnetId = subnet.id;
    reserved.updated = nowIso();
  }
  for (const sip of legacy) {
    sip.ip = newIp.text;
    sip.subnetId = subnet.id;
    sip.updated = nowIso();
  }
  store.save();
}

export function addReservation(
  store: MaasStore,
  features: MaasFeatures,
  r: { ip: string; mac: string; comment?: string; hostname?: string },
  ownerId = ADMIN_USER_ID,
): void {
  const what = "addReservation";
  const ip = mustIp(`${what}(ip)`, r.ip);
  const mac = mustMac(`${what}(mac)`, r.mac);
  const subnet = mustSubnet(store, `${what}(ip)`, ip);
  if (reservedAt(store, ip.text) || store.state.staticIps.some((s) => s.ip === ip.text)) {
    throw new Error(`${what}(ip): ${ip.text} is already reserved or in use; drop it first or pick another address.`);
  }
  const now = nowIso();
  if (features.reservedIps) {
    store.state.reservedIps.push({
      id: store.nextId("reservedip"),
      ip: ip.text,
      subnetId: subnet.id,
      macAddress: mac,
      comment: r.comment ?? "",
      created: now,
      updated: now,
    });
  } else {
    const sip: StaticIpRow = {
      id: store.nextId("staticip"),
      ip: ip.text,
      subnetId: subnet.id,
      allocType: ALLOC_TYPE.USER_RESERVED,
      userId: ownerId,
      created: now,
      updated: now,
    };
    store.state.staticIps.push(sip);
    attachLegacy(store, sip, mac, subnet.vlanId);
    if (r.hostname) fileAddress(store, r.hostname, DEFAULT_DOMAIN, sip);
  }
  store.save();
}

/**
 * An admin edits an IP range in the MAAS UI, e.g. widens the dynamic pool over pinned addresses. Out of band on
 * purpose: MAAS's own form refuses a dynamic range over reserved IPs (ref/maas-api.md §3.1 "Other behaviour"), but
 * not over legacy (≤ 3.5) reservations, which is how the RCA-2025-07-27 pool collided with pinned nodes.
 */
export function setIpRange(store: MaasStore, id: number, r: { startIp: string; endIp: string }): void {
  const range = store.state.ipRanges.find((x) => x.id === id);
  if (!range) throw new Error(`setIpRange(id): no IP range ${id}; ids: ${store.state.ipRanges.map((x) => x.id).join(", ")}.`);
  const start = mustIp("setIpRange(startIp)", r.startIp);
  const end = mustIp("setIpRange(endIp)", r.endIp);
  if (end.value < start.value) throw new Error(`setIpRange: endIp ${end.text} is below startIp ${start.text}; swap them.`);
  range.startIp = start.text;
  range.endIp = end.text;
  store.save();
}
