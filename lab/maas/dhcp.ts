/**
 * A minimal model of MAAS's dhcpd, enough for the incident story (seeds/000): a VM whose host entry vanished falls
 * back to the dynamic pool and gets whatever address is free there (.220, .221, …) instead of its pinned one.
 *
 * On renewal: a reservation for the MAC (reserved IP or legacy static IP, either generation) wins; otherwise the
 * MAC keeps its existing pool lease; otherwise it gets the lowest pool address that is neither leased (to any MAC)
 * nor held by a reservation or static address. Pool leases persist with the state.
 */
import { formatIp, mustParseIp } from "./ip-math";
import { canonicalMac } from "./mac";
import type { MaasStore } from "./store";
import { dynamicRanges } from "./subnet-query";

export interface RenewResult {
  ip: string;
  source: "reservation" | "lease" | "pool";
}

function reservationFor(store: MaasStore, mac: string): { ip: string } | null {
  const reserved = store.state.reservedIps.find((r) => canonicalMac(r.macAddress) === mac);
  if (reserved) return { ip: reserved.ip };
  for (const nic of store.state.interfaces) {
    if (canonicalMac(nic.macAddress) !== mac) continue;
    const sips = nic.staticIpIds
      .map((id) => store.state.staticIps.find((s) => s.id === id))
      .filter((s) => s !== undefined)
      .sort((a, b) => a.id - b.id);
    if (sips.length > 0) return { ip: sips[0].ip };
  }
  return null;
}

function inSomeDynamicRange(store: MaasStore, ip: string): boolean {
  const v = mustParseIp(ip);
  return store.state.ipRanges.some((r) => {
    if (r.type !== "dynamic") return false;
    const start = mustParseIp(r.startIp);
    return start.family === v.family && v.value >= start.value && v.value <= mustParseIp(r.endIp).value;
  });
}

export function dhcpRenew(store: MaasStore, macText: string): RenewResult {
  const mac = canonicalMac(macText);
  if (mac === null) throw new Error(`dhcpRenew(mac): "${macText}" is not a MAC address; write six hex pairs, e.g. bc:24:11:1a:38:07.`);
  const state = store.state;

  const reservation = reservationFor(store, mac);
  if (reservation) {
    // The host entry serves a fixed address; any pool lease the client held is released.
    const before = state.leases.length;
    state.leases = state.leases.filter((l) => l.mac !== mac);
    if (state.leases.length !== before) store.save();
    return { ip: reservation.ip, source: "reservation" };
  }

  const lease = state.leases.find((l) => l.mac === mac);
  if (lease && inSomeDynamicRange(store, lease.ip)) return { ip: lease.ip, source: "lease" };
  if (lease) state.leases = state.leases.filter((l) => l !== lease);

  const taken = new Set<string>([
    ...state.leases.map((l) => l.ip),
    ...state.reservedIps.map((r) => r.ip),
    ...state.staticIps.map((s) => s.ip),
  ]);
  const pools = state.subnets
    .slice()
    .sort((a, b) => a.id - b.id)
    .flatMap((s) => dynamicRanges(store, s.id).sort((a, b) => (mustParseIp(a.startIp).value < mustParseIp(b.startIp).value ? -1 : 1)));
  for (const pool of pools) {
    const start = mustParseIp(pool.startIp);
    const end = mustParseIp(pool.endIp).value;
    for (let v = start.value; v <= end; v++) {
      const ip = formatIp(start.family, v);
      if (taken.has(ip)) continue;
      state.leases.push({ mac, ip, subnetId: pool.subnetId });
      store.save();
      return { ip, source: "pool" };
    }
  }
  throw new Error(`dhcpRenew(${mac}): every dynamic pool address is leased or reserved; drop a lease holder or widen the pool.`);
}

export function listLeases(store: MaasStore): Array<{ mac: string; ip: string }> {
  return store.state.leases.map((l) => ({ mac: l.mac, ip: l.ip }));
}
