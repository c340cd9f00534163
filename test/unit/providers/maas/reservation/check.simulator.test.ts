/**
 * The reservation provider's `check` against the MAAS simulator (lab/maas) on both API generations:
 * every kind of bad input is refused with a message naming the node and the field, using MAAS's
 * own subnets and ranges, and nothing is written to MAAS. The provider is called as the engine's
 * provider host calls it (configure, then one check per resource in the same process); one case
 * per version also runs through the real engine (test/engine/maas-reservations.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../../lab/maas";
import { reservationProvider } from "../../../../../providers/maas/reservation/provider";

const pve = { ip: "192.168.4.238", mac: "BC:24:11:3B:7A:A7", hostname: "k3s-vm-pve" };
const fawn = { ip: "192.168.4.236", mac: "bc-24-11-a9-d5-8c", hostname: "k3s-vm-still-fawn" };

let sim: MaasSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A fresh provider host: its per-process state (shared lists, claims of this run) starts empty. */
async function checkAll(simulator: MaasSimulator, reservations: Array<Record<string, unknown>>) {
  delete (globalThis as { __homelabMaasReservation?: unknown }).__homelabMaasReservation;
  const settings: Record<string, string> = { "maas:url": simulator.url, "maas:apiKey": simulator.apiKey };
  await reservationProvider.configure!({ config: { get: (k: string) => settings[k] } } as never);
  const failures: Array<{ property: string; reason: string }> = [];
  for (const r of reservations) failures.push(...((await reservationProvider.check!({}, r)).failures ?? []));
  return failures;
}

const cases: Array<{ name: string; reservations: Array<Record<string, unknown>>; property: string; message: RegExp }> = [
  { name: "a bad MAC", reservations: [{ ...pve, mac: "bc:24:11:3b:7a:zz" }], property: "mac", message: /not a MAC address/ },
  { name: "an IP outside the subnet", reservations: [{ ...pve, ip: "192.168.5.10", subnet: "192.168.4.0/24" }], property: "ip", message: /not part of the subnet 192\.168\.4\.0\/24/ },
  { name: "an IP inside the dynamic range", reservations: [{ ...pve, ip: "192.168.4.220" }], property: "ip", message: /inside the MAAS dynamic range 192\.168\.4\.200-192\.168\.4\.230/ },
  { name: "the same IP twice", reservations: [pve, { ...fawn, ip: "192.168.4.238" }], property: "ip", message: /declared for both/ },
  { name: "the same MAC twice in other spellings", reservations: [pve, { ...fawn, mac: "bc-24-11-3b-7a-a7" }], property: "mac", message: /bc:24:11:3b:7a:a7 is declared for both/ },
  { name: "the subnet's gateway", reservations: [{ ...pve, ip: "192.168.4.1" }], property: "ip", message: /192\.168\.4\.1 \(k3s-vm-pve\) is the gateway of MAAS subnet 192\.168\.4\.0\/24/ },
  { name: "the broadcast address without a declared subnet", reservations: [{ ...pve, ip: "192.168.4.255" }], property: "ip", message: /broadcast address of MAAS subnet 192\.168\.4\.0\/24/ },
  { name: "the network address without a declared subnet", reservations: [{ ...pve, ip: "192.168.4.0" }], property: "ip", message: /network address of MAAS subnet/ },
  { name: "an IP inside a reserved range", reservations: [{ ...pve, ip: "192.168.4.5" }], property: "ip", message: /inside the MAAS reserved range 192\.168\.4\.1-192\.168\.4\.9/ },
];

describe.each(["3.5.7", "3.6.0"])("reservation check on MAAS %s", (version) => {
  it("accepts the incident's nodes (the cases below differ from it in one field)", async () => {
    sim = await startMaasSimulator({ version });
    expect(await checkAll(sim, [pve, fawn])).toEqual([]);
    expect(sim.counters().writes).toBe(0);
  });

  it.each(cases)("refuses $name, naming the node and the field, with zero writes", async ({ reservations, property, message }) => {
    sim = await startMaasSimulator({ version });
    const failures = await checkAll(sim, reservations);
    const hit = failures.find((f) => message.test(f.reason));
    expect(hit, JSON.stringify(failures)).toBeDefined();
    expect(hit!.property).toBe(property);
    expect(hit!.reason).toMatch(/k3s-vm-pve|k3s-vm-still-fawn/);
    expect(sim.counters().writes).toBe(0);
    expect(sim.reservations()).toEqual([]);
  });
});
