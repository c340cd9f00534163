/**
 * The homelab program itself through the real engine, Proxmox off and no `ssh` blocks: MAAS
 * reservations and the K3s plan from Pulumi.homelab.yaml's nodes, against the MAAS simulator. The same program with
 * Proxmox on (the lab stand-in of the proxmoxve plugin) is proxmox-vms.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { homelabNodes, labStackConfig } from "../../lab/lab-config";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { changedSteps, createTempStack, type TempStack } from "../harness/stack";

const K3S_TOKEN = "K10-sentinel-k3s-token-0123456789abcdef";

let sim: MaasSimulator | undefined;
let t: TempStack | undefined;
afterEach(async () => {
  await t?.dispose();
  await sim?.close();
  t = sim = undefined;
});

async function homelab(nodes = homelabNodes()) {
  sim = await startMaasSimulator({ version: "3.5.7" });
  t = await createTempStack({
    stack: "lab",
    config: labStackConfig({ maasUrl: sim.url, maasApiKey: sim.apiKey, k3sToken: K3S_TOKEN }, nodes),
  });
  return { sim, t };
}

describe("homelab stack (MAAS part, no ssh blocks) on the engine", () => {
  it("provisions every node's reservation and its K3s plan (outputs) from one declaration", async () => {
    const { sim, t } = await homelab();
    await t.stack.up();

    const declared = homelabNodes();
    expect(sim.reservations().map((r) => `${r.ip} ${r.mac}`).sort()).toEqual(declared.map((n) => `${n.ip} ${n.mac}`).sort());
    const nodes = (await t.stack.outputs()).nodes.value as Record<string, Record<string, unknown>>;
    for (const n of declared) {
      expect(nodes[n.name]).toMatchObject({ ip: n.ip, mac: n.mac, nodeIp: n.ip, flannelIface: "eth0", addressing: "dhcp-reserved", mechanism: "ipaddresses" });
    }
    expect((await t.stack.preview({ expectNoChanges: true })).changeSummary.same).toBeGreaterThan(0);

    const state = await t.exportState();
    expect(state).not.toContain(K3S_TOKEN);
    expect(state).not.toContain(sim.apiKey.split(":")[2]);
  });

  // No `ssh` blocks here (K3s over SSH is k3s-nodes.test.ts): the K3s settings are not delivered,
  // and the preview says so for each node instead of pretending.
  it("changing one node's IP touches only that node's reservation, and warns that K3s settings are not delivered", async () => {
    const { t } = await homelab();
    await t.stack.up();
    const moved = homelabNodes().map((n) => (n.name === "k3s-vm-pve" ? { ...n, ip: "192.168.4.239" } : n));
    await t.setConfig(labStackConfig({ maasUrl: sim!.url, maasApiKey: sim!.apiKey, k3sToken: K3S_TOKEN }, moved));
    const preview = await t.previewJson();
    expect(preview.code, preview.stderr).toBe(0);
    expect(changedSteps(preview.doc).map((s) => `${s.op} ${s.name}`).sort()).toEqual(["replace k3s-vm-pve-reservation"]);
    const warnings = (preview.doc.diagnostics ?? []).filter((d) => d.severity === "warning").map((d) => d.message);
    expect(warnings.filter((m) => /K3s settings are not delivered \(no ssh block\)/.test(m))).toHaveLength(homelabNodes().length);
    expect(warnings.join("\n")).toMatch(/k3s-vm-pve: K3s settings are not delivered \(no ssh block\): declare nodes\["k3s-vm-pve"\]\.ssh\.hostKey/);
  });

  it("rejects a node inside the MAAS dynamic range before anything is written", async () => {
    const bad = homelabNodes().map((n) => (n.name === "k3s-vm-chief-horse" ? { ...n, ip: "192.168.4.220" } : n));
    const { sim, t } = await homelab(bad);
    const preview = await t.run(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/nodes\["k3s-vm-chief-horse"\]\.ip: .*dynamic range/);
    expect(sim.counters().writes).toBe(0);
  });
});
