import { describe, expect, it } from "vitest";
import {
  changeKind,
  CONSEQUENCE_RULES,
  consequencesFor,
  inRange,
  K3S_CONFIG_TYPE,
  READBACK_TYPE,
  RESERVATION_TYPE,
  SNIPPET_TYPE,
  VM_TYPE,
  type ReportSection,
} from "../../../drift/consequences";
import type { PropertyChange, ResourceChange } from "../../../drift/preview-json";

const RANGE = { start: "192.168.4.200", end: "192.168.4.254" };

function change(partial: Partial<ResourceChange> & Pick<ResourceChange, "type" | "op">): ResourceChange {
  return {
    urn: "urn:pulumi:homelab::homelab::x::y",
    name: "k3s-vm-pve-thing",
    node: "k3s-vm-pve",
    missing: false,
    replaceReasons: [],
    diffReasons: [],
    properties: [],
    desired: {},
    live: {},
    ...partial,
  };
}
const prop = (path: string, before: unknown, after: unknown): PropertyChange => ({ path, before, after });
const reservation = { ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", hostname: "k3s-vm-pve" };

/** One case per rule: the change that triggers it, and fragments its texts must contain. */
const CASES: Array<{ rule: string; change: ResourceChange; consequence: RegExp; recovery: RegExp; section?: ReportSection }> = [
  {
    rule: "reservation-missing",
    change: change({ type: RESERVATION_TYPE, op: "create", missing: true, desired: reservation }),
    consequence: /^MAAS no longer pins 192\.168\.4\.238 to bc:24:11:3b:7a:a7: at its next DHCP renewal the node can get a pool address \(RCA-2025-07-27: 192\.168\.4\.220\), TLS between K3s nodes fails and the cluster goes down\.$/,
    recovery: /^Run `pulumi up` now to recreate the reservation; then check the node kept 192\.168\.4\.238 \(`kubectl get node k3s-vm-pve -o wide`\)\.$/,
  },
  {
    rule: "reservation-new",
    change: change({ type: RESERVATION_TYPE, op: "create", desired: reservation }),
    consequence: /New reservation: MAAS will pin 192\.168\.4\.238 to bc:24:11:3b:7a:a7/,
    recovery: /Nothing to recover/,
  },
  {
    rule: "reservation-mac-changed",
    change: change({ type: RESERVATION_TYPE, op: "replace", replaceReasons: ["mac"], desired: reservation, properties: [prop("mac", "bc:24:11:5e:00:42", "bc:24:11:3b:7a:a7")] }),
    consequence: /MAAS pins 192\.168\.4\.238 to bc:24:11:5e:00:42, not to k3s-vm-pve's MAC bc:24:11:3b:7a:a7: another host will get the node's address/,
    recovery: /Find the host with MAC bc:24:11:5e:00:42 .*`pulumi up` to pin 192\.168\.4\.238 to bc:24:11:3b:7a:a7/,
  },
  {
    rule: "reservation-hostname-changed",
    change: change({ type: RESERVATION_TYPE, op: "replace", replaceReasons: ["hostname"], desired: reservation, properties: [prop("hostname", "renamed", "k3s-vm-pve")] }),
    consequence: /^MAAS's DNS names 192\.168\.4\.238 renamed, not k3s-vm-pve: k3s-vm-pve no longer resolves to the node through MAAS's DNS\. DHCP still pins 192\.168\.4\.238 to bc:24:11:3b:7a:a7\.$/,
    recovery: /^Run `pulumi up` to release the reservation and reserve it again under k3s-vm-pve .*192\.168\.4\.238 is unpinned for those two API calls/,
  },
  {
    rule: "reservation-in-dynamic-range",
    change: change({ type: RESERVATION_TYPE, op: "update", desired: reservation, properties: [prop("insideDynamicRange", "192.168.4.200-192.168.4.240", "")] }),
    consequence: /MAAS's dynamic range 192\.168\.4\.200-192\.168\.4\.240 now covers 192\.168\.4\.238, the address reserved for k3s-vm-pve/,
    recovery: /Shrink the dynamic range in MAAS .* excludes 192\.168\.4\.238; `pulumi up` cannot change MAAS's ranges/,
  },
  {
    rule: "reservation-ip-changed",
    change: change({ type: RESERVATION_TYPE, op: "replace", replaceReasons: ["ip"], desired: reservation, properties: [prop("ip", "192.168.4.220", "192.168.4.238")] }),
    consequence: /MAAS pins bc:24:11:3b:7a:a7 to 192\.168\.4\.220, but the node is declared as 192\.168\.4\.238: at its next DHCP renewal the node moves/,
    recovery: /put the reservation back to 192\.168\.4\.238 .*networkctl renew eth0.*systemctl restart k3s/,
  },
  {
    rule: "reservation-ip-declared",
    section: "change",
    change: change({ type: RESERVATION_TYPE, op: "replace", replaceReasons: ["ip"], desired: { ...reservation, ip: "192.168.4.241" }, properties: [prop("ip", "192.168.4.238", "192.168.4.241")] }),
    consequence: /^This change moves k3s-vm-pve's reservation from 192\.168\.4\.238 to 192\.168\.4\.241 \(MAAS cannot edit a reservation's IP: it is deleted, then created\)\. MAAS hands out 192\.168\.4\.241 from the node's next DHCP request/,
    recovery: /After `pulumi up`, renew the lease on the node .*takes 192\.168\.4\.241 now/,
  },
  {
    rule: "reservation-mac-declared",
    section: "change",
    change: change({ type: RESERVATION_TYPE, op: "replace", replaceReasons: ["mac"], desired: reservation, properties: [prop("mac", "bc:24:11:5e:00:42", "bc:24:11:3b:7a:a7")] }),
    consequence: /This change pins 192\.168\.4\.238 to MAC bc:24:11:3b:7a:a7 instead of bc:24:11:5e:00:42/,
    recovery: /Make sure bc:24:11:3b:7a:a7 is k3s-vm-pve's NIC/,
  },
  {
    rule: "node-expectation-declared",
    section: "change",
    change: change({ type: READBACK_TYPE, op: "update", properties: [prop("ip", "192.168.4.238", "192.168.4.241")] }),
    consequence: /The read-back now expects k3s-vm-pve's ip to be 192\.168\.4\.241 \(was 192\.168\.4\.238\); until the node runs there/,
    recovery: /Nothing before `pulumi up`/,
  },
  {
    rule: "reservation-removed",
    change: change({ type: RESERVATION_TYPE, op: "delete", live: reservation, properties: [prop("ip", "192.168.4.238", undefined)] }),
    consequence: /MAAS will stop pinning 192\.168\.4\.238 to bc:24:11:3b:7a:a7/,
    recovery: /really being retired/,
  },
  {
    rule: "node-pool-address",
    change: change({ type: READBACK_TYPE, op: "update", properties: [prop("agentIp", "192.168.4.222", "192.168.4.238"), prop("ip", "192.168.4.222", "192.168.4.238")] }),
    consequence: /k3s-vm-pve reports 192\.168\.4\.222 instead of 192\.168\.4\.238 \(192\.168\.4\.222 is inside the MAAS dynamic range 192\.168\.4\.200-192\.168\.4\.254\): it is on a pool address/,
    recovery: /`pulumi up` first .*renew the lease .*restart K3s/,
  },
  {
    rule: "node-no-address",
    change: change({ type: READBACK_TYPE, op: "update", desired: { mac: "bc:24:11:3b:7a:a7" }, properties: [prop("ip", null, "192.168.4.238")] }),
    consequence: /reports no InternalIP \(the cluster has no node of that name\)/,
    recovery: /NIC has MAC bc:24:11:3b:7a:a7/,
  },
  {
    rule: "node-k3s-node-ip",
    change: change({ type: READBACK_TYPE, op: "update", properties: [prop("nodeIp", "192.168.4.222", "192.168.4.238")] }),
    consequence: /K3s on k3s-vm-pve runs with node-ip 192\.168\.4\.222, not 192\.168\.4\.238: .*etcd member advertises the old peer URL/,
    recovery: /k3s etcd-snapshot save.*etcdctl member remove.*--cluster-reset/,
  },
  {
    rule: "node-flannel-iface",
    change: change({ type: READBACK_TYPE, op: "update", properties: [prop("flannelIface", "wlp5s0", "eth0")] }),
    consequence: /flannel on k3s-vm-pve uses wlp5s0 instead of eth0/,
    recovery: /`systemctl restart k3s`/,
  },
  {
    rule: "node-flannel-public-ip",
    change: change({ type: READBACK_TYPE, op: "update", properties: [prop("flannelPublicIp", "192.168.1.79", "192.168.4.238")] }),
    consequence: /still tunnels from 192\.168\.1\.79, not 192\.168\.4\.238/,
    recovery: /Restart K3s on the node/,
  },
  {
    rule: "k3s-node-ip-server",
    change: change({ type: K3S_CONFIG_TYPE, op: "update", desired: { role: "server", clusterInit: true }, properties: [prop("nodeIp", "192.168.4.222", "192.168.4.238")] }),
    consequence: /k3s-vm-pve is an embedded-etcd server: its etcd member still advertises the peer URL of 192\.168\.4\.222/,
    recovery: /k3s etcd-snapshot save.*--cluster-reset/,
  },
  {
    rule: "k3s-node-ip-agent",
    change: change({ type: K3S_CONFIG_TYPE, op: "update", desired: { role: "agent" }, properties: [prop("nodeIp", "192.168.4.222", "192.168.4.238")] }),
    consequence: /re-registers with the new address after a restart/,
    recovery: /`pulumi up` writes the node's config\.yaml over SSH, restarts `k3s-agent` and waits until the node is Ready/,
  },
  {
    rule: "k3s-flannel-iface",
    change: change({ type: K3S_CONFIG_TYPE, op: "update", properties: [prop("flannelIface", "wlp5s0", "eth0")] }),
    consequence: /moves from interface wlp5s0 to eth0/,
    recovery: /`pulumi up` writes the node's config\.yaml over SSH and restarts K3s/,
  },
  {
    rule: "k3s-overridden",
    change: change({ type: K3S_CONFIG_TYPE, op: "update", properties: [prop("overrides", "the unit's `--node-ip=192.168.4.50` overrides config.yaml", "(none)")] }),
    consequence: /overrides the config\.yaml this stack writes.*--node-ip=192\.168\.4\.50/,
    recovery: /refuses to write config\.yaml until nothing overrides it/,
  },
  {
    rule: "k3s-create-only",
    change: change({ type: K3S_CONFIG_TYPE, op: "replace", replaceReasons: ["clusterInit"] }),
    consequence: /only applies when the node first joins changed \(clusterInit\): nothing rebuilds the node; `pulumi up` refuses the change/,
    recovery: /kubectl drain k3s-vm-pve/,
  },
  {
    rule: "vm-missing",
    change: change({ type: VM_TYPE, op: "create", missing: true, name: "k3s-vm-pve-vm" }),
    consequence: /The VM k3s-vm-pve-vm is gone from Proxmox: .*the node will be rebuilt/,
    recovery: /Proxmox task log/,
  },
  {
    rule: "vm-replace",
    change: change({ type: VM_TYPE, op: "replace", name: "k3s-vm-pve-vm", replaceReasons: ["initialization"] }),
    consequence: /will be replaced \(initialization\): the node will be rebuilt/,
    recovery: /k3s etcd-snapshot save/,
  },
  {
    rule: "vm-stopped",
    change: change({ type: VM_TYPE, op: "update", name: "k3s-vm-pve-vm", properties: [prop("started", false, true)] }),
    consequence: /is stopped: k3s-vm-pve is down/,
    recovery: /`pulumi up` starts it/,
  },
  {
    rule: "vm-mac",
    change: change({ type: VM_TYPE, op: "update", properties: [prop("networkDevices[0].macAddress", "BC:24:11:00:00:01", "BC:24:11:3B:7A:A7")] }),
    consequence: /NIC MAC changes from BC:24:11:00:00:01 to BC:24:11:3B:7A:A7/,
    recovery: /updates the VM and the reservation together/,
  },
  {
    rule: "vm-ipconfig",
    change: change({ type: VM_TYPE, op: "update", name: "k3s-vm-pve-vm", properties: [prop("initialization.ipConfigs[0].ipv4.address", "dhcp", "192.168.4.238/24")] }),
    consequence: /cloud-init network settings of k3s-vm-pve-vm change \(initialization\.ipConfigs\[0\]\.ipv4\.address: dhcp → 192\.168\.4\.238\/24\): .*reboots/,
    recovery: /Expect a reboot of k3s-vm-pve/,
  },
  {
    rule: "snippet-replace",
    change: change({ type: SNIPPET_TYPE, op: "replace", name: "k3s-vm-pve-userdata", replaceReasons: ["sourceRaw"] }),
    consequence: /cloud-init snippet k3s-vm-pve-userdata is replaced; .*the node will be rebuilt/,
    recovery: /kubectl drain/,
  },
];

describe("the consequence table", () => {
  it.each(CASES)("rule $rule gives its consequence and recovery", ({ rule, change: c, consequence, recovery, section }) => {
    const found = consequencesFor(c, RANGE, section).find((q) => q.rule === rule);
    expect(found, `rule ${rule} did not match`).toBeDefined();
    expect(found!.consequence).toMatch(consequence);
    expect(found!.recovery).toMatch(recovery);
  });

  it("has a test case for every rule, and unique rule ids", () => {
    const ids = CONSEQUENCE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(CASES.map((c) => c.rule).sort()).toEqual([...ids].sort());
  });

  it("says nothing about changes that do not touch addressing", () => {
    expect(consequencesFor(change({ type: "kubernetes:monitoring.coreos.com/v1:PrometheusRule", op: "update", properties: [prop("spec", 1, 2)] }))).toEqual([]);
    expect(consequencesFor(change({ type: VM_TYPE, op: "update", properties: [prop("memory.dedicated", 4096, 8192)] }))).toEqual([]);
    expect(consequencesFor(change({ type: READBACK_TYPE, op: "create", desired: { ip: "1.2.3.4" } }))).toEqual([]);
  });

  it("words one change for its section: what MAAS or the node did (drift) vs what the program changes (pull request)", () => {
    const moved = change({ type: RESERVATION_TYPE, op: "replace", replaceReasons: ["ip"], desired: { ...reservation, ip: "192.168.4.241" }, properties: [prop("ip", "192.168.4.238", "192.168.4.241")] });
    expect(consequencesFor(moved, RANGE, "drift").map((q) => q.rule)).toEqual(["reservation-ip-changed"]);
    expect(consequencesFor(moved, RANGE, "change").map((q) => q.rule)).toEqual(["reservation-ip-declared"]);
    const expectation = change({ type: READBACK_TYPE, op: "update", properties: [prop("ip", "192.168.4.238", "192.168.4.241")] });
    expect(consequencesFor(expectation, RANGE, "change").map((q) => q.rule)).toEqual(["node-expectation-declared"]);
    expect(consequencesFor(expectation, RANGE, "change")[0]!.consequence).not.toMatch(/pool address/);
    // Both sections: what a re-declared K3s setting or a new reservation means does not depend on who changed it.
    const k3s = change({ type: K3S_CONFIG_TYPE, op: "update", desired: { role: "agent" }, properties: [prop("nodeIp", "192.168.4.238", "192.168.4.241")] });
    expect(consequencesFor(k3s, RANGE, "drift").map((q) => q.rule)).toEqual(consequencesFor(k3s, RANGE, "change").map((q) => q.rule));
  });

  it("has no rule for reachability: a source that did not answer is 'could not verify', not a change", () => {
    const down = change({ type: READBACK_TYPE, op: "update", properties: [prop("reachable.kube", false, true)] });
    expect(consequencesFor(down)).toEqual([]);
  });

  it("mentions the dynamic range only when the live address is inside it", () => {
    const outside = change({ type: READBACK_TYPE, op: "update", properties: [prop("ip", "192.168.4.150", "192.168.4.238")] });
    expect(consequencesFor(outside, RANGE)[0]!.consequence).not.toMatch(/dynamic range/);
    expect(consequencesFor(outside, null)[0]!.rule).toBe("node-pool-address");
  });

  it("finds the replaced property from replaceReasons when no value diff is visible", () => {
    const c = change({ type: RESERVATION_TYPE, op: "replace", replaceReasons: ["mac"], desired: reservation, live: { ...reservation, mac: "bc:24:11:5e:00:42" } });
    expect(consequencesFor(c).map((q) => q.rule)).toEqual(["reservation-mac-changed"]);
  });
});

describe("changeKind", () => {
  it.each([
    [{ op: "create", missing: true }, "missing"],
    [{ op: "delete", missing: true }, "missing"],
    [{ op: "create", missing: false }, "create"],
    [{ op: "replace", missing: false }, "replace"],
    [{ op: "delete-replaced", missing: false }, "delete"],
    [{ op: "same", missing: false }, null],
  ])("maps %o to %s", (partial, kind) => {
    expect(changeKind(change({ type: VM_TYPE, ...partial }))).toBe(kind);
  });
});

describe("inRange", () => {
  it.each([
    ["192.168.4.200", true],
    ["192.168.4.254", true],
    ["192.168.4.199", false],
    ["192.168.5.220", false],
    ["not-an-ip", false],
  ])("%s inside 192.168.4.200-254 is %s", (ip, expected) => {
    expect(inRange(ip, RANGE)).toBe(expected);
  });
});
