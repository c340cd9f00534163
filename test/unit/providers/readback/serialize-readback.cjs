// Serialization round trip of the compiled read-back provider, in plain node (vitest's transform
// breaks closure capture, ref/pulumi.md §4): serialize `readbackProvider` exactly as
// pulumi.dynamic.Resource does, load the text the way the provider host does
// (require-from-string → handler()), configure it and run check → create → read → diff against
// the simulators the calling test started on loopback.
//
// usage: SCENARIO='<json>' node serialize-readback.cjs <dist provider.js> [broken]
//   SCENARIO = { config: {key: value}, inputs: {...}, previous?: {...} }
// prints one JSON line: { bytes, requires, text?, check, created, read, diff } or, in "broken" mode,
// the error a deliberately unserializable provider produces.
"use strict";
const path = require("node:path");

async function main() {
  const [modulePath, mode] = process.argv.slice(2);
  const root = path.resolve(__dirname, "../../../..");
  const scenario = JSON.parse(process.env.SCENARIO || "{}");
  const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [root] }));
  const requireFromString = require(require.resolve("require-from-string", { paths: [root] }));

  if (mode === "broken") {
    // Captures a live undici Agent, the mistake ref/pulumi.md §1.5 pitfall 1 describes.
    const { Agent } = require(require.resolve("undici", { paths: [root] }));
    const agent = new Agent();
    const broken = { async create() { return { id: "x", outs: { agent: String(agent) } }; }, async read() { await agent.close(); return {}; } };
    try {
      const { text, exportName } = await pulumi.runtime.serializeFunction(() => broken, { allowSecrets: true });
      const handler = requireFromString(text)[exportName]();
      await handler.read("x", {});
      console.log(JSON.stringify({ ok: true }));
    } catch (err) {
      console.log(JSON.stringify({ ok: false, error: String(err && err.message).split("\n")[0] }));
    } finally {
      await agent.close();
    }
    return;
  }

  const { readbackProvider } = require(path.resolve(modulePath));
  const { text, exportName } = await pulumi.runtime.serializeFunction(() => readbackProvider, { allowSecrets: true });
  const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  const handler = requireFromString(text)[exportName]();
  const values = scenario.config || {};
  await handler.configure({ config: { get: (k) => values[k], require: (k) => values[k] } });
  const check = await handler.check({}, scenario.inputs);
  const created = await handler.create(check.inputs);
  const read = await handler.read(created.id, scenario.previous || created.outs);
  const diff = await handler.diff(created.id, read.props, check.inputs);
  console.log(JSON.stringify({ bytes: Buffer.byteLength(text), requires, text, check, created, read, diff }));
}

main().catch((err) => {
  console.log(JSON.stringify({ fatal: String(err && err.stack ? err.stack : err) }));
  process.exitCode = 1;
});
