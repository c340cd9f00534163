/**
 * `/reservedips/` (MAAS ≥ 3.6): round trip, every validation message of ref §3.1, MAC normalisation, the PUT
 * immutability quirk, and its absence on 3.5.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimSeed, type MaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

/** The incident network plus a second, pool-less subnet for cross-subnet cases. */
const TWO_SUBNETS: MaasSimSeed = {
  subnets: [
    {
      id: 1,
      cidr: "192.168.4.0/24",
      gatewayIp: "192.168.4.1",
      dnsServers: ["192.168.4.53"],
      ranges: [{ type: "dynamic", startIp: "192.168.4.200", endIp: "192.168.4.230" }],
    },
    { id: 2, cidr: "10.20.0.0/24", gatewayIp: "10.20.0.1" },
  ],
};

const OTHER_MAC = "bc:24:11:00:00:99";

describe("reserved IPs round trip on MAAS 3.6.0", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("creates with 200, lists, reads, and deletes with 204 and an empty body", async () => {
    const created = await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac, comment: "k3s-vm-pve" } });
    expect(created.status).toBe(200);
    expect(created.headers["content-type"]).toBe("application/json; charset=utf-8");
    const body = created.json();
    expect(body).toMatchObject({
      ip: NODES.pve.ip,
      mac_address: NODES.pve.mac,
      comment: "k3s-vm-pve",
      resource_uri: `/MAAS/api/2.0/reservedips/${body.id}/`,
      subnet: { id: 1, cidr: "192.168.4.0/24", gateway_ip: "192.168.4.1", dns_servers: ["192.168.4.53"], resource_uri: "/MAAS/api/2.0/subnets/1/" },
    });
    expect(body.subnet.vlan).toMatchObject({ dhcp_on: true, fabric: "fabric-0", vid: 0 });
    expect(Number.isInteger(body.id)).toBe(true);

    expect((await call(sim, "GET", "reservedips/")).json()).toEqual([body]);
    expect((await call(sim, "GET", `reservedips/${body.id}/`)).json()).toEqual(body);

    const deleted = await call(sim, "DELETE", `reservedips/${body.id}/`);
    expect([deleted.status, deleted.text]).toEqual([204, ""]);
    expect((await call(sim, "GET", "reservedips/")).json()).toEqual([]);
    const gone = await call(sim, "GET", `reservedips/${body.id}/`);
    expect([gone.status, gone.text]).toEqual([404, "No ReservedIP matches the given query."]);
  });

  it("accepts multipart and JSON bodies as well as form encoding", async () => {
    const multipart = await call(sim, "POST", "reservedips/", { multipart: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } });
    expect(multipart.status).toBe(200);
    const json = await call(sim, "POST", "reservedips/", { json: { ip: NODES.stillFawn.ip, mac_address: NODES.stillFawn.mac, subnet: 1 } });
    expect(json.status).toBe(200);
    expect(sim.reservations().map((r) => r.ip)).toEqual([NODES.pve.ip, NODES.stillFawn.ip]);
  });

  it("keeps increasing ids after a delete", async () => {
    const a = (await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).json();
    await call(sim, "DELETE", `reservedips/${a.id}/`);
    const b = (await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).json();
    expect(b.id).toBeGreaterThan(a.id);
  });

  it("answers 404 for a non-numeric or unknown id", async () => {
    for (const id of ["abc", "999"]) {
      const res = await call(sim, "GET", `reservedips/${id}/`);
      expect([res.status, res.text]).toEqual([404, "No ReservedIP matches the given query."]);
    }
  });

  it.each([
    ["aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff"],
    ["AA:BB:CC:DD:EE:FF", "aa:bb:cc:dd:ee:ff"],
    ["AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"],
    ["aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff"],
    ["abb.cdd.eeff", "0a:bb:0c:dd:ee:ff"],
    ["aa:b:cc:d:ee:f", "aa:0b:cc:0d:ee:0f"],
    ["AABBCCDDEEFF", "aa:bb:cc:dd:ee:ff"],
    ["  aa:bb:cc:dd:ee:ff  ", "aa:bb:cc:dd:ee:ff"],
  ])("normalises the MAC %j to %j", async (input, stored) => {
    const res = await call(sim, "POST", "reservedips/", { form: { ip: "192.168.4.50", mac_address: input } });
    expect(res.status).toBe(200);
    expect(res.json().mac_address).toBe(stored);
  });
});

describe("reserved IP validation messages (ref §3.1)", () => {
  let sim: MaasSimulator;
  beforeAll(async () => {
    sim = await startMaasSimulator({ version: "3.6.0", seed: TWO_SUBNETS });
    // An existing reservation, a legacy MAC reservation, and a legacy MAC-less reservation sharing an IP problem.
    expect((await call(sim, "POST", "reservedips/", { form: { ip: NODES.stillFawn.ip, mac_address: NODES.stillFawn.mac } })).status).toBe(200);
    expect((await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: "192.168.4.240", mac: "aa:bb:cc:00:00:01" } })).status).toBe(200);
    expect((await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: "192.168.4.241" } })).status).toBe(200);
  });
  afterAll(async () => {
    await sim.close();
  });

  const mac = "bc:24:11:00:00:01";
  it.each<[string, Record<string, string>, Record<string, string[]>]>([
    ["nothing at all", {}, { ip: ["This field is required."], mac_address: ["This field cannot be blank."] }],
    ["a missing MAC (the required check is skipped)", { ip: "192.168.4.50" }, { mac_address: ["This field cannot be blank."] }],
    ["an IP that does not parse", { ip: "not-an-ip", mac_address: mac }, { ip: ["Enter a valid IPv4 or IPv6 address."] }],
    ["an IPv4 with a leading zero", { ip: "192.168.4.050", mac_address: mac }, { ip: ["Enter a valid IPv4 or IPv6 address."] }],
    ["an IPv6-looking value that does not parse", { ip: "fe80::zz", mac_address: mac }, { ip: ["This is not a valid IPv6 address."] }],
    ["a MAC that fails the input pattern", { ip: "192.168.4.50", mac_address: "zz:zz" }, { mac_address: ["'zz:zz' is not a valid MAC address."] }],
    [
      "a MAC that passes the pattern but fails after normalisation (message quotes the normalised value)",
      { ip: "192.168.4.50", mac_address: "AA:BB:CC:DD:EE:FF:00" },
      { mac_address: ["'aa:bb:cc:dd:ee:ff:00' is not a valid MAC address."] },
    ],
    ["an IP outside every subnet", { ip: "10.99.0.5", mac_address: mac }, { subnet: ["There is no subnet for 10.99.0.5. Create the subnet and try again."] }],
    ["an unknown subnet id", { ip: "192.168.4.50", mac_address: mac, subnet: "99" }, { subnet: ["None found with id=99."] }],
    [
      "an unknown subnet specifier",
      { ip: "192.168.4.50", mac_address: mac, subnet: "cidr:172.16.0.0/24" },
      { subnet: ["Select a valid choice. That choice is not one of the available choices."] },
    ],
    ["an IP outside the given subnet", { ip: "10.20.0.5", mac_address: mac, subnet: "1" }, { ip: ["10.20.0.5 is not part of the subnet."] }],
    ["the network address", { ip: "192.168.4.0", mac_address: mac }, { ip: ["The network address cannot be a reserved IP."] }],
    ["the broadcast address", { ip: "192.168.4.255", mac_address: mac }, { ip: ["The broadcast address cannot be a reserved IP."] }],
    [
      "an IP inside the dynamic range",
      { ip: "192.168.4.220", mac_address: mac },
      { ip: ["The reserved IP 192.168.4.220 must be outside the dynamic range 192.168.4.200 - 192.168.4.230."] },
    ],
    ["an IP already reserved", { ip: NODES.stillFawn.ip, mac_address: mac }, { ip: ["Reserved IP with this IP address already exists."] }],
    [
      "a MAC already reserved on the same subnet",
      { ip: "192.168.4.50", mac_address: NODES.stillFawn.mac.toUpperCase() },
      { __all__: ["Reserved IP with this MAC address and Subnet already exists."] },
    ],
    [
      "an IP held by a legacy reservation of another MAC",
      { ip: "192.168.4.240", mac_address: mac },
      { ip: ["The ip 192.168.4.240 is already in use by another machine."] },
    ],
    [
      "the legacy holder's MAC in another spelling (the check compares raw text)",
      { ip: "192.168.4.240", mac_address: "AA:BB:CC:00:00:01" },
      { ip: ["The ip 192.168.4.240 is already in use by another machine."] },
    ],
    [
      "an IP held by a MAC-less legacy reservation",
      { ip: "192.168.4.241", mac_address: mac },
      { ip: ["The ip 192.168.4.241 is already in use by another machine."] },
    ],
    [
      "several problems at once",
      { ip: NODES.stillFawn.ip, mac_address: "zz", subnet: "99" },
      { ip: ["Reserved IP with this IP address already exists."], subnet: ["None found with id=99."], mac_address: ["'zz' is not a valid MAC address."] },
    ],
    [
      "an over-long comment",
      { ip: "192.168.4.50", mac_address: mac, comment: "c".repeat(256) },
      { comment: ["Ensure this value has at most 255 characters (it has 256)."] },
    ],
  ])("rejects %s with 400 and the exact MAAS messages", async (_name, form, expected) => {
    const before = sim.reservations();
    const res = await call(sim, "POST", "reservedips/", { form });
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.json()).toEqual(expected);
    expect(sim.reservations()).toEqual(before);
  });

  it("serialises validation errors the way Python's json.dumps does", async () => {
    const res = await call(sim, "POST", "reservedips/", { form: { ip: NODES.stillFawn.ip, mac_address: "bc:24:11:00:00:01" } });
    expect(res.text).toBe('{"ip": ["Reserved IP with this IP address already exists."]}');
  });

  it("accepts the legacy holder's own MAC, written exactly as stored", async () => {
    const res = await call(sim, "POST", "reservedips/", { form: { ip: "192.168.4.240", mac_address: "aa:bb:cc:00:00:01" } });
    expect(res.status).toBe(200);
    await call(sim, "DELETE", `reservedips/${res.json().id}/`);
  });

  it("resolves a subnet given as a specifier and lets the same MAC hold one reservation per subnet", async () => {
    const res = await call(sim, "POST", "reservedips/", { form: { ip: "10.20.0.5", mac_address: NODES.stillFawn.mac, subnet: "cidr:10.20.0.0/24" } });
    expect(res.status).toBe(200);
    expect(res.json().subnet.id).toBe(2);
    await call(sim, "DELETE", `reservedips/${res.json().id}/`);
  });
});

describe("updating a reserved IP (ref §3.1 PUT quirks)", () => {
  let sim: MaasSimulator;
  let id: number;
  const immutable = { __all__: ["The ip, mac_address and the subnet of a reserved IP are immutable. Delete the entry and recreate it."] };
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    id = (await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac, comment: "old" } })).json().id;
  });
  afterEach(async () => {
    await sim.close();
  });

  it("changes only the comment when only the comment is sent", async () => {
    const res = await call(sim, "PUT", `reservedips/${id}/`, { form: { comment: "new" } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ id, ip: NODES.pve.ip, mac_address: NODES.pve.mac, comment: "new", subnet: { id: 1 } });
  });

  it("accepts ip and mac_address that equal the stored text exactly", async () => {
    const res = await call(sim, "PUT", `reservedips/${id}/`, { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac, comment: "same" } });
    expect(res.status).toBe(200);
  });

  it("rejects any form-encoded subnet, even the stored one, because a string never equals the stored id", async () => {
    const res = await call(sim, "PUT", `reservedips/${id}/`, { form: { subnet: "1", comment: "x" } });
    expect([res.status, res.json()]).toEqual([400, immutable]);
  });

  it("accepts a numeric JSON subnet equal to the stored id", async () => {
    const res = await call(sim, "PUT", `reservedips/${id}/`, { json: { subnet: 1, comment: "json" } });
    expect(res.status).toBe(200);
    expect(res.json().comment).toBe("json");
  });

  it("rejects the same MAC in another spelling", async () => {
    const res = await call(sim, "PUT", `reservedips/${id}/`, { form: { mac_address: NODES.pve.mac.toUpperCase() } });
    expect([res.status, res.json()]).toEqual([400, immutable]);
  });

  it("rejects a new IP and leaves the stored reservation untouched", async () => {
    const res = await call(sim, "PUT", `reservedips/${id}/`, { form: { ip: "192.168.4.239" } });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject(immutable);
    expect(sim.reservations()).toEqual([expect.objectContaining({ ip: NODES.pve.ip, comment: "old" })]);
  });

  it("forbids a non-admin update and delete", async () => {
    const put = await call(sim, "PUT", `reservedips/${id}/`, { key: sim.userApiKey, form: { comment: "x" } });
    const del = await call(sim, "DELETE", `reservedips/${id}/`, { key: sim.userApiKey });
    expect([put.status, del.status]).toEqual([403, 403]);
    expect(sim.reservations()).toHaveLength(1);
  });
});

describe("reserved IPs on MAAS 3.5.7", () => {
  let sim: MaasSimulator;
  beforeAll(async () => {
    sim = await startMaasSimulator({ version: "3.5.7" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each([
    ["GET", "reservedips/"],
    ["POST", "reservedips/"],
    ["GET", "reservedips/1/"],
  ])("has no %s %s: 404 Unknown API endpoint", async (method, path) => {
    const res = await call(sim, method, path, method === "POST" ? { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } } : {});
    expect(res.status).toBe(404);
    expect(res.text).toBe(`Unknown API endpoint: /MAAS/api/2.0/${path}.`);
  });

  it("counts 3.6.0~rc1 as 3.6 and offers reserved IPs there", async () => {
    const rc = await startMaasSimulator({ version: "3.6.0~rc1" });
    try {
      expect((await call(rc, "GET", "reservedips/")).status).toBe(200);
      expect((await call(rc, "GET", "version/")).json().version).toBe("3.6.0~rc1");
    } finally {
      await rc.close();
    }
  });
});
