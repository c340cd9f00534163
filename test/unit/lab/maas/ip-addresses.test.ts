/**
 * Legacy `/ipaddresses/` op=reserve / op=release / list (ref §3.2, §8), including its odd status codes.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimSeed, type MaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

const reserve = (sim: MaasSimulator, form: Record<string, string>, key?: string) =>
  call(sim, "POST", "ipaddresses/?op=reserve", { form, key });

const WITH_RESERVED_RANGE: MaasSimSeed = {
  subnets: [
    {
      id: 1,
      cidr: "192.168.4.0/24",
      gatewayIp: "192.168.4.1",
      dnsServers: ["192.168.4.53"],
      ranges: [
        { type: "dynamic", startIp: "192.168.4.200", endIp: "192.168.4.230" },
        { type: "reserved", startIp: "192.168.4.10", endIp: "192.168.4.19", comment: "switches" },
      ],
    },
  ],
};

describe("ipaddresses op=reserve on MAAS 3.5.7", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.5.7" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("reserves an IP for a MAC and answers a StaticIPAddress without an id", async () => {
    const res = await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac, hostname: "k3s-vm-pve" });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body).not.toHaveProperty("id");
    expect(body).toMatchObject({
      ip: NODES.pve.ip,
      alloc_type: 4,
      alloc_type_name: "User reserved",
      subnet: { id: 1, cidr: "192.168.4.0/24" },
      owner: { username: "admin", is_superuser: true },
      resource_uri: "/MAAS/api/2.0/ipaddresses/",
    });
    expect(body.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    expect(body.interface_set).toEqual([
      expect.objectContaining({ type: "unknown", name: "eth0", mac_address: NODES.pve.mac, links: [expect.objectContaining({ mode: "static", ip_address: NODES.pve.ip })] }),
    ]);
    expect(sim.reservations()).toEqual([
      { id: NODES.pve.ip, ip: NODES.pve.ip, mac: NODES.pve.mac, subnetId: 1, comment: null, hostname: "k3s-vm-pve", mechanism: "ipaddresses" },
    ]);
  });

  it("stores the MAC exactly as sent, without normalising it", async () => {
    const res = await reserve(sim, { ip: NODES.pve.ip, mac: "BC:24:11:3B:7A:A7" });
    expect(res.status).toBe(200);
    expect(res.json().interface_set[0].mac_address).toBe("BC:24:11:3B:7A:A7");
    expect(sim.reservations()[0].mac).toBe("BC:24:11:3B:7A:A7");
  });

  it("rejects a MAC the interface model cannot store (not colon-separated)", async () => {
    const res = await reserve(sim, { ip: NODES.pve.ip, mac: "bc-24-11-3b-7a-a7" });
    expect([res.status, res.json()]).toEqual([400, { mac_address: ["'bc-24-11-3b-7a-a7' is not a valid MAC address."] }]);
    expect(sim.reservations()).toEqual([]);
  });

  it("refuses an IP in the dynamic range with 403, even when a MAC is given", async () => {
    for (const form of [{ ip: "192.168.4.221" }, { ip: "192.168.4.221", mac: NODES.stillFawn.mac }] as Array<Record<string, string>>) {
      const res = await reserve(sim, form);
      expect(res.status).toBe(403);
      expect(res.text).toBe(
        "IP address 192.168.4.221 belongs to an existing dynamic range. To reserve this IP address, a MAC address is required. (Create a device instead.)",
      );
    }
  });

  it("answers 404 for an IP already in use without a MAC, and the IP-less conflict text with one", async () => {
    expect((await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac })).status).toBe(200);
    const noMac = await reserve(sim, { ip: NODES.pve.ip });
    expect([noMac.status, noMac.text]).toEqual([404, `The IP address ${NODES.pve.ip} is already in use.`]);
    const sameMac = await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac });
    expect([sameMac.status, sameMac.text]).toEqual([404, "IP address is already in use."]);
    expect(sim.reservations()).toHaveLength(1);
  });

  it.each<[string, Record<string, string>, number, string]>([
    ["an IP in no known subnet", { ip: "10.99.0.5", mac: NODES.pve.mac }, 400, "No known subnet for IP address: 10.99.0.5."],
    ["neither ip nor subnet", { mac: NODES.pve.mac }, 400, "Must supply either the 'subnet' or the 'ip' parameter."],
    ["an unknown subnet", { subnet: "10.99.0.0/24" }, 400, "Unable to identify subnet: 10.99.0.0/24."],
    ["a hostname in an unknown domain", { ip: NODES.pve.ip, hostname: "pve.example.org" }, 404, "No Domain matches the given query."],
  ])("rejects %s", async (_name, form, status, text) => {
    const res = await reserve(sim, form);
    expect([res.status, res.text]).toEqual([status, text]);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("reports an invalid IP under ip_address whichever name was used", async () => {
    for (const key of ["ip", "ip_address"]) {
      const res = await reserve(sim, { [key]: "192.168.4.x" });
      expect([res.status, res.json()]).toEqual([400, { ip_address: ["Enter a valid IPv4 or IPv6 address."] }]);
    }
  });

  it("accepts the ip_address alias", async () => {
    expect((await reserve(sim, { ip_address: NODES.pve.ip })).json().ip).toBe(NODES.pve.ip);
  });

  it("reads parameters only from a form body, not from the query string or JSON", async () => {
    const query = await call(sim, "POST", `ipaddresses/?op=reserve&ip=${NODES.pve.ip}`);
    expect([query.status, query.text]).toEqual([400, "Must supply either the 'subnet' or the 'ip' parameter."]);
    const json = await call(sim, "POST", "ipaddresses/?op=reserve", { json: { ip: NODES.pve.ip } });
    expect([json.status, json.text]).toEqual([400, "Must supply either the 'subnet' or the 'ip' parameter."]);
  });

  it("takes the op from the form body when the query string has none, and from an op- path suffix", async () => {
    expect((await call(sim, "POST", "ipaddresses/", { form: { op: "reserve", ip: NODES.pve.ip } })).status).toBe(200);
    expect((await call(sim, "POST", "ipaddresses/op-reserve", { form: { ip: NODES.stillFawn.ip } })).status).toBe(200);
    const none = await call(sim, "POST", "ipaddresses/", { form: { ip: NODES.chiefHorse.ip } });
    expect([none.status, none.text]).toEqual([400, "Unrecognised signature: method=POST op=None"]);
  });

  it("allocates the first address of the smallest free block when only a subnet is given", async () => {
    // Free blocks: .2–.52 (51), .54–.199 (146), .231–.254 (24): the smallest wins.
    expect((await reserve(sim, { subnet: "192.168.4.0/24" })).json().ip).toBe("192.168.4.231");
    expect((await reserve(sim, { subnet: "1", mac: NODES.pve.mac })).json().ip).toBe("192.168.4.232");
  });
});

describe("ipaddresses reserved ranges", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.5.7", seed: WITH_RESERVED_RANGE });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("refuses an IP in a reserved range without a MAC but skips that check with one", async () => {
    const noMac = await reserve(sim, { ip: "192.168.4.12" });
    expect([noMac.status, noMac.text]).toEqual([404, "192.168.4.12 is within the reserved range from 192.168.4.10 to 192.168.4.19"]);
    expect((await reserve(sim, { ip: "192.168.4.12", mac: NODES.pve.mac })).status).toBe(200);
  });
});

describe("ipaddresses op=release and listing", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.5.7" });
    expect((await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac })).status).toBe(200);
    expect((await reserve(sim, { ip: NODES.stillFawn.ip }, sim.userApiKey)).status).toBe(200);
  });
  afterEach(async () => {
    await sim.close();
  });

  it("releases the caller's own reservation with 204 and then says it does not exist, with the force hint", async () => {
    const first = await call(sim, "POST", "ipaddresses/?op=release", { form: { ip: NODES.pve.ip } });
    expect([first.status, first.text]).toEqual([204, ""]);
    expect(sim.reservations().map((r) => r.ip)).toEqual([]);
    const again = await call(sim, "POST", "ipaddresses/?op=release", { form: { ip: NODES.pve.ip } });
    expect(again.status).toBe(400);
    expect(again.text).toBe(
      `IP address ${NODES.pve.ip} does not exist, is not the correct type of address, or does not belong to the requesting user.\n` +
        "If you are sure you want to release this address, use force=true as a MAAS administrator.",
    );
  });

  it("requires an ip", async () => {
    const res = await call(sim, "POST", "ipaddresses/?op=release", { form: {} });
    expect([res.status, res.text]).toEqual([400, "No provided ip!"]);
  });

  it("does not let one user release another's address without force, and force needs an admin", async () => {
    const notMine = await call(sim, "POST", "ipaddresses/?op=release", { form: { ip: NODES.stillFawn.ip } });
    expect(notMine.status).toBe(400);
    const userForce = await call(sim, "POST", "ipaddresses/?op=release", { key: sim.userApiKey, form: { ip: NODES.pve.ip, force: "true" } });
    expect([userForce.status, userForce.text]).toEqual([403, "Force-releasing an IP address requires admin privileges."]);
    const adminForce = await call(sim, "POST", "ipaddresses/?op=release", { form: { ip: NODES.stillFawn.ip, force: "yes" } });
    expect(adminForce.status).toBe(204);
  });

  it("lists only the caller's own reservations unless an admin asks for all, sorted by id", async () => {
    expect((await call(sim, "GET", "ipaddresses/")).json().map((a: { ip: string }) => a.ip)).toEqual([NODES.pve.ip]);
    expect((await call(sim, "GET", "ipaddresses/", { key: sim.userApiKey })).json().map((a: { ip: string }) => a.ip)).toEqual([NODES.stillFawn.ip]);
    expect((await call(sim, "GET", "ipaddresses/?all=true")).json().map((a: { ip: string }) => a.ip)).toEqual([NODES.pve.ip, NODES.stillFawn.ip]);
    const userAll = await call(sim, "GET", "ipaddresses/?all=true", { key: sim.userApiKey });
    expect([userAll.status, userAll.text]).toEqual([403, "Listing all IP addresses requires admin privileges."]);
  });

  it("filters by ip and rejects an ip filter that is not an address", async () => {
    expect((await call(sim, "GET", `ipaddresses/?all=1&ip=${NODES.stillFawn.ip}`)).json()).toHaveLength(1);
    const bad = await call(sim, "GET", "ipaddresses/?ip=nope");
    expect([bad.status, bad.text]).toEqual([400, "Parameter 'ip' must contain an IP address."]);
  });
});

describe("ipaddresses op=reserve against reserved IPs on MAAS 3.6.0", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    expect((await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).status).toBe(200);
  });
  afterEach(async () => {
    await sim.close();
  });

  it("refuses another MAC on a reserved IP with 409", async () => {
    const res = await reserve(sim, { ip: NODES.pve.ip, mac: NODES.stillFawn.mac });
    expect([res.status, res.text]).toEqual([409, `The static IP ${NODES.pve.ip} is already reserved for the MAC address ${NODES.pve.mac}.`]);
  });

  it("refuses a reserved MAC on another IP with 409", async () => {
    const res = await reserve(sim, { ip: NODES.stillFawn.ip, mac: NODES.pve.mac });
    expect([res.status, res.text]).toEqual([
      409,
      `The static IP ${NODES.stillFawn.ip} does not match the reserved IP ${NODES.pve.ip} for the MAC address ${NODES.pve.mac}.`,
    ]);
  });

  it("allows the reserved pair itself, and skips the check entirely without a MAC", async () => {
    expect((await reserve(sim, { ip: NODES.pve.ip, mac: NODES.pve.mac })).status).toBe(200);
    expect((await reserve(sim, { ip: NODES.stillFawn.ip })).status).toBe(200);
  });
});
