/**
 * What a node *really* reports about its address, as plain data: the incident report's
 * `test_ip_consistency` check ("does the VM have the address MAAS pins for it?") turned into pure
 * functions, so the provider, the tests and the drift report share one definition of "consistent".
 *
 * Sources (each optional, see the provider):
 * - the Kubernetes Node object: InternalIP, and the K3s annotations `k3s.io/node-args` (node-ip,
 *   flannel-iface as K3s was started) and `flannel.alpha.coreos.com/public-ip` (the address flannel
 *   tunnels from; it keeps the old one after a DHCP change, which is what broke CoreDNS in seed 004);
 * - the QEMU guest agent via Proxmox: the IPv4 of the guest interface that carries the node's MAC.
 *
 * Design A of ref/pulumi.md §1.8: the resource stores the observation under the input names, so
 * `compareObservation(expected, observed)` is the one comparison behind diff, preview and refresh.
 *
 * Unknown is not drift: a source that could not be asked (no guest agent, a kubeconfig without
 * RBAC for nodes, a cluster that is down) leaves its fields unverified. They are listed in
 * `unverified` with the reason and the fix, reported as a warning, and never compared, so `up`
 * converges and the next preview is clean unless something that *was* read really differs.
 */
// Named imports only: tsc then emits `require("ipaddr.js")` bindings that closure serialization
// recognises as a package; a namespace import would be wrapped by __importStar and copied by value.
import { IPv4 } from "ipaddr.js";

/** Annotation K3s writes with the arguments the node was started with (a JSON array of strings). */
export const NODE_ARGS_ANNOTATION = "k3s.io/node-args";
/** Annotation flannel writes with the address its VXLAN tunnel uses. */
export const FLANNEL_PUBLIC_IP_ANNOTATION = "flannel.alpha.coreos.com/public-ip";

/** Which endpoint answered during the last observation. */
export interface Reachability {
  /** The cluster API answered for this node (false too when no kube source is configured). */
  kube: boolean;
  /** The Proxmox API and the guest agent answered (false too when no proxmox source is configured). */
  proxmox: boolean;
}

/** Where a field comes from: the cluster API (Node object) or Proxmox (guest agent). */
export type ReadbackSource = keyof Reachability;

/** A source that could not be asked this time: why, and what to do about it. */
export interface Unverified {
  source: ReadbackSource;
  /** One sentence: what failed (endpoint, status, reason). */
  reason: string;
  /** One sentence: how to make the source answer (the RBAC rule, install the agent, …). */
  fix: string;
}

/** A node's addressing as observed. Every field is `null` when it could not be read. */
export interface NodeObservation {
  /** The node's InternalIP in Kubernetes. */
  ip: string | null;
  /** `--node-ip` in the K3s node-args annotation (first address of a dual-stack list). */
  nodeIp: string | null;
  /** `--flannel-iface` in the K3s node-args annotation. */
  flannelIface: string | null;
  /** `flannel.alpha.coreos.com/public-ip`. */
  flannelPublicIp: string | null;
  /** IPv4 the guest agent reports on the interface whose hardware address is the node's MAC. */
  agentIp: string | null;
  reachable: Reachability;
  /** One sentence per source that could not be read, or per inconsistency found while reading. */
  errors: string[];
  /** The sources that could not be asked, with reason and fix; their fields are not compared. */
  unverified: Unverified[];
}

/** The subset of a Kubernetes Node object this module reads. */
export interface KubeNode {
  metadata?: { name?: string; annotations?: Record<string, string> | null };
  status?: { addresses?: Array<{ type?: string; address?: string }> | null };
}

/** One interface of the guest agent's `network-get-interfaces` result (ref/proxmox.md §4.2). */
export interface AgentInterface {
  name?: string;
  "hardware-address"?: string;
  "ip-addresses"?: Array<{ "ip-address-type"?: string; "ip-address"?: string; prefix?: number }> | null;
}

/** What the resource is told the node should report; see NodeReadbackArgs for the documentation. */
export interface ExpectationInput {
  ip: string;
  flannelIface: string;
  kube?: unknown;
  proxmox?: unknown;
  /** False when the cluster runs without flannel (`flannel-backend: none`): no flannel address is expected. */
  flannel?: boolean;
}

/** One field where the node disagrees with what it should report. */
export interface ObservationMismatch {
  field: string;
  expected: unknown;
  observed: unknown;
}

/**
 * Parses the `k3s.io/node-args` annotation (e.g. `["server","--node-ip","192.168.4.238"]`) into
 * flag → value. Handles `--flag value` and `--flag=value`; a flag followed by another flag (or
 * nothing) is a boolean and maps to "true"; positional words (`server`, `agent`) are skipped; a
 * repeated flag keeps its last value, as K3s does for single-valued flags. Returns `{}` for text
 * that is not a JSON array of strings, since an unreadable annotation must not stop a preview.
 */
export function parseNodeArgs(annotation: string | undefined | null): Record<string, string> {
  if (!annotation) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch {
    return {};
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) return {};
  const args = parsed as string[];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    if (eq > 2) {
      flags[arg.slice(2, eq)] = arg.slice(eq + 1);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      flags[arg.slice(2)] = next;
      i++;
    } else {
      flags[arg.slice(2)] = "true";
    }
  }
  return flags;
}

/** The Kubernetes-sourced fields of an observation, read from a Node object. */
export function observationFromNode(
  node: KubeNode,
): Pick<NodeObservation, "ip" | "nodeIp" | "flannelIface" | "flannelPublicIp"> {
  const annotations = node.metadata?.annotations ?? {};
  const args = parseNodeArgs(annotations[NODE_ARGS_ANNOTATION]);
  const internal = (node.status?.addresses ?? []).find((a) => a.type === "InternalIP")?.address;
  const nodeIp = args["node-ip"]?.split(",")[0]?.trim();
  return {
    ip: internal ?? null,
    nodeIp: nodeIp ? nodeIp : null,
    flannelIface: args["flannel-iface"] ?? null,
    flannelPublicIp: annotations[FLANNEL_PUBLIC_IP_ANNOTATION] ?? null,
  };
}

/** Lower-case hex digits only, so "BC:24:11:3B:7A:A7", "bc-24-11-3b-7a-a7" and "bc2411…" compare equal. */
function macDigits(mac: string): string {
  return mac.toLowerCase().replace(/[^0-9a-f]/g, "");
}

/** True for an IPv4 a host can be reached on: not loopback, link-local, unspecified or multicast. */
function isUsableIpv4(address: string): boolean {
  if (!IPv4.isValidFourPartDecimal(address)) return false;
  const range = IPv4.parse(address).range();
  return !["loopback", "linkLocal", "unspecified", "multicast", "broadcast"].includes(range);
}

/**
 * The IPv4 the guest reports on the interface with hardware address `mac`, or null when no such
 * interface (or no usable IPv4 on it) exists. When the interface carries several addresses (a VIP
 * from kube-vip, a second DHCP lease) and `prefer` is one of them, `prefer` is returned, so a node
 * that does have its pinned address is not reported as drifted; otherwise the first one wins.
 */
export function agentIpForMac(
  interfaces: readonly AgentInterface[],
  mac: string,
  prefer?: string | null,
): string | null {
  const wanted = macDigits(mac);
  if (wanted.length !== 12) return null;
  const iface = interfaces.find((i) => macDigits(i["hardware-address"] ?? "") === wanted);
  if (!iface) return null;
  const v4 = (iface["ip-addresses"] ?? [])
    .filter((a) => a["ip-address-type"] === "ipv4" && typeof a["ip-address"] === "string")
    .map((a) => a["ip-address"]!)
    .filter(isUsableIpv4);
  if (prefer && v4.includes(prefer)) return prefer;
  return v4[0] ?? null;
}

/**
 * What a consistent node reports, derived from the resource's inputs: every address equal to `ip`,
 * the pinned flannel interface, every configured source reachable. A field nothing can be expected
 * of is null and is not compared: `nodeIp`/`flannelPublicIp` without a kube source, `agentIp`
 * without a proxmox source, `flannelPublicIp` without flannel (`flannel: false`); `ip` and
 * `flannelIface` then mirror the input, so an unobserved source never shows up as drift.
 */
export function expectedObservation(input: ExpectationInput): NodeObservation {
  const kube = Boolean(input.kube);
  const proxmox = Boolean(input.proxmox);
  const flannel = input.flannel !== false;
  return {
    ip: input.ip,
    nodeIp: kube ? input.ip : null,
    flannelIface: input.flannelIface,
    flannelPublicIp: kube && flannel ? input.ip : null,
    agentIp: proxmox ? input.ip : null,
    reachable: { kube, proxmox },
    errors: [],
    unverified: [],
  };
}

/** The fields compared, in the order a report lists them. */
export const OBSERVED_FIELDS = ["ip", "nodeIp", "flannelIface", "flannelPublicIp", "agentIp"] as const;
export type ObservedField = (typeof OBSERVED_FIELDS)[number];

/** The source each field is read from. */
export const FIELD_SOURCE: Readonly<Record<ObservedField, ReadbackSource>> = {
  ip: "kube",
  nodeIp: "kube",
  flannelIface: "kube",
  flannelPublicIp: "kube",
  agentIp: "proxmox",
};

/**
 * Every field where `observed` differs from `expected`, in OBSERVED_FIELDS order. Compared are
 * only fields something is expected of (expected value not null) whose source is configured and
 * answered (`observed.reachable.<source>`): a source that could not be asked is unverified, not drift.
 * `reachable`, `errors` and `unverified` are never compared. Missing fields (an old state) count as null.
 */
export function compareObservation(
  expected: NodeObservation,
  observed: Partial<NodeObservation>,
): ObservationMismatch[] {
  const out: ObservationMismatch[] = [];
  for (const field of OBSERVED_FIELDS) {
    const want = expected[field] ?? null;
    if (want === null) continue;
    const source = FIELD_SOURCE[field];
    // Not configured, or configured but not answering: nothing was observed to compare.
    if (!expected.reachable[source] || observed.reachable?.[source] !== true) continue;
    const have = observed[field] ?? null;
    if (want !== have) out.push({ field, expected: want, observed: have });
  }
  return out;
}

/** One line for logs: "ip 192.168.4.220 (should be 192.168.4.238); agentIp null (should be 192.168.4.238)". */
export function describeMismatches(mismatches: readonly ObservationMismatch[]): string {
  return mismatches.map((m) => `${m.field} ${JSON.stringify(m.observed)} (should be ${JSON.stringify(m.expected)})`).join("; ");
}

/** The warning for a node with unverified sources: one sentence per source, reason and fix. */
export function describeUnverified(nodeName: string, unverified: readonly Unverified[]): string {
  const parts = unverified.map((u) => `${u.source === "kube" ? "cluster API" : "Proxmox guest agent"}: ${u.reason}. Fix: ${u.fix}`);
  return `could not verify ${nodeName} (this is not drift; its other sources were compared): ${parts.join(" | ")}`;
}
