/**
 * MaasClient end to end against the MAAS simulator (lab/maas) on 127.0.0.1, on both API generations:
 * MAAS 3.5.7 (legacy `ipaddresses`, the incident's version) and 3.6.0 (`reservedips`). Assertions lean on
 * the simulator's own request counters and its out-of-band view of the reservations.
 */
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator } from "../../../../../lab/maas";
import { MaasClient, type MaasClientOptions } from "../../../../../providers/maas/client/client";
import {
  MaasAuthError,
  MaasConflictError,
  MaasUnsupportedError,
  MaasValidationError,
} from "../../../../../providers/maas/client/errors";
import { buildAuthorizationHeader, parseApiKey } from "../../../../../providers/maas/client/oauth";

type Sim = Awaited<ReturnType<typeof startMaasSimulator>>;

const PVE = { ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" };
const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 };
/** The incident's network (pool .200-.230; the nodes' .236-.238 lie outside it), explicit so the tests do not depend on the simulator's default. */
const SEED = {
  subnets: [
    {
      id: 1,
      cidr: "192.168.4.0/24",
      name: "192.168.4.0/24",
      gatewayIp: "192.168.4.1",
      dnsServers: ["192.168.4.1"],
      ranges: [{ type: "dynamic" as const, startIp: "192.168.4.200", endIp: "192.168.4.230", comment: "dhcp pool" }],
    },
  ],
};

describe.each([
  { version: "3.5.7", mechanism: "ipaddresses" as const },
  { version: "3.6.0", mechanism: "reservedips" as const },
])("MaasClient against the simulated MAAS $version", ({ version, mechanism }) => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version, port: 0, seed: SEED });
  });
  afterEach(async () => {
    await sim.close();
  });
  const connect = (extra: Partial<MaasClientOptions> = {}) =>
    new MaasClient({ url: sim.url, apiKey: sim.apiKey, retry: FAST_RETRY, timeoutMs: 5_000, ...extra });

  it(`detects version ${version} and the ${mechanism} mechanism`, async () => {
    const c = connect();
    expect((await c.version()).raw).toBe(version);
    expect(await c.mechanism()).toBe(mechanism);
    await c.mechanism();
    expect(sim.counters().total).toBe(1);
  });

  it("creates, lists, finds and releases a reservation, then reports a second release as already gone", async () => {
    const c = connect();
    const created = await c.createReservation({ ...PVE, mac: "BC-24-11-3B-7A-A7", subnet: "1", hostname: "k3s-vm-pve", comment: "k3s-vm-pve" });
    expect(created).toMatchObject({ mechanism, ip: PVE.ip, mac: PVE.mac, subnetId: 1, subnetCidr: "192.168.4.0/24" });
    expect(created.id).toEqual(mechanism === "reservedips" ? expect.stringMatching(/^\d+$/) : PVE.ip);
    expect(sim.reservations()).toEqual([expect.objectContaining({ ip: PVE.ip, mac: PVE.mac, mechanism })]);

    const listed = await c.listReservations();
    expect(listed).toEqual([expect.objectContaining({ id: created.id, ip: PVE.ip, mac: PVE.mac })]);
    expect(await c.findReservation({ mac: "bc24.113b.7aa7" })).toMatchObject({ id: created.id });
    expect(await c.findReservation({ ip: "192.168.4.237" })).toBeNull();

    expect(await c.releaseReservation(created)).toBe("released");
    expect(sim.reservations()).toEqual([]);
    expect(await c.releaseReservation(created)).toBe("already-gone");
  });

  if (mechanism === "reservedips") {
    it("updates only the comment of a reserved IP", async () => {
      const c = connect();
      const created = await c.createReservation({ ...PVE, comment: "old" });
      const updated = await c.updateComment(created.id, "managed by pulumi: k3s-vm-pve");
      expect(updated).toMatchObject({ id: created.id, ip: PVE.ip, mac: PVE.mac, comment: "managed by pulumi: k3s-vm-pve" });
      expect(sim.reservations()[0]!.comment).toBe("managed by pulumi: k3s-vm-pve");
    });

    it("explains that writes need an admin key when a normal user's key is used", async () => {
      const c = connect({ apiKey: sim.userApiKey });
      const err = await c.createReservation(PVE).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MaasAuthError);
      expect((err as Error).message).toContain("admin");
      expect(sim.reservations()).toEqual([]);
    });
  } else {
    it("refuses a comment update with MaasUnsupportedError", async () => {
      const c = connect();
      const created = await c.createReservation(PVE);
      sim.resetCounters();
      await expect(c.updateComment(created.id, "x")).rejects.toBeInstanceOf(MaasUnsupportedError);
      expect(sim.counters().writes).toBe(0);
    });
  }

  it("reports a reservation MAAS dropped out of band as already gone", async () => {
    const c = connect();
    const created = await c.createReservation(PVE);
    expect(sim.dropReservation(PVE.ip)).toBe(true);
    expect(await c.findReservation({ ip: PVE.ip })).toBeNull();
    expect(await c.releaseReservation(created)).toBe("already-gone");
  });

  it("quotes MAAS's refusal of an address inside the dynamic range, after exactly one attempt", async () => {
    const c = connect();
    await c.mechanism();
    sim.resetCounters();
    const err = await c.createReservation({ ip: "192.168.4.220", mac: PVE.mac }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasValidationError);
    const message = (err as Error).message;
    expect(message).toMatch(/^MAAS rejected the reservation of 192\.168\.4\.220 for bc:24:11:3b:7a:a7: ip: "/);
    expect(message).toContain(
      mechanism === "reservedips"
        ? '"The reserved IP 192.168.4.220 must be outside the dynamic range 192.168.4.200 - 192.168.4.230."'
        : '"IP address 192.168.4.220 belongs to an existing dynamic range.',
    );
    expect(message).toContain("Choose an address outside MAAS's dynamic range (or shrink the range in MAAS).");
    expect(sim.counters().writes).toBe(1); // a 4xx is never retried
    expect(sim.reservations()).toEqual([]);
  });

  it("names the holder when the address is already reserved for another MAC", async () => {
    const c = connect();
    const first = await c.createReservation(PVE);
    const err = await c.createReservation({ ip: PVE.ip, mac: "bc:24:11:1a:38:07" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasConflictError);
    expect((err as MaasConflictError).heldBy).toEqual({ ip: PVE.ip, mac: PVE.mac, id: first.id });
    expect(sim.reservations()).toHaveLength(1);
  });

  it("rejects a wrong token secret as an auth error, once, without the secret in the message", async () => {
    const [ck, tk] = sim.apiKey.split(":");
    const wrongSecret = "WrongSecretWrongSecretWrongSecre";
    const c = connect({ apiKey: `${ck}:${tk}:${wrongSecret}` });
    await c.version(); // anonymous, works
    sim.resetCounters();
    const err = await c.listReservations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasAuthError);
    const message = (err as Error).message;
    expect(message).toContain("Check the apiKey");
    for (const secret of [wrongSecret, ck!, tk!, sim.apiKey.split(":")[2]!]) expect(message).not.toContain(secret);
    expect(sim.counters().total).toBe(1);
  });

  it("still completes a create/list/release workload when 30% of requests fail", async () => {
    const c = connect({ retry: { ...FAST_RETRY, limit: 8 } });
    sim.setFaults({ rate: 0.3, kinds: ["503", "502", "504", "reset"], retryAfter: 0, seed: 7 });
    const ips = Array.from({ length: 8 }, (_, i) => `192.168.4.${30 + i}`);
    const macs = ips.map((_, i) => `bc:24:11:00:00:${(16 + i).toString(16)}`);
    const created = [];
    for (let i = 0; i < ips.length; i++) created.push(await c.createReservation({ ip: ips[i]!, mac: macs[i]! }));
    expect((await c.listReservations()).map((r) => r.ip).sort()).toEqual([...ips].sort());
    expect(sim.reservations()).toHaveLength(ips.length);
    for (const r of created) expect(["released", "already-gone"]).toContain(await c.releaseReservation(r));
    expect(sim.reservations()).toEqual([]);
    expect(sim.counters().faults).toBeGreaterThan(0);
    expect(c.stats.retries).toBeGreaterThan(0);
  });

  it("adopts a reservation whose create was applied before the connection reset, without posting twice", async () => {
    const c = connect();
    await c.mechanism();
    sim.resetCounters();
    sim.setFaults({ burst: 1, kinds: ["reset"], writesApplyBeforeFault: true });
    const r = await c.createReservation(PVE);
    expect(r).toMatchObject({ ip: PVE.ip, mac: PVE.mac, mechanism });
    expect(c.stats.adoptions).toBe(1);
    expect(sim.reservations()).toHaveLength(1);
    expect(sim.counters().writes).toBe(1);
    expect(sim.counters().faults).toBe(1);
  });

  it("counts a release applied before the connection reset as released", async () => {
    const c = connect();
    const created = await c.createReservation(PVE);
    sim.setFaults({ burst: 1, kinds: ["reset"], writesApplyBeforeFault: true });
    expect(await c.releaseReservation(created)).toBe("released");
    expect(sim.reservations()).toEqual([]);
    expect(sim.counters().faults).toBe(1);
  });

  it("signs each retry afresh, which the simulator requires (it rejects a reused nonce)", async () => {
    const c = connect();
    await c.mechanism();
    sim.setFaults({ burst: 3, kinds: ["503"], retryAfter: 0 });
    const before = c.stats.attempts;
    await expect(c.listReservations()).resolves.toEqual([]);
    // 3 faults + 1 success; on 3.6 one more request for the legacy (pre-upgrade) reservations.
    expect(c.stats.attempts - before).toBe(mechanism === "reservedips" ? 5 : 4);

    // The simulator really does reject a reused nonce, so the success above proves fresh nonces.
    const header = buildAuthorizationHeader(parseApiKey(sim.apiKey), { nonce: "same-nonce-twice" });
    const path = mechanism === "reservedips" ? "reservedips/" : "ipaddresses/";
    const first = await request(`${sim.url}api/2.0/${path}`, { headers: { authorization: header } });
    await first.body.text();
    const second = await request(`${sim.url}api/2.0/${path}`, { headers: { authorization: header } });
    const text = await second.body.text();
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(401);
    expect(text).toMatch(/Nonce already used/);
  });

  it("lists the seeded subnet and its dynamic range", async () => {
    const c = connect();
    expect(await c.listSubnets()).toEqual([expect.objectContaining({ id: 1, cidr: "192.168.4.0/24", gatewayIp: "192.168.4.1" })]);
    expect(await c.listIpRanges()).toEqual([
      expect.objectContaining({ type: "dynamic", startIp: "192.168.4.200", endIp: "192.168.4.230", subnetId: 1 }),
    ]);
  });
});
