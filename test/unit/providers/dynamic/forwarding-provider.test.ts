/**
 * The forwarder is what our resources store in state: it must be tiny (a require of a file of the
 * @homelab-ipam/dynamic-forwarders package), name its implementation by provider id and version
 * only (no path inside dist/), find the project's registry from its package after serialization,
 * and fail with a fix when it cannot. The previous release's forwarder, which state still holds for
 * older stacks, must keep reaching the same registry. Runs the compiled dist/ in plain node (see
 * serialization.test.ts for why).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../../harness/ensure-built";

const root = path.resolve(__dirname, "../../../..");
const dist = (p: string) => JSON.stringify(path.join(root, "dist/providers/dynamic", p));
/** sha256 of what the previous release (f8ea7db, @pulumi/pulumi 3.246.0) stored for homelab-ipam/maas-reservation. */
const PREVIOUS_FORWARDER_SHA256 = "e3a9372f2caf96b843c841c10ca599bcacdb60950d164c2570a73273459c5b87";

const script = `
const fs = require("node:fs");
const crypto = require("node:crypto");
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(root)}] }));
const rfs = require(require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(root)}] }))] }));
const { forwardingProvider } = require(${dist("forwarding-provider.js")});
const previous = require(${JSON.stringify(path.join(root, "test/fixtures/providers/id-forwarder-v1.js"))});
// as pulumi.dynamic.Resource serializes a provider (the captured name is part of the text)
const serialize = async (provider) => (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
(async () => {
  const text = await serialize(forwardingProvider("homelab-ipam/node-readback"));
  // the provider host's view: the text is loaded from the program directory
  const loaded = rfs(text).handler();
  const methods = Object.keys(loaded).sort();
  fs.renameSync("../package.json", "../package.json.moved");
  let missing = "";
  try { await loaded.read("x", {}); } catch (e) { missing = e.message; }
  fs.renameSync("../package.json.moved", "../package.json");
  const created = await loaded.create({ value: 42 });
  // Found once per process: with the project gone now, the next call still runs the implementation.
  fs.renameSync("../package.json", "../package.json.moved");
  const readAfter = await loaded.read("y", { value: 7 });
  fs.renameSync("../package.json.moved", "../package.json");
  const previousText = await serialize(previous.forwardingProvider("homelab-ipam/maas-reservation"));
  const previousCreated = await rfs(previousText).handler().create({ value: 1 });
  let mismatch = "";
  try { forwardingProvider("homelab-ipam/nope"); } catch (e) { mismatch = e.message; }
  console.log(JSON.stringify({ bytes: text.length, text, created, methods, missing, readAfter, mismatch,
    previousSha256: crypto.createHash("sha256").update(previousText).digest("hex"), previousCreated }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

let result: {
  bytes: number;
  text: string;
  created: any;
  methods: string[];
  missing: string;
  readAfter: any;
  mismatch: string;
  previousSha256: string;
  previousCreated: any;
};

beforeAll(async () => {
  await ensureBuilt("dist/providers/dynamic/forwarding-provider.js", ["providers"]);
  // A stand-in project: its package.json names a registry that records what it was asked for, and its
  // node_modules holds the forwarders package as npm installs it (a copy).
  const dir = mkdtempSync(path.join(os.tmpdir(), "forwarder-"));
  mkdirSync(path.join(dir, "program"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "x", pulumiDynamicProviders: "lib/registry.js" }));
  mkdirSync(path.join(dir, "lib"));
  writeFileSync(
    path.join(dir, "lib/registry.js"),
    'exports.loadProvider = (id, version) => ({ async create(i) { return { id: "1", outs: { value: i.value, id, version } }; }, async read(id, p) { return { id, props: p }; } });',
  );
  cpSync(path.join(root, "providers/dynamic/forwarders"), path.join(dir, "node_modules/@homelab-ipam/dynamic-forwarders"), { recursive: true });
  // cwd = the program directory below the project, as in the provider host
  const r = spawnSync(process.execPath, ["-e", `const path = require("node:path");\n${script}`], { cwd: path.join(dir, "program"), encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  result = JSON.parse(r.stdout.trim().split("\n").pop()!);
}, 120_000);

describe("forwardingProvider", () => {
  it("forwards the implementation's methods to the registry, by provider id and version", () => {
    expect(result.methods).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
    expect(result.created).toMatchObject({ id: "1", outs: { value: 42, id: "homelab-ipam/node-readback", version: 1 } });
  });

  it("stores a require of its forwarder file, a few hundred bytes that name no file of dist/ and no path of this machine", () => {
    expect(result.text).toContain('require("@homelab-ipam/dynamic-forwarders/node-readback.v1.js")');
    expect(result.bytes).toBeLessThan(400);
    expect(result.text).not.toMatch(/dist\/|readback\/provider|\/work\/|\/tmp\//);
  });

  it("looks the implementation up once per provider host process", () => {
    expect(result.readAfter).toEqual({ id: "y", props: { value: 7 } });
  });

  it("says how to fix a project it cannot find", () => {
    expect(result.missing).toMatch(/cannot find the homelab-ipam project above .*pulumiDynamicProviders.*npm ci/);
  });

  it("refuses an id modules.ts does not have", () => {
    expect(result.mismatch).toMatch(/no dynamic provider module "homelab-ipam\/nope"/);
  });

  it("still runs the previous release's serialized forwarder, which older stacks hold in state, through the same registry", () => {
    expect(result.previousSha256).toBe(PREVIOUS_FORWARDER_SHA256);
    expect(result.previousCreated).toMatchObject({ outs: { value: 1, id: "homelab-ipam/maas-reservation", version: 1 } });
  });
});

describe("the forwarders package", () => {
  it("is refused when installed as a symlink (Pulumi would then store the forwarder's code), and accepted as a copy", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "forwarder-link-"));
    mkdirSync(path.join(dir, "dist/providers/dynamic"), { recursive: true });
    for (const f of ["forwarding-provider.js", "modules.js"]) cpSync(path.join(root, "dist/providers/dynamic", f), path.join(dir, "dist/providers/dynamic", f));
    const installed = path.join(dir, "node_modules/@homelab-ipam/dynamic-forwarders");
    mkdirSync(path.dirname(installed), { recursive: true });
    symlinkSync(path.join(root, "providers/dynamic/forwarders"), installed);
    const attempt = () =>
      spawnSync(process.execPath, ["-e", `require(${JSON.stringify(path.join(dir, "dist/providers/dynamic/forwarding-provider.js"))}).forwardingProvider("homelab-ipam/maas-reservation")`], {
        encoding: "utf8",
        timeout: 60_000,
      });
    const linked = attempt();
    expect(linked.status).not.toBe(0);
    expect(linked.stderr).toMatch(/outside node_modules \(a symlink\?\).*npm ci.*install-links=true/);
    rmSync(installed);
    cpSync(path.join(root, "providers/dynamic/forwarders"), installed, { recursive: true });
    const copied = attempt();
    expect(copied.status, copied.stderr).toBe(0);
  });


  it("has one file per provider and state version in modules.ts, each forwarding that id and version", () => {
    const r = spawnSync(
      process.execPath,
      ["-e", `const { PROVIDER_MODULES } = require(${dist("modules.js")}); console.log(JSON.stringify(Object.entries(PROVIDER_MODULES).map(([id, e]) => [id, e.version, require(e.forwarder).forwards])));`],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    const rows = JSON.parse(r.stdout) as [string, number, { id: string; version: number }][];
    expect(rows.length).toBe(4);
    for (const [id, version, forwards] of rows) expect(forwards).toEqual({ id, version });
  });
});

const registryScript = (body: string) => `
const { loadProvider } = require(${dist("registry.js")});
const { staleSources, staleForwarders } = require(${dist("build-freshness.js")});
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

  it("finds forwarder files whose node_modules copy is missing or differs (npm install keeps an old copy)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "forwarders-"));
    for (const d of ["providers/dynamic/forwarders", "node_modules/@homelab-ipam/dynamic-forwarders"]) mkdirSync(path.join(dir, d), { recursive: true });
    for (const f of ["forwarder.js", "a.v1.js", "a.v2.js"]) writeFileSync(path.join(dir, "providers/dynamic/forwarders", f), `// ${f}`);
    writeFileSync(path.join(dir, "node_modules/@homelab-ipam/dynamic-forwarders/forwarder.js"), "// forwarder.js");
    writeFileSync(path.join(dir, "node_modules/@homelab-ipam/dynamic-forwarders/a.v1.js"), "// an older a.v1.js");
    expect(node(`console.log(JSON.stringify(staleForwarders(${JSON.stringify(dir)})))`)).toEqual([
      "providers/dynamic/forwarders/a.v1.js",
      "providers/dynamic/forwarders/a.v2.js",
    ]);
    expect(node(`console.log(JSON.stringify(staleForwarders(${JSON.stringify(root)})))`)).toEqual([]);
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
    // the provider host checks only providers/: a program source it never runs does not stop it
    mkdirSync(path.join(dir, "stacks/y"), { recursive: true });
    writeFileSync(path.join(dir, "stacks/y/c.ts"), "");
    expect(node(`console.log(JSON.stringify(staleSources(${JSON.stringify(dir)})))`)).toEqual(["providers/x/b.ts", "stacks/y/c.ts"]);
    expect(node(`console.log(JSON.stringify(staleSources(${JSON.stringify(dir)}, ["providers"])))`)).toEqual(["providers/x/b.ts"]);
  });
});
