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
  | { kind: "unreachable"; reason: string };

/** `source` names where the kubeconfig came from (config key or file), for the messages. */
export async function readKubeNode(target: KubeTarget, nodeName: string, source: string): Promise<KubeRead> {
  const url = `${target.server}/api/v1/nodes/${encodeURIComponent(nodeName)}`;
  const headers: Record<string, string> = {};
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const tls = { ca: target.ca, cert: target.cert, key: target.key, insecure: target.insecure };
  const out = await getJson(url, headers, tls);
  const api = `the cluster API at ${target.server}`;
  if (out.kind === "unreachable") return { kind: "unreachable", reason: `${api} did not answer for node "${nodeName}" (${out.reason})` };
  if (out.status === 200 && typeof out.body === "object" && out.body !== null) {
    return { kind: "node", node: out.body as KubeNode };
  }
  if (out.status === 404) {
    return { kind: "missing", reason: `${api} has no node "${nodeName}" (404); check that the node joined under that name (kubectl get nodes)` };
  }
  if (out.status === 401) {
    return {
      kind: "unreachable",
      reason: `${api} rejected the credentials from ${source} (401 Unauthorized) for node "${nodeName}": the token or client certificate is invalid or expired; replace the kubeconfig there`,
    };
  }
  if (out.status === 403) {
    // RBAC: authenticated, but the identity may not read nodes. The API's own message names the
    // user; it is not repeated here (text from the remote system stays out of state and reports).
    return {
      kind: "unreachable",
      reason:
        `${api} denied reading node "${nodeName}" to the identity in ${source} (403 Forbidden): it needs "get" on nodes; ` +
        "apply the ClusterRole homelab-ipam-readback (stacks/homelab/rbac.yaml) and bind it to that identity",
    };
  }
  return { kind: "unreachable", reason: `${api} answered ${out.status} for node "${nodeName}"` };
}
