/**
 * Safe upgrades of the project itself: a stack written by earlier layouts — reservations whose
 * state holds the forwarding provider that loads `dist/…/provider.js` by a relative path
 * (test/fixtures/providers/path-forwarder-v0.js, compiled verbatim from that release), one whose
 * state holds the next release's serialized id-based forwarder (test/fixtures/providers/id-forwarder-v1.js),
 * and a K3sNodeConfig of the state-only provider, serialized whole into state
 * (test/fixtures/providers/k3s-node-config-v0.js, also verbatim) — is refreshed, updated and
 * destroyed by this release. The new program then writes this release's forwarder (a require of
 * @homelab-ipam/dynamic-forwarders), and its first `up` writes the K3s settings the old provider
 * only recorded to the node (a lab machine over SSH).
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { startLabFleet, type LabFleet } from "../../lab/node";
import { changedSteps, createTempStack, repoRoot, type TempStack } from "../harness/stack";

const nodes = [
  { name: "n1", ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" },
  { name: "n2", ip: "192.168.4.236", mac: "bc:24:11:a9:d5:8c" },
  // registered with the id-based forwarder the release before this one serialized into state
  { name: "n3", ip: "192.168.4.237", mac: "bc:24:11:1a:38:07" },
];
const TOKEN = "K10SENTINEL-upgrade-token::server:SENTINEL";
const TOKEN_SHA256 = createHash("sha256").update(TOKEN).digest("hex");
const CONFIG = "/etc/rancher/k3s/config.yaml";
let maas: MaasSimulator;
let fleet: LabFleet;
let oldProgram: string;
let t: TempStack;

/** The previous layout's program: the same resources, registered the way that release did. */
function oldProgramText(): string {
  const abs = (p: string) => JSON.stringify(path.join(repoRoot, p));
  return `"use strict";
const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }))});
const { forwardingProvider } = require(${abs("test/fixtures/providers/path-forwarder-v0.js")});
const { nodeConfigProvider } = require(${abs("test/fixtures/providers/k3s-node-config-v0.js")});
const idForwarder = require(${abs("test/fixtures/providers/id-forwarder-v1.js")});
const fwd = forwardingProvider(${abs("dist/providers/maas/reservation/provider.js")}, "reservationProvider");
const fwdV1 = idForwarder.forwardingProvider("homelab-ipam/maas-reservation");
const config = new pulumi.Config("res");
for (const e of config.requireObject("reservations")) {
  new pulumi.dynamic.Resource(e.name === "n3" ? fwdV1 : fwd, e.name, { comment: undefined, subnet: undefined, reservationId: undefined, mechanism: undefined, subnetId: undefined, ip: e.ip, mac: e.mac, hostname: e.name }, {}, "maas", "Reservation");
}
new pulumi.dynamic.Resource(nodeConfigProvider, "n1-k3s", { nodeName: "n1", role: "server", nodeIp: "192.168.4.238", flannelIface: "eth0", tokenFile: "/etc/rancher/k3s/token", tokenSha256: "${TOKEN_SHA256}", nodeLabels: [] }, {}, "k3s", "NodeConfig");
`;
}

/** The same resources with this release's classes; the K3s settings now go to n1 over SSH. */
function newProgramText(): string {
  const abs = (p: string) => JSON.stringify(path.join(repoRoot, p));
  return `"use strict";
const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }))});
const { MaasReservation } = require(${abs("dist/providers/maas/index.js")});
const { K3sNodeConfig } = require(${abs("dist/providers/k3s/index.js")});
const config = new pulumi.Config("res");
for (const e of config.requireObject("reservations")) new MaasReservation(e.name, { ip: e.ip, mac: e.mac, hostname: e.name });
new K3sNodeConfig("n1-k3s", {
  nodeName: "n1", role: "server", nodeIp: "192.168.4.238", flannelIface: "eth0", tokenFile: "/etc/rancher/k3s/token",
  tokenSha256: "${TOKEN_SHA256}", nodeLabels: [], tokenConfigKey: "res:k3sToken",
  ssh: { ...config.requireObject("ssh"), privateKeyConfigKey: "res:sshKey" }, readiness: { timeoutSeconds: 20 },
});
`;
}

beforeAll(async () => {
  maas = await startMaasSimulator({ version: "3.6.0" });
  fleet = await startLabFleet({ nodes: [{ name: "n1", role: "server" }] });
  await mkdir(path.join(repoRoot, "test/.tmp"), { recursive: true });
  oldProgram = await mkdtemp(path.join(repoRoot, "test/.tmp", "upgrade-program-"));
  await writeFile(path.join(oldProgram, "index.js"), oldProgramText());
  t = await createTempStack({
    main: oldProgram,
    project: "res",
    config: {
      "maas:url": maas.url,
      "maas:apiKey": { value: maas.apiKey, secret: true },
      "res:reservations": nodes,
      "res:ssh": fleet.sshFor("n1"),
      "res:sshKey": { value: fleet.clientKey.privateKey, secret: true },
      "res:k3sToken": { value: TOKEN, secret: true },
    },
  });
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toMatchObject({ create: 5 });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  await maas?.close();
  await fleet?.close();
  if (oldProgram) await rm(oldProgram, { recursive: true, force: true });
});

describe("a stack written by the previous layouts, with this release", () => {
  it("was written by the previous layouts (a relative dist/ path in state; a serialized id-based forwarder)", async () => {
    const state = await t.exportState();
    expect(state).toContain("dist/providers/maas/reservation/provider.js");
    expect(state).toContain("__homelabIpamProviders"); // the id-based forwarder's process-wide cache
    expect(state).not.toContain("@homelab-ipam/dynamic-forwarders");
  });

  it("refreshes: a reservation MAAS dropped is found gone, the other is unchanged", async () => {
    expect(maas.dropReservation("192.168.4.236")).toBe(true);
    const r = await t.run(["refresh", "--yes", "--skip-preview"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const { code, doc } = await t.previewJson();
    expect(code).toBe(0);
    expect(changedSteps(doc)).toEqual([{ op: "create", name: "n2", type: "pulumi-nodejs:dynamic/maas:Reservation" }]);
  });

  it("runs the new program over it: recreates what is gone, leaves the rest, stores this release's forwarder", async () => {
    expect(fleet.machine("n1").read(CONFIG)).toBeUndefined(); // the old provider wrote nothing
    await writeFile(path.join(oldProgram, "index.js"), newProgramText());
    const { code, doc, stderr } = await t.previewJson();
    expect(code, stderr + JSON.stringify(doc.diagnostics ?? [])).toBe(0);
    expect(changedSteps(doc).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { op: "update", name: "n1-k3s", type: "pulumi-nodejs:dynamic/k3s:NodeConfig" },
      { op: "create", name: "n2", type: "pulumi-nodejs:dynamic/maas:Reservation" },
    ]);
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ create: 1, update: 1 });
    // The settings the old provider only recorded are on the node now.
    expect(fleet.machine("n1").read(CONFIG)).toMatch(/^node-ip: 192\.168\.4\.238$/m);
    expect(fleet.machine("n1").read(CONFIG)).toMatch(/^flannel-iface: eth0$/m);
    expect(fleet.machine("n1").read("/etc/rancher/k3s/token")?.trim()).toBe(TOKEN);
    expect(maas.reservations().map((r) => r.ip).sort()).toEqual(["192.168.4.236", "192.168.4.237", "192.168.4.238"]);
    const state = await t.exportState();
    expect(state).toContain('require(\\"@homelab-ipam/dynamic-forwarders/maas-reservation.v1.js\\")');
    // untouched resources keep their old forwarders until they are updated
    expect(state).toContain("dist/providers/maas/reservation/provider.js");
    expect(state).toContain("__homelabIpamProviders");
    expect(state).not.toContain(TOKEN);
    expect(changedSteps((await t.previewJson()).doc)).toEqual([]);
  });

  it("destroys old-layout and new-layout resources alike", async () => {
    await t.stack.destroy();
    expect(maas.reservations()).toEqual([]);
  });
});
