import { describe, expect, it } from "vitest";
import { parsePreview, type ParsedPreview } from "../../../drift/preview-json";
import { formatChange, formatValue, MAX_REPORT_CHARS, renderReport as renderSections, REPORT_MARKER, shortType } from "../../../drift/report";
import { buildSections } from "../../../drift/sections";
import { buildSummary } from "../../../drift/summary";

/** A report whose drift section is `refresh` (and no pull-request section). */
const renderReport = (refresh: ParsedPreview, options: { stack: string; maxChars?: number }) => renderSections(buildSections(refresh), options);
const asRefresh = (doc: unknown) => parsePreview(JSON.stringify(doc), { mode: "refresh" });

const RES = "pulumi-nodejs:dynamic/maas:Reservation";
const RB = "pulumi-nodejs:dynamic/readback:Node";
const nodeUrn = (n: string) => `urn:pulumi:homelab::homelab::homelab:index:Node::${n}`;
const childUrn = (n: string, type: string, suffix: string) => `urn:pulumi:homelab::homelab::homelab:index:Node$${type}::${n}-${suffix}`;

/** A refresh-mode step (after the outputs event): recorded oldState, refreshed newState. */
function readbackUpdate(node: string, live: string, wanted: string) {
  return {
    op: "update",
    urn: childUrn(node, RB, "readback"),
    oldState: { type: RB, parent: nodeUrn(node), inputs: { ip: wanted }, outputs: { ip: wanted } },
    newState: { type: RB, parent: nodeUrn(node), inputs: { ip: wanted }, outputs: { ip: live } },
  };
}

describe("renderReport", () => {
  it("gives a clean verdict and the summary table for a preview without changes", () => {
    const md = renderReport(asRefresh({ steps: [], changeSummary: { same: 12 } }), { stack: "homelab" });
    expect(md.split("\n")[0]).toBe("## ✅ No drift and no changes on stack `homelab`");
    expect(md).toContain("No drift: MAAS reservations");
    expect(md.trimEnd().endsWith(REPORT_MARKER)).toBe(true);
  });

  it("counts changes in the title and gives each node its own section with consequences", () => {
    const doc = {
      steps: [readbackUpdate("k3s-vm-pve", "192.168.4.222", "192.168.4.238"), readbackUpdate("k3s-vm-still-fawn", "192.168.4.221", "192.168.4.236")],
      changeSummary: { update: 2, same: 4 },
    };
    const md = renderReport(asRefresh(doc), { stack: "homelab" });
    expect(md.split("\n")[0]).toBe("## ⚠️ Stack `homelab`: 2 changes drifted since the last deployment");
    expect(md).toContain("| ~ update | 2 |");
    expect(md).toContain("#### Node `k3s-vm-pve` — 1 change");
    expect(md).toContain("| `k3s-vm-pve-readback` (readback:Node) | ~ update | `ip` | `192.168.4.222` → `192.168.4.238` |");
    expect(md).toMatch(/- ⚠️ `k3s-vm-pve-readback`: k3s-vm-pve reports 192\.168\.4\.222 instead of 192\.168\.4\.238/);
    expect(md).toMatch(/ {2}- \*\*Recovery:\*\* Run `pulumi up` first/);
    expect(md.indexOf("k3s-vm-pve`")).toBeLessThan(md.indexOf("k3s-vm-still-fawn`"));
  });

  it("lists warnings and errors but not informational output", () => {
    const doc = {
      steps: [],
      changeSummary: { same: 1 },
      diagnostics: [
        { message: "Previewing update (homelab):", severity: "info" },
        { urn: childUrn("n", RES, "reservation"), message: "MAAS is slow", severity: "warning" },
        { message: "line one\nline two", severity: "error" },
      ],
    };
    const md = renderReport(asRefresh(doc), { stack: "s" });
    expect(md).toContain("- **warning** (`n-reservation`): MAAS is slow");
    expect(md).toContain("- **error**:\n\n  ```text\n  line one\n  line two\n  ```");
    expect(md).not.toContain("Previewing update");
  });

  it("trims a huge report below the limit, keeps the marker and says so", () => {
    const steps = Array.from({ length: 400 }, (_, i) => readbackUpdate(`node-${String(i).padStart(3, "0")}`, "10.0.0.1", "10.0.0.2"));
    const md = renderReport(asRefresh({ steps, changeSummary: { update: 400 } }), { stack: "big" });
    expect(md.length).toBeLessThanOrEqual(MAX_REPORT_CHARS);
    expect(md).toContain("Report trimmed");
    expect(md.trimEnd().endsWith(REPORT_MARKER)).toBe(true);
  });

  it("closes a code fence the trim cut through", () => {
    const doc = { steps: [], changeSummary: { same: 1 }, diagnostics: [{ message: Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n"), severity: "error" }] };
    const md = renderReport(asRefresh(doc), { stack: "s", maxChars: 900 });
    expect((md.match(/```/g) ?? []).length % 2).toBe(0);
    expect(md.length).toBeLessThanOrEqual(900);
  });

  it("masks a credential even when it reaches the renderer unmasked", () => {
    const parsed = asRefresh({ steps: [], changeSummary: { same: 1 } });
    parsed.diagnostics.push({ severity: "warning", message: "token root@pam!ci=abcdef-123456 leaked", node: null });
    const md = renderReport(parsed, { stack: "s" });
    expect(md).not.toContain("abcdef-123456");
  });
});

describe("value formatting", () => {
  it.each([
    [undefined, "_(absent)_"],
    [null, "`null`"],
    ["[secret]", "`[secret]`"],
    ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "_(known after `pulumi up`)_"],
    [{ kube: true }, '`{"kube":true}`'],
    ["a`b", "`a'b`"],
  ])("formats %o as %s", (value, expected) => {
    expect(formatValue(value)).toBe(expected);
  });

  it("shows long strings from just before they differ", () => {
    const base = "x".repeat(300);
    expect(formatChange(`${base}old-tail`, `${base}new-tail`)).toBe(`\`…${"x".repeat(20)}old-tail\` → \`…${"x".repeat(20)}new-tail\``);
  });

  it.each([
    ["pulumi-nodejs:dynamic/maas:Reservation", "maas:Reservation"],
    ["proxmoxve:index/vmLegacy:VmLegacy", "proxmoxve:VmLegacy"],
    ["kubernetes:monitoring.coreos.com/v1:PrometheusRule", "kubernetes:PrometheusRule"],
    ["homelab:index:Node", "homelab:Node"],
  ])("shortens %s to %s", (type, short) => {
    expect(shortType(type)).toBe(short);
  });
});

describe("buildSummary", () => {
  it("carries per-node changes of both sections with their consequence and recovery", () => {
    const refresh = asRefresh({ steps: [readbackUpdate("k3s-vm-pve", "192.168.4.222", "192.168.4.238")], changeSummary: { update: 1 } });
    const preview = parsePreview(JSON.stringify({ steps: [], changeSummary: { same: 1 } }));
    const s = buildSummary(buildSections(refresh, preview), "homelab", 2, "2026-01-01T00:00:00.000Z");
    expect(s).toMatchObject({ stack: "homelab", verdict: "drift", exitCode: 2, clean: false, mode: "pull-request", generatedAt: "2026-01-01T00:00:00.000Z" });
    expect(s.drift).toMatchObject({ changeCount: 1, changeSummary: { update: 1 } });
    expect(s.pullRequest).toEqual({ changeCount: 0, changeSummary: {}, nodes: {} });
    expect(s.drift.nodes["k3s-vm-pve"]![0]).toMatchObject({
      resource: "k3s-vm-pve-readback",
      type: RB,
      op: "update",
      properties: [{ path: "ip", before: "192.168.4.222", after: "192.168.4.238" }],
      rules: ["node-pool-address"],
    });
    expect(s.drift.nodes["k3s-vm-pve"]![0]!.consequence).toMatch(/reports 192\.168\.4\.222/);
    expect(s.drift.nodes["k3s-vm-pve"]![0]!.recovery).toMatch(/pulumi up/);
  });
});

describe("buildSections", () => {
  const res = childUrn("a", RES, "reservation");
  const recorded = { ip: "192.168.4.237", mac: "bc:24:11:1a:38:07" };
  const refresh = asRefresh({
    steps: [{ op: "delete", urn: res, oldState: { type: RES, parent: nodeUrn("a"), inputs: recorded, outputs: recorded } }],
    changeSummary: { delete: 1 },
  });

  it("leaves a preview change that only re-creates what drifted out of the pull-request section", () => {
    const preview = parsePreview(
      JSON.stringify({
        steps: [{ op: "refresh", urn: res, oldState: { type: RES } }, { op: "create", urn: res, newState: { type: RES, parent: nodeUrn("a"), inputs: recorded } }],
        changeSummary: { create: 1 },
      }),
    );
    const s = buildSections(refresh, preview);
    expect(s.drift.changeCount).toBe(1);
    expect(s.pullRequest!.changeCount).toBe(0);
    expect(s.verdict).toBe("drift");
  });

  it("compares a secret input the refresh shows as an envelope and the preview as [secret] as equal", () => {
    const k3s = childUrn("a", "pulumi-nodejs:dynamic/k3s:NodeConfig", "k3s");
    const envelope = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[secret]" };
    const stored = { nodeIp: "192.168.4.237", tokenSha256: envelope };
    const edited = asRefresh({
      steps: [{ op: "update", urn: k3s, oldState: { type: "pulumi-nodejs:dynamic/k3s:NodeConfig", parent: nodeUrn("a"), inputs: stored, outputs: stored }, newState: { type: "pulumi-nodejs:dynamic/k3s:NodeConfig", parent: nodeUrn("a"), inputs: stored, outputs: { ...stored, nodeIp: "192.168.4.222" } } }],
      changeSummary: { update: 1 },
    });
    const preview = parsePreview(
      JSON.stringify({ steps: [{ op: "update", urn: k3s, oldState: { type: "pulumi-nodejs:dynamic/k3s:NodeConfig", parent: nodeUrn("a") }, newState: { type: "pulumi-nodejs:dynamic/k3s:NodeConfig", parent: nodeUrn("a"), inputs: { nodeIp: "192.168.4.237", tokenSha256: "[secret]" } } }], changeSummary: { update: 1 } }),
    );
    const s = buildSections(edited, preview);
    expect(s.drift.changeCount).toBe(1);
    expect(s.pullRequest!.changeCount).toBe(0);
    expect(JSON.stringify(s)).not.toContain("4dabf18193072939515e22adb298388d");
  });

  it("keeps a change to a drifted resource in the pull-request section when the program changed it too", () => {
    const moved = { ...recorded, ip: "192.168.4.241" };
    const preview = parsePreview(JSON.stringify({ steps: [{ op: "create", urn: res, newState: { type: RES, parent: nodeUrn("a"), inputs: moved } }], changeSummary: { create: 1 } }));
    const s = buildSections(refresh, preview);
    expect(s.pullRequest!.nodes["a"]!.map((c) => c.op)).toEqual(["create"]);
  });
});
