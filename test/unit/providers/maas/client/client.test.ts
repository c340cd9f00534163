/**
 * MaasClient against scripted loopback servers: mapping of both generations, mechanism detection,
 * the adopt-instead-of-repost path and release semantics. The same behaviour is exercised end to end
 * against the MAAS simulator in client.simulator.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MaasClient } from "../../../../../providers/maas/client/client";
import {
  MaasConfigError,
  MaasConflictError,
  MaasUnsupportedError,
  MaasValidationError,
} from "../../../../../providers/maas/client/errors";
import { startCannedServer, type CannedAnswer, type CannedServer, type SeenRequest } from "./canned-server";

const KEY = "ConsumerKey1234567:TokenKey0123456789:SecretSecretSecretSecretSecret12";
const SUBNET = { id: 1, cidr: "192.168.4.0/24", name: "192.168.4.0/24", vlan: { id: 5001 } };

let server: CannedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Route = (req: SeenRequest, nth: number) => CannedAnswer;
/** Routes on "METHOD /path?query" (path relative to /MAAS/api/2.0/); counts calls per route. */
async function serveRoutes(routes: Record<string, Route>) {
  const counts: Record<string, number> = {};
  server = await startCannedServer((req) => {
    const key = `${req.method} ${req.url.replace("/MAAS/api/2.0/", "")}`;
    // On 3.6 the reservation list also asks for legacy reservations (made before an upgrade): none unless scripted.
    const route = routes[key] ?? (key === "GET ipaddresses/?all=true" && routes["GET ipaddresses/"] === undefined ? () => json([]) : undefined);
    counts[key] = (counts[key] ?? 0) + 1;
    if (!route) return { status: 404, body: `Unknown API endpoint: ${req.url}.`, contentType: "text/plain" };
    return route(req, counts[key]!);
  });
  return server;
}
const json = (body: unknown, status = 200): CannedAnswer => ({ status, body: JSON.stringify(body) });
const text = (status: number, body: string): CannedAnswer => ({ status, body, contentType: "text/plain" });
const version = (v: string) => () => json({ capabilities: [], version: v, subversion: "" });
const client = (s: CannedServer) => new MaasClient({ url: s.url, apiKey: KEY, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
const form = (r: SeenRequest) => Object.fromEntries(new URLSearchParams(r.body));

const reserved = (id: number, ip: string, mac: string, comment: string | null = "") => ({
  id,
  ip,
  mac_address: mac,
  comment,
  subnet: SUBNET,
  resource_uri: `/MAAS/api/2.0/reservedips/${id}/`,
});
const staticIp = (ip: string, mac: string | null, alloc_type = 4) => ({
  ip,
  alloc_type,
  alloc_type_name: "User reserved",
  subnet: SUBNET,
  interface_set: mac ? [{ id: 9, name: "eth0", type: "unknown", mac_address: mac }] : [],
  resource_uri: "/MAAS/api/2.0/ipaddresses/",
});

describe("MaasClient construction", () => {
  it("rejects a malformed key before any request, without echoing it", () => {
    expect(() => new MaasClient({ url: "http://127.0.0.1:1/MAAS/", apiKey: "SuperSecretValue:only-two" })).toThrow(MaasConfigError);
    try {
      new MaasClient({ url: "http://127.0.0.1:1/MAAS/", apiKey: "SuperSecretValue:only-two" });
    } catch (e) {
      expect((e as Error).message).not.toContain("SuperSecretValue");
    }
  });
});

describe("MaasClient version and mechanism", () => {
  it("asks for the version once per client and picks reservedips on 3.6.0", async () => {
    const s = await serveRoutes({ "GET version/": version("3.6.0") });
    const c = client(s);
    expect(await c.version()).toEqual({ raw: "3.6.0", major: 3, minor: 6, patch: 0 });
    expect(await c.mechanism()).toBe("reservedips");
    await c.version();
    expect(s.seen).toHaveLength(1);
  });

  it("picks ipaddresses on 3.5.7", async () => {
    const s = await serveRoutes({ "GET version/": version("3.5.7") });
    expect(await client(s).mechanism()).toBe("ipaddresses");
  });

  it.each([
    [json([]), "reservedips"],
    [text(404, "Unknown API endpoint: /MAAS/api/2.0/reservedips/."), "ipaddresses"],
  ] as const)("probes reservedips/ when the version is 'None' (%#)", async (answer, mechanism) => {
    const s = await serveRoutes({ "GET version/": version("None"), "GET reservedips/": () => answer });
    expect(await client(s).mechanism()).toBe(mechanism);
    expect(s.seen.map((r) => r.url)).toEqual(["/MAAS/api/2.0/version/", "/MAAS/api/2.0/reservedips/"]);
  });
});

describe("MaasClient on reservedips (MAAS 3.6+)", () => {
  it("creates with ip, normalised mac_address, subnet and comment, and maps the nested subnet", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "POST reservedips/": () => json(reserved(7, "192.168.4.238", "bc:24:11:3b:7a:a7", null)),
    });
    const r = await client(s).createReservation({ ip: "192.168.4.238", mac: "BC-24-11-3B-7A-A7", subnet: "1", comment: "k3s-vm-pve" });
    expect(form(s.seen[1]!)).toEqual({ ip: "192.168.4.238", mac_address: "bc:24:11:3b:7a:a7", subnet: "1", comment: "k3s-vm-pve" });
    expect(r).toEqual({
      id: "7",
      mechanism: "reservedips",
      ip: "192.168.4.238",
      mac: "bc:24:11:3b:7a:a7",
      subnetId: 1,
      subnetCidr: "192.168.4.0/24",
      comment: null,
      dnsNames: null,
      owner: null,
    });
  });

  it("updates a comment with a PUT that carries only the comment", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "PUT reservedips/7/": (req) => json(reserved(7, "192.168.4.238", "bc:24:11:3b:7a:a7", form(req)["comment"]!)),
    });
    const r = await client(s).updateComment("7", "new text");
    expect(form(s.seen[1]!)).toEqual({ comment: "new text" });
    expect(r.comment).toBe("new text");
  });

  it("finds reservations by any MAC spelling and by id", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "GET reservedips/": () => json([reserved(7, "192.168.4.238", "bc:24:11:3b:7a:a7"), reserved(8, "192.168.4.237", "bc:24:11:1a:38:07")]),
    });
    const c = client(s);
    expect((await c.findReservation({ mac: "BC24.111A.3807" }))?.id).toBe("8");
    expect((await c.findReservation({ id: "7" }))?.ip).toBe("192.168.4.238");
    expect(await c.findReservation({ ip: "192.168.4.238", mac: "bc:24:11:1a:38:07" })).toBeNull();
    expect(await c.findReservation({ mac: "not-a-mac" })).toBeNull();
  });

  it("releases with DELETE: 204 is released, a first-attempt 404 is already-gone", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "DELETE reservedips/7/": () => ({ status: 204 }),
      "DELETE reservedips/8/": () => text(404, "No ReservedIP matches the given query."),
    });
    const c = client(s);
    expect(await c.releaseReservation({ id: "7", ip: "192.168.4.238", mechanism: "reservedips" })).toBe("released");
    expect(await c.releaseReservation({ id: "8", ip: "192.168.4.237", mechanism: "reservedips" })).toBe("already-gone");
  });

  it("counts a retried DELETE that finds the reservation gone as released", async () => {
    const s = await serveRoutes({
      "DELETE reservedips/7/": (_r, n) => (n === 1 ? { reset: true } : text(404, "No ReservedIP matches the given query.")),
    });
    expect(await client(s).releaseReservation({ id: "7", ip: "192.168.4.238", mechanism: "reservedips" })).toBe("released");
  });

  it("adopts the reservation an ambiguous create turned out to make, with exactly one POST", async () => {
    let created = false;
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "POST reservedips/": () => {
        created = true;
        return { reset: true };
      },
      "GET reservedips/": () => json(created ? [reserved(7, "192.168.4.238", "bc:24:11:3b:7a:a7")] : []),
    });
    const c = client(s);
    const r = await c.createReservation({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" });
    expect(r.id).toBe("7");
    expect(c.stats.adoptions).toBe(1);
    expect(s.seen.filter((x) => x.method === "POST")).toHaveLength(1);
  });

  it("posts again after an ambiguous failure when the list shows nothing", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "POST reservedips/": (_r, n) => (n === 1 ? text(503, "No connections available.") : json(reserved(9, "192.168.4.238", "bc:24:11:3b:7a:a7"))),
      "GET reservedips/": () => json([]),
    });
    const c = client(s);
    expect((await c.createReservation({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" })).id).toBe("9");
    expect(c.stats.adoptions).toBe(0);
    expect(s.seen.filter((x) => x.method === "POST")).toHaveLength(2);
  });

  it("names what holds the IP when MAAS says it already exists", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "POST reservedips/": () => json({ ip: ["Reserved IP with this IP address already exists."] }, 400),
      "GET reservedips/": () => json([reserved(3, "192.168.4.238", "aa:bb:cc:dd:ee:ff")]),
    });
    const err = await client(s).createReservation({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasConflictError);
    expect((err as MaasConflictError).heldBy).toEqual({ ip: "192.168.4.238", mac: "aa:bb:cc:dd:ee:ff", id: "3" });
    expect((err as Error).message).toContain("It is held by reservation 3 (192.168.4.238 for aa:bb:cc:dd:ee:ff).");
  });

  it("refuses an invalid MAC or IP without sending anything", async () => {
    const s = await serveRoutes({ "GET version/": version("3.6.0") });
    const c = client(s);
    const err = await c.createReservation({ ip: "192.168.4.300", mac: "bc:24:11:1a:38:0g" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasValidationError);
    expect(Object.keys((err as MaasValidationError).fields)).toEqual(["ip", "mac"]);
    expect((err as Error).message).toContain('"bc:24:11:1a:38:0g" is not a MAC address');
    expect(s.seen).toHaveLength(0);
  });
});

describe("MaasClient on ipaddresses (MAAS ≤ 3.5)", () => {
  it("reserves with op=reserve, mac and hostname, using the IP as the id", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.5.7"),
      "POST ipaddresses/?op=reserve": () => json(staticIp("192.168.4.238", "bc:24:11:3b:7a:a7")),
    });
    const r = await client(s).createReservation({ ip: "192.168.4.238", mac: "BC:24:11:3B:7A:A7", hostname: "k3s-vm-pve", comment: "ignored" });
    expect(form(s.seen[1]!)).toEqual({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", hostname: "k3s-vm-pve" });
    expect(r).toEqual({
      id: "192.168.4.238",
      mechanism: "ipaddresses",
      ip: "192.168.4.238",
      mac: "bc:24:11:3b:7a:a7",
      subnetId: 1,
      subnetCidr: "192.168.4.0/24",
      comment: null,
      dnsNames: null, // the op=reserve answer names no DNS record
      owner: null,
    });
  });

  it("lists only user-reserved addresses of every user with an admin key, taking the MAC from the first interface", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.5.7"),
      "GET ipaddresses/?all=true": () => json([staticIp("192.168.4.238", "BC:24:11:3B:7A:A7"), staticIp("192.168.4.10", "aa:aa:aa:aa:aa:aa", 1), staticIp("192.168.4.236", null)]),
      "GET dnsresources/": () => json([]),
    });
    const list = await client(s).listReservations();
    expect(list.map((r) => [r.id, r.mac])).toEqual([
      ["192.168.4.238", "bc:24:11:3b:7a:a7"],
      ["192.168.4.236", ""],
    ]);
  });

  // ref/maas-api.md §3.2: GET ipaddresses/ shows only the caller's reservations unless an admin passes all=true;
  // a non-admin gets 403 for all=true, and the view says other users' reservations cannot be seen.
  it("falls back to the key owner's reservations without admin rights, and says so", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.5.7"),
      "GET ipaddresses/?all=true": () => text(403, "Listing all IP addresses requires admin privileges."),
      "GET ipaddresses/": () => json([staticIp("192.168.4.238", "bc:24:11:3b:7a:a7")]),
      "GET dnsresources/": () => json([]),
    });
    const view = await client(s).reservationView();
    expect(view.othersVisible).toBe(false);
    expect(view.reservations.map((r) => r.ip)).toEqual(["192.168.4.238"]);
  });

  // MAAS 3.5.7 source: GET ipaddresses/ rows have no hostname (IPAddressesHandler.fields); op=reserve files it as a
  // DNSResource (IPAddressesHandler._claim_ip), listed by GET dnsresources/ with fqdn and ip_addresses.
  it("reads the hostnames from the DNS records holding each IP, in one request for the whole list", async () => {
    const dns = (id: number, fqdn: string, ...ips: string[]) => ({ id, fqdn, address_ttl: null, ip_addresses: ips.map((ip) => staticIp(ip, null)), resource_records: [] });
    const s = await serveRoutes({
      "GET version/": version("3.5.7"),
      "GET ipaddresses/?all=true": () =>
        json([staticIp("192.168.4.238", "bc:24:11:3b:7a:a7"), staticIp("192.168.4.237", "bc:24:11:1a:38:07"), staticIp("192.168.4.236", "bc:24:11:a9:d5:8c")]),
      "GET dnsresources/": () => json([dns(1, "renamed.maas", "192.168.4.238"), dns(2, "k3s-vm-chief-horse.maas", "192.168.4.237"), dns(3, "alias.maas", "192.168.4.237", "192.168.4.10")]),
    });
    const list = await client(s).listReservations();
    expect(list.map((r) => [r.ip, r.dnsNames])).toEqual([
      ["192.168.4.238", ["renamed.maas"]],
      ["192.168.4.237", ["alias.maas", "k3s-vm-chief-horse.maas"]],
      ["192.168.4.236", []],
    ]);
    expect(s.seen.filter((r) => r.url.includes("dnsresources")).length).toBe(1);
  });

  it("asks for no DNS records when there is no legacy reservation, nor on MAAS 3.6", async () => {
    const none = await serveRoutes({ "GET version/": version("3.5.7"), "GET ipaddresses/?all=true": () => json([]) });
    await client(none).listReservations();
    expect(none.seen.map((r) => r.url)).not.toContainEqual(expect.stringContaining("dnsresources"));
    await none.close();
    const v36 = await serveRoutes({
      "GET version/": version("3.6.0"),
      "GET reservedips/": () => json([]),
      "GET ipaddresses/?all=true": () => json([staticIp("192.168.4.238", "bc:24:11:3b:7a:a7")]),
    });
    expect((await client(v36).listReservations()).map((r) => r.dnsNames)).toEqual([null]);
    expect(v36.seen.map((r) => r.url)).not.toContainEqual(expect.stringContaining("dnsresources"));
  });

  it("on MAAS 3.6 lists legacy ipaddresses reservations beside reserved IPs (made before an upgrade)", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.6.0"),
      "GET reservedips/": () => json([reserved(7, "192.168.4.236", "bc:24:11:a9:d5:8c")]),
      "GET ipaddresses/?all=true": () => json([staticIp("192.168.4.238", "bc:24:11:3b:7a:a7")]),
    });
    const view = await client(s).reservationView();
    expect(view.reservations.map((r) => `${r.mechanism} ${r.id}`)).toEqual(["reservedips 7", "ipaddresses 192.168.4.238"]);
    expect(view.othersVisible).toBe(true);
  });

  it("refuses comment updates with MaasUnsupportedError and sends no write", async () => {
    const s = await serveRoutes({ "GET version/": version("3.5.7") });
    const err = await client(s).updateComment("192.168.4.238", "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnsupportedError);
    expect((err as Error).message).toContain("MAAS 3.5.7");
    expect(s.seen.map((r) => r.method)).toEqual(["GET"]);
  });

  it("releases with op=release, and reads 'does not exist' as already-gone", async () => {
    const s = await serveRoutes({
      "POST ipaddresses/?op=release": (req) =>
        form(req)["ip"] === "192.168.4.238"
          ? { status: 204 }
          : text(400, `IP address ${form(req)["ip"]} does not exist, is not the correct type of address, or does not belong to the requesting user.\nTo release it, use force=true.`),
    });
    const c = client(s);
    expect(await c.releaseReservation({ id: "192.168.4.238", ip: "192.168.4.238", mechanism: "ipaddresses" })).toBe("released");
    expect(await c.releaseReservation({ id: "192.168.4.237", ip: "192.168.4.237", mechanism: "ipaddresses" })).toBe("already-gone");
  });

  it("turns the legacy 404 'already in use' into a conflict", async () => {
    const s = await serveRoutes({
      "GET version/": version("3.5.7"),
      "POST ipaddresses/?op=reserve": () => text(404, "The IP address 192.168.4.238 is already in use."),
      "GET ipaddresses/": () => json([]),
    });
    await expect(client(s).createReservation({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" })).rejects.toBeInstanceOf(MaasConflictError);
  });
});

describe("MaasClient subnets and IP ranges", () => {
  it("maps subnets and ranges", async () => {
    const s = await serveRoutes({
      "GET subnets/": () => json([{ ...SUBNET, gateway_ip: "192.168.4.1", dns_servers: ["192.168.4.1"] }]),
      "GET ipranges/": () => json([{ id: 1, type: "dynamic", start_ip: "192.168.4.200", end_ip: "192.168.4.254", comment: "dhcp", subnet: SUBNET, user: {} }]),
    });
    const c = client(s);
    expect(await c.listSubnets()).toEqual([{ id: 1, cidr: "192.168.4.0/24", name: "192.168.4.0/24", gatewayIp: "192.168.4.1", dnsServers: ["192.168.4.1"] }]);
    expect(await c.listIpRanges()).toEqual([{ id: 1, type: "dynamic", startIp: "192.168.4.200", endIp: "192.168.4.254", subnetId: 1, comment: "dhcp" }]);
  });

  it("fails clearly on a body that is not what MAAS sends", async () => {
    const s = await serveRoutes({ "GET subnets/": () => ({ status: 200, body: "<html>login</html>", contentType: "text/html" }) });
    await expect(client(s).listSubnets()).rejects.toMatchObject({ code: "MAAS_BAD_RESPONSE" });
  });
});
