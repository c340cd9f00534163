/**
 * Subnets and IP ranges (ref §4): the default incident network, specifiers, range ops, and IP range rules.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

describe("subnets and IP ranges on MAAS 3.6.0", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("seeds the incident network by default: 192.168.4.0/24 on a DHCP-enabled VLAN", async () => {
    const subnets = (await call(sim, "GET", "subnets/")).json();
    expect(subnets).toEqual([
      expect.objectContaining({
        id: 1,
        name: "192.168.4.0/24",
        cidr: "192.168.4.0/24",
        gateway_ip: "192.168.4.1",
        dns_servers: ["192.168.4.53"],
        managed: true,
        space: "undefined",
        resource_uri: "/MAAS/api/2.0/subnets/1/",
        vlan: expect.objectContaining({ dhcp_on: true, vid: 0, name: "untagged", fabric_id: 0 }),
      }),
    ]);
    const ranges = (await call(sim, "GET", "ipranges/")).json();
    expect(ranges).toEqual([
      expect.objectContaining({ id: 1, type: "dynamic", start_ip: "192.168.4.200", end_ip: "192.168.4.230", subnet: expect.objectContaining({ id: 1 }) }),
      // A reserved range at the bottom, as a MAAS subnet usually has one for the router and other unmanaged hosts.
      expect.objectContaining({ id: 2, type: "reserved", start_ip: "192.168.4.1", end_ip: "192.168.4.9" }),
    ]);
  });

  it("finds a subnet by id, by cidr: specifier and by bare CIDR, and 404s otherwise", async () => {
    for (const id of ["1", "cidr:192.168.4.0/24", "192.168.4.0/24", "name:192.168.4.0/24"]) {
      const res = await call(sim, "GET", `subnets/${id}/`);
      expect(res.status).toBe(200);
      expect(res.json().id).toBe(1);
    }
    const missing = await call(sim, "GET", "subnets/7/");
    expect([missing.status, missing.text]).toEqual([404, "No Subnet matches the given query."]);
  });

  it("lists reserved IP ranges with their purposes, counting legacy addresses but not reserved IPs (3.6.0)", async () => {
    await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: NODES.pve.ip, mac: NODES.pve.mac } });
    await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: "192.168.4.239" } });
    await call(sim, "POST", "reservedips/", { form: { ip: NODES.stillFawn.ip, mac_address: NODES.stillFawn.mac } });
    const res = await call(sim, "GET", "subnets/1/?op=reserved_ip_ranges");
    expect(res.json()).toEqual([
      { start: "192.168.4.1", end: "192.168.4.1", num_addresses: 1, purpose: ["gateway-ip", "reserved"] },
      { start: "192.168.4.2", end: "192.168.4.9", num_addresses: 8, purpose: ["reserved"] },
      { start: "192.168.4.53", end: "192.168.4.53", num_addresses: 1, purpose: ["dns-server"] },
      { start: "192.168.4.200", end: "192.168.4.230", num_addresses: 31, purpose: ["dynamic"] },
      { start: "192.168.4.238", end: "192.168.4.239", num_addresses: 2, purpose: ["assigned-ip"] },
    ]);
    const free = await call(sim, "GET", "subnets/1/?op=unreserved_ip_ranges");
    expect(free.json()).toEqual([
      { start: "192.168.4.10", end: "192.168.4.52", num_addresses: 43 },
      { start: "192.168.4.54", end: "192.168.4.199", num_addresses: 146 },
      { start: "192.168.4.231", end: "192.168.4.237", num_addresses: 7 },
      { start: "192.168.4.240", end: "192.168.4.254", num_addresses: 15 },
    ]);
  });

  it("reads one IP range by id", async () => {
    const res = await call(sim, "GET", "ipranges/1/");
    expect(res.json()).toMatchObject({ id: 1, type: "dynamic", comment: expect.any(String), resource_uri: "/MAAS/api/2.0/ipranges/1/" });
    expect((await call(sim, "GET", "ipranges/9/")).text).toBe("No IPRange matches the given query.");
  });

  it("creates a reserved range, refuses an overlapping one, and deletes it", async () => {
    const created = await call(sim, "POST", "ipranges/", { form: { type: "reserved", start_ip: "192.168.4.10", end_ip: "192.168.4.19", comment: "switches" } });
    expect(created.status).toBe(200);
    expect(created.json()).toMatchObject({ type: "reserved", start_ip: "192.168.4.10", end_ip: "192.168.4.19", subnet: { id: 1 } });
    const overlap = await call(sim, "POST", "ipranges/", { form: { type: "reserved", start_ip: "192.168.4.15", end_ip: "192.168.4.25" } });
    expect([overlap.status, overlap.json()]).toEqual([
      400,
      { start_ip: ["Requested reserved range conflicts with an existing range."], end_ip: ["Requested reserved range conflicts with an existing range."] },
    ]);
    expect((await call(sim, "DELETE", `ipranges/${created.json().id}/`)).status).toBe(204);
  });

  it("refuses a dynamic range that would cover a reserved IP", async () => {
    await call(sim, "POST", "reservedips/", { form: { ip: NODES.stillFawn.ip, mac_address: NODES.stillFawn.mac } });
    const res = await call(sim, "POST", "ipranges/", { form: { type: "dynamic", start_ip: "192.168.4.232", end_ip: "192.168.4.240" } });
    expect(res.status).toBe(400);
    expect(res.json().__all__).toEqual(["The dynamic IP range cannot include reserved IPs."]);
  });

  it("refuses a dynamic range from a non-admin", async () => {
    const res = await call(sim, "POST", "ipranges/", { key: sim.userApiKey, form: { type: "dynamic", start_ip: "192.168.4.100", end_ip: "192.168.4.110" } });
    expect([res.status, res.text]).toEqual([403, "Unable to create dynamic IP range. You don't have sufficient privileges."]);
  });
});
