/**
 * The forwarding provider is what our resources store in state: it must stay small, reach the
 * implementation through the program directory after serialization, and fail with a fix when
 * the compiled implementation is missing. Runs the compiled dist/ in plain node (see
 * serialization.test.ts for why).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../../harness/ensure-built";

const root = path.resolve(__dirname, "../../../..");

const script = `
const path = require("node:path");
const fs = require("node:fs");
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(root)}] }));
const rfs = require(require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(root)}] }))] }));
const { forwardingProvider } = require(${JSON.stringify(path.join(root, "dist/providers/dynamic/forwarding-provider.js"))});
(async () => {
  const impl = path.join(process.cwd(), "impl.js");
  const fwd = forwardingProvider(impl, "echo");
  const { text, exportName } = await pulumi.runtime.serializeFunction(() => fwd, { allowSecrets: true });
  const loaded = rfs(text)[exportName]();
  const created = await loaded.create({ value: 42 });
  const methods = Object.keys(loaded).sort();
  fs.renameSync(impl, impl + ".moved");
  delete require.cache[impl];
  let missing = "";
  try { await loaded.read("x", {}); } catch (e) { missing = e.message; }
  console.log(JSON.stringify({ bytes: text.length, hasAbsolutePath: text.includes(process.cwd()), created, methods, missing }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

let result: { bytes: number; hasAbsolutePath: boolean; created: unknown; methods: string[]; missing: string };

beforeAll(async () => {
  await ensureBuilt("dist/providers/dynamic/forwarding-provider.js", ["providers"]);
  const dir = mkdtempSync(path.join(os.tmpdir(), "forwarder-"));
  writeFileSync(
    path.join(dir, "impl.js"),
    'exports.echo = { async create(i) { return { id: "1", outs: { value: i.value, pid: process.pid } }; }, async read(id, p) { return { id, props: p }; } };',
  );
  const r = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  result = JSON.parse(r.stdout.trim().split("\n").pop()!);
}, 120_000);

describe("forwardingProvider", () => {
  it("forwards only the methods the implementation has", () => {
    expect(result.methods).toEqual(["create", "read"]);
    expect(result.created).toMatchObject({ id: "1", outs: { value: 42 } });
  });

  it("stores a small text with a path relative to the program directory, not this machine's", () => {
    expect(result.bytes).toBeLessThan(4_000);
    expect(result.hasAbsolutePath).toBe(false);
  });

  it("says how to fix a missing implementation", () => {
    expect(result.missing).toMatch(/cannot load the dynamic provider echo from .*impl\.js: run `npm install`/);
  });
});
