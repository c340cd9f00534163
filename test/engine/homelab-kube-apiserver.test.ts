/**
 * The homelab program with a real cluster: MAAS simulator for the reservations, and for the
 * cluster side the real kube-apiserver with the three nodes registered as K3s would, the
 * PrometheusRule CRD, the least-privilege identity of stacks/homelab/rbac.yaml, and the real
 * Kubernetes provider plugin. Alerts on, read-back on.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { homelabNodes, labStackConfig } from "../../lab/lab-config";
import { createObjects, KubeNodes, kubernetesPlugin, serviceAccountToken, startKubeCluster, type KubeCluster } from "../../lab/kube-cluster";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { RULE_NAME } from "../../stacks/homelab/alerts";
import { changedSteps, createTempStack, repoRoot, type TempStack } from "../harness/stack";

const K3S_TOKEN = "K10-sentinel-k3s-token-homelab-kube";

let cluster: KubeCluster;
let sim: MaasSimulator;
let t: TempStack;
let token: string;

beforeAll(async () => {
  const plugin = await kubernetesPlugin();
  cluster = await startKubeCluster();
  await createObjects(cluster, await readFile(path.join(repoRoot, "test/fixtures/kube/prometheusrule-crd.yaml"), "utf8"));
  await createObjects(cluster, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n");
  await createObjects(cluster, await readFile(path.join(repoRoot, "stacks/homelab/rbac.yaml"), "utf8"));
  token = await serviceAccountToken(cluster, "kube-system", "homelab-ipam");
  const nodes = new KubeNodes(cluster);
  for (const [i, n] of homelabNodes().entries()) await nodes.add({ name: n.name, internalIp: n.ip, clusterInit: i === 0 });

  sim = await startMaasSimulator({ version: "3.5.7" });
  const kubeconfig = cluster.kubeconfig({ name: "homelab-ipam", token });
  t = await createTempStack({
    stack: "lab",
    plugins: [plugin],
    config: labStackConfig({ maasUrl: sim.url, maasApiKey: sim.apiKey, k3sToken: K3S_TOKEN, kubeconfig, alerts: true }),
  });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await Promise.all([cluster?.stop(), sim?.close()]);
});

describe("homelab stack with alerts on, against kube-apiserver", () => {
  it("deploys the reservations, the read-back and the PrometheusRule, then previews no change", async () => {
    await t.stack.up();
    const rule = await cluster.request("GET", `/apis/monitoring.coreos.com/v1/namespaces/monitoring/prometheusrules/${RULE_NAME}`);
    expect(rule.status).toBe(200);
    const names = (rule.body as { spec: { groups: Array<{ rules: Array<{ alert: string; labels: Record<string, string> }> }> } }).spec.groups
      .flatMap((g) => g.rules)
      .filter((r) => r.alert === "K3sNodeInternalIPNotDeclared")
      .map((r) => r.labels.declared_ip);
    expect(names.sort()).toEqual(homelabNodes().map((n) => n.ip).sort());

    const { doc, code, stderr } = await t.previewJson();
    expect(code, stderr).toBe(0);
    expect(changedSteps(doc)).toEqual([]);
    const state = await t.exportState();
    expect(state).not.toContain(token);
    expect(state).not.toContain(K3S_TOKEN);
  });
});
