/**
 * Reads one Node object from the cluster API (`GET /api/v1/nodes/<name>`), the source of the
 * node's InternalIP and of the K3s/flannel annotations. Any answer other than 200 or 404 means the
 * node could not be observed (wrong credentials, API down): that is reported, never thrown.
 */
import { getJson } from "./http";
import type { KubeTarget } from "./kubeconfig";
import type { KubeNode } from "./observation";

export type KubeRead =
  | { kind: "node"; node: KubeNode }
  /** The API answered 404: the cluster has no node of that name (removed, or renamed). */
  | { kind: "missing"; reason: string }
  /** The node could not be observed: `reason` says what failed, `fix` how to make it answer. */
  | { kind: "unreachable"; reason: string; fix: string };

/** The RBAC rule the read-back needs (`get` on nodes, cluster scope), as the fix for a 403. */
export const NODE_READ_RBAC =
  'grant the kubeconfig\'s identity "get" on nodes: apply the ClusterRole homelab-ipam-readback from stacks/homelab/rbac.yaml ' +
  "(`kubectl apply -f stacks/homelab/rbac.yaml`) (its binding is for the ServiceAccount kube-system/homelab-ipam; bind the role to your kubeconfig's identity if it is another)";

/** The cluster did not answer: often the incident itself (nodes on pool addresses), else the API is down. */
const CLUSTER_DOWN =
  "the cluster API is down or unreachable from here; check that K3s runs (`systemctl status k3s` on a server) and that the " +
  "servers kept their addresses (a dropped MAAS reservation moves them, RCA-2025-07-27); then run the preview again";


/** `source` names where the kubeconfig came from (config key or file), for the messages. */
export async function readKubeNode(target: KubeTarget, nodeName: string, source: string): Promise<KubeRead> {
  const url = `${target.server}/api/v1/nodes/${encodeURIComponent(nodeName)}`;
  const headers: Record<string, string> = {};
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const tls = { ca: target.ca, cert: target.cert, key: target.key, insecure: target.insecure };
  const out = await getJson(url, headers, tls);
  const api = `the cluster API at ${target.server}`;
  if (out.kind === "unreachable") return { kind: "unreachable", reason: `${api} did not answer for node "${nodeName}" (${out.reason})`, fix: CLUSTER_DOWN };
  if (out.status === 200 && typeof out.body === "object" && out.body !== null) {
    return { kind: "node", node: out.body as KubeNode };
  }
  if (out.status === 404) {
    return { kind: "missing", reason: `${api} has no node "${nodeName}" (404); check that the node joined under that name (kubectl get nodes)` };
  }
  if (out.status === 403) {
    // RBAC: authenticated, but the identity may not read nodes. The API's own message names the
    // user; it is not repeated here (text from the remote system stays out of state and reports).
    return {
      kind: "unreachable",
      reason: `${api} denied reading node "${nodeName}" to the identity in ${source} (403 Forbidden): it needs "get" on nodes`,
      fix: NODE_READ_RBAC,
    };
  }
  if (out.status === 401) {
    return {
      kind: "unreachable",
      reason: `${api} rejected the credentials from ${source} (401 Unauthorized) for node "${nodeName}"`,
      fix: `the token or certificate is invalid or expired: update the kubeconfig in ${source} (\`pulumi config set --secret homelab:kubeconfig < kubeconfig\`)`,
    };
  }
  if (out.status >= 500) return { kind: "unreachable", reason: `${api} answered ${out.status} for node "${nodeName}"`, fix: CLUSTER_DOWN };
  return { kind: "unreachable", reason: `${api} answered ${out.status} for node "${nodeName}"`, fix: "check the kubeconfig's server URL points at the cluster API" };
}
