/**
 * Alerts as code: a PrometheusRule for the two failure modes behind our incidents, generated
 * from the same node declarations as everything else.
 * - RCA-2025-07-27 listed "no alerting on K3s node IP address changes" as a contributing factor:
 *   a node whose InternalIP changes, or differs from the declared IP (one rule per node).
 * - Incident 004 ran for days with 6,812 silent restarts and a CoreDNS loop: restart storms per
 *   pod and cluster-wide, and CoreDNS crash-looping.
 *
 * The rule is deployed only when `homelab:kubeconfig` is set, through an explicit Kubernetes
 * provider built from it (never the ambient ~/.kube/config).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import type { AlertsConfig, NodeConfig } from "./config/schema";

/** Window in which more than one InternalIP per node counts as a change. */
export const IP_CHANGE_WINDOW = "30m";
export const RESTART_WINDOW = "15m";
/** Restarts of one pod within RESTART_WINDOW that count as a storm. */
export const POD_RESTART_THRESHOLD = 3;
/** Restarts across the cluster within RESTART_WINDOW (incident 004: "should have alerted at restart #10"). */
export const CLUSTER_RESTART_THRESHOLD = 10;
/**
 * How long a container must keep returning to CrashLoopBackOff. Kubernetes caps the back-off at
 * 5 minutes, so a steady crash loop restarts only 3 times in 15 minutes and never looks like a
 * storm; its waiting reason is what stays visible (kubernetes-mixin's KubePodCrashLooping: the
 * waiting reason over 5m, for 15m).
 */
export const CRASH_LOOP_FOR = "15m";
export const RULE_NAME = "homelab-node-addresses";

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PrometheusRuleSpec {
  readonly groups: ReadonlyArray<{ readonly name: string; readonly rules: readonly AlertRule[] }>;
}

type DeclaredNode = Pick<NodeConfig, "name" | "ip">;

/** kubectl for the pod an alert names. */
const POD = "-n {{ $labels.namespace }} {{ $labels.pod }}";

/**
 * Pure: the PrometheusRule spec for the declared nodes. It is also a Prometheus rule file
 * (`groups:` is the same shape), which is how the promtool tests evaluate it.
 * Every description ends with what the operator should do.
 */
export function renderAlertRules(nodes: readonly DeclaredNode[]): PrometheusRuleSpec {
  return {
    groups: [
      {
        name: "homelab.node-addresses",
        rules: [
          {
            alert: "K3sNodeInternalIPChanged",
            // kube_node_info is always 1 and its internal_ip is a label: an address change starts a
            // new series, so count the distinct addresses per node instead of changes() of the value.
            expr: `count by (node) (count by (node, internal_ip) (max_over_time(kube_node_info[${IP_CHANGE_WINDOW}]))) > 1`,
            for: "1m",
            labels: { severity: "critical" },
            annotations: {
              summary: "K3s node {{ $labels.node }} changed its InternalIP",
              description:
                `Node {{ $labels.node }} reported more than one InternalIP in ${IP_CHANGE_WINDOW}. K3s certificates, flannel and etcd peers are bound to the old address ` +
                "(RCA-2025-07-27). Run `pulumi preview --refresh` on the homelab stack to see whether its MAAS reservation is gone, `pulumi up` to restore it, " +
                "then renew the node's DHCP lease, `systemctl restart k3s` on it and check `kubectl get node {{ $labels.node }} -o wide`.",
            },
          },
          ...nodes.map((node) => declaredIpRule(node)),
        ],
      },
      {
        name: "homelab.restarts",
        rules: [
          {
            alert: "PodCrashLooping",
            // max_over_time: the reason is 0 (or absent) for the moment the container runs between back-offs.
            expr: `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1`,
            for: CRASH_LOOP_FOR,
            labels: { severity: "warning" },
            annotations: {
              summary: "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} is crash-looping",
              description:
                `It has been in CrashLoopBackOff for ${CRASH_LOOP_FOR}: it exits, Kubernetes restarts it at most every 5 minutes. ` +
                `Read why it exits with \`kubectl logs ${POD} -c {{ $labels.container }} --previous\` and \`kubectl describe pod ${POD}\` ` +
                "(exit code, OOMKilled, failing probes). If it cannot resolve or reach other services, check CoreDNS and the node addresses first (incident 004).",
            },
          },
          {
            alert: "PodRestartStorm",
            expr: `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[${RESTART_WINDOW}])) > ${POD_RESTART_THRESHOLD}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
              summary: "Pod {{ $labels.namespace }}/{{ $labels.pod }} is restarting repeatedly",
              description:
                `More than ${POD_RESTART_THRESHOLD} restarts in ${RESTART_WINDOW}. Read why with \`kubectl logs ${POD} --previous\` and \`kubectl describe pod ${POD}\`; ` +
                "if its log shows failed name lookups, check CoreDNS (`kubectl -n kube-system logs -l k8s-app=kube-dns`).",
            },
          },
          {
            alert: "ClusterRestartStorm",
            expr: `sum(increase(kube_pod_container_status_restarts_total[${RESTART_WINDOW}])) > ${CLUSTER_RESTART_THRESHOLD}`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
              summary: "Containers across the cluster are restarting",
              description:
                `More than ${CLUSTER_RESTART_THRESHOLD} container restarts in ${RESTART_WINDOW} cluster-wide: usually node networking or DNS ` +
                "(incident 004: a node address change broke flannel and CoreDNS; 6,812 restarts went unnoticed). " +
                "Check `kubectl get nodes -o wide` against the declared addresses (`pulumi preview --refresh` on the homelab stack) and CoreDNS " +
                "(`kubectl -n kube-system get pods -l k8s-app=kube-dns`) before debugging single pods.",
            },
          },
          {
            alert: "CoreDNSCrashLooping",
            expr:
              // The waiting reason over 5m (not its instant value, which drops to 0 each time the
              // container is started again) or restarts: either keeps the alert pending through a loop.
              'max by (namespace, pod) (max_over_time(kube_pod_container_status_waiting_reason{namespace="kube-system", container="coredns", reason="CrashLoopBackOff"}[5m])) >= 1' +
              ` or sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{namespace="kube-system", container="coredns"}[${RESTART_WINDOW}])) > 2`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
              summary: "CoreDNS {{ $labels.pod }} is crash-looping",
              description:
                "Cluster DNS is down, so every service lookup fails. Read `kubectl -n kube-system logs {{ $labels.pod }} --previous`: a `plugin/loop` FATAL " +
                "means the node's resolv.conf points at a local stub; set K3s resolv-conf to /run/systemd/resolve/resolv.conf (`homelab:k3s.resolvConf`, " +
                "`pulumi up`) and restart K3s on the node (incident 004).",
            },
          },
        ],
      },
    ],
  };
}

/** The same rules as a Prometheus rule file (for `promtool check rules` / `promtool test rules`). */
export function renderRuleFile(nodes: readonly DeclaredNode[]): string {
  return stringify(renderAlertRules(nodes), { lineWidth: 0 });
}

function declaredIpRule(node: DeclaredNode): AlertRule {
  return {
    alert: "K3sNodeInternalIPNotDeclared",
    expr: `count by (node, internal_ip) (kube_node_info{node=${promString(node.name)}, internal_ip!=${promString(node.ip)}}) > 0`,
    for: "5m",
    labels: { severity: "critical", declared_ip: node.ip },
    annotations: {
      summary: `K3s node ${node.name} is not on its declared IP ${node.ip}`,
      description:
        `Node ${node.name} reports InternalIP {{ $labels.internal_ip }}, but Pulumi.homelab.yaml declares ${node.ip}. ` +
        "Its MAAS reservation was probably dropped (RCA-2025-07-27). Run `pulumi preview --refresh` on the homelab stack, `pulumi up` to restore the reservation, " +
        `then renew the node's DHCP lease and \`systemctl restart k3s\` on it until \`kubectl get node ${node.name} -o wide\` shows ${node.ip}.`,
    },
  };
}

/** PromQL string literal (same escapes as a JSON string). */
function promString(value: string): string {
  return JSON.stringify(value);
}

export interface AlertsArgs {
  readonly nodes: readonly DeclaredNode[];
  readonly alerts: AlertsConfig;
  /** Secret kubeconfig; when undefined the alerts are skipped. */
  readonly kubeconfig?: pulumi.Output<string>;
}

/** Deploys the PrometheusRule, or logs why it is skipped and returns undefined. */
export function deployAlerts(args: AlertsArgs, opts?: pulumi.ComponentResourceOptions): k8s.apiextensions.CustomResource | undefined {
  if (args.kubeconfig === undefined) {
    pulumi.log.info(
      "homelab:kubeconfig is not set: skipping the PrometheusRule alerts (node IP changed / not declared, crash loops, restart storms, CoreDNS crash loop). " +
        "Set it with: pulumi config set --secret homelab:kubeconfig < ~/.kube/config",
    );
    return undefined;
  }
  if (!args.alerts.enabled) {
    pulumi.log.info("homelab:alerts.enabled is false: skipping the PrometheusRule alerts.");
    return undefined;
  }
  const provider = new k8s.Provider("homelab-k8s", { kubeconfig: args.kubeconfig }, opts);
  return new k8s.apiextensions.CustomResource(
    RULE_NAME,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: {
        name: RULE_NAME,
        namespace: args.alerts.namespace,
        labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "homelab", ...args.alerts.labels },
        // The stack is the rule's source of truth: an out-of-band edit (kubectl edit takes the
        // fields over as another field manager) shows in the refreshing preview and `up` puts the
        // declared rules back, instead of failing with a server-side-apply field conflict.
        annotations: { "pulumi.com/patchForce": "true" },
      },
      spec: renderAlertRules(args.nodes),
    },
    { ...opts, provider },
  );
}
