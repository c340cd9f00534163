/**
 * Safe upgrades of the project itself: a stack written by the previous layout — resources whose
 * state holds the forwarding provider that loads `dist/…/provider.js` by a relative path
 * (test/fixtures/providers/path-forwarder-v0.js, compiled verbatim from that release), and a
 * K3sNodeConfig whose whole provider was serialized into state — is refreshed, updated and
 * destroyed by this release. The new program then writes the id-based forwarder.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { changedSteps, createTempStack, repoRoot, type TempStack } from "../harness/stack";

const nodes = [
  { name: "n1", ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" },
  { name: "n2", ip: "192.168.4.236", mac: "bc:24:11:a9:d5:8c" },
];
let maas: MaasSimulator;
let oldProgram: string;
let t: TempStack;

/** The previous layout's program: the same resources, registered the way that release did. */
function oldProgramText(): string {
  const abs = (p: string) => JSON.stringify(path.join(repoRoot, p));
  return `"use strict";
const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }))});
const { forwardingProvider } = require(${abs("test/fixtures/providers/path-forwarder-v0.js")});
const { nodeConfigProvider } = require(${abs("dist/providers/k3s/node-config.js")});
const fwd = forwardingProvider(${abs("dist/providers/maas/reservation/provider.js")}, "reservationProvider");
const config = new pulumi.Config("res");
for (const e of config.requireObject("reservations")) {
  new pulumi.dynamic.Resource(fwd, e.name, { comment: undefined, subnet: undefined, reservationId: undefined, mechanism: undefined, subnetId: undefined, ip: e.ip, mac: e.mac, hostname: e.name }, {}, "maas", "Reservation");
}
new pulumi.dynamic.Resource(nodeConfigProvider, "n1-k3s", { nodeName: "n1", role: "server", nodeIp: "192.168.4.238", flannelIface: "eth0", tokenFile: "/etc/rancher/k3s/token", tokenSha256: "0".repeat(64), nodeLabels: [] }, {}, "k3s", "NodeConfig");
`;
}

/** The same resources with this release's classes. */
function newProgramText(): string {
  const abs = (p: string) => JSON.stringify(path.join(repoRoot, p));
  return `"use strict";
const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }))});
const { MaasReservation } = require(${abs("dist/providers/maas/index.js")});
const { K3sNodeConfig } = require(${abs("dist/providers/k3s/node-config.js")});
const config = new pulumi.Config("res");
for (const e of config.requireObject("reservations")) new MaasReservation(e.name, { ip: e.ip, mac: e.mac, hostname: e.name });
new K3sNodeConfig("n1-k3s", { nodeName: "n1", role: "server", nodeIp: "192.168.4.238", flannelIface: "eth0", tokenFile: "/etc/rancher/k3s/token", tokenSha256: "0".repeat(64), nodeLabels: [] });
`;
}

beforeAll(async () => {
  maas = await startMaasSimulator({ version: "3.6.0" });
  await mkdir(path.join(repoRoot, "test/.tmp"), { recursive: true });
  oldProgram = await mkdtemp(path.join(repoRoot, "test/.tmp", "upgrade-program-"));
  await writeFile(path.join(oldProgram, "index.js"), oldProgramText());
  t = await createTempStack({
    main: oldProgram,
    project: "res",
    config: { "maas:url": maas.url, "maas:apiKey": { value: maas.apiKey, secret: true }, "res:reservations": nodes },
  });
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toMatchObject({ create: 4 });
}, 300_000);

afterAll(async () => {
  await t?.dispose({ destroy: false });
  await maas?.close();
  if (oldProgram) await rm(oldProgram, { recursive: true, force: true });
});

describe("a stack written by the previous layout, with this release", () => {
  it("was written by the previous layout (a relative dist/ path in state)", async () => {
    const state = await t.exportState();
    expect(state).toContain("dist/providers/maas/reservation/provider.js");
    expect(state).not.toContain("homelab-ipam/maas-reservation");
  });

  it("refreshes: a reservation MAAS dropped is found gone, the other is unchanged", async () => {
    expect(maas.dropReservation("192.168.4.236")).toBe(true);
    const r = await t.run(["refresh", "--yes", "--skip-preview"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const { code, doc } = await t.previewJson();
    expect(code).toBe(0);
    expect(changedSteps(doc)).toEqual([{ op: "create", name: "n2", type: "pulumi-nodejs:dynamic/maas:Reservation" }]);
  });

  it("runs the new program over it: recreates what is gone, leaves the rest, stores the id-based forwarder", async () => {
    await writeFile(path.join(oldProgram, "index.js"), newProgramText());
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    expect(up.summary.resourceChanges).not.toHaveProperty("update");
    expect(maas.reservations().map((r) => r.ip).sort()).toEqual(["192.168.4.236", "192.168.4.238"]);
    const state = await t.exportState();
    expect(state).toContain("homelab-ipam/maas-reservation");
    // untouched resources keep the old forwarder until they are updated
    expect(state).toContain("dist/providers/maas/reservation/provider.js");
    const { doc } = await t.previewJson();
    expect(changedSteps(doc)).toEqual([]);
  });

  it("destroys old-layout and new-layout resources alike", async () => {
    await t.stack.destroy();
    expect(maas.reservations()).toEqual([]);
  });
});
