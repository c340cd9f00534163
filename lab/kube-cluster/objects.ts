/**
 * Creates Kubernetes objects from YAML through the API, as `kubectl create -f` would, for the few
 * kinds the tests set up (namespaces, RBAC, service accounts, CRDs), and waits for a CRD to be
 * Established. A kind outside the table is an error, not a guess at its URL.
 */
import { parseAllDocuments } from "yaml";
import type { KubeCluster } from "./cluster";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

const COLLECTIONS: Record<string, (ns?: string) => string> = {
  Namespace: () => "/api/v1/namespaces",
  ServiceAccount: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  ClusterRole: () => "/apis/rbac.authorization.k8s.io/v1/clusterroles",
  ClusterRoleBinding: () => "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
  Role: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
  RoleBinding: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
  CustomResourceDefinition: () => "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
};

export async function createObjects(cluster: KubeCluster, yamlText: string): Promise<void> {
  for (const doc of parseAllDocuments(yamlText)) {
    const obj = doc.toJS() as Obj | null;
    if (!obj) continue;
    const collection = COLLECTIONS[obj.kind];
    if (!collection) throw new Error(`createObjects: kind ${obj.kind} (${obj.metadata?.name}) is not supported; add its collection URL to objects.ts.`);
    const r = await cluster.request("POST", collection(obj.metadata.namespace), obj);
    if (r.status !== 201) throw new Error(`creating ${obj.kind} ${obj.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
    if (obj.kind === "CustomResourceDefinition") await waitEstablished(cluster, obj.metadata.name);
  }
}

async function waitEstablished(cluster: KubeCluster, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await cluster.request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    const conditions = (r.body as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? [];
    if (conditions.some((c) => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within 30 s: ${JSON.stringify(conditions)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** A token for a service account (TokenRequest API, as `kubectl create token`). */
export async function serviceAccountToken(cluster: KubeCluster, namespace: string, name: string, seconds = 3600): Promise<string> {
  const r = await cluster.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: seconds },
  });
  const token = (r.body as { status?: { token?: string } }).status?.token;
  if (r.status !== 201 || !token) throw new Error(`token for ${namespace}/${name}: ${r.status}`);
  return token;
}
