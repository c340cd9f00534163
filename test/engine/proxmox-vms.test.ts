/**
 * The homelab program with Proxmox ON through the real engine: the lab stand-in of the
 * proxmoxve plugin (tools/pulumi-resource-proxmoxve) against the Proxmox VE simulator, next to
 * the MAAS simulator. What Proxmox holds is read from the simulator, never from Pulumi's outputs.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const config = (ns = nodes) => labStackConfig({ maasUrl: maas.url, maasApiKey: maas.apiKey, k3sToken: K3S_TOKEN, proxmox: pve }, ns);
const vmIdOf = (name: string) => (nodes.find((n) => n.name === name)!.proxmox as { vmId: number }).vmId;

beforeAll(async () => {
  maas = await startMaasSimulator({ version: "3.5.7" });
  pve = await startHomelabProxmox(maas, nodes);
  t = await createTempStack({ stack: "lab", proxmoxPlugin: true, config: config() });
  await t.stack.up({ onEvent: (e) => events.push(e) });
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
});
