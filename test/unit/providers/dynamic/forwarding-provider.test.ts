/**
 * The forwarding provider is what our resources store in state: it must stay small, name its
 * implementation by module id and version only (no path inside dist/), find the project's
 * registry from the program directory after serialization, and fail with a fix when it cannot.
 * Runs the compiled dist/ in plain node (see serialization.test.ts for why).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../../harness/ensure-built";

const root = path.resolve(__dirname, "../../../..");
const dist = (p: string) => JSON.stringify(path.join(root, "dist/providers/dynamic", p));

const script = `
const path = require("node:path");
const fs = require("node:fs");
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(root)}] }));
const rfs = require(require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(root)}] }))] }));
const { forwardingProvider } = require(${dist("forwarding-provider.js")});
(async () => {
  const fwd = forwardingProvider("homelab-ipam/node-readback");
  const { text, exportName } = await pulumi.runtime.serializeFunction(() => fwd, { allowSecrets: true });
  const loaded = rfs(text)[exportName]();
  const methods = Object.keys(loaded).sort();
  fs.renameSync("../package.json", "../package.json.moved");
  let missing = "";
  try { await loaded.read("x", {}); } catch (e) { missing = e.message; }
  fs.renameSync("../package.json.moved", "../package.json");
  const created = await loaded.create({ value: 42 });
  // Found once per process: with the project gone now, the next call still runs the implementation.
  fs.renameSync("../package.json", "../package.json.moved");
  const readAfter = await loaded.read("y", { value: 7 });
  console.log(JSON.stringify({ bytes: text.length, text, created, methods, missing, readAfter }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

let result: { bytes: number; text: string; created: any; methods: string[]; missing: string; readAfter: any };

beforeAll(async () => {
  await ensureBuilt("dist/providers/dynamic/forwarding-provider.js", ["providers"]);
  // A stand-in project: its package.json names a registry that records what it was asked for.
  const dir = mkdtempSync(path.join(os.tmpdir(), "forwarder-"));
  mkdirSync(path.join(dir, "program"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "x", pulumiDynamicProviders: "lib/registry.js" }));
  mkdirSync(path.join(dir, "lib"));
  writeFileSync(
    path.join(dir, "lib/registry.js"),
    'exports.loadProvider = (id, version) => ({ async create(i) { return { id: "1", outs: { value: i.value, id, version } }; }, async read(id, p) { return { id, props: p }; } });',
  );
  // cwd = the program directory below the project, as in the provider host
  const r = spawnSync(process.execPath, ["-e", script], { cwd: path.join(dir, "program"), encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  result = JSON.parse(r.stdout.trim().split("\n").pop()!);
}, 120_000);

describe("forwardingProvider", () => {
  it("forwards the implementation's methods to the registry, by module id and version", () => {
    expect(result.methods).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
    expect(result.created).toMatchObject({ id: "1", outs: { value: 42, id: "homelab-ipam/node-readback", version: 1 } });
  });

  it("stores a small text that names no file of dist/ and no path of this machine", () => {
    expect(result.bytes).toBeLessThan(4_000);
    expect(result.text).not.toMatch(/dist\/|readback\/provider|\/work\/|\/tmp\//);
  });

  it("looks the implementation up once per provider host process", () => {
    expect(result.readAfter).toEqual({ id: "y", props: { value: 7 } });
  });

  it("says how to fix a project it cannot find", () => {
    expect(result.missing).toMatch(/cannot find the homelab-ipam project above .*pulumiDynamicProviders.*npm ci/);
  });
});

const registryScript = (body: string) => `
const { loadProvider } = require(${dist("registry.js")});
const { staleSources } = require(${dist("build-freshness.js")});
(async () => { ${body} })().catch((e) => { console.log(JSON.stringify({ error: e.message })); });
`;
const node = (body: string) => {
  const r = spawnSync(process.execPath, ["-e", registryScript(body)], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
};

describe("the provider registry", () => {
  it("loads every registered provider, and refuses an unknown id or a state version it cannot read, with the fix", () => {
    expect(node(`console.log(JSON.stringify(["homelab-ipam/maas-reservation", "homelab-ipam/node-readback", "homelab-ipam/k3s-node-config", "homelab-ipam/k3s-datastore-check"].map((id) => typeof loadProvider(id, 1).create)));`)).toEqual([
      "function",
      "function",
      "function",
      "function",
    ]);
    expect(node(`loadProvider("homelab-ipam/nope", 1)`).error).toMatch(/no dynamic provider "homelab-ipam\/nope".*pulumi state delete/);
    expect(node(`loadProvider("homelab-ipam/maas-reservation", 9)`).error).toMatch(/written by homelab-ipam\/maas-reservation v9, and this release reads v1/);
  });

  it("finds sources newer than their build", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "freshness-"));
    for (const d of ["providers/x", "dist/providers/x"]) mkdirSync(path.join(dir, d), { recursive: true });
    writeFileSync(path.join(dir, "providers/x/a.ts"), "");
    writeFileSync(path.join(dir, "providers/x/b.ts"), "");
    writeFileSync(path.join(dir, "dist/providers/x/a.js"), "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, "dist/providers/x/a.js"), old, old);
    expect(node(`console.log(JSON.stringify(staleSources(${JSON.stringify(dir)})))`)).toEqual(["providers/x/a.ts", "providers/x/b.ts"]);
    utimesSync(path.join(dir, "providers/x/a.ts"), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    expect(node(`console.log(JSON.stringify(staleSources(${JSON.stringify(dir)})))`)).toEqual(["providers/x/b.ts"]);
  });
});
