/**
 * The PrometheusRule through the real Kubernetes provider plugin (built by scripts/kube-binaries.sh,
 * installed into the stack's PULUMI_HOME, no downloads) onto the real kube-apiserver, with the
 * controller-manager's garbage collector for the provider's foreground delete: up, a second up with
 * no changes, an out-of-band edit shown by the refreshing preview and repaired by up, destroy.
 * The program calls deployAlerts, the code the homelab stack deploys, for Pulumi.homelab.yaml's nodes.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { homelabNodes } from "../../lab/lab-config";
import { createObjects, kubernetesPlugin, serviceAccountToken, startKubeCluster, type KubeCluster } from "../../lab/kube-cluster";
import { renderAlertRules, RULE_NAME } from "../../stacks/homelab/alerts";
import { changedSteps, createTempStack, repoRoot, type TempStack } from "../harness/stack";

const RULE_PATH = `/apis/monitoring.coreos.com/v1/namespaces/monitoring/prometheusrules/${RULE_NAME}`;
const nodes = homelabNodes().map(({ name, ip }) => ({ name, ip }));

let cluster: KubeCluster;
let programDir: string;
let t: TempStack;
let token: string;

function programText(): string {
  const pulumi = JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }));
  const alerts = JSON.stringify(path.join(repoRoot, "dist/stacks/homelab/alerts.js"));
  return `"use strict";
const pulumi = require(${pulumi});
const { deployAlerts } = require(${alerts});
const cfg = new pulumi.Config();
const rule = deployAlerts({
  nodes: cfg.requireObject("nodes"),
  alerts: { enabled: true, namespace: "monitoring", labels: { release: "kube-prometheus-stack" } },
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
exports.rule = rule.metadata.name;
`;
}

type Rule = { metadata: { labels: Record<string, string>; managedFields?: Array<{ manager: string }> }; spec: ReturnType<typeof renderAlertRules> };
const liveRule = async () => (await cluster.request("GET", RULE_PATH)) as { status: number; body: Rule };

beforeAll(async () => {
  const plugin = await kubernetesPlugin();
  cluster = await startKubeCluster();
  await createObjects(cluster, await readFile(path.join(repoRoot, "test/fixtures/kube/prometheusrule-crd.yaml"), "utf8"));
  await createObjects(cluster, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n");
  // The stack's identity has exactly the rights of stacks/homelab/rbac.yaml.
  await createObjects(cluster, await readFile(path.join(repoRoot, "stacks/homelab/rbac.yaml"), "utf8"));
  token = await serviceAccountToken(cluster, "kube-system", "homelab-ipam");

  await mkdir(path.join(repoRoot, "test/.tmp"), { recursive: true });
  programDir = await mkdtemp(path.join(repoRoot, "test/.tmp", "alerts-program-"));
  await writeFile(path.join(programDir, "index.js"), programText());
  t = await createTempStack({
    main: programDir,
    project: "alerts",
    plugins: [plugin],
    config: { "alerts:nodes": nodes, "alerts:kubeconfig": { value: cluster.kubeconfig({ name: "homelab-ipam", token }), secret: true } },
  });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await cluster?.stop();
  if (programDir) await rm(programDir, { recursive: true, force: true });
});

describe("PrometheusRule through pulumi-resource-kubernetes on kube-apiserver", () => {
  it("creates the rule with the rendered groups, server-side applied by the provider", async () => {
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ create: 3 }); // stack, provider, rule
    const live = await liveRule();
    expect(live.status).toBe(200);
    expect(live.body.spec).toEqual(renderAlertRules(nodes));
    expect(live.body.metadata.labels).toMatchObject({ release: "kube-prometheus-stack", "app.kubernetes.io/managed-by": "pulumi" });
    expect(live.body.metadata.managedFields?.map((f) => f.manager)).toEqual(expect.arrayContaining([expect.stringMatching(/^pulumi-kubernetes/)]));
    expect(await t.exportState()).not.toContain(token);
  });

  it("changes nothing on a second up", async () => {
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 3 });
  });

  it("shows an out-of-band edit of the rule in the refreshing preview, and up puts it back", async () => {
    const edited = renderAlertRules(nodes);
    const spec = { groups: edited.groups.map((g) => ({ ...g, rules: g.rules.filter((r) => r.alert !== "PodCrashLooping") })) };
    const patch = await cluster.request("PATCH", `${RULE_PATH}?fieldManager=kubectl-edit`, { spec }, { contentType: "application/merge-patch+json" });
    expect(patch.status).toBe(200);
    expect(JSON.stringify((await liveRule()).body.spec)).not.toContain("PodCrashLooping");

    const { code, doc, stderr } = await t.previewJson();
    expect(code, stderr + JSON.stringify(doc.diagnostics ?? [])).toBe(0);
    expect(changedSteps(doc).map((s) => `${s.op} ${s.name}`)).toEqual([`update ${RULE_NAME}`]);

    await t.stack.up();
    expect((await liveRule()).body.spec).toEqual(renderAlertRules(nodes));
    expect(changedSteps((await t.previewJson()).doc)).toEqual([]);
  });

  it("destroys the rule (foreground deletion, finished by the garbage collector)", async () => {
    const started = Date.now();
    await t.stack.destroy();
    expect((await liveRule()).status).toBe(404);
    // Without a garbage collector the provider waits its 10-minute delete timeout.
    expect(Date.now() - started).toBeLessThan(120_000);
  });
});
