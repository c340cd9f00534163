/**
 * K3s settings on running nodes, end to end: the homelab stack (MAAS 3.5.7 simulator, simulated
 * cluster API, Proxmox off) against three lab machines that are real sshd processes in private
 * mount namespaces (lab/node). `pulumi up` writes config.yaml and the token over SSH and restarts
 * K3s one server at a time; `pulumi preview` reads the files back from the machines.
 * The tests run in order: each starts from the converged state the previous one left.
 */
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeSimulator, type KubeSimulator } from "../../lab/kube";
import { homelabNodes, labStackConfig } from "../../lab/lab-config";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { startLabFleet, type LabFleet, type RestartSpan } from "../../lab/node";
import { changedSteps, createTempStack, type PreviewDocument, type TempStack } from "../harness/stack";

const TOKEN = "K10SENTINEL-k3s-token-7b1e::server:SENTINEL";
const CONFIG = "/etc/rancher/k3s/config.yaml";
const TOKEN_FILE = "/etc/rancher/k3s/token";
const SERVER_URL = "https://k3s.homelab.lan:6443";
const NODE_CONFIG = "pulumi-nodejs:dynamic/k3s:NodeConfig";
const nodes = homelabNodes();
const names = nodes.map((n) => n.name);
const [first, second, third] = names as [string, string, string];

let maas: MaasSimulator;
let kube: KubeSimulator;
let fleet: LabFleet;
let t: TempStack;
const output: string[] = [];

function config(extra: { k3s?: Record<string, unknown> } = {}) {
  return labStackConfig({
    maasUrl: maas.url,
    maasApiKey: maas.apiKey,
    kubeconfig: kube.kubeconfig,
    k3sToken: TOKEN,
    fleet,
    k3s: { readyTimeoutSeconds: 20, ...extra.k3s },
  });
}

async function up() {
  const r = await t.stack.up({ onOutput: (s) => output.push(s) });
  return r;
}

async function preview(): Promise<PreviewDocument> {
  const { doc, stderr } = await t.previewJson();
  output.push(JSON.stringify(doc), stderr);
  return doc;
}

function k3sStep(doc: PreviewDocument, node: string) {
  return doc.steps?.find((s) => s.urn.endsWith(`::${node}-k3s`) && s.op !== "refresh");
}

/** No two restarts overlap: each ends (Ready) before the next starts. */
function overlapping(spans: RestartSpan[]): string[] {
  const sorted = [...spans].sort((a, b) => a.startedAt - b.startedAt);
  const problems: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.readyAt === undefined || prev.readyAt > sorted[i]!.startedAt) problems.push(`${prev.node} and ${sorted[i]!.node}`);
  }
  return problems;
}

beforeAll(async () => {
  maas = await startMaasSimulator({ version: "3.5.7" });
  kube = await startKubeSimulator({ nodes: nodes.map((n, i) => ({ name: n.name, internalIp: n.ip, clusterInit: i === 0 })) });
  fleet = await startLabFleet({ nodes: nodes.map((n) => ({ name: n.name, role: "server" })), kube, readyDelayMs: 200 });
  t = await createTempStack({ stack: "lab", config: config() });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await fleet?.close();
  await kube?.close();
  await maas?.close();
});

describe("K3s settings delivered over SSH", () => {
  it("up writes config.yaml and the token file on every node (root-owned, 0600) and restarts the servers one at a time", async () => {
    const r = await up();
    expect(r.summary.result).toBe("succeeded");
    for (const n of nodes) {
      const m = fleet.machine(n.name);
      const text = m.read(CONFIG)!;
      expect(text).toContain(`node-ip: ${n.ip}`);
      expect(text).toContain("flannel-iface: eth0");
      expect(text).toContain(`token-file: ${TOKEN_FILE}`);
      expect(text).not.toContain(TOKEN);
      expect(m.read(TOKEN_FILE)).toBe(`${TOKEN}\n`);
      for (const file of [CONFIG, TOKEN_FILE]) {
        const st = statSync(m.file(file));
        expect({ file, uid: st.uid, gid: st.gid, mode: (st.mode & 0o777).toString(8) }).toEqual({ file, uid: 0, gid: 0, mode: "600" });
      }
    }
    const spans = fleet.timeline();
    expect(spans.map((s) => s.node).sort()).toEqual([...names].sort());
    expect(overlapping(spans)).toEqual([]);
    // The chain follows the declaration order of the servers.
    expect([...spans].sort((a, b) => a.startedAt - b.startedAt).map((s) => s.node)).toEqual(names);
    // A fresh stack on machines without a datastore: the first server bootstraps, the others join.
    expect(spans.map((s) => [s.node, s.datastoreExisted, s.settings["cluster-init"] ?? null, s.settings.server ?? null])).toEqual([
      [first, false, true, null],
      [second, false, null, SERVER_URL],
      [third, false, null, SERVER_URL],
    ]);
    expect(names.filter((n) => fleet.machine(n).hasDatastore())).toEqual(names);
  });

  it("the next preview shows only the first server's harmless swap to server (the cluster exists now); up writes it without a restart", async () => {
    const doc = await preview();
    expect(changedSteps(doc)).toEqual([{ op: "update", name: `${first}-k3s`, type: NODE_CONFIG }]);
    const step = k3sStep(doc, first);
    expect(step?.oldState?.outputs?.clusterInit).toBe(true);
    expect(step?.newState?.inputs?.clusterInit).toBeUndefined();
    expect(step?.newState?.inputs?.server).toBe(SERVER_URL);

    const before = fleet.timeline().length;
    await up();
    const text = fleet.machine(first).read(CONFIG)!;
    expect(text).toContain(`server: ${SERVER_URL}`);
    expect(text).not.toContain("cluster-init");
    expect(fleet.timeline().length).toBe(before);
    expect(changedSteps(await preview())).toEqual([]);
  });

  it("a hand edit of node-ip shows as an update with before → after, and up repairs and restarts exactly that node", async () => {
    const m = fleet.machine(second);
    await m.write(CONFIG, m.read(CONFIG)!.replace("node-ip: 192.168.4.236", "node-ip: 192.168.4.99"));
    const doc = await preview();
    const step = k3sStep(doc, second);
    expect(step?.op).toBe("update");
    expect(step?.oldState?.outputs?.nodeIp).toBe("192.168.4.99");
    expect(step?.newState?.inputs?.nodeIp).toBe("192.168.4.236");
    expect(changedSteps(doc).filter((s) => s.type.endsWith("k3s:NodeConfig")).map((s) => s.name)).toEqual([`${second}-k3s`]);

    const before = fleet.timeline().length;
    await up();
    expect(m.read(CONFIG)).toContain("node-ip: 192.168.4.236");
    expect(fleet.timeline().slice(before).map((s) => s.node)).toEqual([second]);
    expect(changedSteps(await preview())).toEqual([]);
  });

  it("a flag in the unit's ExecStart that overrides config.yaml is drift with the explanation; up refuses and writes nothing", async () => {
    const m = fleet.machine(third);
    const unit = m.read("/etc/systemd/system/k3s.service")!;
    await m.write("/etc/systemd/system/k3s.service", unit.replace("    server", "    server \\\n    --node-ip=192.168.4.50"));
    const doc = await preview();
    const step = k3sStep(doc, third);
    expect(step?.op).toBe("update");
    const overrides = (step?.oldState?.outputs?.overrides ?? []) as string[];
    expect(overrides.join("\n")).toContain("the unit's `--node-ip=192.168.4.50` overrides config.yaml (config.yaml: node-ip: 192.168.4.237)");
    expect(overrides.join("\n")).toContain("remove it from ExecStart in /etc/systemd/system/k3s.service");

    const mtime = statSync(m.file(CONFIG)).mtimeMs;
    const restarts = fleet.timeline().length;
    await expect(up()).rejects.toThrow(/nothing written: K3s would not use config.yaml as declared/);
    expect(statSync(m.file(CONFIG)).mtimeMs).toBe(mtime);
    expect(fleet.timeline().length).toBe(restarts);

    await m.write("/etc/systemd/system/k3s.service", unit); // the operator follows the fix
    await up();
    expect(changedSteps(await preview())).toEqual([]);
  });

  it("a wrong host key fails with the node and both fingerprints, and nothing is written", async () => {
    const m = fleet.machine(first);
    const mtime = statSync(m.file(CONFIG)).mtimeMs;
    const wrong = `SHA256:${"A".repeat(43)}`;
    const cfg = config();
    const declared = cfg["homelab:nodes"] as Array<Record<string, unknown>>;
    (declared[0]!.ssh as Record<string, unknown>).hostKey = wrong;
    await t.setConfig({ "homelab:nodes": declared });
    try {
      const r = await t.run(["up", "--yes", "--skip-preview"]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`presented host key ${m.hostKeyFingerprint}, but ${wrong} is pinned`);
      expect(r.stdout + r.stderr).toContain(first);
      expect(statSync(m.file(CONFIG)).mtimeMs).toBe(mtime);
    } finally {
      await t.setConfig(config());
    }
  });

  it("an unreachable node is a warning for that node; the rest of the preview works and nothing changes", async () => {
    const m = fleet.machine(first);
    await m.setReachable(false);
    try {
      await fleet.machine(second).write(CONFIG, fleet.machine(second).read(CONFIG)!.replace("flannel-iface: eth0", "flannel-iface: wlan0"));
      const r = await t.run(["preview", "--json"]);
      const doc = JSON.parse(r.stdout) as PreviewDocument;
      const changed = changedSteps(doc).map((s) => s.name);
      expect(changed).not.toContain(`${first}-k3s`);
      expect(k3sStep(doc, second)?.op).toBe("update");
      expect(JSON.stringify(doc.diagnostics ?? []) + r.stderr).toMatch(new RegExp(`K3sNodeConfig ${first}: could not read the node \\(.*unreachable`));
    } finally {
      await m.setReachable(true);
    }
    await up();
    expect(changedSteps(await preview())).toEqual([]);
  });

  it("a server that never comes Ready stops the rollout with its name; the servers after it are not touched", async () => {
    fleet.setOutcome(first, "never-ready");
    await t.setConfig(config({ k3s: { readyTimeoutSeconds: 3, resolvConf: "/etc/k3s-resolv.conf" } }));
    const before = fleet.timeline().length;
    const untouched = [second, third].map((n) => fleet.machine(n).read(CONFIG));
    await expect(up()).rejects.toThrow(new RegExp(`K3sNodeConfig ${first}: k3s was restarted but the node did not come back within 3 s`));
    expect(fleet.timeline().slice(before).map((s) => s.node)).toEqual([first]);
    expect([second, third].map((n) => fleet.machine(n).read(CONFIG))).toEqual(untouched);

    // The stuck node is drift (K3s not active) until it comes back; up then finishes the rollout.
    fleet.setOutcome(first, "ok");
    const doc = await preview();
    expect(k3sStep(doc, first)?.op).toBe("update");
    await up();
    const spans = fleet.timeline().slice(before + 1);
    expect(spans.map((s) => s.node)).toEqual(names);
    expect(overlapping(spans)).toEqual([]);
    expect(changedSteps(await preview())).toEqual([]);
    await t.setConfig(config());
    await up();
  });

  it("restart: never writes only and says the restart is pending", async () => {
    const cfg = config({ k3s: { resolvConf: "/etc/k3s-resolv-2.conf" } });
    const declared = cfg["homelab:nodes"] as Array<Record<string, unknown>>;
    for (const n of declared) n.restart = "never";
    await t.setConfig({ ...cfg, "homelab:nodes": declared });
    const before = fleet.timeline().length;
    await up();
    expect(fleet.timeline().length).toBe(before);
    expect(fleet.machine(first).read(CONFIG)).toContain("resolv-conf: /etc/k3s-resolv-2.conf");
    expect(output.join("\n")).toContain("restart: never; K3s runs the old settings until `systemctl restart k3s` (restart pending)");
    await t.setConfig(config());
    await up();
  });

  it("a declared change of a create-only setting on a joined node is refused with the runbook, nothing written", async () => {
    const cfg = config();
    const declared = cfg["homelab:nodes"] as Array<Record<string, unknown>>;
    declared[1]!.labels = { "homelab/zone": "b" };
    await t.setConfig({ "homelab:nodes": declared });
    const m = fleet.machine(second);
    const mtime = statSync(m.file(CONFIG)).mtimeMs;
    try {
      const r = await t.run(["preview"]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`K3sNodeConfig ${second}: node-label changed, but K3s reads it only when a node joins`);
      expect(r.stdout + r.stderr).toContain(`kubectl drain ${second}`);
      expect(statSync(m.file(CONFIG)).mtimeMs).toBe(mtime);
    } finally {
      await t.setConfig(config());
    }
  });

  it("a rebuilt first server (config.yaml, token and datastore gone) shows as a create and joins through server, not cluster-init", async () => {
    const m = fleet.machine(first);
    await m.rebuild();
    expect([m.read(CONFIG), m.hasDatastore()]).toEqual([undefined, false]);
    const doc = await preview();
    expect(changedSteps(doc)).toEqual([{ op: "create", name: `${first}-k3s`, type: NODE_CONFIG }]);
    expect(k3sStep(doc, first)?.newState?.inputs).toMatchObject({ server: SERVER_URL });
    expect(k3sStep(doc, first)?.newState?.inputs?.clusterInit).toBeUndefined();

    const before = fleet.timeline().length;
    await up();
    const text = m.read(CONFIG)!;
    expect(text).toContain(`server: ${SERVER_URL}`);
    expect(text).not.toContain("cluster-init");
    expect(m.read(TOKEN_FILE)).toBe(`${TOKEN}\n`);
    const spans = fleet.timeline().slice(before);
    expect(spans.map((s) => [s.node, s.datastoreExisted, s.settings["cluster-init"] ?? null, s.settings.server ?? null])).toEqual([[first, false, null, SERVER_URL]]);
    expect(m.hasDatastore()).toBe(true);
    expect(changedSteps(await preview())).toEqual([]);
  });

  it("a rebuilt first server while the other servers cannot be checked: cluster-init as before, and the preview warns naming them", async () => {
    const m = fleet.machine(first);
    await m.rebuild();
    await Promise.all([second, third].map((n) => fleet.machine(n).setReachable(false)));
    try {
      const r = await t.run(["preview", "--json"]);
      const doc = JSON.parse(r.stdout) as PreviewDocument;
      output.push(r.stdout, r.stderr);
      expect(k3sStep(doc, first)?.op).toBe("create");
      expect(k3sStep(doc, first)?.newState?.inputs).toMatchObject({ clusterInit: true });
      const said = JSON.stringify(doc.diagnostics ?? []) + r.stderr;
      expect(said).toMatch(new RegExp(`could not check for a datastore on ${second} \\(.*unreachable.*\\), ${third} \\(.*unreachable`));
      expect(said).toContain(`K3s on ${first} would start a second cluster`);
    } finally {
      await Promise.all([second, third].map((n) => fleet.machine(n).setReachable(true)));
    }
    // Reachable again: the cluster is found, and up makes the rebuilt server join.
    const doc = await preview();
    expect(k3sStep(doc, first)?.newState?.inputs).toMatchObject({ server: SERVER_URL });
    await up();
    expect(fleet.machine(first).read(CONFIG)).not.toContain("cluster-init");
    expect(changedSteps(await preview())).toEqual([]);
  });

  it("the token and the private key appear nowhere: state, engine output, the machines' logs", async () => {
    const state = await t.exportState();
    const keyBody = fleet.clientKey.privateKey.split("\n").filter((l) => l && !l.startsWith("-----"))[1]!;
    expect(keyBody.length).toBeGreaterThan(20);
    for (const needle of [TOKEN, "SENTINEL", keyBody]) {
      expect(state).not.toContain(needle);
      expect(output.join("\n")).not.toContain(needle);
    }
  });
});
