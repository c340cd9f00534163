/**
 * The MAAS incident (RCA-2025-07-27) replayed through the real Pulumi engine on both MAAS
 * generations: reservations are created, MAAS drops one, the project's normal `pulumi preview`
 * (refresh: always) shows it being recreated and the drift gate fails, `pulumi up` restores it,
 * and the next preview is empty.
 */
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { MaasClient } from "../../providers/maas/client";
import { changedSteps, createTempStack, repoRoot, type TempStack } from "../harness/stack";

const program = path.join(repoRoot, "lab/programs/reservations");

const incidentNodes = [
  { name: "k3s-vm-pve", ip: "192.168.4.238", mac: "BC:24:11:3B:7A:A7" },
  { name: "k3s-vm-still-fawn", ip: "192.168.4.236", mac: "bc-24-11-a9-d5-8c" },
  { name: "k3s-vm-chief-horse", ip: "192.168.4.237", mac: "bc:24:11:1a:38:07" },
];

let sim: MaasSimulator | undefined;
let t: TempStack | undefined;
afterEach(async () => {
  await t?.dispose();
  await sim?.close();
  t = sim = undefined;
});

async function stackFor(simulator: MaasSimulator, reservations: object[]): Promise<TempStack> {
  return createTempStack({
    main: program,
    project: "res",
    config: {
      "maas:url": simulator.url,
      "maas:apiKey": { value: simulator.apiKey, secret: true },
      "res:reservations": reservations,
    },
  });
}

describe.each([
  { version: "3.5.7", mechanism: "ipaddresses" },
  { version: "3.6.0", mechanism: "reservedips" },
])("MAAS $version ($mechanism)", ({ version, mechanism }) => {
  it("recreates a reservation MAAS dropped, and the preview after the repair is empty", async () => {
    sim = await startMaasSimulator({ version });
    t = await stackFor(sim, incidentNodes);

    const up = await t.stack.up();
    expect(up.summary.resourceChanges?.create).toBe(4); // stack + 3 reservations
    expect(sim.reservations().map((r) => [r.ip, r.mac, r.mechanism]).sort()).toEqual([
      ["192.168.4.236", "bc:24:11:a9:d5:8c", mechanism],
      ["192.168.4.237", "bc:24:11:1a:38:07", mechanism],
      ["192.168.4.238", "bc:24:11:3b:7a:a7", mechanism],
    ]);
    const outputs = (await t.stack.outputs()).reservations.value as Record<string, { mechanism: string; mac: string }>;
    expect(outputs["k3s-vm-pve"]).toMatchObject({ mechanism, mac: "bc:24:11:3b:7a:a7" });
    expect((await t.stack.preview({ expectNoChanges: true })).changeSummary).toEqual({ same: 4 });

    // What MAAS did in the incident.
    expect(sim.dropReservation("192.168.4.237")).toBe(true);

    const preview = await t.previewJson();
    expect(preview.code).toBe(0);
    expect(changedSteps(preview.doc)).toEqual([{ op: "create", name: "k3s-vm-chief-horse", type: "pulumi-nodejs:dynamic/maas:Reservation" }]);
    const gate = await t.run(["preview", "--expect-no-changes"]);
    expect(gate.code).not.toBe(0);

    const repair = await t.stack.up();
    expect(repair.summary.resourceChanges?.create).toBe(1);
    expect(sim.reservations().find((r) => r.ip === "192.168.4.237")?.mac).toBe("bc:24:11:1a:38:07");
    expect((await t.stack.preview({ expectNoChanges: true })).changeSummary).toEqual({ same: 4 });
  });

  // MAAS cannot change a reservation's MAC in place (ref/maas-api.md §3.1, §7.7): "moved to another MAC" is
  // someone deleting ours and reserving the IP for another host. That reservation is not the stack's to release.
  it("refuses at preview when the IP was re-reserved for another MAC, names the holder, and releases nothing", async () => {
    sim = await startMaasSimulator({ version });
    t = await stackFor(sim, incidentNodes);
    await t.stack.up();

    const holder = sim.reassignReservation("192.168.4.238", "02:00:00:00:00:99", "printer");
    sim.resetCounters();
    const preview = await t.run(["preview"]);
    expect(preview.code).not.toBe(0);
    const out = preview.stdout + preview.stderr;
    expect(out).toMatch(/192\.168\.4\.238 \(k3s-vm-pve\) is already held in MAAS by/);
    expect(out).toContain("for 02:00:00:00:00:99");
    expect(out).toContain(version === "3.6.0" ? `reserved IP ${holder.id}` : "owner user");
    const up = await t.run(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(sim.counters().writes).toBe(0);
    expect(sim.reservations().filter((r) => r.ip === "192.168.4.238").map((r) => r.mac)).toEqual(["02:00:00:00:00:99"]);

    // What the message says to do: release it in MAAS (that host is gone); then `pulumi up` pins the node again.
    sim.dropReservation("192.168.4.238");
    await t.stack.up();
    expect(sim.reservations().filter((r) => r.ip === "192.168.4.238").map((r) => r.mac)).toEqual(["bc:24:11:3b:7a:a7"]);
    expect((await t.stack.preview({ expectNoChanges: true })).changeSummary).toEqual({ same: 4 });
  });

  it("refuses a new node whose IP another MAC holds, at preview, naming the holder", async () => {
    sim = await startMaasSimulator({ version });
    sim.addReservation({ ip: "192.168.4.238", mac: "02:00:00:00:00:77", comment: "nas", hostname: "nas" });
    t = await stackFor(sim, [incidentNodes[0]]);
    const preview = await t.run(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/already held in MAAS by .*192\.168\.4\.238 for 02:00:00:00:00:77/);
    expect(sim.counters().writes).toBe(0);
  });
});

// MAAS ≤ 3.5 files op=reserve's hostname as a DNS record (IPAddressesHandler._claim_ip, canonical/maas
// src/maasserver/api/ip_addresses.py); GET ipaddresses/ does not show it, GET dnsresources/ does. op=reserve has no
// update, so `up` repairs a rename by release + reserve; release deletes the renamed record once it holds no address
// (post_delete_clean_up_dns, src/maasserver/models/signals/staticipaddress.py).
describe("a label edited in MAAS", () => {
  it("MAAS 3.5.7: a DNS record renamed in MAAS shows as a replace, `up` re-reserves under the declared name, then the preview is clean", async () => {
    sim = await startMaasSimulator({ version: "3.5.7" });
    t = await stackFor(sim, incidentNodes);
    await t.stack.up();
    expect(sim.reservations().find((r) => r.ip === "192.168.4.238")?.hostname).toBe("k3s-vm-pve");

    // Hostnames cost one request per refresh, not one per reservation.
    sim.resetCounters();
    await t.stack.previewRefresh(); // what `npm run bench` counts
    expect(sim.counters().byRoute).toEqual({ "GET version": 1, "GET ipaddresses": 1, "GET dnsresources": 1, "GET ipranges": 1 });

    sim.renameDnsRecord("k3s-vm-pve", "renamed-in-maas");
    const preview = await t.previewJson();
    expect(preview.code).toBe(0);
    expect(changedSteps(preview.doc)).toEqual([{ op: "replace", name: "k3s-vm-pve", type: "pulumi-nodejs:dynamic/maas:Reservation" }]);
    const step = preview.doc.steps!.find((st) => st.urn.endsWith("::k3s-vm-pve") && st.op === "replace")!;
    expect(step.replaceReasons).toEqual(["hostname"]);
    expect([step.oldState?.outputs?.hostname, step.newState?.inputs?.hostname]).toEqual(["renamed-in-maas", "k3s-vm-pve"]);
    const diff = await t.run(["preview", "--diff"]);
    // Pulumi prints the refresh's read-back (declared => live), then the replace that restores the declaration.
    expect(diff.stdout).toMatch(/~ hostname\s*: "k3s-vm-pve" => "renamed-in-maas"/);
    expect(diff.stdout).toMatch(/\+-pulumi-nodejs:dynamic\/maas:Reservation: \(replace\)\s*\n\s*\[id=192\.168\.4\.238\]/);
    expect((await t.run(["preview", "--expect-no-changes"])).code).not.toBe(0);

    sim.resetCounters();
    const repair = await t.stack.up();
    expect(repair.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect(sim.counters().byRoute).toMatchObject({ "POST ipaddresses op=release": 1, "POST ipaddresses op=reserve": 1 });
    expect(sim.counters().writes).toBe(2);
    // The renamed record went with the released address; only the declared name holds the IP.
    expect(sim.reservations().find((r) => r.ip === "192.168.4.238")).toMatchObject({ mac: "bc:24:11:3b:7a:a7", hostname: "k3s-vm-pve" });
    expect((await t.stack.preview({ expectNoChanges: true })).changeSummary).toEqual({ same: 4 });
  });

  it("MAAS 3.6.0 (unchanged): a comment edited in MAAS shows as an update and `up` puts it back in place, same id", async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    t = await stackFor(sim, [incidentNodes[0]]);
    await t.stack.up();
    const [{ id }] = sim.reservations();
    await new MaasClient({ url: sim.url, apiKey: sim.apiKey }).updateComment(id, "edited in MAAS");

    sim.resetCounters();
    const preview = await t.previewJson();
    expect(changedSteps(preview.doc)).toEqual([{ op: "update", name: "k3s-vm-pve", type: "pulumi-nodejs:dynamic/maas:Reservation" }]);
    expect(sim.counters().byRoute["GET dnsresources"]).toBeUndefined();
    await t.stack.up();
    expect(sim.reservations()).toMatchObject([{ id, comment: "k3s-vm-pve" }]);
    expect((await t.stack.preview({ expectNoChanges: true })).changeSummary).toEqual({ same: 2 });
  });
});

describe("reservation lifecycle on MAAS 3.6", () => {
  it("replaces a reservation whose MAC changed in the program and releases a removed node", async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    t = await stackFor(sim, incidentNodes);
    await t.stack.up();

    await t.setConfig({
      "res:reservations": [
        { ...incidentNodes[0], mac: "bc:24:11:00:00:01" },
        incidentNodes[1],
      ],
    });
    const preview = await t.previewJson();
    expect(changedSteps(preview.doc).map((s) => `${s.op} ${s.name}`).sort()).toEqual([
      "delete k3s-vm-chief-horse",
      "replace k3s-vm-pve",
    ]);
    await t.stack.up();
    expect(sim.reservations().map((r) => `${r.ip} ${r.mac}`).sort()).toEqual([
      "192.168.4.236 bc:24:11:a9:d5:8c",
      "192.168.4.238 bc:24:11:00:00:01",
    ]);
  });

  it("updates a changed comment in place", async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    t = await stackFor(sim, [{ ...incidentNodes[0], comment: "first" }]);
    await t.stack.up();
    const id = sim.reservations()[0].id;
    await t.setConfig({ "res:reservations": [{ ...incidentNodes[0], comment: "second" }] });
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(sim.reservations()).toMatchObject([{ id, comment: "second" }]);
  });

  it("adopts an identical reservation made by hand instead of failing or duplicating it", async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    sim.addReservation({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", comment: "made during the incident" });
    t = await stackFor(sim, [incidentNodes[0]]);
    await t.stack.up();
    expect(sim.reservations()).toHaveLength(1);
    expect(sim.reservations()[0].comment).toBe("k3s-vm-pve");
  });
});

// Every kind of bad input, on both versions, is covered against the simulator at the provider
// (test/unit/providers/maas/reservation/check.simulator.test.ts); here one per version goes
// through the engine: the preview fails with the provider's message and MAAS sees no write.
describe("bad input fails at preview with zero writes to MAAS", () => {
  const cases: Array<{ name: string; version: string; reservations: object[]; message: RegExp }> = [
    { name: "the subnet's gateway", version: "3.5.7", reservations: [{ ...incidentNodes[0], ip: "192.168.4.1" }], message: /192\.168\.4\.1 \(k3s-vm-pve\) is the gateway of MAAS subnet 192\.168\.4\.0\/24/ },
    { name: "the same MAC twice in other spellings", version: "3.6.0", reservations: [incidentNodes[0], { ...incidentNodes[1], mac: "bc-24-11-3b-7a-a7" }], message: /bc:24:11:3b:7a:a7 is declared for both/ },
  ];
  it.each(cases)("rejects $name on MAAS $version", async ({ reservations, message, version }) => {
    sim = await startMaasSimulator({ version });
    t = await stackFor(sim, reservations);
    const preview = await t.run(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(message);
    expect(sim.counters().writes).toBe(0);
    expect(sim.reservations()).toEqual([]);
  });
});

describe("under faults", () => {
  it("converges with 30% of requests failing: ten reservations, no duplicates, nothing lost", async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    const nodes = Array.from({ length: 10 }, (_, i) => ({
      name: `node-${i}`,
      ip: `192.168.4.${20 + i}`,
      mac: `02:00:00:00:01:${(16 + i).toString(16)}`,
    }));
    t = await stackFor(sim, nodes);
    sim.setFaults({ rate: 0.3, kinds: ["503", "reset"], retryAfter: 0, seed: 7, writesApplyBeforeFault: true });
    await t.stack.up();
    sim.clearFaults();
    expect(sim.counters().faults).toBeGreaterThan(0);
    const live = sim.reservations();
    expect(live).toHaveLength(10);
    expect(new Set(live.map((r) => r.ip)).size).toBe(10);
    expect(live.map((r) => `${r.ip} ${r.mac}`).sort()).toEqual(nodes.map((n) => `${n.ip} ${n.mac}`).sort());
    expect((await t.stack.preview({ expectNoChanges: true })).changeSummary).toEqual({ same: 11 });
  });
});

describe("secrets", () => {
  it("never writes the MAAS API key to state or to the engine's output", async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
    t = await stackFor(sim, incidentNodes);
    const up = await t.stack.up();
    const preview = await t.run(["preview", "--diff", "--json"]);
    const state = await t.exportState();
    const [, token, secret] = sim.apiKey.split(":");
    for (const text of [state, up.stdout, up.stderr, preview.stdout, preview.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(token);
    }
  });
});
