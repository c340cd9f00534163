/**
 * The read-back against the real kube-apiserver (lab/kube-cluster) instead of the lab's cluster
 * simulator: K3s-like Node objects created and changed through the API (annotations, the /status
 * subresource), read over TLS with the throwaway CA by a service account that has exactly the
 * rights of stacks/homelab/rbac.yaml, and by one that has none.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePreview } from "../../drift/preview-json";
import { runDriftOn } from "../../lab/drift-run";
import { createObjects, KubeNodes, serviceAccountToken, startKubeCluster, type KubeCluster } from "../../lab/kube-cluster";
import { createTempStack, repoRoot, type TempStack } from "../harness/stack";

const NODE = "k3s-vm-pve";
const PINNED = "192.168.4.238";
const POOL = "192.168.4.222";

let cluster: KubeCluster;
let nodes: KubeNodes;
let programDir: string;
let t: TempStack;
let readbackToken: string;
let noRightsToken: string;

function programText(): string {
  const pulumi = JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }));
  const readback = JSON.stringify(path.join(repoRoot, "dist/providers/readback/index.js"));
  return `"use strict";
const pulumi = require(${pulumi});
const { NodeReadback } = require(${readback});
const node = new NodeReadback("${NODE}-readback", {
  nodeName: "${NODE}", ip: "${PINNED}", mac: "bc:24:11:3b:7a:a7", flannelIface: "eth0",
  kube: { configKey: "readback:kubeconfig" },
});
exports.ip = node.ip;
exports.nodeIp = node.nodeIp;
exports.reachable = node.reachable;
exports.errors = node.errors;
`;
}

const readbackChange = async () => {
  const { code, doc, stderr } = await t.previewJson();
  expect(code, stderr).toBe(0);
  // No Node component here (the program declares the read-back alone), so find it by name.
  return parsePreview(JSON.stringify(doc)).changes.find((c) => c.name === `${NODE}-readback`);
};

beforeAll(async () => {
  // No controller-manager: nothing here is deleted with foreground propagation.
  cluster = await startKubeCluster({ controllerManager: false });
  await createObjects(cluster, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n");
  await createObjects(cluster, await readFile(path.join(repoRoot, "stacks/homelab/rbac.yaml"), "utf8"));
  await createObjects(cluster, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: no-rights\n  namespace: kube-system\n");
  readbackToken = await serviceAccountToken(cluster, "kube-system", "homelab-ipam");
  noRightsToken = await serviceAccountToken(cluster, "kube-system", "no-rights");
  nodes = new KubeNodes(cluster);
  await nodes.add({ name: NODE, internalIp: PINNED, clusterInit: true });

  await mkdir(path.join(repoRoot, "test/.tmp"), { recursive: true });
  programDir = await mkdtemp(path.join(repoRoot, "test/.tmp", "readback-apiserver-"));
  await writeFile(path.join(programDir, "index.js"), programText());
  t = await createTempStack({
    main: programDir,
    project: "readback",
    config: { "readback:kubeconfig": { value: cluster.kubeconfig({ name: "homelab-ipam", token: readbackToken }), secret: true } },
  });
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toMatchObject({ create: 2 });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await cluster?.stop();
  if (programDir) await rm(programDir, { recursive: true, force: true });
});

describe("NodeReadback against kube-apiserver", () => {
  it("reads the node with the least-privilege service account, and keeps its token out of state", async () => {
    const outputs = await t.stack.outputs();
    expect(outputs.ip!.value).toBe(PINNED);
    expect(outputs.nodeIp!.value).toBe(PINNED);
    expect(outputs.reachable!.value).toEqual({ kube: true, proxmox: false });
    expect(outputs.errors!.value).toEqual([]);
    expect(await t.exportState()).not.toContain(readbackToken);
    expect(await readbackChange()).toBeUndefined();
  });

  it("shows a node that registered on a pool address (/status) with a stale flannel address", async () => {
    await nodes.set(NODE, { internalIp: POOL, flannelPublicIp: POOL });
    const change = await readbackChange();
    expect(change).toMatchObject({ op: "update", type: "pulumi-nodejs:dynamic/readback:Node" });
    expect(change!.properties).toEqual(
      expect.arrayContaining([
        { path: "ip", before: POOL, after: PINNED },
        { path: "flannelPublicIp", before: POOL, after: PINNED },
      ]),
    );
  });

  it("shows K3s started without the pinned node-ip (k3s.io/node-args annotation)", async () => {
    await nodes.set(NODE, { internalIp: PINNED, flannelPublicIp: PINNED, nodeIp: null });
    const change = await readbackChange();
    expect(change!.properties).toEqual([{ path: "nodeIp", before: null, after: PINNED }]);
  });

  it("is clean once the node reports its pinned addressing again", async () => {
    await nodes.set(NODE, { nodeIp: PINNED });
    expect(await readbackChange()).toBeUndefined();
  });

  it("says the identity lacks RBAC for nodes: could not verify, per node, with the fix — not an endless update", async () => {
    await t.setConfig({ "readback:kubeconfig": { value: cluster.kubeconfig({ name: "no-rights", token: noRightsToken }), secret: true } });
    // A refresh reads with the provider configuration in state: the new kubeconfig takes effect
    // with the next up (which must not fail for it).
    await t.stack.up();
    // The drift command (refresh-only: what the node is now, against what state recorded).
    const run = await runDriftOn(t, "test", ["--refresh-only"]);
    expect(run.summary, run.line).toBeDefined();
    // "Could not check" is not drift: exit 3, no change, the node listed as unverified with the reason and the fix.
    expect(run.exitCode, run.markdown).toBe(3);
    expect(run.summary!.drift.changeCount).toBe(0);
    expect(run.summary!.unverified).toHaveLength(1);
    const [u] = run.summary!.unverified;
    expect(u).toMatchObject({ resource: `${NODE}-readback`, source: "kube" });
    expect(u!.reason).toMatch(/denied reading node "k3s-vm-pve" to the identity in stack config readback:kubeconfig \(403 Forbidden\): it needs "get" on nodes/);
    expect(u!.fix).toContain("homelab-ipam-readback");
    expect(u!.fix).toContain("stacks/homelab/rbac.yaml");
    expect(run.markdown + run.line + JSON.stringify(run.raw)).not.toContain(noRightsToken);
    // A second run says the same: it does not converge into "clean" or into an update.
    const again = await runDriftOn(t, "test", ["--refresh-only"]);
    expect(again.exitCode).toBe(3);
    expect(again.summary!.unverified.map((x) => x.resource)).toEqual([`${NODE}-readback`]);
  });

  it("says the node is missing when it was deleted from the cluster", async () => {
    await t.setConfig({ "readback:kubeconfig": { value: cluster.kubeconfig({ name: "homelab-ipam", token: readbackToken }), secret: true } });
    await t.stack.up();
    await nodes.remove(NODE);
    const change = await readbackChange();
    expect(change!.properties).toContainEqual({ path: "ip", before: null, after: PINNED });
    expect(String((change!.live.errors as unknown[] | undefined)?.[0])).toMatch(/has no node "k3s-vm-pve" \(404\)/);
  });
});
