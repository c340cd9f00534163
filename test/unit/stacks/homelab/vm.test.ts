import { describe, expect, it } from "vitest";
import type { NetworkConfig, ProxmoxConfig } from "../../../../stacks/homelab/config/schema";
import { ipv4Config, planSnippet, planVm, proxmoxMac, snippetVolumeId, type ProxmoxNode } from "../../../../stacks/homelab/vm";

const network: NetworkConfig = { cidr: "192.168.4.0/24", gateway: "192.168.4.1", dns: ["192.168.4.53"], domain: "homelab.lan" };
const proxmox: ProxmoxConfig = {
  enabled: true,
  endpoint: "https://pve:8006/",
  insecure: false,
  sshUser: "root",
  snippetsDatastore: "local",
  diskDatastore: "local-lvm",
  cloudInitDatastore: "local-zfs",
  templateVmId: 9000,
  templateNode: "pve",
  bridge: "vmbr1",
};
const node: ProxmoxNode = {
  name: "k3s-vm-chief-horse",
  ip: "192.168.4.237",
  mac: "bc:24:11:1a:38:07",
  addressing: "dhcp-reserved",
  interface: "eth0",
  role: "server",
  reserveInMaas: true,
  restart: "changed",
  rejoin: false,
  labels: {},
  proxmox: { node: "chief-horse", vmId: 109, cores: 4, memoryMb: 8192, diskGb: 64 },
};

describe("ipv4Config", () => {
  it("asks for DHCP (pinned by the MAAS reservation) for dhcp-reserved nodes, without a gateway", () => {
    expect(ipv4Config(node, network)).toEqual({ address: "dhcp" });
  });

  it("writes address/prefix and the gateway for static nodes", () => {
    expect(ipv4Config({ ...node, addressing: "static" }, { ...network, cidr: "10.1.0.0/16", gateway: "10.1.0.1" })).toEqual({ address: "192.168.4.237/16", gateway: "10.1.0.1" });
  });
});

describe("planVm", () => {
  const vm = planVm(node, network, proxmox);

  it("pins the declared MAC on net0, upper-case as Proxmox writes its own", () => {
    expect(vm.networkDevices).toEqual([{ bridge: "vmbr1", model: "virtio", macAddress: "BC:24:11:1A:38:07" }]);
    expect(proxmoxMac("bc:24:11:1a:38:07")).toBe("BC:24:11:1A:38:07");
  });

  it("clones the template onto the declared node with the declared VM id and size", () => {
    expect(vm).toMatchObject({
      nodeName: "chief-horse",
      vmId: 109,
      name: "k3s-vm-chief-horse",
      clone: { vmId: 9000, full: true, nodeName: "pve", datastoreId: "local-lvm" },
      cpu: { cores: 4 },
      memory: { dedicated: 8192 },
      disks: [{ interface: "scsi0", datastoreId: "local-lvm", size: 64 }],
    });
  });

  it("configures cloud-init from the network and the node's snippet", () => {
    expect(vm.initialization).toEqual({
      type: "nocloud",
      datastoreId: "local-zfs",
      ipConfigs: [{ ipv4: { address: "dhcp" } }],
      dns: { servers: ["192.168.4.53"], domain: "homelab.lan" },
      userDataFileId: "local:snippets/k3s-vm-chief-horse-user-data.yaml",
    });
  });

  it("enables the guest agent with a short timeout so a refresh does not block 15 minutes per VM", () => {
    expect(vm.agent).toEqual({ enabled: true, timeout: "2m", waitForIp: { ipv4: true } });
  });

  it("sorts tags, as Proxmox does, to avoid a permanent diff", () => {
    expect(vm.tags).toEqual(["homelab", "k3s", "server"]);
    expect(planVm({ ...node, role: "agent" }, network, proxmox).tags).toEqual(["agent", "homelab", "k3s"]);
  });
});

describe("planSnippet", () => {
  it("uploads the user-data as a snippet whose volume id is the one the VM references", () => {
    const args = planSnippet(node, proxmox, "data");
    expect(args).toEqual({ nodeName: "chief-horse", datastoreId: "local", contentType: "snippets", sourceRaw: { data: "data", fileName: "k3s-vm-chief-horse-user-data.yaml" } });
    const volumeId = snippetVolumeId(args.datastoreId as string, (args.sourceRaw as { fileName: string }).fileName);
    expect(planVm(node, network, proxmox).initialization).toMatchObject({ userDataFileId: volumeId });
  });
});
