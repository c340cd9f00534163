/**
 * Realistic Kubernetes Node objects as a K3s server writes them, for the cluster-API simulator:
 * `status.addresses` (InternalIP, Hostname), the K3s annotations (`k3s.io/node-args` with node-ip
 * and flannel-iface, `k3s.io/internal-ip`, `alpha.kubernetes.io/provided-node-ip`) and flannel's
 * (`flannel.alpha.coreos.com/public-ip`, backend data). Shapes follow `kubectl get node -o json`
 * on K3s v1.30; values that only matter to a real kubelet are plausible constants.
 */

/** One simulated node. Everything except `name` and `internalIp` defaults to the consistent value. */
export interface SimNode {
  name: string;
  /** status.addresses InternalIP: the address the node actually registered with. */
  internalIp: string;
  /** --node-ip in k3s.io/node-args; default internalIp. `null` leaves the flag out (node-ip not pinned). */
  nodeIp?: string | null;
  /** --flannel-iface in k3s.io/node-args; default "eth0". `null` leaves the flag out. */
  flannelIface?: string | null;
  /** flannel.alpha.coreos.com/public-ip; default internalIp (flannel keeps the old one after a DHCP change). */
  flannelPublicIp?: string;
  /** K3s role; default "server" (the incident's nodes are embedded-etcd servers). */
  role?: "server" | "agent";
  /** Adds --cluster-init to node-args (the first embedded-etcd server). */
  clusterInit?: boolean;
  /**
   * False: the cluster runs with `flannel-backend: none` (another CNI), so flannel never writes
   * its `flannel.alpha.coreos.com/*` annotations (ref/k3s.md: flannel-backend). Default true.
   */
  flannel?: boolean;
  /** The Ready condition; default true. False while K3s restarts (lab/node machines set it). */
  ready?: boolean;
}

/** The fields a test may change on a running simulator. */
export type SimNodePatch = Partial<Pick<SimNode, "internalIp" | "nodeIp" | "flannelIface" | "flannelPublicIp" | "ready">>;

/** Fully defaulted node. */
export type ResolvedSimNode = Required<Omit<SimNode, "nodeIp" | "flannelIface">> & {
  nodeIp: string | null;
  flannelIface: string | null;
  /** Position in the cluster (pod CIDR 10.42.<index>.0/24, uid suffix). */
  index: number;
};

export function resolveSimNode(node: SimNode, index: number): ResolvedSimNode {
  return {
    name: node.name,
    internalIp: node.internalIp,
    nodeIp: node.nodeIp === undefined ? node.internalIp : node.nodeIp,
    flannelIface: node.flannelIface === undefined ? "eth0" : node.flannelIface,
    flannelPublicIp: node.flannelPublicIp ?? node.internalIp,
    role: node.role ?? "server",
    clusterInit: node.clusterInit ?? false,
    flannel: node.flannel ?? true,
    ready: node.ready ?? true,
    index,
  };
}

/** The k3s.io/node-args annotation value: a JSON array of the node's start arguments. */
export function nodeArgsAnnotation(node: ResolvedSimNode): string {
  const args: string[] = [node.role];
  if (node.clusterInit) args.push("--cluster-init");
  if (node.nodeIp !== null) args.push("--node-ip", node.nodeIp);
  if (node.flannelIface !== null) args.push("--flannel-iface", node.flannelIface);
  if (!node.flannel) args.push("--flannel-backend", "none");
  // K3s masks secrets in this annotation; a real server shows the token as asterisks.
  args.push("--token", "********");
  if (node.role === "server") args.push("--write-kubeconfig-mode", "0644");
  return JSON.stringify(args);
}

const CREATED = "2025-07-28T22:00:00Z";

/** `GET /api/v1/nodes/<name>` body for `node`. */
export function nodeObject(node: ResolvedSimNode, resourceVersion: number): Record<string, unknown> {
  const server = node.role === "server";
  const labels: Record<string, string> = {
    "beta.kubernetes.io/arch": "amd64",
    "beta.kubernetes.io/instance-type": "k3s",
    "beta.kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    "kubernetes.io/hostname": node.name,
    "kubernetes.io/os": "linux",
    "node.kubernetes.io/instance-type": "k3s",
  };
  if (server) {
    labels["node-role.kubernetes.io/control-plane"] = "true";
    labels["node-role.kubernetes.io/etcd"] = "true";
    labels["node-role.kubernetes.io/master"] = "true";
  }
  const vtepMac = `0a:58:0a:2a:${node.index.toString(16).padStart(2, "0")}:00`;
  return {
    kind: "Node",
    apiVersion: "v1",
    metadata: {
      name: node.name,
      uid: `6f1c2a4e-0000-4000-8000-${(node.index + 1).toString().padStart(12, "0")}`,
      resourceVersion: String(resourceVersion),
      creationTimestamp: CREATED,
      labels,
      annotations: {
        "alpha.kubernetes.io/provided-node-ip": node.nodeIp ?? node.internalIp,
        ...(node.flannel
          ? {
              "flannel.alpha.coreos.com/backend-data": JSON.stringify({ VNI: 1, VtepMAC: vtepMac }),
              "flannel.alpha.coreos.com/backend-type": "vxlan",
              "flannel.alpha.coreos.com/kube-subnet-manager": "true",
              "flannel.alpha.coreos.com/public-ip": node.flannelPublicIp,
            }
          : {}),
        "k3s.io/hostname": node.name,
        "k3s.io/internal-ip": node.internalIp,
        "k3s.io/node-args": nodeArgsAnnotation(node),
        "k3s.io/node-config-hash": "QK5WB4ZXJ2M3N6PTR7SUVWXYZA2B3C4D5E6F7G8H9J0KLMNOPQR====",
        "k3s.io/node-env": "{}",
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
    },
    spec: {
      podCIDR: `10.42.${node.index}.0/24`,
      podCIDRs: [`10.42.${node.index}.0/24`],
      providerID: `k3s://${node.name}`,
    },
    status: {
      addresses: [
        { type: "InternalIP", address: node.internalIp },
        { type: "Hostname", address: node.name },
      ],
      conditions: [
        {
          type: "Ready",
          status: node.ready ? "True" : "False",
          lastHeartbeatTime: CREATED,
          lastTransitionTime: CREATED,
          reason: node.ready ? "KubeletReady" : "KubeletNotReady",
          message: node.ready ? "kubelet is posting ready status" : "container runtime network not ready: NetworkReady=false",
        },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: "amd64",
        containerRuntimeVersion: "containerd://1.7.21-k3s2",
        kernelVersion: "6.8.0-45-generic",
        kubeProxyVersion: "v1.30.5+k3s1",
        kubeletVersion: "v1.30.5+k3s1",
        operatingSystem: "linux",
        osImage: "Ubuntu 24.04.1 LTS",
      },
    },
  };
}

/** A Kubernetes `Status` error body, as the API server sends with 401/404/503. */
export function statusObject(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details) body.details = details;
  return body;
}
