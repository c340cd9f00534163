import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { K3S_INSTALL_SCRIPT, renderUserData, type UserDataArgs } from "../../../../providers/k3s/cloud-init";
import { renderK3sConfig, toYaml } from "../../../../providers/k3s/config";

const k3sConfigYaml = toYaml(
  renderK3sConfig({ name: "k3s-vm-pve", ip: "192.168.4.238", interface: "eth0", role: "server" }, { apiEndpoint: "k3s.homelab.lan", flannelBackend: "vxlan", initServer: "k3s-vm-pve" }),
);
const args: UserDataArgs = { hostname: "k3s-vm-pve", domain: "homelab.lan", role: "server", k3sVersion: "v1.30.5+k3s1", k3sConfigYaml, token: "golden-fixture-token" };

interface CloudConfig {
  hostname: string;
  fqdn?: string;
  packages: string[];
  write_files: Array<{ path: string; owner: string; permissions: string; content: string }>;
  runcmd: string[][];
}

const userData = (overrides: Partial<UserDataArgs> = {}): CloudConfig => parse(renderUserData({ ...args, ...overrides })) as CloudConfig;

describe("renderUserData", () => {
  it("starts with the #cloud-config marker cloud-init requires", () => {
    expect(renderUserData(args).split("\n")[0]).toBe("#cloud-config");
  });

  it("sets the hostname and fqdn from the node", () => {
    expect(userData()).toMatchObject({ hostname: "k3s-vm-pve", fqdn: "k3s-vm-pve.homelab.lan" });
    expect(userData({ domain: undefined })).not.toHaveProperty("fqdn");
  });

  it("writes config.yaml and a root-only token file, both mode 0600", () => {
    const files = userData().write_files;
    expect(files).toEqual([
      { path: "/etc/rancher/k3s/config.yaml", owner: "root:root", permissions: "0600", content: k3sConfigYaml },
      { path: "/etc/rancher/k3s/token", owner: "root:root", permissions: "0600", content: "golden-fixture-token\n" },
    ]);
  });

  it("installs and starts the QEMU guest agent so Proxmox can report the node's real IP", () => {
    const config = userData();
    expect(config.packages).toContain("qemu-guest-agent");
    expect(config.runcmd[0]).toEqual(["systemctl", "enable", "--now", "qemu-guest-agent"]);
  });

  it.each([
    ["server", "v1.30.5+k3s1"],
    ["agent", "v1.31.1+k3s2"],
  ] as const)("installs K3s as %s pinned to %s, passing both as arguments rather than shell text", (role, version) => {
    const install = userData({ role, k3sVersion: version }).runcmd[1];
    expect(install).toEqual(["sh", "-c", K3S_INSTALL_SCRIPT, version, role]);
    expect(K3S_INSTALL_SCRIPT).toContain('INSTALL_K3S_VERSION="$0"');
    expect(K3S_INSTALL_SCRIPT).toContain('INSTALL_K3S_EXEC="$1"');
  });

  it("matches the golden user-data", async () => {
    await expect(renderUserData(args)).toMatchFileSnapshot("./__golden__/k3s-vm-pve.user-data.yaml");
  });
});
