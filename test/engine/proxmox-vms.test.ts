/**
 * The homelab program with Proxmox ON through the real engine: the lab stand-in of the
 * proxmoxve plugin (tools/pulumi-resource-proxmoxve) against the Proxmox VE simulator, next to
 * the MAAS simulator. What Proxmox holds is read from the simulator, never from Pulumi's outputs.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftSummary } from "../../drift/summary";
import { runDriftOn } from "../../lab/drift-run";
import { homelabNodes, labStackConfig } from "../../lab/lab-config";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import type { ProxmoxSimulator } from "../../lab/proxmox";
import { startHomelabProxmox } from "../../lab/proxmox/homelab";
import { changedSteps, createTempStack, type TempStack } from "../harness/stack";

const K3S_TOKEN = "K10-sentinel-proxmox-snippet-token-7f3a9c";
/** One node static, two DHCP plus reservation: both ipconfig0 forms. */
const nodes = homelabNodes().map((n) => (n.name === "k3s-vm-chief-horse" ? { ...n, addressing: "static" } : n));
let maas: MaasSimulator;
let pve: ProxmoxSimulator;
let t: TempStack;
const events: EngineEvent[] = [];
let upOutput = "";

const config = (ns = nodes) => labStackConfig({ maasUrl: maas.url, maasApiKey: maas.apiKey, k3sToken: K3S_TOKEN, proxmox: pve }, ns);
const vmIdOf = (name: string) => (nodes.find((n) => n.name === name)!.proxmox as { vmId: number }).vmId;

beforeAll(async () => {
  maas = await startMaasSimulator({ version: "3.5.7" });
  pve = await startHomelabProxmox(maas, nodes);
  t = await createTempStack({ stack: "lab", proxmoxPlugin: true, config: config() });
  await t.stack.up({ onEvent: (e) => events.push(e), onOutput: (o) => (upOutput += o) });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await pve?.close();
  await maas?.close();
});

describe("homelab stack with Proxmox on", () => {
  it("creates snippet and reservation before the VM, and every VM from the template", () => {
    const order = (kind: "resourcePreEvent" | "resOutputsEvent", name: string) =>
      events.findIndex((e) => (e[kind]?.metadata.urn ?? "").endsWith(`::${name}`) && e[kind]?.metadata.op === "create");
    for (const n of nodes) {
      const vmStart = order("resourcePreEvent", `${n.name}-vm`);
      expect(vmStart, n.name).toBeGreaterThan(order("resOutputsEvent", `${n.name}-userdata`));
      expect(vmStart, n.name).toBeGreaterThan(order("resOutputsEvent", `${n.name}-reservation`));
      expect(order("resOutputsEvent", `${n.name}-userdata`)).toBeGreaterThanOrEqual(0);
    }
    const clones = pve.requests().filter((r) => /\/qemu\/9000\/clone$/.test(r.path));
    expect(clones.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("pins each VM's net0 MAC to the reservation's MAC and sets ipconfig0 as declared", () => {
    const reserved = new Map(maas.reservations().map((r) => [r.ip, r.mac]));
    for (const n of nodes) {
      const vm = pve.vm(vmIdOf(n.name))!;
      expect(vm.node).toBe((n.proxmox as { node: string }).node);
      expect(vm.status).toBe("running");
      expect(vm.mac!.toLowerCase()).toBe(reserved.get(n.ip));
      expect(vm.config.ipconfig0).toBe(n.addressing === "static" ? `gw=192.168.4.1,ip=${n.ip}/24` : "ip=dhcp");
      expect(vm.config.cicustom).toBe(`user=local:snippets/${n.name}-user-data.yaml`);
      // The guest really has the declared address: static from cloud-init, DHCP via the MAAS reservation.
      expect(vm.guestIp).toBe(n.ip);
    }
  });

  it("is clean on the next refreshing preview", async () => {
    const { doc } = await t.previewJson();
    expect(changedSteps(doc), JSON.stringify(doc.steps?.filter((s) => s.op !== "same").map((s) => [s.urn.split("::").pop(), s.op, s.diffReasons]))).toEqual([]);
  });

  it("keeps the K3s token a Pulumi secret: absent from state and engine output, readable in Proxmox's snippet storage", async () => {
    const state = await t.exportState();
    expect(state).not.toContain(K3S_TOKEN);
    expect(state).not.toContain(pve.apiToken.split("=")[1]);
    expect(upOutput).not.toContain(K3S_TOKEN);
    expect(upOutput).toContain("LAB STAND-IN");
    const snippet = JSON.parse(state).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::k3s-vm-pve-userdata"));
    expect(snippet.outputs.sourceRaw).toHaveProperty("ciphertext");
    // The documented caveat: Proxmox stores the snippet as a plain file on the node (README, "The secret snippet").
    expect(pve.snippet("pve", "local:snippets/k3s-vm-pve-user-data.yaml")).toContain(K3S_TOKEN);
  });
});

async function drift(): Promise<{ code: number; summary: DriftSummary; markdown: string }> {
  const run = await runDriftOn(t);
  expect(run.summary, run.line).toBeDefined();
  return { code: run.exitCode, summary: run.summary!, markdown: run.markdown };
}
const rulesOf = (summary: DriftSummary, node: string) => (summary.drift.nodes[node] ?? []).flatMap((c) => c.rules ?? []);
const changeOf = (summary: DriftSummary, node: string, resource: string) => (summary.drift.nodes[node] ?? []).find((c) => c.resource === resource);

/** Out-of-band changes made "in the Proxmox UI" (the simulator), each shown by the refreshing preview and repaired by `pulumi up`. */
const scenarios: Array<{
  name: string;
  node: string;
  rule: string;
  property: string;
  text: RegExp;
  apply: () => void;
  check: () => void;
}> = [
  {
    name: "ipconfig0 switched to dhcp on a static node (the RCA's configuration)",
    node: "k3s-vm-chief-horse",
    rule: "vm-ipconfig",
    property: "initialization.ipConfigs[0].ipv4.address",
    text: /cloud-init network settings of k3s-vm-chief-horse-vm change \(initialization\.ipConfigs\[0\]\.ipv4\.address: dhcp → 192\.168\.4\.237\/24\)/,
    apply: () => pve.editConfig(vmIdOf("k3s-vm-chief-horse"), "ipconfig0", "ip=dhcp"),
    check: () => expect(pve.vm(vmIdOf("k3s-vm-chief-horse"))!.config.ipconfig0).toBe("gw=192.168.4.1,ip=192.168.4.237/24"),
  },
  {
    name: "net0 MAC changed in the UI",
    node: "k3s-vm-pve",
    rule: "vm-mac",
    property: "networkDevices[0].macAddress",
    text: /NIC MAC changes from BC:24:11:00:00:99 to BC:24:11:3B:7A:A7/,
    apply: () => pve.setMac(vmIdOf("k3s-vm-pve"), "BC:24:11:00:00:99"),
    check: () => {
      const vm = pve.vm(vmIdOf("k3s-vm-pve"))!;
      expect(vm.mac).toBe("BC:24:11:3B:7A:A7");
      expect(vm.guestIp).toBe("192.168.4.238"); // rebooted with the pinned MAC: MAAS's reservation answers
    },
  },
  {
    name: "VM stopped",
    node: "k3s-vm-still-fawn",
    rule: "vm-stopped",
    property: "started",
    text: /The VM k3s-vm-still-fawn-vm is stopped/,
    apply: () => pve.stopVm(vmIdOf("k3s-vm-still-fawn")),
    check: () => expect(pve.vm(vmIdOf("k3s-vm-still-fawn"))).toMatchObject({ status: "running", guestIp: "192.168.4.236" }),
  },
];

describe("Proxmox drift through the refreshing preview", () => {
  it("starts clean", async () => {
    const { code, summary } = await drift();
    expect(summary.drift.nodes).toEqual({});
    expect(code).toBe(0);
  });

  it.each(scenarios)("$name: shown with consequence and recovery, repaired by pulumi up", async (s) => {
    s.apply();
    const { code, summary, markdown } = await drift();
    expect(code).toBe(2);
    const vm = changeOf(summary, s.node, `${s.node}-vm`);
    expect(vm?.op).toBe("update");
    expect(vm?.properties.map((p) => p.path)).toContain(s.property);
    expect(rulesOf(summary, s.node)).toContain(s.rule);
    expect(markdown).toMatch(s.text);
    expect(markdown).toContain("**Recovery:**");
    expect(markdown).not.toContain(K3S_TOKEN);

    await t.stack.up();
    s.check();
    const after = await drift();
    expect(after.summary.drift.nodes, after.markdown).toEqual({});
  });

  it("guest agent gone: the VM itself shows no change, the read-back cannot confirm the address", async () => {
    const vmid = vmIdOf("k3s-vm-pve");
    pve.setAgentRunning(vmid, false);
    const { code, summary, markdown } = await drift();
    // Could not verify is not drift: no change anywhere, a per-node "could not verify" entry and exit 3.
    expect(summary.drift.nodes, markdown).toEqual({});
    expect(code).toBe(3);
    expect(summary.unverified).toContainEqual(expect.objectContaining({ node: "k3s-vm-pve", source: "proxmox" }));
    expect(JSON.stringify(summary.unverified)).toMatch(/guest agent/i);
    pve.setAgentRunning(vmid, true);
    const after = await drift();
    expect(after.summary.drift.nodes, after.markdown).toEqual({});
  });

  it("test_ip_consistency: MAAS drops a reservation, the VM reboots onto a pool address, the guest agent's address disagrees", async () => {
    const node = nodes.find((n) => n.name === "k3s-vm-still-fawn")!;
    maas.dropReservation(node.ip);
    pve.rebootGuest(vmIdOf(node.name));
    const pool = pve.vm(vmIdOf(node.name))!.guestIp!;
    expect(pool).not.toBe(node.ip);
    const { code, summary, markdown } = await drift();
    expect(code).toBe(2);
    expect(rulesOf(summary, node.name)).toEqual(expect.arrayContaining(["reservation-missing", "node-pool-address"]));
    expect(changeOf(summary, node.name, `${node.name}-readback`)?.properties).toContainEqual(expect.objectContaining({ path: "agentIp", before: pool, after: node.ip }));
    expect(markdown).toMatch(new RegExp(`reports ${pool.replace(/\./g, "\\.")} instead of ${node.ip.replace(/\./g, "\\.")}`));

    await t.stack.up(); // the reservation is back; the guest renews onto it at its next reboot
    pve.rebootGuest(vmIdOf(node.name));
    expect(pve.vm(vmIdOf(node.name))!.guestIp).toBe(node.ip);
    const after = await drift();
    expect(after.summary.drift.nodes, after.markdown).toEqual({});
  });
});

describe("changes and teardown", () => {
  // No `ssh` blocks here, so there is no K3sNodeConfig: the K3s settings reach the VM in its
  // cloud-init snippet (replaced below). K3s over SSH with Proxmox on runs in the lab story.
  it("changing one node's IP touches only that node's VM, snippet (with its K3s settings), reservation and read-back", async () => {
    const moved = nodes.map((n) => (n.name === "k3s-vm-chief-horse" ? { ...n, ip: "192.168.4.239" } : n));
    await t.setConfig(config(moved));
    const { code, doc, stderr } = await t.previewJson();
    expect(code, stderr + JSON.stringify(doc.diagnostics ?? [])).toBe(0);
    const changed = changedSteps(doc).map((s) => `${s.op} ${s.name}`).sort();
    expect(changed).toEqual([
      "replace k3s-vm-chief-horse-reservation",
      "replace k3s-vm-chief-horse-userdata",
      "update k3s-vm-chief-horse-readback",
      "update k3s-vm-chief-horse-vm",
    ]);
    await t.stack.up();
    const vm = pve.vm(vmIdOf("k3s-vm-chief-horse"))!;
    expect(vm.config.ipconfig0).toBe("gw=192.168.4.1,ip=192.168.4.239/24");
    expect(vm.guestIp).toBe("192.168.4.239");
    expect(pve.snippet("chief-horse", "local:snippets/k3s-vm-chief-horse-user-data.yaml")).toMatch(/node-ip: 192\.168\.4\.239/);
    expect(pve.snippet("pve", "local:snippets/k3s-vm-pve-user-data.yaml")).not.toContain("192.168.4.239");
  });

  it("destroy removes the VMs and snippets and leaves the template", async () => {
    await t.stack.destroy();
    expect(pve.vmList().map((v) => v.vmid)).toEqual([9000]);
    expect(pve.snippetList()).toEqual([]);
    expect(maas.reservations()).toEqual([]);
  });
});
