/**
 * Issue 12 on the real engine: "could not check" is not drift, and the report keeps drift apart
 * from the pull request's own change.
 *
 * Homelab stack (MAAS 3.6 simulator, simulated cluster API, Proxmox off), in order:
 *  1. a kubeconfig whose user has no RBAC rule for nodes (the simulator answers 403) and
 *     `flannelBackend: none` → `up`, then the preview is clean apart from one warning per node,
 *     a second `up` changes nothing, and the drift command exits 3 with the RBAC rule to add;
 *  2. the kubeconfig fixed → `up`; clean, exit 0 (no flannel address expected without flannel);
 *  3. the cluster down → preview clean with warnings, `up` converges, exit 3 "cluster is down";
 *  4. a pull request that moves one node's IP while MAAS dropped another node's reservation →
 *     each in its own report section.
 * With CAPTURE_PREVIEW=1 the raw output of both Pulumi runs is saved under
 * test/fixtures/drift/<scenario>/ for the report's golden tests.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CLEAN, EXIT_DRIFT, EXIT_UNVERIFIED } from "../../drift/exit-codes";
import { runDriftOn, type DriftRun } from "../../lab/drift-run";
import { startKubeSimulator, type KubeSimulator } from "../../lab/kube";
import { homelabNodes, labStackConfig } from "../../lab/lab-config";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { writeDriftFixture } from "../harness/fixture-capture";
import { changedSteps, createTempStack, repoRoot, type PreviewDocument, type TempStack } from "../harness/stack";

const nodes = homelabNodes();
const READBACK = "pulumi-nodejs:dynamic/readback:Node";
let maas: MaasSimulator;
let kube: KubeSimulator;
let t: TempStack;

async function capture(scenario: string, run: DriftRun): Promise<void> {
  if (process.env.CAPTURE_PREVIEW !== "1") return;
  await writeDriftFixture(path.join(repoRoot, "test/fixtures/drift", scenario), run.raw);
}

async function drift(scenario: string): Promise<DriftRun> {
  const run = await runDriftOn(t);
  expect(run.summary, run.line).toBeDefined();
  await capture(scenario, run);
  return run;
}

/** The normal preview: no logical change; returns the warnings with their URNs. */
async function expectCleanPreview(): Promise<Array<{ urn?: string; message: string }>> {
  const { code, doc, stderr } = await t.previewJson();
  expect(code, stderr).toBe(0);
  expect(changedSteps(doc)).toEqual([]);
  return warnings(doc);
}

/** The read-back's "could not verify" warnings (the nodes here have no ssh block, so each also gets the
 *  stack's "K3s settings are not delivered" warning, which is not about unverified sources). */
function warnings(doc: PreviewDocument): Array<{ urn?: string; message: string }> {
  return (doc.diagnostics ?? []).filter((d) => d.severity === "warning" && /could not verify/.test(d.message));
}

beforeAll(async () => {
  maas = await startMaasSimulator({ version: "3.6.0" });
  kube = await startKubeSimulator({ nodes: nodes.map((n, i) => ({ name: n.name, internalIp: n.ip, clusterInit: i === 0, flannel: false })) });
  const config = labStackConfig({ maasUrl: maas.url, maasApiKey: maas.apiKey, kubeconfig: kube.unprivilegedKubeconfig, k3sToken: "K10-unverified-token" });
  config["homelab:k3s"] = { ...(config["homelab:k3s"] as object), flannelBackend: "none" };
  t = await createTempStack({ stack: "lab", config });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await kube?.close();
  await maas?.close();
});

describe("a source that cannot be asked is a warning, not drift", () => {
  it("kubeconfig without node RBAC: up, then a clean preview with one warning per node, and exit 3 with the rule to add", async () => {
    const up = await t.stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(kube.requests().some((r) => r.status === 403)).toBe(true);

    const warned = await expectCleanPreview();
    for (const n of nodes) {
      const w = warned.find((d) => d.urn?.endsWith(`${READBACK}::${n.name}-readback`));
      expect(w?.message, `a warning on ${n.name}-readback`).toMatch(new RegExp(`could not verify ${n.name} .*denied reading node "${n.name}".*403`));
    }
    // up converges: nothing to update, and the preview after it is still clean
    const again = await t.stack.up();
    expect(again.summary.resourceChanges).not.toHaveProperty("update");
    await expectCleanPreview();

    const run = await drift("kube-no-node-rbac");
    expect(run.exitCode, run.line).toBe(EXIT_UNVERIFIED);
    expect(run.summary).toMatchObject({ verdict: "unverified", exitCode: 3, drift: { nodes: {} }, pullRequest: { nodes: {} } });
    expect(run.summary!.unverified.map((u) => u.node).sort()).toEqual(nodes.map((n) => n.name).sort());
    expect(run.markdown).toContain("### ❔ Could not verify — 3 sources");
    expect(run.markdown).toContain("kubectl apply -f stacks/homelab/rbac.yaml");
    expect(run.markdown).not.toContain(kube.unprivilegedToken);
  });

  it("with the kubeconfig fixed and flannelBackend none: clean, exit 0 (no flannel address is expected)", async () => {
    await t.setConfig({ "homelab:kubeconfig": { value: kube.kubeconfig, secret: true } });
    await t.stack.up();
    expect(await expectCleanPreview()).toEqual([]);
    const run = await drift("clean");
    expect(run.exitCode, run.markdown).toBe(EXIT_CLEAN);
    expect(run.markdown).toMatch(/^## ✅ No drift and no changes on stack `lab`/);
  });

  it("cluster down: preview clean with warnings, up converges, exit 3 saying the cluster is down", async () => {
    await kube.setReachable(false);
    const warned = await expectCleanPreview();
    expect(warned.length).toBe(nodes.length);
    expect(warned[0]!.message).toMatch(/did not answer.*the cluster API is down or unreachable/);
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).not.toHaveProperty("update");
    await expectCleanPreview();
    const run = await drift("cluster-down");
    expect(run.exitCode).toBe(EXIT_UNVERIFIED);
    expect(run.markdown).toMatch(/Fix:\*\* the cluster API is down or unreachable from here/);
    await kube.setReachable(true);
    expect((await drift("cluster-back")).exitCode).toBe(EXIT_CLEAN);
  });
});

describe("drift and the pull request's change in their own sections", () => {
  it("a PR moves one node's IP while MAAS dropped another node's reservation", async () => {
    const [dropped, moved] = [nodes[2]!, nodes[1]!];
    expect(maas.dropReservation(dropped.ip)).toBe(true);
    const newIp = "192.168.4.241";
    await t.setConfig({ "homelab:nodes": (labStackConfig({ maasUrl: "", maasApiKey: "", k3sToken: "" })["homelab:nodes"] as Array<{ name: string; ip: string }>).map((n) => (n.name === moved.name ? { ...n, ip: newIp } : n)) });

    const run = await drift("pr-moves-ip-while-reservation-dropped");
    expect(run.exitCode, run.line).toBe(EXIT_DRIFT);
    const s = run.summary!;
    expect(Object.keys(s.drift.nodes)).toEqual([dropped.name]);
    expect(s.drift.nodes[dropped.name]![0]).toMatchObject({ resource: `${dropped.name}-reservation`, op: "delete", missing: true, rules: ["reservation-missing"] });
    expect(Object.keys(s.pullRequest!.nodes)).toEqual([moved.name]);
    const pr = s.pullRequest!.nodes[moved.name]!;
    expect(pr.map((c) => c.resource)).toEqual(expect.arrayContaining([`${moved.name}-reservation`]));
    expect(pr.find((c) => c.resource === `${moved.name}-reservation`)!.properties).toContainEqual({ path: "ip", before: moved.ip, after: newIp });

    const md = run.markdown;
    const driftAt = md.indexOf("### Drift since the last deployment");
    const prAt = md.indexOf("### What this pull request changes");
    expect(driftAt).toBeGreaterThanOrEqual(0);
    expect(prAt).toBeGreaterThan(driftAt);
    expect(md.slice(driftAt, prAt)).toContain(`Node \`${dropped.name}\``);
    expect(md.slice(driftAt, prAt)).not.toContain(`Node \`${moved.name}\``);
    expect(md.slice(prAt)).toContain(`Node \`${moved.name}\``);
    expect(md.slice(prAt)).not.toContain(`Node \`${dropped.name}\``);
    expect(md).not.toContain(maas.apiKey.split(":")[2]);
  });
});
