/**
 * Every drift scenario of issue 5 on the homelab stack (MAAS 3.5.7 as in the incident, the
 * simulated cluster API, lab machines reached over SSH for the K3s settings, Proxmox off): each
 * is shown by the refreshing preview (the drift command's `pulumi preview --refresh`, which is what
 * Pulumi.yaml's `refresh: always` runs for a plain `pulumi preview`) and by the drift command
 * (exit 2) with its consequence, and is clean again after `pulumi up` — the repair never resets a
 * simulator. (An unreachable cluster API is "could not check", not drift: tested on its own.)
 * Out-of-band changes are drift: they appear in the report's "Drift since the last deployment"
 * section only. With CAPTURE_PREVIEW=1 the raw output of the drift command's two Pulumi runs is
 * written to test/fixtures/drift/<scenario>/ for the report's golden tests.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftSummary } from "../../drift/summary";
import { runDriftOn } from "../../lab/drift-run";
import { startKubeSimulator, type KubeSimulator } from "../../lab/kube";
import { homelabNodes, labStackConfig } from "../../lab/lab-config";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { writeDriftFixture } from "../harness/fixture-capture";
import { startLabFleet, type LabFleet } from "../../lab/node";
import { createTempStack, repoRoot, type PreviewDocument, type TempStack } from "../harness/stack";

const nodes = homelabNodes();
let maas: MaasSimulator;
let kube: KubeSimulator;
let t: TempStack;
let fleet: LabFleet;
const CONFIG = "/etc/rancher/k3s/config.yaml";

/** An operator's hand edit of the node's config.yaml (K3s picks it up at its next restart). */
async function editConfig(node: string, from: RegExp, to: string): Promise<void> {
  const m = fleet.machine(node);
  await m.write(CONFIG, m.read(CONFIG)!.replace(from, to));
}

beforeAll(async () => {
  maas = await startMaasSimulator({ version: "3.5.7" });
  kube = await startKubeSimulator({ nodes: nodes.map((n, i) => ({ name: n.name, internalIp: n.ip, clusterInit: i === 0 })) });
  fleet = await startLabFleet({ nodes: nodes.map((n) => ({ name: n.name, role: "server" })), kube, readyDelayMs: 200 });
  t = await createTempStack({
    stack: "lab",
    config: labStackConfig({
      maasUrl: maas.url,
      maasApiKey: maas.apiKey,
      kubeconfig: kube.kubeconfig,
      k3sToken: "K10-drift-scenarios-token",
      fleet,
    }),
  });
  await t.stack.up();
  // The cluster exists after the first up: the second writes the first server's swap from
  // cluster-init to server (harmless, no restart; test/engine/k3s-nodes.test.ts checks it).
  await t.stack.up();
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await fleet?.close();
  await kube?.close();
  await maas?.close();
});

async function drift(scenario?: string): Promise<{ code: number; summary: DriftSummary; markdown: string; preview: PreviewDocument }> {
  const run = await runDriftOn(t);
  expect(run.summary, run.line).toBeDefined();
  if (scenario && process.env.CAPTURE_PREVIEW === "1") {
    await writeDriftFixture(path.join(repoRoot, "test/fixtures/drift", scenario), run.raw);
  }
  return { code: run.exitCode, summary: run.summary!, markdown: run.markdown, preview: JSON.parse(run.raw.preview ?? "{}") as PreviewDocument };
}

function stepFor(doc: PreviewDocument, name: string) {
  return doc.steps?.find((s) => s.urn.endsWith(`::${name}`) && s.op !== "refresh");
}

async function normalPreview(): Promise<PreviewDocument> {
  const { code, doc } = await t.previewJson();
  expect(code).toBe(0);
  return doc;
}

function rulesOf(summary: DriftSummary, node: string): string[] {
  return (summary.drift.nodes[node] ?? []).flatMap((c) => c.rules ?? []);
}

const scenarios: Array<{
  name: string;
  node: string;
  resource: string;
  op: string;
  rule: string;
  text: RegExp;
  apply: () => void | Promise<void>;
  repair: () => Promise<unknown>;
}> = [
  {
    name: "reservation-deleted",
    node: "k3s-vm-chief-horse",
    resource: "k3s-vm-chief-horse-reservation",
    op: "create",
    rule: "reservation-missing",
    text: /MAAS no longer pins 192\.168\.4\.237 to bc:24:11:1a:38:07/,
    apply: () => void maas.dropReservation("192.168.4.237"),
    repair: () => t.stack.up(),
  },
  {
    // A MAAS admin widens the pool over the pinned nodes (legacy reservations on 3.5 do not stop it): drift on
    // each node with its consequence, not a stack-wide error. `pulumi up` cannot change MAAS's ranges; the repair
    // is the one the report names, shrinking the range in MAAS.
    name: "reservation-inside-dynamic-range",
    node: "k3s-vm-pve",
    resource: "k3s-vm-pve-reservation",
    op: "update",
    rule: "reservation-in-dynamic-range",
    text: /MAAS's dynamic range 192\.168\.4\.200-192\.168\.4\.240 now covers 192\.168\.4\.238/,
    apply: () => maas.setIpRange(1, { startIp: "192.168.4.200", endIp: "192.168.4.240" }),
    repair: async () => maas.setIpRange(1, { startIp: "192.168.4.200", endIp: "192.168.4.230" }),
  },
  {
    name: "reservation-ip-changed",
    node: "k3s-vm-still-fawn",
    resource: "k3s-vm-still-fawn-reservation",
    op: "replace",
    rule: "reservation-ip-changed",
    text: /MAAS pins bc:24:11:a9:d5:8c to 192\.168\.4\.240, but the node is declared as 192\.168\.4\.236/,
    apply: () => maas.setReservationIp("192.168.4.236", "192.168.4.240"),
    repair: () => t.stack.up(),
  },
  {
    // MAAS ≤ 3.5 keeps the hostname as a DNS record; an admin renames it in MAAS. `pulumi up` replaces the
    // reservation (release + reserve) so the declared name is back.
    name: "reservation-hostname-renamed",
    node: "k3s-vm-pve",
    resource: "k3s-vm-pve-reservation",
    op: "replace",
    rule: "reservation-hostname-changed",
    text: /MAAS's DNS names 192\.168\.4\.238 renamed-in-maas, not k3s-vm-pve/,
    apply: () => maas.renameDnsRecord("k3s-vm-pve", "renamed-in-maas"),
    repair: () => t.stack.up(),
  },
  {
    // Seed 004: node-ip is no longer pinned on the node, K3s restarted and registered its DHCP address.
    name: "node-on-pool-address",
    node: "k3s-vm-chief-horse",
    resource: "k3s-vm-chief-horse-readback",
    op: "update",
    rule: "node-pool-address",
    text: /reports 192\.168\.4\.220 instead of 192\.168\.4\.237/,
    apply: async () => {
      await editConfig("k3s-vm-chief-horse", /node-ip: .*\n/, "");
      kube.setNode("k3s-vm-chief-horse", { internalIp: "192.168.4.220", nodeIp: null, flannelPublicIp: "192.168.4.220" });
    },
    repair: () => t.stack.up(),
  },
  {
    name: "k3s-node-ip-differs",
    node: "k3s-vm-pve",
    resource: "k3s-vm-pve-readback",
    op: "update",
    rule: "node-k3s-node-ip",
    text: /runs with node-ip 192\.168\.4\.222, not 192\.168\.4\.238/,
    apply: async () => {
      await editConfig("k3s-vm-pve", /node-ip: .*/, "node-ip: 192.168.4.222");
      kube.setNode("k3s-vm-pve", { nodeIp: "192.168.4.222" });
    },
    repair: () => t.stack.up(),
  },
  {
    name: "flannel-iface-differs",
    node: "k3s-vm-still-fawn",
    resource: "k3s-vm-still-fawn-readback",
    op: "update",
    rule: "node-flannel-iface",
    text: /flannel on k3s-vm-still-fawn uses wlan0 instead of eth0/,
    apply: async () => {
      await editConfig("k3s-vm-still-fawn", /flannel-iface: .*/, "flannel-iface: wlan0");
      kube.setNode("k3s-vm-still-fawn", { flannelIface: "wlan0" });
    },
    repair: () => t.stack.up(),
  },
];

describe("drift scenarios on the homelab stack", () => {
  it("starts clean: preview shows nothing and the drift command exits 0", async () => {
    const { code, summary } = await drift("clean-homelab");
    expect(summary.clean).toBe(true);
    expect(code).toBe(0);
  });

  it.each(scenarios)("$name: shown by the refreshing preview and the drift command, clean after repair", async (s) => {
    await s.apply();
    // The drift command's second run is `pulumi preview --refresh --show-sames --json`: the project's
    // normal preview (Pulumi.yaml: refresh: always) with unchanged resources listed too.
    const { code, summary, markdown, preview } = await drift(s.name);
    expect(stepFor(preview, s.resource)?.op).toBe(s.op);
    expect(code).toBe(2);
    expect(rulesOf(summary, s.node)).toContain(s.rule);
    // Nothing changed in the program: the pull-request section only has drift repairs, which it leaves out.
    expect(summary.pullRequest!.nodes).toEqual({});
    expect(markdown).toMatch(s.text);
    expect(markdown).not.toContain(maas.apiKey.split(":")[2]);
    expect(markdown).not.toContain(kube.token);

    await s.repair();
    const after = await drift();
    expect(after.summary.drift.nodes, after.markdown).toEqual({});
    expect(after.code).toBe(0);
  });

  // MAAS cannot change a reservation's MAC in place (ref/maas-api.md §3.1, §7.7), so "moved to another MAC" is
  // delete + a new reservation for another host. On 3.5.7 the IP is the id; the stack must not release that
  // host's reservation: the preview refuses, naming the holder, and the drift command reports the error.
  it("reservation-moved-to-another-mac: refused at preview naming the holder, nothing released, clean after the fix", async () => {
    maas.reassignReservation("192.168.4.238", "02:00:00:00:00:99", "printer");
    const preview = await t.run(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/192\.168\.4\.238 \(k3s-vm-pve\) is already held in MAAS by legacy ipaddresses reservation of 192\.168\.4\.238 \(192\.168\.4\.238 for 02:00:00:00:00:99, DNS printer\.maas, owner user\)/);
    const run = await runDriftOn(t);
    expect(run.exitCode).toBe(1);
    expect(maas.reservations().find((r) => r.ip === "192.168.4.238")?.mac).toBe("02:00:00:00:00:99");

    // The fix the message names: the other host's reservation is released in MAAS, then `pulumi up` re-pins.
    maas.dropReservation("192.168.4.238");
    await t.stack.up();
    expect(maas.reservations().find((r) => r.ip === "192.168.4.238")?.mac).toBe("bc:24:11:3b:7a:a7");
    const after = await drift();
    expect(after.summary.drift.nodes, after.markdown).toEqual({});
    expect(after.code).toBe(0);
  });

  it("cluster-unreachable: could not verify, not drift (a warning and exit 3); clean once the API answers", async () => {
    await kube.setReachable(false);
    try {
      const doc = await normalPreview();
      expect(stepFor(doc, "k3s-vm-pve-readback")?.op ?? "same").toBe("same");
      const { code, summary, markdown } = await drift();
      expect(summary.drift.nodes, markdown).toEqual({});
      expect(code).toBe(3);
      expect(summary.unverified).toContainEqual(expect.objectContaining({ node: "k3s-vm-pve", source: "kube" }));
    } finally {
      await kube.setReachable(true);
    }
    const after = await drift();
    expect(after.summary.drift.nodes, after.markdown).toEqual({});
    expect(after.code).toBe(0);
  });
});
