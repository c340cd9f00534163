/**
 * Fault injection (503/502/504/reset, bursts, seeded rates, ambiguous writes) and request counters.
 */
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

async function statusOrError(sim: MaasSimulator, path = "subnets/"): Promise<number | "reset"> {
  try {
    return (await call(sim, "GET", path)).status;
  } catch {
    return "reset";
  }
}

describe("MAAS simulator faults", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("faults a burst of requests with 503 and Retry-After: 1, then serves normally", async () => {
    sim.setFaults({ burst: 2, kinds: ["503"] });
    for (let i = 0; i < 2; i++) {
      const res = await call(sim, "GET", "subnets/");
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    }
    expect((await call(sim, "GET", "subnets/")).status).toBe(200);
    expect(sim.counters()).toMatchObject({ total: 3, faults: 2 });
  });

  it("uses the configured Retry-After, including 0", async () => {
    sim.setFaults({ burst: 1, kinds: ["503"], retryAfter: 0 });
    expect((await call(sim, "GET", "subnets/")).headers["retry-after"]).toBe("0");
  });

  it("resets the connection without an answer", async () => {
    sim.setFaults({ burst: 1, kinds: ["reset"] });
    await expect(call(sim, "GET", "subnets/")).rejects.toThrow();
    expect((await call(sim, "GET", "subnets/")).status).toBe(200);
  });

  it("takes the default kinds 503 then reset in turn, and 502/504 when asked", async () => {
    sim.setFaults({ burst: 2 });
    expect([await statusOrError(sim), await statusOrError(sim)]).toEqual([503, "reset"]);
    sim.setFaults({ burst: 2, kinds: ["502", "504"] });
    expect([await statusOrError(sim), await statusOrError(sim)]).toEqual([502, 504]);
  });

  it("draws rate-based faults from a seeded PRNG, so the same seed gives the same pattern", async () => {
    const pattern = async (): Promise<Array<number | "reset">> => {
      sim.setFaults({ rate: 0.5, seed: 42, kinds: ["503"] });
      const out: Array<number | "reset"> = [];
      for (let i = 0; i < 12; i++) out.push(await statusOrError(sim));
      return out;
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    expect(a).toContain(503);
    expect(a).toContain(200);
  });

  it("applies a faulted write before resetting the connection when asked to (the ambiguous failure)", async () => {
    sim.setFaults({ burst: 1, kinds: ["reset"], writesApplyBeforeFault: true });
    await expect(call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).rejects.toThrow();
    expect(sim.reservations()).toEqual([expect.objectContaining({ ip: NODES.pve.ip, mechanism: "reservedips" })]);
  });

  // ref/maas-api.md §2.4 / §7.3: 503 from regiond, 502/504 from nginx while regiond has already done the work.
  it.each(["502", "503", "504"] as const)("commits a faulted write and then answers %s (after commit)", async (kind) => {
    sim.setFaults({ burst: 1, kinds: [kind], writesApplyBeforeFault: true });
    const res = await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } });
    expect(res.status).toBe(Number(kind));
    expect(sim.reservations()).toEqual([expect.objectContaining({ ip: NODES.pve.ip, mechanism: "reservedips" })]);
  });

  // ref/maas-api.md §1.2: the nonce is stored when the request is authenticated, so a read whose answer is lost
  // has spent it; re-sending the same signed request must fail with "Nonce already used".
  it("authenticates a faulted read before the fault, so its nonce is spent", async () => {
    const { oauthHeader } = await import("./maas-http");
    const authorization = oauthHeader(sim.apiKey, { nonce: "spent-nonce-1" });
    sim.setFaults({ burst: 1, kinds: ["504"] });
    expect((await call(sim, "GET", "subnets/", { authorization })).status).toBe(504);
    const again = await call(sim, "GET", "subnets/", { authorization });
    expect([again.status, again.text]).toEqual([401, "Authorization Error: 'Nonce already used: spent-nonce-1'"]);
  });

  it("does not apply a faulted write otherwise", async () => {
    sim.setFaults({ burst: 1, kinds: ["reset"] });
    await expect(call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).rejects.toThrow();
    expect(sim.reservations()).toEqual([]);
  });

  it("clears faults and refuses a plan that cannot mean anything", async () => {
    sim.setFaults({ rate: 1, kinds: ["503"] });
    sim.clearFaults();
    expect((await call(sim, "GET", "subnets/")).status).toBe(200);
    expect(() => sim.setFaults({ rate: 2 })).toThrow("FaultPlan.rate must be between 0 and 1, got 2.");
  });

  it("does not fault out-of-band calls", () => {
    sim.setFaults({ rate: 1 });
    expect(sim.dhcpRenew(NODES.pve.mac).source).toBe("pool");
  });
});

describe("MAAS simulator request counters", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("counts reads and writes per route and op, and resets", async () => {
    await call(sim, "GET", "reservedips/");
    await call(sim, "GET", "reservedips/");
    await call(sim, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } });
    await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: NODES.stillFawn.ip, mac: NODES.stillFawn.mac } });
    await call(sim, "GET", "subnets/1/?op=reserved_ip_ranges");
    await call(sim, "DELETE", "reservedips/1/");
    expect(sim.counters()).toEqual({
      total: 6,
      reads: 3,
      writes: 3,
      faults: 0,
      byRoute: {
        "GET reservedips": 2,
        "POST reservedips": 1,
        "POST ipaddresses op=reserve": 1,
        "GET subnets/{id} op=reserved_ip_ranges": 1,
        "DELETE reservedips/{id}": 1,
      },
    });
    sim.resetCounters();
    expect(sim.counters()).toEqual({ total: 0, reads: 0, writes: 0, faults: 0, byRoute: {} });
  });

  it("does not count the /_sim/ admin surface", async () => {
    await request(`${new URL(sim.url).origin}/_sim/counters`).then((r) => r.body.text());
    expect(sim.counters().total).toBe(0);
  });
});
