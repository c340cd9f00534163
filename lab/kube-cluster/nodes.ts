/**
 * K3s-like Node objects on a real API server, without a kubelet: created with the same labels and
 * annotations a K3s server writes (lab/kube/node-object.ts), then the addresses set through the
 * `/status` subresource, as the kubelet does (a status sent with the create is dropped by the API
 * server). A change is a merge patch of the annotations plus one of `/status`.
 */
import { nodeObject, resolveSimNode, type ResolvedSimNode, type SimNode, type SimNodePatch } from "../kube/node-object";
import type { KubeCluster, KubeResponse } from "./cluster";

const MERGE = "application/merge-patch+json";

function expectStatus(what: string, r: KubeResponse, ...ok: number[]): void {
  if (!ok.includes(r.status)) {
    const message = (r.body as { message?: unknown } | undefined)?.message;
    throw new Error(`${what}: the API server answered ${r.status}${typeof message === "string" ? `: ${message}` : ""}`);
  }
}

export class KubeNodes {
  private readonly nodes = new Map<string, ResolvedSimNode>();

  constructor(private readonly cluster: KubeCluster) {}

  /** Registers `node` (POST /api/v1/nodes, then PATCH its /status). */
  async add(node: SimNode): Promise<void> {
    if (this.nodes.has(node.name)) throw new Error(`KubeNodes.add: node "${node.name}" exists; use set() to change it.`);
    const resolved = resolveSimNode(node, this.nodes.size);
    const obj = nodeObject(resolved, 0) as { metadata: Record<string, unknown>; spec: unknown; status: unknown };
    const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...metadata } = obj.metadata;
    const created = await this.cluster.request("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata, spec: obj.spec });
    expectStatus(`creating node ${node.name}`, created, 201);
    this.nodes.set(node.name, resolved);
    await this.patchStatus(resolved);
  }

  /** Changes what a node reports (addresses, node-args, flannel's public IP), as K3s would after a restart. */
  async set(name: string, patch: SimNodePatch): Promise<void> {
    const current = this.nodes.get(name);
    if (!current) throw new Error(`KubeNodes.set: no node "${name}"; add it first (known: ${[...this.nodes.keys()].join(", ") || "none"}).`);
    const next: ResolvedSimNode = { ...current };
    if (patch.internalIp !== undefined) next.internalIp = patch.internalIp;
    if (patch.nodeIp !== undefined) next.nodeIp = patch.nodeIp;
    if (patch.flannelIface !== undefined) next.flannelIface = patch.flannelIface;
    if (patch.flannelPublicIp !== undefined) next.flannelPublicIp = patch.flannelPublicIp;
    const obj = nodeObject(next, 0) as { metadata: { annotations: Record<string, string> } };
    const r = await this.cluster.request("PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, { metadata: { annotations: obj.metadata.annotations } }, { contentType: MERGE });
    expectStatus(`patching node ${name}`, r, 200);
    this.nodes.set(name, next);
    await this.patchStatus(next);
  }

  async remove(name: string): Promise<void> {
    const r = await this.cluster.request("DELETE", `/api/v1/nodes/${encodeURIComponent(name)}`);
    expectStatus(`deleting node ${name}`, r, 200, 202, 404);
    this.nodes.delete(name);
  }

  private async patchStatus(node: ResolvedSimNode): Promise<void> {
    const { status } = nodeObject(node, 0) as { status: Record<string, unknown> };
    const r = await this.cluster.request("PATCH", `/api/v1/nodes/${encodeURIComponent(node.name)}/status`, { status }, { contentType: MERGE });
    expectStatus(`setting the status of node ${node.name}`, r, 200);
  }
}
