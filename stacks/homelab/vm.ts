/**
 * Pure: the Proxmox VM and snippet arguments for one node. The node's one MAC and one IP go to
 * exactly two places here, net0's MAC and ipconfig0, and nowhere else.
 *
 * MAC case: Proxmox gets the MAC upper-case. PVE stores whatever case it is sent and generates
 * upper-case MACs itself, and bpg reports agent MACs upper-case (ref/proxmox.md §1.4), so
 * upper-case keeps every Proxmox-side value in one spelling. MAAS and cloud-init get the
 * lower-case normalised form (PVE writes `mac_address` lower-case into the network config).
 *
 * The snippet is referenced by its volume id computed here (`<datastore>:snippets/<file>`), not
 * by the FileLegacy's `id` output: `userDataFileId` is ForceNew, and an unknown id during
 * preview (snippet being replaced) would show the whole VM as replaced (ref/proxmox.md §5.4).
 * The VM `dependsOn` the snippet instead.
 */
import type * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as pulumi from "@pulumi/pulumi";
import type { NetworkConfig, NodeConfig, NodeProxmoxConfig, ProxmoxConfig } from "./config/schema";

/** How long a create/refresh waits for the guest agent to report an IP (default is 15 min per VM). */
export const AGENT_TIMEOUT = "2m";
/** The template's boot disk slot; cloud-init templates made from cloud images use scsi0. */
export const BOOT_DISK_INTERFACE = "scsi0";
/** PVE's default CPU model for new VMs since 8.0; live-migratable between different hosts. */
export const CPU_TYPE = "x86-64-v2-AES";

export type ProxmoxNode = NodeConfig & { readonly proxmox: NodeProxmoxConfig };

export function proxmoxMac(mac: string): string {
  return mac.toUpperCase();
}

export function snippetFileName(nodeName: string): string {
  return `${nodeName}-user-data.yaml`;
}

export function snippetVolumeId(datastore: string, fileName: string): string {
  return `${datastore}:snippets/${fileName}`;
}

/** ipconfig0's IPv4 part: the CIDR address and gateway for static nodes, DHCP (pinned by MAAS) otherwise. */
export function ipv4Config(node: NodeConfig, network: NetworkConfig): { address: string; gateway?: string } {
  if (node.addressing === "dhcp-reserved") return { address: "dhcp" };
  const prefix = network.cidr.split("/")[1];
  return { address: `${node.ip}/${prefix}`, gateway: network.gateway };
}

/** VmLegacy args without the provider-side wiring (userData content, dependsOn). */
export function planVm(node: ProxmoxNode, network: NetworkConfig, proxmox: ProxmoxConfig): proxmoxve.VmLegacyArgs {
  const vm = node.proxmox;
  return {
    nodeName: vm.node,
    vmId: vm.vmId,
    name: node.name,
    description: `Managed by Pulumi (stack homelab): ${node.addressing} ${node.ip}, MAC ${node.mac}. Edit Pulumi.homelab.yaml, not this VM.`,
    tags: ["homelab", "k3s", node.role].sort(),
    clone: {
      vmId: proxmox.templateVmId,
      full: true,
      datastoreId: proxmox.diskDatastore,
      ...(proxmox.templateNode ? { nodeName: proxmox.templateNode } : {}),
    },
    operatingSystem: { type: "l26" },
    cpu: { cores: vm.cores, type: CPU_TYPE },
    memory: { dedicated: vm.memoryMb },
    disks: [{ interface: BOOT_DISK_INTERFACE, datastoreId: proxmox.diskDatastore, size: vm.diskGb, discard: "on", iothread: true }],
    networkDevices: [{ bridge: proxmox.bridge, model: "virtio", macAddress: proxmoxMac(node.mac) }],
    agent: { enabled: true, timeout: AGENT_TIMEOUT, waitForIp: { ipv4: true } },
    initialization: {
      type: "nocloud",
      datastoreId: proxmox.cloudInitDatastore,
      ipConfigs: [{ ipv4: ipv4Config(node, network) }],
      dns: { servers: [...network.dns], ...(network.domain ? { domain: network.domain } : {}) },
      userDataFileId: snippetVolumeId(proxmox.snippetsDatastore, snippetFileName(node.name)),
    },
    started: true,
    onBoot: true,
  };
}

/** FileLegacy args for the user-data snippet; `data` is the (secret) rendered user-data. */
export function planSnippet(node: ProxmoxNode, proxmox: ProxmoxConfig, data: pulumi.Input<string>): proxmoxve.FileLegacyArgs {
  return {
    nodeName: node.proxmox.node,
    datastoreId: proxmox.snippetsDatastore,
    contentType: "snippets",
    sourceRaw: { data, fileName: snippetFileName(node.name) },
  };
}
