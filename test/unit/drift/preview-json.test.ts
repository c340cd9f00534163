import { describe, expect, it } from "vitest";
import { parsePreview, parseUrn, PreviewParseError, propertyChanges, splitPropertyPath, STACK_GROUP } from "../../../drift/preview-json";

// Small documents in the shape of ref/pulumi.md §2.3-2.4 for single behaviours; whole engine
// outputs are covered by the captured fixtures of report-golden.test.ts.
const RES = "pulumi-nodejs:dynamic/maas:Reservation";
const nodeUrn = (n: string) => `urn:pulumi:homelab::homelab::homelab:index:Node::${n}`;
const childUrn = (n: string, type: string, suffix: string) => `urn:pulumi:homelab::homelab::homelab:index:Node$${type}::${n}-${suffix}`;

describe("parseUrn", () => {
  it("splits type and name", () => {
    expect(parseUrn(childUrn("k3s-vm-pve", RES, "reservation"))).toEqual({ type: RES, name: "k3s-vm-pve-reservation" });
  });
});

describe("splitPropertyPath", () => {
  it("reads dotted, indexed and quoted segments", () => {
    expect(splitPropertyPath('initialization.ipConfigs[0].ipv4.address')).toEqual(["initialization", "ipConfigs", 0, "ipv4", "address"]);
    expect(splitPropertyPath('metadata.labels["app.kubernetes.io/name"]')).toEqual(["metadata", "labels", "app.kubernetes.io/name"]);
  });
});

describe("propertyChanges", () => {
  it("compares desired inputs with live outputs, ignoring output-only fields, __provider and __defaults", () => {
    const live = { __provider: "old code", ip: "192.168.4.220", mac: "bc:24:11:1a:38:07", reservationId: "9", nested: { a: 1, extra: 2 } };
    const desired = { __provider: "new code", __defaults: [], ip: "192.168.4.237", mac: "bc:24:11:1a:38:07", nested: { a: 1 } };
    expect(propertyChanges(live, desired, "replace")).toEqual([{ path: "ip", before: "192.168.4.220", after: "192.168.4.237" }]);
  });

  it("lists every leaf of a created resource against absent", () => {
    expect(propertyChanges({}, { ip: "192.168.4.238", kube: { configKey: "k" }, tags: ["a"] }, "create")).toEqual([
      { path: "ip", before: undefined, after: "192.168.4.238" },
      { path: "kube.configKey", before: undefined, after: "k" },
      { path: "tags[0]", before: undefined, after: "a" },
    ]);
  });

  it("shows an input the program no longer sets", () => {
    expect(propertyChanges({ server: "https://k3s:6443", role: "server" }, { role: "server" }, "replace", null, { server: "https://k3s:6443", role: "server" })).toEqual([
      { path: "server", before: "https://k3s:6443", after: undefined },
    ]);
  });

  it("uses detailedDiff paths when the engine sends them", () => {
    const live = { initialization: { ipConfigs: [{ ipv4: { address: "dhcp" } }], datastoreId: "local-lvm" }, cpu: { cores: 2, sockets: 1 } };
    const desired = { initialization: { ipConfigs: [{ ipv4: { address: "192.168.4.236/24", gateway: "192.168.4.1" } }], datastoreId: "local-lvm" }, cpu: { cores: 2 } };
    expect(
      propertyChanges(live, desired, "update", {
        "initialization.ipConfigs[0].ipv4.address": { kind: "update" },
        "initialization.ipConfigs[0].ipv4.gateway": { kind: "add" },
      }),
    ).toEqual([
      { path: "initialization.ipConfigs[0].ipv4.address", before: "dhcp", after: "192.168.4.236/24" },
      { path: "initialization.ipConfigs[0].ipv4.gateway", before: undefined, after: "192.168.4.1" },
    ]);
  });
});

describe("parsePreview", () => {
  it("with refresh steps, takes only a create of something that was refreshed as missing", () => {
    const created = { op: "create", urn: childUrn("n", RES, "readback"), newState: { type: RES, inputs: { ip: "1" }, parent: nodeUrn("n") } };
    const other = { op: "refresh", urn: childUrn("n", RES, "reservation"), oldState: { type: RES }, newState: { type: RES } };
    expect(parsePreview(JSON.stringify({ steps: [other, created], changeSummary: { create: 1 } })).changes[0]!.missing).toBe(false);
    const self = { ...other, urn: created.urn };
    expect(parsePreview(JSON.stringify({ steps: [self, created], changeSummary: { create: 1 } })).changes[0]!.missing).toBe(true);
  });

  it("finds the node through the parent chain, never through a name suffix", () => {
    const vm = `urn:pulumi:s::p::homelab:index:Node$proxmoxve:index/vmLegacy:VmLegacy::k3s-vm-pve-vm`;
    const nic = `urn:pulumi:s::p::homelab:index:Node$proxmoxve:index/vmLegacy:VmLegacy$x:y:Nic::nic0`;
    const doc = {
      steps: [
        { op: "same", urn: vm, oldState: { type: "proxmoxve:index/vmLegacy:VmLegacy", parent: nodeUrn("k3s-vm-pve") } },
        { op: "update", urn: nic, oldState: { type: "x:y:Nic", parent: vm, outputs: { a: 1 } }, newState: { type: "x:y:Nic", parent: vm, inputs: { a: 2 } } },
        // no parent: a stack resource, whatever its name says
        { op: "update", urn: `urn:pulumi:s::p::${RES}::k3s-vm-pve-reservation`, oldState: { type: RES, outputs: { ip: "1" } }, newState: { type: RES, inputs: { ip: "2" } } },
      ],
      changeSummary: { update: 2 },
    };
    const p = parsePreview(JSON.stringify(doc));
    expect(p.nodes["k3s-vm-pve"]!.map((c) => c.name)).toEqual(["nic0"]);
    expect(p.nodes[STACK_GROUP]!.map((c) => c.name)).toEqual(["k3s-vm-pve-reservation"]);
  });

  it("collects the sources a resource reports as unverified, in both modes", () => {
    const rb = childUrn("n", "pulumi-nodejs:dynamic/readback:Node", "readback");
    const outputs = { ip: "1", unverified: [{ source: "kube", reason: "the cluster API did not answer", fix: "start it" }] };
    const preview = { steps: [{ op: "same", urn: rb, oldState: { type: "r", parent: nodeUrn("n"), outputs } }], changeSummary: { same: 1 } };
    expect(parsePreview(JSON.stringify(preview)).unverified).toEqual([
      { node: "n", resource: "n-readback", urn: rb, source: "kube", reason: "the cluster API did not answer", fix: "start it" },
    ]);
    const events = [
      { resourcePreEvent: { metadata: { op: "refresh", urn: rb, type: "r", old: { type: "r", parent: nodeUrn("n"), outputs: { ip: "1", unverified: [] } } } } },
      { resOutputsEvent: { metadata: { op: "same", urn: rb, type: "r", old: { type: "r", parent: nodeUrn("n") }, new: { type: "r", parent: nodeUrn("n"), outputs } } } },
      { summaryEvent: { resourceChanges: { same: 1 } } },
    ];
    const refresh = parsePreview(events.map((e) => JSON.stringify(e)).join("\n"), { mode: "refresh" });
    expect(refresh.unverified.map((u) => u.node)).toEqual(["n"]);
    expect(refresh.clean).toBe(true);
  });

  it("keeps [secret], never the serialized provider, and masks a credential that slipped into a value or a diagnostic", () => {
    const k3s = childUrn("n", "pulumi-nodejs:dynamic/k3s:NodeConfig", "k3s");
    const doc = {
      steps: [{ op: "create", urn: k3s, newState: { type: "t", parent: nodeUrn("n"), inputs: { __provider: "exports.handler = 1", tokenSha256: "[secret]", note: "PVEAPIToken=root@pam!ci=Snt1nel-0000" } } }],
      diagnostics: [{ urn: k3s, message: "OAuth oauth_signature=\"k%265ent1ne1\"", severity: "warning" }],
      changeSummary: { create: 1 },
    };
    const p = parsePreview(JSON.stringify(doc));
    expect(p.changes[0]!.properties).toContainEqual({ path: "tokenSha256", before: undefined, after: "[secret]" });
    expect(JSON.stringify(p)).not.toContain("exports.handler");
    expect(JSON.stringify(p)).not.toMatch(/Snt1nel|5ent1ne1/);
    expect(p.diagnostics[0]!.node).toBe("n");
  });

  it("counts changes a refresh document does not itemise", () => {
    const doc = { steps: [{ op: "refresh", urn: childUrn("n", RES, "reservation"), oldState: { type: RES }, newState: { type: RES } }], changeSummary: { same: 1, update: 1 } };
    expect(parsePreview(JSON.stringify(doc), { mode: "refresh" })).toMatchObject({ changes: [], changeCount: 1, clean: false });
  });

  it("counts changes from the steps when the summary is missing", () => {
    const doc = { steps: [{ op: "create", urn: childUrn("n", RES, "reservation"), newState: { type: RES, inputs: { ip: "1" }, parent: nodeUrn("n") } }] };
    expect(parsePreview(JSON.stringify(doc))).toMatchObject({ changeCount: 1, clean: false });
  });

  it("accepts a stream of engine events", () => {
    const events = [
      { sequence: 0, timestamp: 1, preludeEvent: { config: {} } },
      { sequence: 1, timestamp: 1, resourcePreEvent: { metadata: { op: "update", urn: childUrn("n", RES, "reservation"), type: RES, old: { type: RES, outputs: { ip: "1" }, parent: nodeUrn("n") }, new: { type: RES, inputs: { ip: "2" }, parent: nodeUrn("n") }, provider: "" } } },
      { sequence: 2, timestamp: 1, diagnosticEvent: { message: "careful", severity: "warning", color: "never" } },
      { sequence: 3, timestamp: 1, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { update: 1 }, policyPacks: {} } },
    ];
    const p = parsePreview(events.map((e) => JSON.stringify(e)).join("\n"));
    expect(p.nodes["n"]![0]!.properties).toEqual([{ path: "ip", before: "1", after: "2" }]);
    expect(p.diagnostics).toEqual([{ severity: "warning", message: "careful", node: null }]);
    expect(p.changeSummary).toEqual({ update: 1 });
  });

  it.each([
    ["empty output", "", /printed no JSON/],
    ["text", "error: no stack named 'homelab' found", /is not JSON \(it starts with "error: no stack named/],
    ["unrelated JSON lines", '{"a":1}\n{"b":2}', /neither a preview document nor engine events/],
    ["a JSON object that is not a preview", '{"message":"no stack"}', /JSON but not a preview document \(keys: message\)/],
  ])("rejects %s with a PreviewParseError that says what to check", (_label, text, message) => {
    expect(() => parsePreview(text)).toThrow(PreviewParseError);
    expect(() => parsePreview(text)).toThrow(message);
  });
});
