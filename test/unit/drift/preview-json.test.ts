import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePreview, parseUrn, PreviewParseError, propertyChanges, splitPropertyPath, STACK_GROUP } from "../../../drift/preview-json";

const fixture = (name: string) => readFileSync(path.join(__dirname, "../../fixtures/preview", name), "utf8");
const RES = "pulumi-nodejs:dynamic/maas:Reservation";
const nodeUrn = (n: string) => `urn:pulumi:homelab::homelab::homelab:index:Node::${n}`;
const childUrn = (n: string, type: string, suffix: string) => `urn:pulumi:homelab::homelab::homelab:index:Node$${type}::${n}-${suffix}`;

describe("parseUrn", () => {
  it("splits type chain and name", () => {
    expect(parseUrn(childUrn("k3s-vm-pve", RES, "reservation"))).toEqual({
      type: RES,
      name: "k3s-vm-pve-reservation",
      typeChain: ["homelab:index:Node", RES],
    });
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
  it("reads a clean preview as clean", () => {
    const p = parsePreview(fixture("clean.synthetic.json"));
    expect(p).toMatchObject({ clean: true, changeCount: 0, changes: [], nodes: {}, changeSummary: { same: 16 } });
  });

  it("groups changes by the node component they are parented to", () => {
    const p = parsePreview(fixture("incident-pool-addresses.synthetic.json"));
    expect(Object.keys(p.nodes).sort()).toEqual(["k3s-vm-chief-horse", "k3s-vm-pve", "k3s-vm-still-fawn"]);
    expect(p.nodes["k3s-vm-pve"]!.map((c) => `${c.op}:${c.name}`)).toEqual(["create:k3s-vm-pve-reservation", "update:k3s-vm-pve-readback"]);
    expect(p.changeCount).toBe(6);
    expect(p.clean).toBe(false);
    expect(p.dynamicRange).toEqual({ start: "192.168.4.200", end: "192.168.4.254" });
  });

  it("marks a create under an existing node as a resource that went missing, but not one under a new node", () => {
    const dropped = parsePreview(fixture("reservation-dropped.synthetic.json")).changes[0]!;
    expect(dropped).toMatchObject({ op: "create", missing: true, node: "k3s-vm-pve" });
    const added = parsePreview(fixture("new-node.synthetic.json"));
    expect(added.changes.every((c) => !c.missing)).toBe(true);
    expect(Object.keys(added.nodes)).toEqual(["k3s-vm-fourth"]);
  });

  it("without refresh steps, takes a create under an existing node as missing", () => {
    const doc = {
      steps: [{ op: "create", urn: childUrn("n", RES, "reservation"), newState: { type: RES, inputs: { ip: "1" }, parent: nodeUrn("n") } }],
      changeSummary: { create: 1 },
    };
    expect(parsePreview(JSON.stringify(doc)).changes[0]!.missing).toBe(true);
    const withNode = { ...doc, steps: [{ op: "create", urn: nodeUrn("n"), newState: { type: "homelab:index:Node", inputs: {} } }, ...doc.steps] };
    expect(parsePreview(JSON.stringify(withNode)).changes[1]!.missing).toBe(false);
  });

  it("with refresh steps, takes only a create of something that was refreshed as missing", () => {
    const created = { op: "create", urn: childUrn("n", RES, "readback"), newState: { type: RES, inputs: { ip: "1" }, parent: nodeUrn("n") } };
    const other = { op: "refresh", urn: childUrn("n", RES, "reservation"), oldState: { type: RES }, newState: { type: RES } };
    expect(parsePreview(JSON.stringify({ steps: [other, created], changeSummary: { create: 1 } })).changes[0]!.missing).toBe(false);
    const self = { ...other, urn: created.urn };
    expect(parsePreview(JSON.stringify({ steps: [self, created], changeSummary: { create: 1 } })).changes[0]!.missing).toBe(true);
  });

  it("falls back to the child name suffix when a step has no parent", () => {
    const doc = {
      steps: [{ op: "update", urn: `urn:pulumi:s::p::${RES}::k3s-vm-pve-reservation`, oldState: { type: RES, outputs: { ip: "1" } }, newState: { type: RES, inputs: { ip: "2" } } }],
      changeSummary: { update: 1 },
    };
    expect(parsePreview(JSON.stringify(doc)).nodes).toHaveProperty("k3s-vm-pve");
  });

  it("puts resources outside any node under the stack group and leaves out the root stack", () => {
    const p = parsePreview(fixture("vm-rebuild.synthetic.json"));
    expect(p.nodes[STACK_GROUP]!.map((c) => c.name)).toEqual(["homelab-ipam-alerts"]);
    expect(p.changes.some((c) => c.type === "pulumi:pulumi:Stack")).toBe(false);
  });

  it("keeps [secret] and never the serialized provider", () => {
    const p = parsePreview(fixture("new-node.synthetic.json"));
    const k3s = p.changes.find((c) => c.name === "k3s-vm-fourth-k3s")!;
    expect(k3s.properties).toContainEqual({ path: "tokenSha256", before: undefined, after: "[secret]" });
    expect(JSON.stringify(p)).not.toContain("exports.handler");
  });

  it("masks a credential that slipped into a value or a diagnostic", () => {
    const p = parsePreview(fixture("incident-pool-addresses.synthetic.json"));
    expect(JSON.stringify(p)).not.toMatch(/Snt1nel|5ent1ne1/);
    expect(p.diagnostics.map((d) => d.severity)).toEqual(["warning", "warning", "info"]);
    expect(p.diagnostics[0]!.node).toBe("k3s-vm-pve");
  });

  it("reads the refresh --preview-only event stream: the outputs event says what the refresh found", () => {
    const p = parsePreview(fixture("refresh-only-reservation-gone.synthetic.json"), { mode: "refresh" });
    const gone = p.nodes["k3s-vm-pve"]![0]!;
    expect(gone).toMatchObject({ op: "delete", missing: true });
    expect(gone.properties).toContainEqual({ path: "ip", before: undefined, after: "192.168.4.238" });
    const rb = p.nodes["k3s-vm-still-fawn"]![0]!;
    expect(rb.properties).toContainEqual({ path: "ip", before: "192.168.4.221", after: "192.168.4.236" });
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
