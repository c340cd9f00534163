/**
 * State survives a restart when a state file is configured; counters do not; a broken file fails loudly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaasSimulator } from "../../../../lab/maas";
import { call, NODES } from "./maas-http";

describe("MAAS simulator persistence", () => {
  let dir: string;
  let stateFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "maas-sim-"));
    stateFile = join(dir, "maas-state.json");
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps reservations of both generations, leases, keys and increasing ids across a restart", async () => {
    const first = await startMaasSimulator({ version: "3.6.0", stateFile });
    const created = (await call(first, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).json();
    expect((await call(first, "POST", "ipaddresses/?op=reserve", { form: { ip: NODES.stillFawn.ip, mac: NODES.stillFawn.mac } })).status).toBe(200);
    const lease = first.dhcpRenew("bc:24:11:00:00:01");
    const before = { reservations: first.reservations(), leases: first.leases(), apiKey: first.apiKey, userApiKey: first.userApiKey };
    await first.close();

    const second = await startMaasSimulator({ version: "3.6.0", stateFile });
    try {
      expect(second.reservations()).toEqual(before.reservations);
      expect(second.leases()).toEqual(before.leases);
      expect(second.dhcpRenew("bc:24:11:00:00:01")).toEqual({ ip: lease.ip, source: "lease" });
      expect([second.apiKey, second.userApiKey]).toEqual([before.apiKey, before.userApiKey]);
      expect(second.counters().total).toBe(0);
      await call(second, "DELETE", `reservedips/${created.id}/`);
      const next = (await call(second, "POST", "reservedips/", { form: { ip: NODES.pve.ip, mac_address: NODES.pve.mac } })).json();
      expect(next.id).toBeGreaterThan(created.id);
    } finally {
      await second.close();
    }
  });

  it("writes the state file after every change, including out-of-band ones", async () => {
    const sim = await startMaasSimulator({ version: "3.5.7", stateFile });
    try {
      await call(sim, "POST", "ipaddresses/?op=reserve", { form: { ip: NODES.pve.ip, mac: NODES.pve.mac } });
      expect(readFileSync(stateFile, "utf8")).toContain(NODES.pve.ip);
      sim.dropReservation(NODES.pve.ip);
      expect(readFileSync(stateFile, "utf8")).not.toContain(NODES.pve.ip);
    } finally {
      await sim.close();
    }
  });

  it("refuses to start from a state file that is not simulator state, naming the file and the bad field", async () => {
    writeFileSync(stateFile, JSON.stringify({ schema: 1, users: "nope" }));
    await expect(startMaasSimulator({ stateFile })).rejects.toThrow(new RegExp(`${stateFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not a simulator state: nextIds`));
    writeFileSync(stateFile, "{ truncated");
    await expect(startMaasSimulator({ stateFile })).rejects.toThrow(/is not valid JSON/);
  });

  it("refuses a seed whose range lies outside its subnet, naming the field", async () => {
    await expect(
      startMaasSimulator({ seed: { subnets: [{ cidr: "10.0.0.0/24", ranges: [{ type: "dynamic", startIp: "10.0.1.1", endIp: "10.0.1.9" }] }] } }),
    ).rejects.toThrow('seed.subnets[0].ranges[0].startIp: "10.0.1.1" is not an address inside 10.0.0.0/24.');
  });
});
