import { describe, expect, it } from "vitest";
import { CLUSTER_RESTART_THRESHOLD, POD_RESTART_THRESHOLD, renderAlertRules } from "../../../../stacks/homelab/alerts";

const nodes = [
  { name: "k3s-vm-pve", ip: "192.168.4.238" },
  { name: "k3s-vm-still-fawn", ip: "192.168.4.236" },
];
const rules = renderAlertRules(nodes).groups.flatMap((group) => group.rules);
const byName = (alert: string) => rules.filter((rule) => rule.alert === alert);

describe("renderAlertRules", () => {
  it("alerts when a node reports more than one InternalIP in the window", () => {
    const [rule] = byName("K3sNodeInternalIPChanged");
    expect(rule?.expr).toBe("count by (node) (count by (node, internal_ip) (max_over_time(kube_node_info[30m]))) > 1");
    expect(rule?.labels.severity).toBe("critical");
  });

  it("generates one declared-IP rule per node from the config", () => {
    expect(byName("K3sNodeInternalIPNotDeclared").map((rule) => rule.expr)).toEqual([
      'count by (node, internal_ip) (kube_node_info{node="k3s-vm-pve", internal_ip!="192.168.4.238"}) > 0',
      'count by (node, internal_ip) (kube_node_info{node="k3s-vm-still-fawn", internal_ip!="192.168.4.236"}) > 0',
    ]);
    expect(renderAlertRules([]).groups[0]?.rules.map((rule) => rule.alert)).toEqual(["K3sNodeInternalIPChanged"]);
  });

  it("alerts on restart storms per pod and cluster-wide", () => {
    expect(byName("PodRestartStorm")[0]?.expr).toBe(`sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[15m])) > ${POD_RESTART_THRESHOLD}`);
    expect(POD_RESTART_THRESHOLD).toBe(3);
    expect(byName("ClusterRestartStorm")[0]?.expr).toBe(`sum(increase(kube_pod_container_status_restarts_total[15m])) > ${CLUSTER_RESTART_THRESHOLD}`);
  });

  it("alerts when CoreDNS crash-loops and points at resolv-conf", () => {
    const [rule] = byName("CoreDNSCrashLooping");
    expect(rule?.expr).toContain('reason="CrashLoopBackOff"');
    expect(rule?.expr).toContain('container="coredns"');
    expect(rule?.annotations.description).toContain("/run/systemd/resolve/resolv.conf");
  });

  it("gives every rule a duration, a severity, a summary and a description with a command to run", () => {
    for (const rule of rules) {
      expect(rule.for).toMatch(/^\d+m$/);
      expect(["warning", "critical"]).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toMatch(/`(kubectl|pulumi|systemctl) [^`]+`/);
    }
  });

  it("alerts on a steady crash loop by its waiting reason, as kubernetes-mixin's KubePodCrashLooping", () => {
    const [rule] = byName("PodCrashLooping");
    expect(rule?.expr).toBe('max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1');
    expect(rule?.for).toBe("15m");
  });
});
