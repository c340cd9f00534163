import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { planK3sNode } from "../../../../providers/k3s/config";
import { diffK3sSettings, nodeConfigProvider, REPLACE_FIELDS, UPDATE_FIELDS } from "../../../../providers/k3s/node-config";

const cluster = { apiEndpoint: "k3s.homelab.lan", flannelBackend: "vxlan", initServer: "k3s-vm-pve" };
const state = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...planK3sNode({ name: "k3s-vm-still-fawn", ip: "192.168.4.236", interface: "eth0", role: "server" }, cluster),
  tokenSha256: "a".repeat(64),
  ...overrides,
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("diffK3sSettings", () => {
  it.each([
    ["nodeIp", "192.168.4.221"],
    ["flannelIface", "ens18"],
    ["tlsSan", ["k3s.homelab.lan", "192.168.4.221"]],
    ["advertiseAddress", "192.168.4.221"],
    ["resolvConf", "/etc/resolv.conf"],
  ])("updates %s in place (K3s picks it up on restart)", (field, value) => {
    expect(diffK3sSettings(state(), state({ [field]: value }))).toEqual({ updates: [field], replaces: [] });
  });

  it.each([
    ["clusterInit", true],
    ["server", "https://other:6443"],
    ["tokenSha256", "b".repeat(64)],
    ["nodeLabels", ["homelab/zone=a"]],
    ["flannelBackend", "host-gw"],
    ["clusterCidr", "10.52.0.0/16"],
    ["serviceCidr", "10.53.0.0/16"],
    ["nodeName", "renamed"],
    ["role", "agent"],
  ])("replaces on %s, which K3s ignores on a node that already joined", (field, value) => {
    expect(diffK3sSettings(state(), state({ [field]: value }))).toEqual({ updates: [], replaces: [field] });
  });

  it("replaces on a field it does not know (safe default)", () => {
    expect(diffK3sSettings(state(), state({ somethingNew: 1 })).replaces).toEqual(["somethingNew"]);
  });

  it("sees no change when only __provider differs", () => {
    expect(diffK3sSettings({ ...state(), __provider: "old code" }, { ...state(), __provider: "new code" })).toEqual({ updates: [], replaces: [] });
  });

  it("classifies every stored field exactly once", () => {
    const all = [...UPDATE_FIELDS, ...REPLACE_FIELDS];
    expect(new Set(all).size).toBe(all.length);
    expect([...Object.keys(state())].filter((key) => !all.includes(key as never))).toEqual([]);
  });
});

describe("nodeConfigProvider", () => {
  it("returns an explicit diff that lists the replacing fields", async () => {
    const diff = await nodeConfigProvider.diff!("k3s-vm-still-fawn", state(), state({ nodeIp: "192.168.4.221", clusterCidr: "10.52.0.0/16" }));
    expect(diff).toEqual({ changes: true, replaces: ["clusterCidr"], deleteBeforeReplace: false });
    expect(await nodeConfigProvider.diff!("k3s-vm-still-fawn", state(), state())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("warns how to apply an in-place change on the node", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await nodeConfigProvider.update!("k3s-vm-still-fawn", state(), state({ nodeIp: "192.168.4.221" }));
    expect(warn).toHaveBeenCalledWith(
      "K3s settings of k3s-vm-still-fawn changed (nodeIp): apply with: edit /etc/rancher/k3s/config.yaml on k3s-vm-still-fawn and `systemctl restart k3s`",
    );
    await nodeConfigProvider.update!("w", state({ role: "agent", nodeName: "w" }), state({ role: "agent", nodeName: "w", flannelIface: "eth1" }));
    expect(warn).toHaveBeenLastCalledWith(expect.stringContaining("`systemctl restart k3s-agent`"));
  });

  it("stores the settings keyed by node name and reads back what it stored", async () => {
    const created = await nodeConfigProvider.create({ ...state(), __provider: "code" });
    expect(created.id).toBe("k3s-vm-still-fawn");
    expect(created.outs).toEqual(state());
    expect(await nodeConfigProvider.read!(created.id, created.outs)).toEqual({ id: created.id, props: state() });
  });

  it("fails check when the node cannot be pinned", async () => {
    const result = await nodeConfigProvider.check!({}, state({ nodeIp: "" }));
    expect(result.failures).toEqual([{ property: "nodeIp", reason: "nodeIp is required: K3s cannot pin the node without it" }]);
  });
});

describe("serialization of the compiled provider (dist/)", () => {
  // vitest's transform breaks closure serialization (ref/pulumi.md §4): use tsc's output, as the engine does.
  // Run `npx tsc -p tsconfig.json` first.
  const distRequire = createRequire(resolve(__dirname, "../../../../dist/providers/k3s/node-config.js"));
  const dist = distRequire("./node-config.js") as typeof import("../../../../providers/k3s/node-config");

  async function roundTrip(provider: unknown): Promise<{ text: string; handler: pulumi.dynamic.ResourceProvider }> {
    const { text, exportName } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const module = { exports: {} as Record<string, () => pulumi.dynamic.ResourceProvider> };
    new Function("module", "exports", "require", text)(module, module.exports, distRequire);
    return { text, handler: module.exports[exportName]!() };
  }

  /** What must hold for serialized provider text; returns the violations. */
  function serializationProblems(text: string): string[] {
    const problems: string[] = [];
    if (text.length > 10_000) problems.push(`text is ${text.length} characters (budget 10,000)`);
    if (/require\(/.test(text)) problems.push("requires a module at run time");
    if (/exports\.(UPDATE|REPLACE)/.test(text)) problems.push("reads an exported constant through `exports`");
    return problems;
  }

  it("serializes without capturing @pulumi/pulumi or module exports, and works after loading", async () => {
    const { text, handler } = await roundTrip(dist.nodeConfigProvider);
    expect(serializationProblems(text)).toEqual([]);
    const diff = await handler.diff!("n", state(), state({ nodeIp: "192.168.4.221", tokenSha256: "b".repeat(64) }));
    expect(diff).toEqual({ changes: true, replaces: ["tokenSha256"], deleteBeforeReplace: false });
    expect((await handler.create(state())).id).toBe("k3s-vm-still-fawn");
  });

  it("fails the same check for a deliberately broken provider that logs through pulumi.log", async () => {
    // Negative control: works in-process, but drags the Pulumi SDK into the serialized code.
    const dir = mkdtempSync(join(tmpdir(), "k3s-serialize-"));
    try {
      const file = join(dir, "broken.cjs");
      writeFileSync(file, "let log;\nexports.setLog = (l) => { log = l; };\nexports.provider = { async update(_id, _olds, news) { log.warn('changed'); return { outs: news }; } };\n");
      const broken = createRequire(file)(file) as { setLog(log: unknown): void; provider: pulumi.dynamic.ResourceProvider };
      broken.setLog(pulumi.log);
      const { text } = await pulumi.runtime.serializeFunction(() => broken.provider, { allowSecrets: true });
      expect(serializationProblems(text)).not.toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
