/**
 * MAAS upgraded (3.5.7 → 3.6.0) or downgraded between `up` and `preview`, and keys without admin rights.
 * Upgrade policy (README, "MAAS upgrades"): legacy `ipaddresses` reservations made before the upgrade are adopted,
 * not migrated — MAAS 3.6 still serves them to DHCP (ref/maas-api.md §0, §6.1) and migrating would unpin every node
 * for a delete + create and restart dhcpd (§7.13). Never two reservations per MAC; destroy releases them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { changedSteps, createTempStack, repoRoot, type TempStack } from "../harness/stack";

const program = path.join(repoRoot, "lab/programs/reservations");
const nodes = [
  { name: "k3s-vm-pve", ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" },
  { name: "k3s-vm-still-fawn", ip: "192.168.4.236", mac: "bc:24:11:a9:d5:8c" },
  { name: "k3s-vm-chief-horse", ip: "192.168.4.237", mac: "bc:24:11:1a:38:07" },
];

let sim: MaasSimulator | undefined;
let t: TempStack | undefined;
let dir: string | undefined;
afterEach(async () => {
  await t?.dispose();
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  t = sim = dir = undefined;
});

/** The same MAAS (database, keys, address) restarted at another version: the upgrade itself. */
async function restartAs(version: string): Promise<MaasSimulator> {
  const port = Number(new URL(sim!.url).port);
  await sim!.close();
  sim = await startMaasSimulator({ version, port, stateFile: path.join(dir!, "maas.json") });
  return sim;
}

async function stack(reservations: object[], key?: string): Promise<TempStack> {
  return createTempStack({
    main: program,
    project: "res",
    config: { "maas:url": sim!.url, "maas:apiKey": { value: key ?? sim!.apiKey, secret: true }, "res:reservations": reservations },
  });
}

describe("MAAS upgrades", () => {
  it("3.5.7 → 3.6.0: keeps the legacy reservations (no second one per MAC), adds new nodes as reserved IPs, destroy leaves nothing", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "maas-upgrade-"));
    sim = await startMaasSimulator({ version: "3.5.7", stateFile: path.join(dir, "maas.json") });
    t = await stack(nodes);
    await t.stack.up();
    await restartAs("3.6.0");

    const preview = await t.previewJson();
    expect(preview.code).toBe(0);
    expect(changedSteps(preview.doc)).toEqual([]);
    await t.setConfig({ "res:reservations": [...nodes, { name: "k3s-agent-1", ip: "192.168.4.239", mac: "bc:24:11:00:00:39" }] });
    await t.stack.up();
    const live = sim!.reservations();
    expect(live.map((r) => `${r.ip} ${r.mechanism}`).sort()).toEqual([
      "192.168.4.236 ipaddresses",
      "192.168.4.237 ipaddresses",
      "192.168.4.238 ipaddresses",
      "192.168.4.239 reservedips",
    ]);
    expect(new Set(live.map((r) => r.mac)).size).toBe(live.length);
    const outputs = (await t.stack.outputs()).reservations.value as Record<string, { mechanism: string }>;
    expect(outputs["k3s-vm-pve"]!.mechanism).toBe("ipaddresses");

    await t.stack.destroy();
    expect(sim!.reservations()).toEqual([]);
  });

  it("a fresh stack on an upgraded MAAS adopts the legacy reservation of its MAC and IP instead of adding a second", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "maas-upgrade-"));
    const file = path.join(dir, "maas.json");
    sim = await startMaasSimulator({ version: "3.5.7", stateFile: file });
    sim.addReservation({ ip: nodes[0]!.ip, mac: nodes[0]!.mac, hostname: "k3s-vm-pve" }); // made on 3.5.7
    await sim.close();
    sim = await startMaasSimulator({ version: "3.6.0", stateFile: file }); // the same database after the upgrade
    t = await stack([nodes[0]!]);
    await t.stack.up();
    expect(sim.reservations().map((r) => `${r.ip} ${r.mac} ${r.mechanism}`)).toEqual([`${nodes[0]!.ip} ${nodes[0]!.mac} ipaddresses`]);
  });

  it("a downgrade (reserved IPs in state, MAAS now 3.5.7) is a clear error", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "maas-upgrade-"));
    sim = await startMaasSimulator({ version: "3.6.0", stateFile: path.join(dir, "maas.json") });
    t = await stack([nodes[0]!]);
    await t.stack.up();
    await restartAs("3.5.7");
    const preview = await t.run(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/reports 3\.5\.7, but this stack's reservations were made with reservedips.*Downgrades are not supported/s);
  });

  it("an unknown MAAS version is a clear error", async () => {
    sim = await startMaasSimulator({ version: "None" });
    t = await stack([nodes[0]!]);
    const preview = await t.run(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/reports version "None", which is not a MAAS release number/);
    expect(sim.counters().writes).toBe(0);
  });
});

describe("keys without admin rights (MAAS 3.5.7)", () => {
  it("says that other users' reservations cannot be seen when MAAS refuses a pair held by one of them", async () => {
    sim = await startMaasSimulator({ version: "3.5.7" });
    sim.addReservation({ ip: nodes[0]!.ip, mac: "02:00:00:00:00:77", hostname: "nas" }); // the admin's
    t = await stack([nodes[0]!], sim.userApiKey);
    const up = await t.run(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/legacy reservations of other MAAS users are not visible/);
    expect(sim.reservations().map((r) => r.mac)).toEqual(["02:00:00:00:00:77"]);
  });
});
