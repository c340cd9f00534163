/** The Proxmox simulator is at least as strict as PVE where ref/proxmox.md says how PVE behaves. */
import { describe, expect, it } from "vitest";
import { PveCluster, PveError } from "../../../../lab/proxmox/cluster";
import { parseIpConfig, parseNet } from "../../../../lab/proxmox/pve-config";

const cluster = () => new PveCluster({ nodes: ["pve", "still-fawn"], templates: [{ node: "pve", vmId: 9000 }], snippetsEnabled: true, dhcp: () => "192.168.4.221" });
const pveError = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PveError);
    return err as PveError;
  }
  throw new Error("expected a PveError");
};

describe("Proxmox simulator rules", () => {
  it("ipconfigN: gw needs ip and is refused with dhcp (ref/proxmox.md §4.1)", () => {
    expect(parseIpConfig("gw=192.168.4.1,ip=192.168.4.237/24")).toEqual({ gw: "192.168.4.1", ip: "192.168.4.237/24" });
    expect(() => parseIpConfig("ip=dhcp,gw=192.168.4.1")).toThrow(/gateway specified together with DHCP/);
    expect(() => parseIpConfig("gw=192.168.4.1")).toThrow(/without specifying an IP/);
    expect(() => parseIpConfig("ip=192.168.4.237")).toThrow(/invalid IPv4 CIDR/);
  });

  it("netN: keeps the MAC's case, refuses multicast MACs, generates BC:24:11 MACs (§1.4)", () => {
    expect(parseNet("model=virtio,bridge=vmbr0,macaddr=bc:24:11:3b:7a:a7").mac).toBe("bc:24:11:3b:7a:a7");
    expect(() => parseNet("virtio=01:00:5e:00:00:01,bridge=vmbr0")).toThrow(/multicast/);
    expect(parseNet("model=virtio,bridge=vmbr0").mac).toMatch(/^BC:24:11(:[0-9A-F]{2}){3}$/);
  });

  it("clones to another node only onto shared storage; migrates local disks only with with-local-disks (§3.3)", () => {
    const c = cluster();
    expect(pveError(() => c.clone("pve", 9000, { newid: "108", target: "still-fawn", storage: "local-lvm" })).message).toMatch(/non-shared storage/);
    c.clone("pve", 9000, { newid: "108", storage: "local-lvm", full: "1" });
    expect(pveError(() => c.migrate("pve", 108, { target: "still-fawn" })).message).toMatch(/with-local-disks/);
    c.migrate("pve", 108, { target: "still-fawn", "with-local-disks": "1" });
    expect(c.vm("still-fawn", 108).config.net0).not.toContain("BC:24:11:00:00:01"); // a clone gets a new MAC
    expect(pveError(() => c.clone("pve", 9000, { newid: "108" })).message).toMatch(/already exists/);
  });

  it("refuses unknown config keys before changing anything, and a start whose cicustom snippet is missing", () => {
    const c = cluster();
    c.clone("pve", 9000, { newid: "107", full: "1" });
    const bad = pveError(() => c.setConfig("pve", 107, { cores: "2", bogus: "1" }));
    expect(bad.status).toBe(400);
    expect(bad.errors?.bogus).toMatch(/not defined in schema/);
    expect(c.vm("pve", 107).config.cores).toBe("1");
    c.setConfig("pve", 107, { cicustom: "user=local:snippets/k3s-vm-pve-user-data.yaml", ipconfig0: "ip=dhcp" });
    expect(pveError(() => c.start("pve", 107)).message).toBe("volume 'local:snippets/k3s-vm-pve-user-data.yaml' does not exist");
    c.sshTee("pve", "root", "root", "tee /var/lib/vz/snippets/k3s-vm-pve-user-data.yaml", "#cloud-config\n");
    c.start("pve", 107);
    expect(c.vm("pve", 107).guest.ip).toBe("192.168.4.221"); // ip=dhcp: DHCP answers
  });

  it("snippets: only the SSH user may write, only into a dir storage's snippets directory; the agent needs a running VM", () => {
    const c = cluster();
    expect(pveError(() => c.sshTee("pve", "pulumi", "root", "tee /var/lib/vz/snippets/x.yaml", "")).status).toBe(403);
    expect(pveError(() => c.sshTee("pve", "root", "root", "tee /etc/passwd", "")).status).toBe(400);
    c.clone("pve", 9000, { newid: "107", full: "1" });
    expect(pveError(() => c.agent("pve", 107)).message).toBe("VM 107 is not running");
    expect(pveError(() => c.destroy("other", 107)).message).toMatch(/hostname lookup|does not exist/);
  });
});
