/**
 * What a change *means* for the cluster and how to recover, as a table: one rule per situation,
 * keyed by resource type, kind of change and changed property. The drift report prints the
 * consequence and recovery under every change that touches addressing, so a reviewer sees "the
 * cluster goes down at the next DHCP renewal", not just `~ ip`.
 *
 * The texts come from the two incidents: RCA-2025-07-27 (MAAS dropped the DHCP host entries; the
 * K3s VMs got pool addresses 192.168.4.220-222 instead of .236-.238; TLS failed; 20 h outage) and
 * seed 004 (a DHCP change left flannel on the old address; CoreDNS looped; 6,812 restarts; fix:
 * pin node-ip and flannel-iface). Wording is neutral about *why* a value differs (drift found by the
 * refresh, or a change in the PR): "now" is the live value, "wanted" what `pulumi up` will set.
 */
import { IPv4 } from "ipaddr.js";
import type { AddressRange, PropertyChange, ResourceChange } from "./preview-json";

export const RESERVATION_TYPE = "pulumi-nodejs:dynamic/maas:Reservation";
export const READBACK_TYPE = "pulumi-nodejs:dynamic/readback:Node";
export const K3S_CONFIG_TYPE = "pulumi-nodejs:dynamic/k3s:NodeConfig";
export const VM_TYPE = "proxmoxve:index/vmLegacy:VmLegacy";
export const SNIPPET_TYPE = "proxmoxve:index/fileLegacy:FileLegacy";

/** A change as the rules see it: `missing` is a create/delete of something that vanished outside Pulumi. */
export type ChangeKind = "missing" | "create" | "update" | "replace" | "delete";

/** Values a rule's texts may use. Missing values render as "(none)". */
export interface RuleVars {
  /** Node name, or the resource name for stack-level resources. */
  node: string;
  /** Resource name, e.g. "k3s-vm-pve-vm". */
  name: string;
  /** The matched property's path and its live ("now") and desired ("wanted") values. */
  path: string;
  now: string;
  wanted: string;
  /** Desired and live input bags (masked). */
  desired: Record<string, unknown>;
  live: Record<string, unknown>;
  replaceReasons: string[];
  /** MAAS's dynamic range, when the stack config names it. */
  range: AddressRange | null;
}

export interface ConsequenceRule {
  id: string;
  type: string;
  on: readonly ChangeKind[];
  /** Property paths (exact, or a prefix followed by "." or "[") one of which must have changed. */
  properties?: readonly string[];
  /** Extra condition on the values. */
  when?: (v: RuleVars) => boolean;
  /**
   * Which report section the text is written for: "drift" (the live system changed behind
   * Pulumi's back) or "change" (the program changed the declaration). Absent: both.
   */
  section?: ReportSection;
  consequence: (v: RuleVars) => string;
  recovery: (v: RuleVars) => string;
}

/** "drift": found by the refresh; "change": what the pull request's program changes. */
export type ReportSection = "drift" | "change";

export interface Consequence {
  rule: string;
  consequence: string;
  recovery: string;
}

// ---- helpers for the texts ----

function show(v: unknown): string {
  if (v === undefined || v === null || v === "") return "(none)";
  return typeof v === "string" ? v : JSON.stringify(v);
}
const pick = (bag: Record<string, unknown>, ...keys: string[]): string => show(keys.map((k) => bag[k]).find((v) => v !== undefined && v !== null));
const desiredIp = (v: RuleVars) => pick(v.desired, "ip", "nodeIp", "node-ip");
const desiredMac = (v: RuleVars) => pick(v.desired, "mac");
const kubectl = (v: RuleVars) => `\`kubectl get node ${v.node} -o wide\``;
const RENEW = "`networkctl renew eth0` (or `dhclient -r eth0 && dhclient eth0`)";

function toNumber(ip: string): number | null {
  if (!IPv4.isValidFourPartDecimal(ip)) return null;
  return IPv4.parse(ip).octets.reduce((n, o) => n * 256 + o, 0);
}

/** True when `ip` lies inside `range` (inclusive). */
export function inRange(ip: string, range: AddressRange | null): boolean {
  if (!range) return false;
  const [a, s, e] = [toNumber(ip), toNumber(range.start), toNumber(range.end)];
  return a !== null && s !== null && e !== null && a >= s && a <= e;
}

const poolNote = (v: RuleVars) =>
  inRange(v.now, v.range) ? ` (${v.now} is inside the MAAS dynamic range ${v.range!.start}-${v.range!.end})` : "";
const isServer = (bag: Record<string, unknown>) =>
  bag.role === "server" || bag.clusterInit === true || bag["cluster-init"] === true || typeof bag.server === "string";

const REBUILD_FIRST =
  "Drain the node first (`kubectl drain NODE --ignore-daemonsets --delete-emptydir-data`); on an embedded-etcd server take " +
  "`k3s etcd-snapshot save` and make sure the other servers keep quorum; then run `pulumi up` and wait for the node to rejoin.";
const rebuildFirst = (v: RuleVars) => REBUILD_FIRST.replace("NODE", v.node);

const ETCD_RECOVERY =
  "Before `pulumi up`, take `k3s etcd-snapshot save` on a healthy server. After the change, restart K3s on the node " +
  "(`systemctl restart k3s`). If its etcd member still advertises the old peer URL, remove it (`etcdctl member remove <id>`) " +
  "and let the node rejoin, or, on the last server, restore with `k3s server --cluster-reset` and restart the others.";

// ---- the table ----

export const CONSEQUENCE_RULES: readonly ConsequenceRule[] = [
  // MAAS reservation
  {
    id: "reservation-missing",
    type: RESERVATION_TYPE,
    on: ["missing"],
    consequence: (v) =>
      `MAAS no longer pins ${desiredIp(v)} to ${desiredMac(v)}: at its next DHCP renewal the node can get a pool address ` +
      "(RCA-2025-07-27: 192.168.4.220), TLS between K3s nodes fails and the cluster goes down.",
    recovery: (v) => `Run \`pulumi up\` now to recreate the reservation; then check the node kept ${desiredIp(v)} (${kubectl(v)}).`,
  },
  {
    id: "reservation-new",
    type: RESERVATION_TYPE,
    on: ["create"],
    consequence: (v) => `New reservation: MAAS will pin ${desiredIp(v)} to ${desiredMac(v)} from the next DHCP request on.`,
    recovery: () => "Nothing to recover: `pulumi up` creates it.",
  },
  {
    id: "reservation-mac-changed",
    section: "drift",
    type: RESERVATION_TYPE,
    on: ["update", "replace"],
    properties: ["mac"],
    consequence: (v) =>
      `MAAS pins ${desiredIp(v)} to ${v.now}, not to ${v.node}'s MAC ${v.wanted}: another host will get the node's address, ` +
      `and ${v.node} falls back to a pool address at its next DHCP renewal (the RCA-2025-07-27 failure, with an address conflict on top).`,
    recovery: (v) =>
      `Find the host with MAC ${v.now} (MAAS reserved IPs, the DHCP leases), then run \`pulumi up\` to pin ${desiredIp(v)} to ${v.wanted} ` +
      `again (the reservation is deleted, then re-created). Afterwards check ${kubectl(v)}.`,
  },
  {
    id: "reservation-ip-changed",
    section: "drift",
    type: RESERVATION_TYPE,
    on: ["update", "replace"],
    properties: ["ip"],
    consequence: (v) =>
      `MAAS pins ${desiredMac(v)} to ${v.now}, but the node is declared as ${v.wanted}: at its next DHCP renewal the node moves to ` +
      `${v.now} while its certificates, K3s node-ip and flannel still name ${v.wanted}; the node drops out of the cluster as in RCA-2025-07-27.`,
    recovery: (v) =>
      `Run \`pulumi up\` to put the reservation back to ${v.wanted} before the lease renews; if the node already moved, renew its lease ` +
      `(${RENEW}) and restart K3s (\`systemctl restart k3s\`).`,
  },
  {
    // MAAS ≤ 3.5 only: a legacy reservation's hostname is a DNS record (renamed or deleted in MAAS); pinning is unaffected.
    id: "reservation-hostname-changed",
    section: "drift",
    type: RESERVATION_TYPE,
    on: ["update", "replace"],
    properties: ["hostname"],
    consequence: (v) =>
      (v.now === "(none)" ? `MAAS's DNS has no record for ${desiredIp(v)} any more` : `MAAS's DNS names ${desiredIp(v)} ${v.now}`) +
      `, not ${v.wanted}: ${v.wanted} no longer resolves to the node through MAAS's DNS. DHCP still pins ${desiredIp(v)} to ${desiredMac(v)}.`,
    recovery: (v) =>
      `Run \`pulumi up\` to release the reservation and reserve it again under ${v.wanted} (MAAS ≤ 3.5 cannot rename it through ` +
      `op=reserve): ${desiredIp(v)} is unpinned for those two API calls; the node's current lease is unaffected. If the name in MAAS is ` +
      "the one wanted, declare it instead.",
  },
  {
    id: "reservation-in-dynamic-range",
    section: "drift",
    type: RESERVATION_TYPE,
    on: ["update", "replace"],
    properties: ["insideDynamicRange"],
    consequence: (v) =>
      `MAAS's dynamic range ${v.now} now covers ${desiredIp(v)}, the address reserved for ${v.node}: DHCP can hand it to another ` +
      "client, and two hosts answer on one address (the RCA-2025-07-27 root cause).",
    recovery: (v) =>
      `Shrink the dynamic range in MAAS (Subnets → the subnet → Reserved ranges → edit) so it excludes ${desiredIp(v)}; ` +
      "`pulumi up` cannot change MAAS's ranges and fails until then. Then check that no other host holds a lease on the address.",
  },
  {
    id: "reservation-removed",
    type: RESERVATION_TYPE,
    on: ["delete"],
    consequence: (v) =>
      `MAAS will stop pinning ${pick(v.live, "ip")} to ${pick(v.live, "mac")}: unless the node is being removed too, it gets a pool ` +
      "address at its next DHCP renewal (RCA-2025-07-27).",
    recovery: (v) => `Make sure ${v.node} is really being retired; otherwise keep its declaration and run \`pulumi up\`.`,
  },
  {
    id: "reservation-ip-declared",
    type: RESERVATION_TYPE,
    section: "change",
    on: ["update", "replace"],
    properties: ["ip"],
    consequence: (v) =>
      `This change moves ${v.node}'s reservation from ${v.now} to ${v.wanted} (MAAS cannot edit a reservation's IP: it is deleted, ` +
      `then created). MAAS hands out ${v.wanted} from the node's next DHCP request; until then the node keeps ${v.now}, and the ` +
      "read-back reports the difference as drift.",
    recovery: (v) =>
      `After \`pulumi up\`, renew the lease on the node (${RENEW}) so it takes ${v.wanted} now rather than at the next renewal, ` +
      `and check ${kubectl(v)}. Check first that no other host uses ${v.wanted}.`,
  },
  {
    id: "reservation-mac-declared",
    type: RESERVATION_TYPE,
    section: "change",
    on: ["update", "replace"],
    properties: ["mac"],
    consequence: (v) =>
      `This change pins ${desiredIp(v)} to MAC ${v.wanted} instead of ${v.now} (the reservation is deleted, then created): the host ` +
      `with ${v.now} loses its pinned address at its next DHCP renewal.`,
    recovery: (v) =>
      `Make sure ${v.wanted} is ${v.node}'s NIC (for a Proxmox VM, net0 changes in the same \`pulumi up\`), and that the host with ` +
      `${v.now} no longer needs ${desiredIp(v)}.`,
  },

  // Live read-back of the node
  // A source that did not answer (cluster down, no agent, no RBAC) is not a change any more:
  // the report lists it under "Could not verify" with the provider's reason and fix.
  {
    id: "node-pool-address",
    section: "drift",
    type: READBACK_TYPE,
    on: ["update"],
    properties: ["ip", "agentIp"],
    when: (v) => v.now !== "(none)",
    consequence: (v) =>
      `${v.node} reports ${v.now} instead of ${v.wanted}${poolNote(v)}: it is on a pool address, so its K3s certificates, node-ip and ` +
      "flannel no longer match its address; TLS between the nodes fails (RCA-2025-07-27: 192.168.4.220-222).",
    recovery: (v) =>
      `Run \`pulumi up\` first so MAAS pins ${v.wanted} again, then on the node renew the lease (${RENEW}) and restart K3s ` +
      `(\`systemctl restart k3s\`); check ${kubectl(v)} shows ${v.wanted}.`,
  },
  {
    id: "node-no-address",
    section: "drift",
    type: READBACK_TYPE,
    on: ["update"],
    properties: ["ip", "agentIp"],
    when: (v) => v.now === "(none)",
    consequence: (v) =>
      `${v.node} reports no ${v.path === "ip" ? "InternalIP (the cluster has no node of that name)" : "IPv4 on its MAC's interface"}: it is not registered, or its DHCP failed.`,
    recovery: (v) =>
      `Check the VM is running and its NIC has MAC ${pick(v.desired, "mac")}; run \`pulumi up\`, then ${RENEW} and \`systemctl restart k3s\` on the node.`,
  },
  {
    id: "node-k3s-node-ip",
    section: "drift",
    type: READBACK_TYPE,
    on: ["update"],
    properties: ["nodeIp"],
    consequence: (v) =>
      `K3s on ${v.node} runs with node-ip ${v.now}, not ${v.wanted}: the kubelet registers the wrong address, and on an embedded-etcd ` +
      "server the etcd member advertises the old peer URL, so the other servers cannot reach it.",
    recovery: () => ETCD_RECOVERY,
  },
  {
    id: "node-flannel-iface",
    section: "drift",
    type: READBACK_TYPE,
    on: ["update"],
    properties: ["flannelIface"],
    consequence: (v) =>
      `flannel on ${v.node} uses ${v.now === "(none)" ? "whatever interface has the default route" : v.now} instead of ${v.wanted}: after ` +
      "an address change pod traffic and CoreDNS break (seed 004: 6,812 restarts).",
    recovery: (v) =>
      `Run \`pulumi up\`: for a node with an \`ssh\` block it writes \`flannel-iface: ${v.wanted}\` to the node's config.yaml and restarts K3s ` +
      "(servers one at a time); without one, set it in /etc/rancher/k3s/config.yaml on the node and `systemctl restart k3s`.",
  },
  {
    id: "node-flannel-public-ip",
    section: "drift",
    type: READBACK_TYPE,
    on: ["update"],
    properties: ["flannelPublicIp"],
    consequence: (v) =>
      `flannel on ${v.node} still tunnels from ${v.now}, not ${v.wanted}: VXLAN traffic from the other nodes goes to the old address, ` +
      "so cross-node pod traffic and CoreDNS fail (seed 004).",
    recovery: (v) =>
      `Restart K3s on the node (\`systemctl restart k3s\`) so flannel re-reads its address; if it keeps ${v.now}, pin node-ip and ` +
      "flannel-iface (`pulumi up`) and restart again.",
  },

  {
    id: "node-expectation-declared",
    type: READBACK_TYPE,
    section: "change",
    on: ["update"],
    properties: ["ip", "agentIp", "nodeIp", "flannelIface", "flannelPublicIp"],
    consequence: (v) =>
      `The read-back now expects ${v.node}'s ${v.path} to be ${v.wanted} (was ${v.now}); until the node runs there (lease renewed, ` +
      "K3s restarted with the new settings) it reports the difference as drift.",
    recovery: (v) => `Nothing before \`pulumi up\`; afterwards \`npm run drift -- --stack <stack>\` should show ${v.node} clean.`,
  },

  // K3s settings record
  {
    id: "k3s-node-ip-server",
    type: K3S_CONFIG_TYPE,
    on: ["update"],
    properties: ["nodeIp", "node-ip"],
    when: (v) => isServer(v.desired) || isServer(v.live),
    consequence: (v) =>
      `K3s on ${v.node} moves from node-ip ${v.now} to ${v.wanted}. ${v.node} is an embedded-etcd server: its etcd member still ` +
      `advertises the peer URL of ${v.now}, so after the restart etcd may not rejoin and the cluster can lose quorum.`,
    recovery: () => ETCD_RECOVERY,
  },
  {
    id: "k3s-node-ip-agent",
    type: K3S_CONFIG_TYPE,
    on: ["update"],
    properties: ["nodeIp", "node-ip"],
    when: (v) => !(isServer(v.desired) || isServer(v.live)),
    consequence: (v) => `K3s on ${v.node} moves from node-ip ${v.now} to ${v.wanted}; it re-registers with the new address after a restart.`,
    recovery: () => "`pulumi up` writes the node's config.yaml over SSH, restarts `k3s-agent` and waits until the node is Ready on the new address.",
  },
  {
    id: "k3s-flannel-iface",
    type: K3S_CONFIG_TYPE,
    on: ["update"],
    properties: ["flannelIface", "flannel-iface"],
    consequence: (v) => `flannel on ${v.node} moves from interface ${v.now} to ${v.wanted} once K3s restarts.`,
    recovery: () => "`pulumi up` writes the node's config.yaml over SSH and restarts K3s (`k3s`, or `k3s-agent` on an agent), servers one at a time.",
  },
  {
    id: "k3s-overridden",
    section: "drift",
    type: K3S_CONFIG_TYPE,
    on: ["update"],
    properties: ["overrides"],
    consequence: (v) =>
      `Something on ${v.node} overrides the config.yaml this stack writes, so K3s does not run with the declared settings: ${v.now}.`,
    recovery: () => "Apply the fix named above on the node; `pulumi up` refuses to write config.yaml until nothing overrides it.",
  },
  {
    id: "k3s-create-only",
    type: K3S_CONFIG_TYPE,
    on: ["replace"],
    consequence: (v) =>
      `A K3s setting that only applies when the node first joins changed (${v.replaceReasons.join(", ") || "see the table"}): nothing rebuilds the node; ` +
      "`pulumi up` refuses the change on a joined node (the error gives the runbook) unless the node opts in with `rejoin: true` after K3s was uninstalled.",
    recovery: rebuildFirst,
  },

  // Proxmox VM and its cloud-init snippet
  {
    id: "vm-missing",
    type: VM_TYPE,
    on: ["missing"],
    consequence: (v) => `The VM ${v.name} is gone from Proxmox: \`pulumi up\` creates a new one, so the node will be rebuilt from the template.`,
    recovery: (v) => `Check why it disappeared first (Proxmox task log); then \`pulumi up\` and wait for ${v.node} to rejoin (${kubectl(v)}).`,
  },
  {
    id: "vm-replace",
    type: VM_TYPE,
    on: ["replace"],
    consequence: (v) =>
      `The VM ${v.name} will be replaced (${v.replaceReasons.join(", ") || "create-only settings changed"}): the node will be rebuilt — new disk from the template, new cloud-init.`,
    recovery: rebuildFirst,
  },
  {
    id: "vm-stopped",
    section: "drift",
    type: VM_TYPE,
    on: ["update"],
    properties: ["started"],
    when: (v) => v.now === "false",
    consequence: (v) => `The VM ${v.name} is stopped: ${v.node} is down.`,
    recovery: () => "`pulumi up` starts it; check why it stopped (Proxmox task log).",
  },
  {
    id: "vm-mac",
    type: VM_TYPE,
    on: ["update"],
    properties: ["networkDevices", "macAddresses"],
    when: (v) => /mac/i.test(v.path),
    consequence: (v) =>
      `The VM's NIC MAC changes from ${v.now} to ${v.wanted}: the MAAS reservation follows the MAC, so until both are updated the node gets a pool address.`,
    recovery: () => "`pulumi up` updates the VM and the reservation together; the VM reboots to pick up the new NIC.",
  },
  {
    id: "vm-ipconfig",
    type: VM_TYPE,
    on: ["update"],
    properties: ["initialization.ipConfigs", "initialization.dns"],
    consequence: (v) =>
      `The cloud-init network settings of ${v.name} change (${v.path}: ${v.now} → ${v.wanted}): Proxmox regenerates the cloud-init drive and the VM reboots to apply them.`,
    recovery: (v) => `Expect a reboot of ${v.node} at \`pulumi up\`; drain it first if it runs workloads (\`kubectl drain ${v.node} --ignore-daemonsets\`).`,
  },
  {
    id: "snippet-replace",
    type: SNIPPET_TYPE,
    on: ["replace", "missing"],
    consequence: (v) =>
      `The cloud-init snippet ${v.name} is ${v.replaceReasons.length ? "replaced" : "re-created"}; the VM that uses it has it as a create-only setting, so the node will be rebuilt.`,
    recovery: rebuildFirst,
  },
];

// ---- matching ----

export function changeKind(change: ResourceChange): ChangeKind | null {
  if (change.missing) return "missing";
  switch (change.op) {
    case "create":
      return "create";
    case "update":
      return "update";
    case "replace":
    case "create-replacement":
      return "replace";
    case "delete":
    case "delete-replaced":
      return "delete";
    default:
      return null;
  }
}

function matches(path: string, wanted: string): boolean {
  return path === wanted || path.startsWith(`${wanted}.`) || path.startsWith(`${wanted}[`);
}

function varsFor(change: ResourceChange, prop: PropertyChange | undefined, range: AddressRange | null): RuleVars {
  return {
    node: change.node ?? change.name,
    name: change.name,
    path: prop?.path ?? "",
    now: show(prop?.before),
    wanted: show(prop?.after),
    desired: change.desired,
    live: change.live,
    replaceReasons: change.replaceReasons,
    range,
  };
}

/**
 * The consequences of one change, in table order, one per matching rule. A rule with
 * `properties` uses the first changed property it names (in the order the rule lists them).
 * `section` picks the wording: a drifted reservation and a re-declared one mean different things.
 */
export function consequencesFor(change: ResourceChange, range: AddressRange | null = null, section: ReportSection = "drift"): Consequence[] {
  const kind = changeKind(change);
  if (!kind) return [];
  const out: Consequence[] = [];
  for (const rule of CONSEQUENCE_RULES) {
    if (rule.type !== change.type || !rule.on.includes(kind)) continue;
    if (rule.section && rule.section !== section) continue;
    let prop: PropertyChange | undefined;
    if (rule.properties) {
      for (const wanted of rule.properties) {
        prop = change.properties.find((p) => matches(p.path, wanted));
        if (prop) break;
      }
      if (!prop && kind === "replace") {
        // Replacements name their reasons even when no value diff is visible (unknown during preview).
        const reason = change.replaceReasons.find((r) => rule.properties!.some((w) => matches(r, w)));
        if (reason) prop = { path: reason, before: change.live[reason], after: change.desired[reason] };
      }
      if (!prop) continue;
    }
    const vars = varsFor(change, prop, range);
    if (rule.when && !rule.when(vars)) continue;
    const c = { rule: rule.id, consequence: rule.consequence(vars), recovery: rule.recovery(vars) };
    if (!out.some((o) => o.consequence === c.consequence)) out.push(c);
  }
  return out;
}
