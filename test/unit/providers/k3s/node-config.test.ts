import { describe, expect, it } from "vitest";
import { nodeConfigProvider } from "../../../../providers/k3s/node-config/provider";
import { planK3sNode, toK3sConfigFile, toYaml } from "../../../../providers/k3s/config";
import {
  CREATE_ONLY_FIELDS,
  RESTART_FIELDS,
  diffSettings,
  execStartFlags,
  findOverrides,
  isJoinModeSwap,
  refusal,
  settingsFromConfigYaml,
} from "../../../../providers/k3s/node-config/model";

const cluster = { apiEndpoint: "k3s.homelab.lan", flannelBackend: "vxlan", initServer: "k3s-vm-pve" };
const settings = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...planK3sNode({ name: "k3s-vm-still-fawn", ip: "192.168.4.236", interface: "eth0", role: "server" }, cluster),
  tokenSha256: "a".repeat(64),
  ...overrides,
});
const { tokenSha256: _t, ...plain } = settings();
const joined = Object.fromEntries(CREATE_ONLY_FIELDS.map((f) => [f, settings()[f] ?? null]));

describe("diffSettings", () => {
  it.each([
    ["nodeIp", "192.168.4.221"],
    ["flannelIface", "ens18"],
    ["tlsSan", ["k3s.homelab.lan", "192.168.4.221"]],
    ["advertiseAddress", "192.168.4.221"],
    ["resolvConf", "/etc/resolv.conf"],
  ])("a changed %s is written and needs a restart", (field, value) => {
    expect(diffSettings(settings(), settings({ [field]: value }), joined)).toEqual({ changed: [field], restart: [field], refused: [] });
  });

  it.each([
    ["clusterInit", true],
    ["server", "https://other:6443"],
    ["tokenSha256", "b".repeat(64)],
    ["nodeLabels", ["homelab/zone=a"]],
    ["flannelBackend", "host-gw"],
    ["clusterCidr", "10.52.0.0/16"],
    ["nodeName", "renamed"],
    ["role", "agent"],
  ])("a declared change of %s on a joined node is refused (K3s reads it only when joining)", (field, value) => {
    expect(diffSettings(settings(), settings({ [field]: value }), joined).refused).toEqual([field]);
  });

  it("a server's swap between cluster-init and server is written without a restart, not refused (K3s ignores both once joined)", () => {
    const pve = { name: "k3s-vm-pve", ip: "192.168.4.238", interface: "eth0", role: "server" } as const;
    const bootstrapped = { ...planK3sNode(pve, cluster), tokenSha256: "a".repeat(64) };
    const joining = { ...planK3sNode(pve, { ...cluster, initServer: undefined }), tokenSha256: "a".repeat(64) };
    const joinedAs = (p: Record<string, unknown>) => Object.fromEntries(CREATE_ONLY_FIELDS.map((f) => [f, p[f] ?? null]));
    expect(bootstrapped).toMatchObject({ clusterInit: true });
    expect(joining).toMatchObject({ server: "https://k3s.homelab.lan:6443" });
    expect(diffSettings(bootstrapped, joining, joinedAs(bootstrapped))).toEqual({ changed: ["clusterInit", "server"], restart: [], refused: [] });
    expect(diffSettings(joining, bootstrapped, joinedAs(joining))).toEqual({ changed: ["clusterInit", "server"], restart: [], refused: [] });
    // Not a swap: another URL, or a swap together with another create-only change.
    expect(diffSettings(joining, { ...joining, server: "https://other:6443" }, joinedAs(joining)).refused).toEqual(["server"]);
    expect(diffSettings(bootstrapped, { ...joining, clusterCidr: "10.52.0.0/16" }, joinedAs(bootstrapped)).refused).toEqual(["clusterCidr"]);
    expect(isJoinModeSwap(joinedAs(bootstrapped), { ...joining, role: "agent" })).toBe(false);
  });

  it("a hand edit of a create-only key on the node is rewritten, not refused", () => {
    const onNode = settings({ flannelBackend: "host-gw" });
    expect(diffSettings(onNode, settings(), joined)).toEqual({ changed: ["flannelBackend"], restart: [], refused: [] });
  });

  it("ignores __provider and classifies every field exactly once", () => {
    expect(diffSettings({ ...settings(), __provider: "a" }, { ...settings(), __provider: "b" }, joined).changed).toEqual([]);
    const all = [...RESTART_FIELDS, ...CREATE_ONLY_FIELDS];
    expect(new Set(all).size).toBe(all.length);
    expect(Object.keys(settings()).filter((k) => !all.includes(k as never))).toEqual([]);
  });
});

describe("settingsFromConfigYaml", () => {
  it("reads back exactly what the renderer wrote", () => {
    const text = toYaml(toK3sConfigFile(plain as never));
    expect(settingsFromConfigYaml(text, "server")).toEqual(plain);
  });

  it("reads a hand-edited node-ip", () => {
    const text = toYaml(toK3sConfigFile(plain as never)).replace("node-ip: 192.168.4.236", "node-ip: 192.168.4.99");
    expect(settingsFromConfigYaml(text, "server").nodeIp).toBe("192.168.4.99");
  });
});

describe("findOverrides", () => {
  const configFile = toK3sConfigFile(plain as never);
  const unit = (flags: string) => `[Service]\nType=notify\nExecStart=/usr/local/bin/k3s \\\n    server \\\n    ${flags}\n`;

  it("says which unit flag overrides config.yaml and how to fix it (seed 004's --flannel-iface)", () => {
    const [message, ...rest] = findOverrides({ configFile, unitPath: "/etc/systemd/system/k3s.service", unitText: unit("--flannel-iface=wlp5s0"), dropIns: [], envFiles: [] });
    expect(rest).toEqual([]);
    expect(message).toContain("the unit's `--flannel-iface=wlp5s0` overrides config.yaml (config.yaml: flannel-iface: eth0)");
    expect(message).toContain("remove it from ExecStart in /etc/systemd/system/k3s.service, run `systemctl daemon-reload`");
  });

  it("reads `--node-ip X`, `-i X` and a flag equal to the file as no conflict", () => {
    expect(execStartFlags(unit("--node-ip 192.168.4.9 -i 192.168.4.8")).map((f) => f.text)).toEqual(["--node-ip=192.168.4.9", "--node-ip=192.168.4.8"]);
    expect(findOverrides({ configFile, unitPath: "u", unitText: unit("--node-ip=192.168.4.236"), dropIns: [], envFiles: [] })).toEqual([]);
  });

  it("reports a later drop-in and K3S_* variables, never quoting a token", () => {
    const found = findOverrides({
      configFile,
      unitPath: "u",
      dropIns: [{ path: "/etc/rancher/k3s/config.yaml.d/50-local.yaml", text: "node-ip: 192.168.4.50\n" }],
      envFiles: [{ path: "/etc/systemd/system/k3s.service.env", text: "K3S_TOKEN=SENTINEL-token-value\nK3S_URL=https://192.168.4.1:6443\nOTHER=1\n" }],
    });
    expect(found).toHaveLength(3);
    expect(found[0]).toContain("the drop-in /etc/rancher/k3s/config.yaml.d/50-local.yaml sets `node-ip: 192.168.4.50`, which overrides config.yaml");
    expect(found.join("\n")).toContain("K3S_TOKEN (value not shown)");
    expect(found.join("\n")).not.toContain("SENTINEL");
  });
});

describe("refusal", () => {
  it("names the node and the flags, and gives the runbook", () => {
    const text = refusal("k3s-vm-pve", "server", ["clusterCidr", "tokenSha256"]);
    expect(text).toContain("K3sNodeConfig k3s-vm-pve: cluster-cidr, token changed");
    expect(text).toContain("kubectl drain k3s-vm-pve");
    expect(text).toContain("k3s-uninstall.sh");
    expect(text).toContain("rejoin: true");
  });
});

describe("nodeConfigProvider.check", () => {
  const minimal = {
    nodeName: "n1",
    role: "server",
    nodeIp: "192.168.4.238",
    flannelIface: "eth0",
    tokenFile: "/etc/rancher/k3s/token",
    tokenSha256: "a".repeat(64),
    nodeLabels: [],
    tokenConfigKey: "homelab:k3sToken",
    ssh: { host: "192.168.4.238", user: "root", hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
  };

  it("accepts the optional arguments left out, and fills in their defaults", async () => {
    const r = await nodeConfigProvider.check!({}, minimal);
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ restart: "changed", rejoin: false, readiness: { timeoutSeconds: 180 }, ssh: { port: 22 } });
  });

  it("names the node and the field of a value it cannot use", async () => {
    const r = await nodeConfigProvider.check!({}, { ...minimal, restart: "sometimes" });
    expect(r.failures).toEqual([expect.objectContaining({ property: "restart", reason: expect.stringMatching(/K3sNodeConfig n1: restart must be "changed" or "never"/) })]);
  });
});
