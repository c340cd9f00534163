/**
 * The read-back resource under the real engine, alone: a tiny compiled program with one
 * NodeReadback against the kube and Proxmox simulators. Checks what unit tests cannot: the
 * provider's round trip through state, refresh-preview semantics (`options.refresh: always`),
 * credentials arriving through stack config, and the drift CLI's exit codes on real CLI output.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrift } from "../../drift/cli";
import { parsePreview } from "../../drift/preview-json";
import { renderReport } from "../../drift/report";
import { buildSections } from "../../drift/sections";
import { startKubeSimulator, type KubeSimulator } from "../../lab/kube";
import { startProxmoxSimulator, type ProxmoxSimulator } from "../../lab/proxmox";
import { createTempStack, repoRoot, type TempStack } from "../harness/stack";

const NODE = "k3s-vm-pve";
const MAC = "bc:24:11:3b:7a:a7";
const PINNED = "192.168.4.238";
const POOL = "192.168.4.222";
const VMID = 101;

let kube: KubeSimulator;
let pve: ProxmoxSimulator;
let programDir: string;
let t: TempStack;

/**
 * The program. It lives under test/.tmp (git-ignored) so that, like a real program, it finds
 * node_modules by walking up from its own directory; requires are absolute all the same.
 */
function programText(): string {
  const pulumi = JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }));
  const readback = JSON.stringify(path.join(repoRoot, "dist/providers/readback/index.js"));
  return `"use strict";
const pulumi = require(${pulumi});
const { NodeReadback } = require(${readback});
const cfg = new pulumi.Config();
// Like HomelabNode: the node's component is the parent, which is how the drift report finds the node.
const parent = new pulumi.ComponentResource("homelab:index:Node", "${NODE}", {}, {});
const node = new NodeReadback("${NODE}-readback", {
  nodeName: "${NODE}",
  ip: cfg.require("ip"),
  mac: "${MAC}",
  flannelIface: "eth0",
  kube: { configKey: "readback:kubeconfig" },
  proxmox: { endpoint: cfg.require("pveUrl"), node: "pve", vmId: ${VMID}, tokenConfigKey: "readback:pveToken" },
}, { parent });
exports.ip = node.ip;
exports.reachable = node.reachable;
`;
}

async function drift(...extra: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runDrift(
    ["--stack", "test", "--cwd", t.workDir, "--markdown", path.join(programDir, "report.md"), "--json", path.join(programDir, "summary.json"), ...extra],
    { ...process.env, ...t.env, PULUMI_BIN: t.cli.bin },
    { stdout: (s) => (out += s), stderr: (s) => (out += s) },
  );
  return { code, out };
}

beforeAll(async () => {
  kube = await startKubeSimulator({ token: "engine-kube-token-SECRET", nodes: [{ name: NODE, internalIp: PINNED, clusterInit: true }] });
  pve = await startProxmoxSimulator({ token: "root@pam!engine=SECRET-pve-token", vms: [{ node: "pve", vmId: VMID, mac: MAC, ip: PINNED }] });
  await mkdir(path.join(repoRoot, "test/.tmp"), { recursive: true });
  programDir = await mkdtemp(path.join(repoRoot, "test/.tmp", "readback-program-"));
  await writeFile(path.join(programDir, "index.js"), programText());
  t = await createTempStack({
    main: programDir,
    project: "readback",
    config: {
      "readback:ip": PINNED,
      "readback:pveUrl": pve.url,
      "readback:kubeconfig": { value: kube.kubeconfig, secret: true },
      "readback:pveToken": { value: pve.apiToken, secret: true },
    },
  });
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toMatchObject({ create: 3 });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await Promise.all([kube?.close(), pve?.close()]);
  if (programDir) await rm(programDir, { recursive: true, force: true });
});

describe("NodeReadback under the engine", () => {
  it("stores what the node reports and keeps credentials out of state", async () => {
    const outputs = await t.stack.outputs();
    expect(outputs.ip!.value).toBe(PINNED);
    expect(outputs.reachable!.value).toEqual({ kube: true, proxmox: true });
    const state = await t.exportState();
    expect(state).not.toContain("engine-kube-token-SECRET");
    expect(state).not.toContain("SECRET-pve-token");
    expect(state).toContain("readback:kubeconfig");
  });

  it("previews no change while the node is consistent, and the drift CLI exits 0", async () => {
    const { code, doc } = await t.previewJson();
    expect(code).toBe(0);
    expect(parsePreview(JSON.stringify(doc)).clean).toBe(true);
    expect((await drift()).code).toBe(0);
  });

  it("shows a node on a pool address as an update with per-field values, and the drift CLI exits 2", async () => {
    kube.setNode(NODE, { internalIp: POOL, flannelPublicIp: POOL });
    pve.setGuestIp(VMID, POOL);
    const { code, doc, stderr } = await t.previewJson();
    expect(code, stderr).toBe(0);
    const parsed = parsePreview(JSON.stringify(doc));
    const change = parsed.nodes[NODE]![0]!;
    expect(change).toMatchObject({ op: "update", type: "pulumi-nodejs:dynamic/readback:Node" });
    expect(change.properties).toEqual(
      expect.arrayContaining([
        { path: "ip", before: POOL, after: PINNED },
        { path: "agentIp", before: POOL, after: PINNED },
        { path: "flannelPublicIp", before: POOL, after: PINNED },
      ]),
    );
    expect(renderReport(buildSections(parsed), { stack: "test" })).toMatch(/k3s-vm-pve reports 192\.168\.4\.222 instead of 192\.168\.4\.238/);
    const r = await drift();
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/drift: stack test: drift: 1 change on k3s-vm-pve/);
  });

  it("itemises the same drift with --refresh-only (refresh --preview-only, streamed)", async () => {
    const r = await drift("--refresh-only");
    expect(r.code, r.out).toBe(2);
    const summary = JSON.parse(await readFile(path.join(programDir, "summary.json"), "utf8"));
    expect(summary.mode).toBe("refresh-only");
    expect(summary.drift.nodes[NODE][0].properties).toEqual(expect.arrayContaining([{ path: "ip", before: POOL, after: PINNED }]));
    expect(summary.drift.nodes[NODE][0].rules).toContain("node-pool-address");
  });

  it("is clean again once the node is back on its address", async () => {
    kube.setNode(NODE, { internalIp: PINNED, flannelPublicIp: PINNED });
    pve.setGuestIp(VMID, PINNED);
    const r = await drift();
    expect(r.code, r.out).toBe(0);
  });

  it("cluster unreachable: no change, a warning on the read-back, and the drift CLI exits 3", async () => {
    await kube.setReachable(false);
    const { code, doc, stderr } = await t.previewJson();
    expect(code, stderr).toBe(0);
    expect(parsePreview(JSON.stringify(doc)).changes).toEqual([]);
    const warning = doc.diagnostics?.find((d) => d.severity === "warning");
    expect(warning?.urn).toMatch(/readback:Node::k3s-vm-pve-readback$/);
    expect(warning?.message).toMatch(/could not verify k3s-vm-pve .*did not answer for node "k3s-vm-pve"/);
    const r = await drift();
    expect(r.code, r.out).toBe(3);
    await kube.setReachable(true);
  });

  it("VM without a guest agent: up converges, the preview stays clean with a warning, exit 3 with the fix", async () => {
    pve.setAgentRunning(VMID, false);
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).not.toHaveProperty("update");
    const { code, doc, stderr } = await t.previewJson();
    expect(code, stderr).toBe(0);
    expect(parsePreview(JSON.stringify(doc)).changes).toEqual([]);
    expect(doc.diagnostics?.find((d) => d.severity === "warning")?.message).toMatch(/guest agent of VM 101 on pve is not running.*install and start the QEMU guest agent/);
    const r = await drift();
    expect(r.code, r.out).toBe(3);
    const report = await readFile(path.join(programDir, "report.md"), "utf8");
    expect(report).toContain("Proxmox guest agent): the QEMU guest agent of VM 101 on pve is not running");
    expect(report).toContain("apt install qemu-guest-agent");
    pve.setAgentRunning(VMID, true);
    expect((await drift()).code).toBe(0);
  });
});
