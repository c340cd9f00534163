/**
 * Cross-field rules over the stack config. Each rule returns `Issue[]` and never throws, and
 * each tolerates values that failed an earlier check (it skips what it cannot judge), so one
 * run reports every problem at once.
 *
 * The rules encode the two incidents this stack exists for:
 * - RCA-2025-07-27: K3s VMs on DHCP fell back into MAAS's dynamic pool (.220-.222 instead of
 *   .236-.238). Hence: node IPs outside the dynamic range, a reservation for every DHCP node,
 *   unique IPs/MACs, and a registration endpoint that is not one node's address.
 * - Incident 004: a node's address changed under K3s and flannel/CoreDNS broke. Hence: a real
 *   guest interface name for flannel-iface, and cluster CIDRs that do not overlap the LAN.
 */
import { parse as parseYaml } from "yaml";
import type * as ipaddr from "ipaddr.js";
import { cidrContains, cidrsOverlap, firstFreeHost, inRange, ipToNumber, parseCidr, parseIpv4, type Cidr } from "./address";
import { issue, type Issue } from "./issue";
import { isMulticastMac, parseMac } from "./mac";
import type { z } from "zod";
import type { K3sConfig, NetworkConfig, nodeSchema, ProxmoxConfig } from "./schema";

/** A node entry that passed the schema, with the label used in messages (`nodes["name"]` or `nodes[2]`). */
export interface ParsedNode {
  readonly label: string;
  readonly node: z.infer<typeof nodeSchema>;
}

/** Everything the rules look at. Sections that failed the schema are undefined. */
export interface RuleContext {
  readonly network?: NetworkConfig;
  readonly proxmox?: ProxmoxConfig;
  readonly k3s?: K3sConfig;
  readonly nodes: readonly ParsedNode[];
  /** False when some node entries failed the schema (counting rules then stay silent). */
  readonly nodesComplete: boolean;
  readonly maasUrl?: string;
  /** Secret values are only checked for presence and shape; they never appear in an Issue. */
  readonly secrets: RawSecrets;
}

/** The secret stack-config values, as plain strings, for validation only. */
export interface RawSecrets {
  readonly k3sToken?: string;
  readonly proxmoxApiToken?: string;
  readonly proxmoxSshPrivateKey?: string;
  readonly kubeconfig?: string;
  readonly sshPrivateKey?: string;
}

export type Rule = (ctx: RuleContext) => Issue[];

/** K3s's defaults, used when the config leaves the CIDRs out. */
export const K3S_DEFAULT_CLUSTER_CIDR = "10.42.0.0/16";
export const K3S_DEFAULT_SERVICE_CIDR = "10.43.0.0/16";

/** RFC 1123 label: the node name becomes the hostname and the K3s node name. */
const HOSTNAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
/** Linux IFNAMSIZ is 16 including the NUL. */
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const K3S_VERSION = /^v\d+\.\d+\.\d+\+k3s\d+$/;
/** bpg's own check of the token (ref/proxmox.md §1.2). */
const PROXMOX_TOKEN = /^\S+@\S+!\S+=([a-zA-Z0-9-]+)$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Labels in kubernetes.io / k8s.io a kubelet may set on itself (kubelet --node-labels validation). */
const KUBELET_ALLOWED_LABELS = new Set([
  "kubernetes.io/hostname",
  "kubernetes.io/arch",
  "kubernetes.io/os",
  "beta.kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "failure-domain.beta.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
]);
const PROXMOX_VMID_MIN = 100;
const PROXMOX_VMID_MAX = 999_999_999;

// ---------------------------------------------------------------------------------------------
// network

export const networkRules: Rule = ({ network }) => {
  if (!network) return [];
  const issues: Issue[] = [];
  const subnet = parseCidr(network.cidr);
  if (!subnet.ok) {
    issues.push(
      issue(
        "network.cidr",
        subnet.reason,
        subnet.suggestion ? `did you mean ${subnet.suggestion}?` : "write the subnet as address/prefix, e.g. 192.168.4.0/24",
      ),
    );
  }
  const cidr = subnet.ok ? subnet.cidr : undefined;
  const gateway = parseIpv4(network.gateway);
  if (!gateway) {
    issues.push(issue("network.gateway", notIpv4(network.gateway), "write the router's address, e.g. 192.168.4.1"));
  } else if (cidr) {
    const where = specialAddress(cidr, gateway);
    if (!cidrContains(cidr, gateway)) {
      issues.push(issue("network.gateway", `${gateway} is outside the subnet ${cidr.text}`, "use the router's address on that subnet, or fix network.cidr"));
    } else if (where) {
      issues.push(issue("network.gateway", `${gateway} is the ${where} of ${cidr.text}`, "use the router's host address, e.g. the first host of the subnet"));
    }
  }
  network.dns.forEach((server, index) => {
    if (!parseIpv4(server)) {
      issues.push(issue(`network.dns[${index}]`, notIpv4(server), "list DNS servers as IPv4 addresses, e.g. 192.168.4.53"));
    }
  });
  if (network.domain !== undefined && !DNS_NAME.test(network.domain)) {
    issues.push(issue("network.domain", `"${network.domain}" is not a DNS domain`, "write a domain such as homelab.lan, or leave it out"));
  }
  if (network.dynamicRange) {
    const start = parseIpv4(network.dynamicRange.start);
    const end = parseIpv4(network.dynamicRange.end);
    for (const [field, value, ip] of [
      ["start", network.dynamicRange.start, start],
      ["end", network.dynamicRange.end, end],
    ] as const) {
      if (!ip) {
        issues.push(issue(`network.dynamicRange.${field}`, notIpv4(value), "copy the range from MAAS (Subnets → <subnet> → Reserved ranges)"));
      } else if (cidr && !cidrContains(cidr, ip)) {
        issues.push(issue(`network.dynamicRange.${field}`, `${ip} is outside the subnet ${cidr.text}`, "copy the dynamic range of this subnet from MAAS"));
      }
    }
    if (start && end && ipToNumber(start) > ipToNumber(end)) {
      issues.push(issue("network.dynamicRange", `start ${start} is after end ${end}`, "swap them: start is the lowest address of the pool"));
    }
  }
  return issues;
};

// ---------------------------------------------------------------------------------------------
// node identity: names, MACs, interfaces, labels

export const nodeIdentityRules: Rule = ({ nodes, proxmox }) => {
  const issues: Issue[] = [];
  const names = new Map<string, string>();
  const macs = new Map<string, { label: string; written: string }>();
  const proxmoxVms = proxmox?.enabled === true;
  nodes.forEach(({ label, node }, index) => {
    if (!HOSTNAME.test(node.name)) {
      issues.push(
        issue(
          `${label}.name`,
          `"${node.name}" is not a valid host name`,
          "use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit (it becomes the hostname and the K3s node name)",
        ),
      );
    }
    const owner = names.get(node.name);
    if (owner !== undefined) {
      issues.push(issue(`nodes[${index}].name`, `"${node.name}" is already the name of ${owner}`, "every node needs its own name; rename one of them"));
    } else {
      names.set(node.name, `nodes[${index}]`);
    }

    const mac = parseMac(node.mac);
    if (!mac.ok) {
      issues.push(issue(`${label}.mac`, `"${node.mac}" is not a MAC address (${mac.reason})`, "write six hex pairs separated by ':', e.g. bc:24:11:1a:38:07"));
    } else if (isMulticastMac(mac.mac)) {
      issues.push(issue(`${label}.mac`, `${mac.mac} is a multicast address (the first octet is odd), not a NIC's`, "copy the MAC of the node's network card (Proxmox: Hardware → Network Device)"));
    } else {
      const other = macs.get(mac.mac);
      if (other) {
        const spelled = other.written === node.mac ? "" : ` (written "${other.written}" there)`;
        issues.push(issue(`${label}.mac`, `${mac.mac} is already used by ${other.label}${spelled}`, "every node needs its own NIC; one MAC can hold only one MAAS reservation"));
      } else {
        macs.set(mac.mac, { label, written: node.mac });
      }
    }

    if (!INTERFACE_NAME.test(node.interface)) {
      const problem = node.interface === "" ? "is empty" : `"${node.interface}" is not a Linux interface name`;
      issues.push(issue(`${label}.interface`, problem, "name the guest NIC K3s pins flannel to (flannel-iface), e.g. eth0"));
    } else if (proxmoxVms && node.proxmox && node.interface !== "eth0") {
      issues.push(
        issue(
          `${label}.interface`,
          `"${node.interface}" is not the name the VM's NIC gets: Proxmox's cloud-init network config names net0 "eth0" (matched by MAC)`,
          "set interface: eth0, otherwise K3s's flannel-iface points at a missing interface",
        ),
      );
    }

    if (node.addressing === "dhcp-reserved" && node.reserveInMaas === false) {
      issues.push(
        issue(
          `${label}.reserveInMaas`,
          "a dhcp-reserved node without a MAAS reservation gets whatever pool address DHCP hands out (the RCA-2025-07-27 outage)",
          "remove reserveInMaas (dhcp-reserved always reserves), or use addressing: static",
        ),
      );
    }
    issues.push(...labelIssues(label, node.labels));
  });
  return issues;
};

function labelIssues(label: string, labels: Record<string, string>): Issue[] {
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const path = `${label}.labels["${key}"]`;
    const slash = key.lastIndexOf("/");
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const name = slash < 0 ? key : key.slice(slash + 1);
    if (!LABEL_NAME.test(name) || (prefix !== undefined && !DNS_NAME.test(prefix))) {
      issues.push(issue(path, `"${key}" is not a Kubernetes label key`, "use [prefix/]name with a name of at most 63 letters, digits, '-', '_' or '.', e.g. homelab/zone"));
      continue;
    }
    if (prefix !== undefined && /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix) && !KUBELET_ALLOWED_LABELS.has(key) && !/^(kubelet|node)\.kubernetes\.io$/.test(prefix)) {
      issues.push(
        issue(path, `the kubelet may not set "${key}" on its own node (reserved kubernetes.io/k8s.io label; K3s fails to start with it)`, "use your own prefix (e.g. homelab/role), or apply it with kubectl label after the node joined"),
      );
    }
    if (value !== "" && !LABEL_NAME.test(value)) {
      issues.push(issue(path, `"${value}" is not a Kubernetes label value`, "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"));
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// node addresses

export const nodeAddressRules: Rule = ({ network, nodes }) => {
  const issues: Issue[] = [];
  const subnet = network ? parseCidr(network.cidr) : undefined;
  const cidr = subnet?.ok ? subnet.cidr : undefined;
  const gateway = parseIpv4(network?.gateway);
  const dns = (network?.dns ?? []).map((server) => parseIpv4(server));
  const range = dynamicRange(network);
  const used = new Map<string, string>();
  const taken = (ip: ipaddr.IPv4): boolean =>
    (range !== undefined && inRange(ip, range.start, range.end)) ||
    ip.toString() === gateway?.toString() ||
    dns.some((server) => server?.toString() === ip.toString()) ||
    nodes.some(({ node }) => node.ip === ip.toString());

  for (const { label, node } of nodes) {
    const path = `${label}.ip`;
    const ip = parseIpv4(node.ip);
    if (!ip) {
      issues.push(issue(path, notIpv4(node.ip), "write four decimal numbers 0-255 without leading zeros, e.g. 192.168.4.238"));
      continue;
    }
    const owner = used.get(ip.toString());
    if (owner !== undefined) {
      issues.push(issue(path, `${ip} is already used by ${owner}`, "every node needs its own address"));
    } else {
      used.set(ip.toString(), label);
    }
    if (cidr) {
      const where = specialAddress(cidr, ip);
      if (!cidrContains(cidr, ip)) {
        issues.push(issue(path, `${ip} is outside the subnet ${cidr.text} (network.cidr)`, "choose an address inside the subnet, or fix network.cidr"));
        continue;
      }
      if (where) {
        issues.push(issue(path, `${ip} is the ${where} of ${cidr.text}`, "choose a host address of the subnet"));
        continue;
      }
    }
    if (gateway && gateway.toString() === ip.toString()) {
      issues.push(issue(path, `${ip} is the gateway (network.gateway)`, "choose an address no other host uses"));
    }
    const dnsIndex = dns.findIndex((server) => server?.toString() === ip.toString());
    if (dnsIndex >= 0) {
      issues.push(issue(path, `${ip} is the DNS server network.dns[${dnsIndex}]`, "choose an address no other host uses"));
    }
    if (range && inRange(ip, range.start, range.end)) {
      const example = cidr ? firstFreeHost(cidr, taken) : undefined;
      issues.push(
        issue(
          path,
          `${ip} is inside the MAAS dynamic range ${range.start}-${range.end}, so DHCP can hand it to another host (the RCA-2025-07-27 outage root cause)`,
          `choose an address outside that range${example ? `, e.g. ${example}` : ""}`,
        ),
      );
    }
  }
  return issues;
};

// ---------------------------------------------------------------------------------------------
// K3s

export const k3sRules: Rule = ({ k3s, network, nodes, nodesComplete }) => {
  const issues: Issue[] = [];
  if (k3s) {
    if (!K3S_VERSION.test(k3s.version)) {
      issues.push(issue("k3s.version", `"${k3s.version}" is not a K3s release`, "write the release tag as published by K3s, e.g. v1.30.5+k3s1"));
    }
    issues.push(...apiEndpointIssues(k3s.apiEndpoint, network, nodes));
    issues.push(...clusterCidrIssues(k3s, network));
    if (k3s.clusterDomain !== undefined && !DNS_NAME.test(k3s.clusterDomain)) {
      issues.push(issue("k3s.clusterDomain", `"${k3s.clusterDomain}" is not a DNS domain`, "leave it out for cluster.local, or write a domain such as cluster.local"));
    }
    if (k3s.resolvConf !== undefined && !k3s.resolvConf.startsWith("/")) {
      issues.push(issue("k3s.resolvConf", `"${k3s.resolvConf}" is not an absolute path`, "leave it out for /run/systemd/resolve/resolv.conf, or give the full path"));
    }
  }
  if (nodesComplete) {
    const servers = nodes.filter(({ node }) => node.role === "server");
    if (servers.length === 0) {
      issues.push(issue("nodes", "no node has role: server", "K3s needs a server: give one (or three) of the nodes role: server"));
    } else if (servers.length % 2 === 0) {
      const names = servers.map(({ node }) => node.name).join(", ");
      issues.push(
        issue(
          "nodes",
          `${servers.length} servers (${names}) is an even number: embedded etcd needs a majority, so ${servers.length} servers survive no more failures than ${servers.length - 1}`,
          `use an odd number of servers (${servers.length - 1} or ${servers.length + 1}); make one an agent or add one`,
        ),
      );
    }
  }
  return issues;
};

/**
 * Decision: an IP endpoint that equals any node's IP is rejected, whatever the node's addressing.
 * K3s joins, agents and kubeconfigs all go through `server: https://<apiEndpoint>:6443`, and the
 * endpoint is in every server's tls-san: tying it to one node's address makes that node a single
 * point of failure and breaks the cluster again when its address moves (RCA-2025-07-27).
 */
function apiEndpointIssues(endpoint: string, network: NetworkConfig | undefined, nodes: readonly ParsedNode[]): Issue[] {
  const path = "k3s.apiEndpoint";
  if (/[:/]/.test(endpoint)) {
    return [issue(path, `"${endpoint}" is not a host name or address`, "write only the host (no scheme, no port; K3s uses :6443), e.g. k3s.homelab.lan")];
  }
  if (/^[\d.]+$/.test(endpoint)) {
    const ip = parseIpv4(endpoint);
    if (!ip) return [issue(path, notIpv4(endpoint), "write a DNS name such as k3s.homelab.lan, or a virtual IP")];
    const owner = nodes.find(({ node }) => node.ip === ip.toString());
    if (owner) {
      return [
        issue(
          path,
          `${ip} is the IP of ${owner.label}, which ties the whole cluster's registration address to that one node`,
          "use a DNS name that resolves to the servers (e.g. k3s.homelab.lan) or a virtual IP (kube-vip, keepalived) that is no node's own address",
        ),
      ];
    }
    const range = dynamicRange(network);
    if (range && inRange(ip, range.start, range.end)) {
      return [issue(path, `${ip} is inside the MAAS dynamic range ${range.start}-${range.end}, so DHCP can hand it to another host`, "use a DNS name or a virtual IP outside the dynamic range")];
    }
    return [];
  }
  if (!DNS_NAME.test(endpoint)) {
    return [issue(path, `"${endpoint}" is not a DNS name`, "write a DNS name such as k3s.homelab.lan, or a virtual IP")];
  }
  return [];
}

function clusterCidrIssues(k3s: K3sConfig, network: NetworkConfig | undefined): Issue[] {
  const issues: Issue[] = [];
  const lan = network ? parseCidr(network.cidr) : undefined;
  const parsed: Array<{ field: "clusterCidr" | "serviceCidr"; cidr: Cidr; explicit: boolean }> = [];
  for (const [field, value, fallback] of [
    ["clusterCidr", k3s.clusterCidr, K3S_DEFAULT_CLUSTER_CIDR],
    ["serviceCidr", k3s.serviceCidr, K3S_DEFAULT_SERVICE_CIDR],
  ] as const) {
    const result = parseCidr(value ?? fallback);
    if (!result.ok) {
      issues.push(issue(`k3s.${field}`, result.reason, result.suggestion ? `did you mean ${result.suggestion}?` : `write a CIDR such as ${fallback} (the K3s default)`));
      continue;
    }
    parsed.push({ field, cidr: result.cidr, explicit: value !== undefined });
    if (lan?.ok && cidrsOverlap(lan.cidr, result.cidr)) {
      const what = value === undefined ? `the default ${fallback}` : result.cidr.text;
      issues.push(
        issue(`k3s.${field}`, `${what} overlaps the node network ${lan.cidr.text}, so traffic to LAN hosts would be routed into the cluster`, `set k3s.${field} to a range that overlaps neither the LAN nor the other cluster range`),
      );
    }
  }
  const [pods, services] = parsed;
  if (pods && services && cidrsOverlap(pods.cidr, services.cidr)) {
    issues.push(issue("k3s.serviceCidr", `${services.cidr.text} overlaps k3s.clusterCidr ${pods.cidr.text}`, "use two disjoint ranges, e.g. the K3s defaults 10.42.0.0/16 and 10.43.0.0/16"));
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Proxmox

export const proxmoxRules: Rule = ({ proxmox, nodes, secrets }) => {
  if (!proxmox?.enabled) return [];
  const issues: Issue[] = [];
  let endpoint: URL | undefined;
  try {
    endpoint = new URL(proxmox.endpoint);
  } catch {
    endpoint = undefined;
  }
  if (!endpoint || endpoint.protocol !== "https:") {
    issues.push(issue("proxmox.endpoint", `"${proxmox.endpoint}" is not an https URL (the provider rejects anything else)`, "write it as https://<host>:8006/"));
  }
  if (secrets.proxmoxApiToken === undefined) {
    issues.push(issue("homelab:proxmoxApiToken", "not set, but homelab:proxmox is enabled", "run: pulumi config set --secret homelab:proxmoxApiToken 'USER@REALM!TOKENID=SECRET'"));
  } else if (!PROXMOX_TOKEN.test(secrets.proxmoxApiToken)) {
    issues.push(issue("homelab:proxmoxApiToken", "is not in the form USER@REALM!TOKENID=SECRET (value not shown)", "copy the token id and secret from Datacenter → Permissions → API Tokens and set it again with --secret"));
  }
  if (proxmox.sshAgent === false && secrets.proxmoxSshPrivateKey === undefined) {
    issues.push(
      issue("proxmox.sshAgent", "is false and homelab:proxmoxSshPrivateKey is not set, so snippets cannot be uploaded (Proxmox accepts them only over SSH)", "set sshAgent: true, or run: pulumi config set --secret homelab:proxmoxSshPrivateKey < ~/.ssh/id_ed25519"),
    );
  }
  if (!validVmId(proxmox.templateVmId)) {
    issues.push(issue("proxmox.templateVmId", `${proxmox.templateVmId} is not a Proxmox VM id`, `use the template's id (${PROXMOX_VMID_MIN}-${PROXMOX_VMID_MAX})`));
  }
  const vmIds = new Map<number, string>();
  for (const { label, node } of nodes) {
    if (!node.proxmox) continue;
    const path = `${label}.proxmox.vmId`;
    const vmId = node.proxmox.vmId;
    if (!validVmId(vmId)) {
      issues.push(issue(path, `${vmId} is not a Proxmox VM id`, `pick a free id between ${PROXMOX_VMID_MIN} and ${PROXMOX_VMID_MAX}`));
    } else if (vmId === proxmox.templateVmId) {
      issues.push(issue(path, `${vmId} is the template's id (proxmox.templateVmId)`, "pick a free VM id; the VM is cloned from the template"));
    } else if (vmIds.has(vmId)) {
      issues.push(issue(path, `${vmId} is already used by ${vmIds.get(vmId)}`, "VM ids are unique across the Proxmox cluster; pick another"));
    } else {
      vmIds.set(vmId, label);
    }
  }
  return issues;
};

// ---------------------------------------------------------------------------------------------
// MAAS and secrets

export const maasRules: Rule = ({ nodes, maasUrl }) => {
  const reserving = nodes.filter(({ node }) => node.addressing === "dhcp-reserved" || node.reserveInMaas !== false);
  if (maasUrl === undefined) {
    if (reserving.length === 0) return [];
    return [
      issue(
        "maas:url",
        `not set, but ${reserving.length} node(s) need a MAAS reservation (${reserving.map(({ node }) => node.name).join(", ")})`,
        "run: pulumi config set maas:url http://<maas-region>:5240/MAAS/",
      ),
    ];
  }
  let url: URL | undefined;
  try {
    url = new URL(maasUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return [issue("maas:url", `"${maasUrl}" is not an http(s) URL`, "write the region URL, e.g. http://192.168.4.53:5240/MAAS/")];
  }
  return [];
};

export const secretRules: Rule = ({ secrets }) => {
  const issues: Issue[] = [];
  if (secrets.k3sToken === undefined || secrets.k3sToken.trim() === "") {
    issues.push(issue("homelab:k3sToken", "not set (every node joins the cluster with it)", 'run: pulumi config set --secret homelab:k3sToken "$(openssl rand -hex 32)" (or the existing cluster\'s token)'));
  }
  if (secrets.kubeconfig !== undefined && !looksLikeKubeconfig(secrets.kubeconfig)) {
    issues.push(issue("homelab:kubeconfig", "is not a kubeconfig (no clusters list; value not shown)", "run: pulumi config set --secret homelab:kubeconfig < ~/.kube/config, or remove it to skip the alerts"));
  }
  return issues;
};

/** Every rule, in the order their issues are listed. */
export const rules: readonly Rule[] = [networkRules, nodeIdentityRules, nodeAddressRules, k3sRules, proxmoxRules, maasRules, secretRules];

export function checkRules(ctx: RuleContext): Issue[] {
  return rules.flatMap((rule) => rule(ctx));
}

// ---------------------------------------------------------------------------------------------
// small pure helpers

function notIpv4(value: string): string {
  return `"${value}" is not an IPv4 address`;
}

function specialAddress(cidr: Cidr, ip: ipaddr.IPv4): string | undefined {
  if (cidr.prefix >= 31) return undefined;
  if (ip.toString() === cidr.network.toString()) return "network address";
  if (ip.toString() === cidr.broadcast.toString()) return "broadcast address";
  return undefined;
}

/** The dynamic range when it is usable (both ends valid, inside the subnet, in order); a broken one is reported by networkRules. */
function dynamicRange(network: NetworkConfig | undefined): { start: ipaddr.IPv4; end: ipaddr.IPv4 } | undefined {
  const start = parseIpv4(network?.dynamicRange?.start);
  const end = parseIpv4(network?.dynamicRange?.end);
  if (!network || !start || !end || ipToNumber(start) > ipToNumber(end)) return undefined;
  const subnet = parseCidr(network.cidr);
  if (subnet.ok && !(cidrContains(subnet.cidr, start) && cidrContains(subnet.cidr, end))) return undefined;
  return { start, end };
}

function validVmId(id: number): boolean {
  return Number.isInteger(id) && id >= PROXMOX_VMID_MIN && id <= PROXMOX_VMID_MAX;
}

function looksLikeKubeconfig(text: string): boolean {
  try {
    const doc: unknown = parseYaml(text);
    return typeof doc === "object" && doc !== null && Array.isArray((doc as { clusters?: unknown }).clusters);
  } catch {
    return false;
  }
}
