/**
 * The `/_sim/` HTTP admin surface, which drives a simulator in another process through the same methods.
 */
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

async function admin(sim: MaasSimulator, method: string, path: string, json?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`${new URL(sim.url).origin}${path}`, {
    method: method as "GET",
    headers: json === undefined ? {} : { "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: res.statusCode, body: await res.body.json() };
}

describe("MAAS simulator /_sim/ admin routes", () => {
  let sim: MaasSimulator;
  beforeEach(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("adds, lists, changes and drops reservations", async () => {
    expect((await admin(sim, "POST", "/_sim/reservations", { ip: NODES.pve.ip, mac: NODES.pve.mac, comment: "hand" })).status).toBe(200);
    expect((await admin(sim, "POST", `/_sim/reassign?ip=${NODES.pve.ip}&mac=bc:24:11:ff:ff:ff`)).status).toBe(200);
    expect((await admin(sim, "POST", `/_sim/set-ip?old=${NODES.pve.ip}&new=192.168.4.240`)).status).toBe(200);
    expect((await admin(sim, "GET", "/_sim/reservations")).body).toEqual([
      expect.objectContaining({ ip: "192.168.4.240", mac: "bc:24:11:ff:ff:ff", comment: "another host", mechanism: "reservedips" }),
    ]);
    expect((await admin(sim, "POST", "/_sim/drop?ip=192.168.4.240")).body).toEqual({ dropped: true });
    expect((await call(sim, "GET", "reservedips/")).json()).toEqual([]);
  });

  it("renews DHCP leases and lists them", async () => {
    expect((await admin(sim, "POST", `/_sim/dhcp/renew?mac=${NODES.pve.mac}`)).body).toEqual({ ip: "192.168.4.200", source: "pool" });
    expect((await admin(sim, "GET", "/_sim/leases")).body).toEqual([{ mac: NODES.pve.mac, ip: "192.168.4.200" }]);
  });

  it("sets and clears faults and reads counters", async () => {
    expect((await admin(sim, "POST", "/_sim/faults", { burst: 1, kinds: ["503"] })).status).toBe(200);
    expect((await call(sim, "GET", "subnets/")).status).toBe(503);
    expect((await admin(sim, "GET", "/_sim/counters")).body).toMatchObject({ total: 1, faults: 1 });
    await admin(sim, "POST", "/_sim/faults", { rate: 1 });
    await admin(sim, "DELETE", "/_sim/faults");
    expect((await call(sim, "GET", "subnets/")).status).toBe(200);
    await admin(sim, "POST", "/_sim/counters/reset");
    expect(sim.counters().total).toBe(0);
  });

  it("answers bad input with 400 and the reason, and unknown routes with 404", async () => {
    const badPlan = await admin(sim, "POST", "/_sim/faults", { rate: 3 });
    expect(badPlan.status).toBe(400);
    expect(badPlan.body.error).toMatch(/^POST \/_sim\/faults: rate: /);
    const missing = await admin(sim, "POST", "/_sim/drop");
    expect([missing.status, missing.body.error]).toEqual([400, '/_sim/drop needs the query parameter "ip", e.g. /_sim/drop?ip=…']);
    const unknown = await admin(sim, "GET", "/_sim/nope");
    expect(unknown.status).toBe(404);
  });
});
