/**
 * Out-of-band changes (what MAAS or an admin did behind the API) and the DHCP renewal model of the incident.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

describe("out-of-band changes are visible through the API", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("drops a reserved IP and a legacy reservation by IP, and reports whether one existed", async () => {
    await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } });
    await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: NODES.stillFawn.ip, mac: NODES.stillFawn.mac } });
    expect(sim.dropReservation(NODES.pve.ip)).toBe(true);
    expect(sim.dropReservation(NODES.stillFawn.ip)).toBe(true);
    expect(sim.dropReservation(NODES.chiefHorse.ip)).toBe(false);
    expect((await call(sim, "GET", "reservedips/")).json()).toEqual([]);
    expect((await call(sim, "GET", "ipaddresses/")).json()).toEqual([]);
  });

  // ref/maas-api.md §3.1 (PUT quirks) and §7.7: a reserved IP's MAC cannot change in place; moving an address to
  // another MAC is delete + create, so the reservation gets a new id (on ≤ 3.5 a new row of another user).
  it("reassigns an address to another MAC as delete + create, never in place", async () => {
    const id = (await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).json().id;
    const put = await call(sim, "PUT", `reservedips/${id}/`, { form: { mac_address: "bc:24:11:ff:ff:ff" } });
    expect(put.status).toBe(400);
    const moved = sim.reassignReservation(NODES.pve.ip, "BC:24:11:FF:FF:FF");
    expect(moved).toMatchObject({ ip: NODES.pve.ip, mac: "bc:24:11:ff:ff:ff", mechanism: "reservedips" });
    expect(moved.id).not.toBe(String(id));
    expect((await call(sim, "GET", `reservedips/${id}/`)).status).toBe(404);
    sim.setReservationIp(NODES.pve.ip, "192.168.4.240");
    expect((await call(sim, "GET", `reservedips/${moved.id}/`)).json()).toMatchObject({ ip: "192.168.4.240", mac_address: "bc:24:11:ff:ff:ff" });
    const old = await startMaasSimulator({ version: "3.5.7" });
    try {
      old.addReservation({ ip: NODES.pve.ip, mac: NODES.pve.mac, hostname: "k3s-vm-pve" });
      old.reassignReservation(NODES.pve.ip, "02:00:00:00:00:99");
      const all = (await call(old, "GET", "ipaddresses/?all=true")).json();
      expect(all).toEqual([expect.objectContaining({ ip: NODES.pve.ip, owner: expect.objectContaining({ username: "user" }), interface_set: [expect.objectContaining({ mac_address: "02:00:00:00:00:99" })] })]);
    } finally {
      await old.close();
    }
  });

  it("adds a reservation by hand as a reserved IP on 3.6 and as a legacy address on 3.5", async () => {
    sim.addReservation({ ip: NODES.pve.ip, mac: NODES.pve.mac, comment: "by hand" });
    expect((await call(sim, "GET", "reservedips/")).json()).toEqual([expect.objectContaining({ ip: NODES.pve.ip, mac_address: NODES.pve.mac, comment: "by hand" })]);
    const old = await startMaasSimulator({ version: "3.5.7" });
    try {
      old.addReservation({ ip: NODES.pve.ip, mac: NODES.pve.mac, hostname: "k3s-vm-pve" });
      const listed = (await call(old, "GET", "ipaddresses/")).json();
      expect(listed).toEqual([expect.objectContaining({ ip: NODES.pve.ip, interface_set: [expect.objectContaining({ mac_address: NODES.pve.mac })] })]);
      expect(old.reservations()).toEqual([expect.objectContaining({ mechanism: "ipaddresses", hostname: "k3s-vm-pve" })]);
    } finally {
      await old.close();
    }
  });

  it("explains what is wrong with out-of-band arguments", () => {
    expect(() => sim.reassignReservation(NODES.pve.ip, NODES.pve.mac)).toThrow("reassignReservation: no reservation holds 192.168.4.238");
    expect(() => sim.addReservation({ ip: "10.9.9.9", mac: NODES.pve.mac })).toThrow(/no simulated subnet contains 10\.9\.9\.9/);
    expect(() => sim.addReservation({ ip: NODES.pve.ip, mac: "not-a-mac" })).toThrow(/"not-a-mac" is not a MAC address/);
    sim.addReservation({ ip: NODES.pve.ip, mac: NODES.pve.mac });
    expect(() => sim.addReservation({ ip: NODES.pve.ip, mac: NODES.stillFawn.mac })).toThrow(/already reserved/);
  });
});

describe("DHCP renewals (the incident story)", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.5.7" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("serves a reserved MAC its reservation, whatever the MAC's spelling", async () => {
    await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: NODES.pve.ip, mac: NODES.pve.mac } });
    expect(sim.dhcpRenew(NODES.pve.mac)).toEqual({ ip: NODES.pve.ip, source: "reservation" });
    expect(sim.dhcpRenew("BC-24-11-3B-7A-A7")).toEqual({ ip: NODES.pve.ip, source: "reservation" });
    expect(sim.leases()).toEqual([]);
  });

  it("gives a MAC whose reservation was dropped the lowest free pool address, and keeps it on the next renewal", async () => {
    await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: NODES.pve.ip, mac: NODES.pve.mac } });
    sim.dropReservation(NODES.pve.ip);
    expect(sim.dhcpRenew(NODES.pve.mac)).toEqual({ ip: "192.168.4.200", source: "pool" });
    expect(sim.dhcpRenew(NODES.stillFawn.mac)).toEqual({ ip: "192.168.4.201", source: "pool" });
    expect(sim.dhcpRenew(NODES.pve.mac)).toEqual({ ip: "192.168.4.200", source: "lease" });
    expect(sim.leases()).toEqual([
      { mac: NODES.pve.mac, ip: "192.168.4.200" },
      { mac: NODES.stillFawn.mac, ip: "192.168.4.201" },
    ]);
  });

  it("skips pool addresses held by reservations or other leases", () => {
    sim.addReservation({ ip: "192.168.4.200", mac: "aa:aa:aa:aa:aa:01" });
    sim.dhcpRenew("aa:aa:aa:aa:aa:02");
    expect(sim.dhcpRenew(NODES.pve.mac)).toEqual({ ip: "192.168.4.202", source: "pool" });
  });

  it("replays the incident: with .200–.219 leased, the three VMs that lost their host entries land on .220–.222", async () => {
    for (const node of [NODES.chiefHorse, NODES.stillFawn, NODES.pve]) {
      expect((await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: node.ip, mac: node.mac } })).status).toBe(200);
    }
    for (let i = 0; i < 20; i++) sim.dhcpRenew(`02:00:00:00:00:${i.toString(16).padStart(2, "0")}`);
    for (const node of [NODES.chiefHorse, NODES.stillFawn, NODES.pve]) sim.dropReservation(node.ip);
    expect([NODES.chiefHorse, NODES.stillFawn, NODES.pve].map((n) => sim.dhcpRenew(n.mac).ip)).toEqual([
      "192.168.4.220",
      "192.168.4.221",
      "192.168.4.222",
    ]);
    // Re-pinning a node brings it back to its own address at the next renewal.
    sim.addReservation({ ip: NODES.pve.ip, mac: NODES.pve.mac });
    expect(sim.dhcpRenew(NODES.pve.mac)).toEqual({ ip: NODES.pve.ip, source: "reservation" });
  });

  it("refuses a MAC it cannot parse", () => {
    expect(() => sim.dhcpRenew("bc:24:11")).toThrow(/is not a MAC address/);
  });
});
