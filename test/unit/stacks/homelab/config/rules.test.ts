import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../../../../stacks/homelab/config/issue";
import { isMulticastMac, normalizeMac, parseMac } from "../../../../../stacks/homelab/config/mac";
import { checkRules, type ParsedNode, type RuleContext } from "../../../../../stacks/homelab/config/rules";
import type { K3sConfig, NetworkConfig, ProxmoxConfig } from "../../../../../stacks/homelab/config/schema";

const network: NetworkConfig = {
  cidr: "192.168.4.0/24",
  gateway: "192.168.4.1",
  dns: ["192.168.4.53"],
  dynamicRange: { start: "192.168.4.200", end: "192.168.4.229" },
};
const k3s: K3sConfig = { version: "v1.30.5+k3s1", apiEndpoint: "k3s.homelab.lan", flannelBackend: "vxlan", readyTimeoutSeconds: 180 };
const proxmox: ProxmoxConfig = {
  enabled: true,
  endpoint: "https://pve:8006/",
  insecure: false,
  sshUser: "root",
  snippetsDatastore: "local",
  diskDatastore: "local-lvm",
  cloudInitDatastore: "local-lvm",
  templateVmId: 9000,
  bridge: "vmbr0",
};

function node(name: string, ip: string, mac: string, extra: Partial<ParsedNode["node"]> = {}): ParsedNode {
  return {
    label: `nodes[${JSON.stringify(name)}]`,
    node: { name, ip, mac, addressing: "dhcp-reserved", interface: "eth0", role: "server", labels: {}, restart: "changed", rejoin: false, ...extra },
  };
}

const incident = [
  node("k3s-vm-pve", "192.168.4.238", "bc:24:11:3b:7a:a7"),
  node("k3s-vm-still-fawn", "192.168.4.236", "bc:24:11:a9:d5:8c"),
  node("k3s-vm-chief-horse", "192.168.4.237", "bc:24:11:1a:38:07"),
];

function context(overrides: Partial<RuleContext> = {}): RuleContext {
  return {
    network,
    k3s,
    proxmox: undefined,
    nodes: incident,
    nodesComplete: true,
    maasUrl: "http://192.168.4.53:5240/MAAS/",
    secrets: { k3sToken: "t" },
    ...overrides,
  };
}

const lines = (ctx: RuleContext): string[] => checkRules(ctx).map(formatIssue);

describe("checkRules", () => {
  it("finds nothing wrong with the incident cluster", () => {
    expect(lines(context())).toEqual([]);
  });

  it.each([
    ["192.168.4.220", "inside the MAAS dynamic range 192.168.4.200-192.168.4.229"],
    ["192.168.4.200", "inside the MAAS dynamic range"],
    ["192.168.4.229", "inside the MAAS dynamic range"],
    ["192.168.4.0", "is the network address of 192.168.4.0/24"],
    ["192.168.4.255", "is the broadcast address of 192.168.4.0/24"],
    ["192.168.4.1", "is the gateway (network.gateway)"],
    ["10.0.0.5", "is outside the subnet 192.168.4.0/24"],
    ["192.168.04.5", '"192.168.04.5" is not an IPv4 address'],
    ["192.168.4", '"192.168.4" is not an IPv4 address'],
  ])("rejects node IP %s (%s)", (ip, message) => {
    const result = lines(context({ nodes: [node("k3s-vm-pve", ip, "bc:24:11:3b:7a:a7"), ...incident.slice(1)] }));
    expect(result).toEqual([expect.stringContaining(`nodes["k3s-vm-pve"].ip: `)]);
    expect(result[0]).toContain(message);
  });

  it.each(["192.168.4.199", "192.168.4.230", "192.168.4.2", "192.168.4.254"])("accepts node IP %s just outside the dynamic range and special addresses", (ip) => {
    expect(lines(context({ nodes: [node("k3s-vm-pve", ip, "bc:24:11:3b:7a:a7"), ...incident.slice(1)] }))).toEqual([]);
  });

  it("suggests a free address outside the dynamic range, not one another node holds", () => {
    const nodes = [node("a", "192.168.4.210", "bc:24:11:00:00:01"), node("b", "192.168.4.254", "bc:24:11:00:00:02"), node("c", "192.168.4.253", "bc:24:11:00:00:03")];
    const [message] = lines(context({ nodes }));
    expect(message).toContain("choose an address outside that range, e.g. 192.168.4.252");
  });

  it("names both owners of a duplicate MAC even when spelled differently", () => {
    const nodes = [incident[0]!, node("k3s-vm-still-fawn", "192.168.4.236", "BC24.113B.7AA7"), incident[2]!];
    expect(lines(context({ nodes }))).toEqual([
      'nodes["k3s-vm-still-fawn"].mac: bc:24:11:3b:7a:a7 is already used by nodes["k3s-vm-pve"] (written "bc:24:11:3b:7a:a7" there); every node needs its own NIC; one MAC can hold only one MAAS reservation',
    ]);
  });

  it("does not judge node IPs against a dynamic range that is itself broken", () => {
    const broken = { ...network, dynamicRange: { start: "192.168.4.200", end: "192.168.5.20" } };
    expect(lines(context({ network: broken }))).toEqual([
      "network.dynamicRange.end: 192.168.5.20 is outside the subnet 192.168.4.0/24; copy the dynamic range of this subnet from MAAS",
    ]);
  });

  it.each([
    [1, []],
    [3, []],
    [5, []],
    [2, ["is an even number"]],
    [4, ["is an even number"]],
  ])("with %i servers reports %j", (servers, expected) => {
    const nodes = Array.from({ length: 5 }, (_, i) =>
      node(`n${i}`, `192.168.4.${10 + i}`, `bc:24:11:00:00:1${i}`, { role: i < servers ? "server" : "agent" }),
    );
    expect(checkRules(context({ nodes })).map((issue) => issue.problem)).toEqual(expected.map((text) => expect.stringContaining(text)));
  });

  it("rejects a cluster without any server", () => {
    const nodes = incident.map((entry) => ({ ...entry, node: { ...entry.node, role: "agent" as const } }));
    expect(lines(context({ nodes }))).toEqual([expect.stringMatching(/^nodes: no node has role: server; /)]);
  });

  it("rejects an apiEndpoint equal to any node's IP, static or DHCP, and accepts a VIP", () => {
    const staticNodes = incident.map((entry) => ({ ...entry, node: { ...entry.node, addressing: "static" as const } }));
    for (const nodes of [incident, staticNodes]) {
      expect(lines(context({ nodes, k3s: { ...k3s, apiEndpoint: "192.168.4.237" } }))).toEqual([
        expect.stringContaining('k3s.apiEndpoint: 192.168.4.237 is the IP of nodes["k3s-vm-chief-horse"]'),
      ]);
    }
    expect(lines(context({ k3s: { ...k3s, apiEndpoint: "192.168.4.240" } }))).toEqual([]);
  });

  it("checks the K3s CIDR defaults against the LAN when none are set", () => {
    const lan = { ...network, cidr: "10.0.0.0/8", gateway: "10.0.0.1", dns: ["10.0.0.53"], dynamicRange: undefined };
    const nodes = incident.map((entry, i) => ({ ...entry, node: { ...entry.node, ip: `10.1.0.${i + 2}` } }));
    expect(checkRules(context({ network: lan, nodes })).map((issue) => issue.path)).toEqual(["k3s.clusterCidr", "k3s.serviceCidr"]);
  });

  it("requires eth0 on Proxmox VMs only, because Proxmox's cloud-init names net0 eth0", () => {
    const secrets = { k3sToken: "t", proxmoxApiToken: "a@pve!b=c" };
    const vm = { node: "pve", vmId: 107, cores: 2, memoryMb: 4096, diskGb: 32 };
    const withInterface = (entry: ParsedNode, iface: string, proxmoxVm?: typeof vm): ParsedNode => ({ ...entry, node: { ...entry.node, interface: iface, proxmox: proxmoxVm } });
    const bareMetal = incident.map((entry) => withInterface(entry, "enp6s0"));
    expect(lines(context({ nodes: bareMetal, proxmox, secrets }))).toEqual([]);
    const oneVm = [withInterface(incident[0]!, "ens18", vm), ...incident.slice(1)];
    expect(checkRules(context({ nodes: oneVm, proxmox, secrets })).map((i) => i.path)).toEqual(['nodes["k3s-vm-pve"].interface']);
    expect(checkRules(context({ nodes: oneVm, proxmox: { ...proxmox, enabled: false }, secrets })).map((i) => i.path)).toEqual([]);
  });

  it("never puts a secret value into a message", () => {
    const secret = "root@pam!leaky=SENTINEL-SECRET-VALUE";
    const result = lines(context({ proxmox, secrets: { k3sToken: "SENTINEL K3S", proxmoxApiToken: `${secret} with spaces`, kubeconfig: "SENTINEL-KUBECONFIG" } }));
    expect(result.length).toBeGreaterThan(0);
    expect(result.join("\n")).not.toMatch(/SENTINEL/);
  });

  it("requires maas:url only when some node is reserved in MAAS", () => {
    expect(lines(context({ maasUrl: undefined }))[0]).toMatch(/^maas:url: not set, but 3 node\(s\) need a MAAS reservation/);
    const unreserved = incident.map((entry) => ({ ...entry, node: { ...entry.node, addressing: "static" as const, reserveInMaas: false } }));
    expect(lines(context({ maasUrl: undefined, nodes: unreserved }))).toEqual([]);
  });
});

describe("parseMac", () => {
  it.each([
    ["bc:24:11:3b:7a:a7", "bc:24:11:3b:7a:a7"],
    ["BC-24-11-3B-7A-A7", "bc:24:11:3b:7a:a7"],
    ["bc24.113b.7aa7", "bc:24:11:3b:7a:a7"],
    ["BC24113B7AA7", "bc:24:11:3b:7a:a7"],
    [" bc:24:11:3b:7a:a7 ", "bc:24:11:3b:7a:a7"],
  ])("normalises %s", (text, mac) => {
    expect(parseMac(text)).toEqual({ ok: true, mac });
  });

  it.each([
    ["bc:24:11:1a:38:0g", 'group 6 "0g" is not hex'],
    ["bc:24:11:1a:380:07", 'group 5 "380" has 3 characters instead of 2'],
    ["bc:24:11:1a:38", "it has 5 groups instead of 6"],
    ["bc:24-11:1a:38:07", "mixes ':' and '-'"],
    ["bc24113b7aa", "no ':' or '-' separators"],
    ["bc:24::1a:38:07", 'group 3 "" is empty'],
  ])("explains why %s is not a MAC", (text, reason) => {
    const parsed = parseMac(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it("gives one normal form for every spelling of the same MAC", () => {
    const octets = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 });
    fc.assert(
      fc.property(octets, fc.constantFrom(":", "-"), fc.boolean(), (bytes, separator, upper) => {
        const hex = bytes.map((b) => b.toString(16).padStart(2, "0"));
        const canonical = hex.join(":");
        const spelled = upper ? hex.join(separator).toUpperCase() : hex.join(separator);
        expect(normalizeMac(spelled)).toBe(canonical);
        expect(normalizeMac(hex.join(""))).toBe(canonical);
        expect(isMulticastMac(canonical)).toBe(((bytes[0] ?? 0) & 1) === 1);
      }),
    );
  });
});
