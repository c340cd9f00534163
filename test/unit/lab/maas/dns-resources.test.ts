/**
 * DNS records behind legacy reservations (canonical/maas 3.5.7): op=reserve files `hostname` as a DNSResource
 * (IPAddressesHandler._claim_ip), GET dnsresources/ lists it (DNSResourcesHandler.read), a release deletes a record
 * left without addresses (post_delete_clean_up_dns), and a rename in MAAS follows DNSResource.clean.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

const reserve = (sim: MaasSimulator, form: Record<string, string>, key?: string) => call(sim, "POST", "ipaddresses/?op=reserve", { form, key });
const records = async (sim: MaasSimulator, query = "", key?: string) => {
  const res = await call(sim, "GET", `dnsresources/${query}`, { key });
  expect(res.status).toBe(200);
  return (res.json() as Array<{ fqdn: string; ip_addresses: Array<{ ip: string }> }>).map((r) => [r.fqdn, r.ip_addresses.map((a) => a.ip)]);
};

describe("DNS records of legacy reservations on MAAS 3.5.7", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.5.7" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("files op=reserve's hostname as a record in the default domain, which GET ipaddresses/ does not show", async () => {
    expect((await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac, hostname: "k3s-vm-pve" })).status).toBe(200);
    expect((await reserve(sim, { ip: NODES.stillFawn.ip, mac: NODES.stillFawn.mac, hostname: "k3s-vm-pve.maas" })).status).toBe(200);
    expect((await reserve(sim, { ip: NODES.chiefHorse.ip, mac: NODES.chiefHorse.mac })).status).toBe(200);
    expect(await records(sim)).toEqual([["k3s-vm-pve.maas", [NODES.pve.ip, NODES.stillFawn.ip]]]);
    const rows = (await call(sim, "GET", "ipaddresses/")).json() as object[];
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(["alloc_type", "alloc_type_name", "created", "interface_set", "ip", "owner", "resource_uri", "subnet"]);
  });

  it("lists every record to a non-admin key, and filters by name and domain like MAAS", async () => {
    await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac, hostname: "k3s-vm-pve" });
    await reserve(sim, { ip: NODES.stillFawn.ip, mac: NODES.stillFawn.mac, hostname: "k3s-vm-still-fawn" });
    expect((await records(sim, "", sim.userApiKey)).map(([fqdn]) => fqdn)).toEqual(["k3s-vm-pve.maas", "k3s-vm-still-fawn.maas"]);
    expect(await records(sim, "?name=k3s-vm-pve")).toEqual([["k3s-vm-pve.maas", [NODES.pve.ip]]]);
    expect(await records(sim, "?fqdn=k3s-vm-still-fawn.maas")).toEqual([["k3s-vm-still-fawn.maas", [NODES.stillFawn.ip]]]);
    expect(await records(sim, "?rrtype=A")).toEqual([]); // rrtype matches DNSData rows; addresses are not DNSData
    const unknown = await call(sim, "GET", "dnsresources/?domain=example.org");
    expect([unknown.status, unknown.text]).toEqual([404, "No Domain matches the given query."]);
  });

  it("deletes a record on release only once it holds no address", async () => {
    await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac, hostname: "shared" });
    await reserve(sim, { ip: NODES.stillFawn.ip, mac: NODES.stillFawn.mac, hostname: "shared" });
    expect((await call(sim, "POST", "ipaddresses/?op=release", { form: { ip: NODES.pve.ip } })).status).toBe(204);
    expect(await records(sim)).toEqual([["shared.maas", [NODES.stillFawn.ip]]]);
    expect(sim.dropReservation(NODES.stillFawn.ip)).toBe(true);
    expect(await records(sim)).toEqual([]);
  });

  it("renames a record as an admin does in MAAS, refusing what DNSResource.clean refuses", async () => {
    await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac, hostname: "k3s-vm-pve" });
    sim.renameDnsRecord("k3s-vm-pve", "renamed");
    expect(await records(sim)).toEqual([["renamed.maas", [NODES.pve.ip]]]);
    expect(sim.reservations()[0]?.hostname).toBe("renamed");
    expect(() => sim.renameDnsRecord("renamed.maas", "bad_name")).toThrow(/Invalid dnsresource name: bad_name/);
    expect(() => sim.renameDnsRecord("k3s-vm-pve", "x")).toThrow(/no DNS record k3s-vm-pve\.maas \(records: renamed\.maas\)/);
  });
});
