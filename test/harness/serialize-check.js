// Serialization self-check for dynamic providers (ref/pulumi.md §1.4–1.5, §4). Runs in plain
// node on the compiled dist/ (vitest's module transform breaks closure capture), so the code
// that lands in Pulumi state is exactly what is checked.
//
// For every object exported from the given modules that looks like a dynamic provider (has a
// `create` function) it: serializes it the way pulumi.dynamic.Resource does; checks the text
// stays under the size budget and contains no secret; loads the text back the way the provider
// host does (require-from-string → handler()); configures it with sentinel secrets pointing at a
// closed loopback port; calls read(); and requires that any error is a normal runtime error
// (not "is not defined", "Private field", "is not a function") that does not echo the secret.
//
// usage: node serialize-check.js <budgetBytes> <module.js> [<module.js> …]
// prints one JSON line per provider and exits 1 if any check failed.
"use strict";
const net = require("node:net");
const path = require("node:path");

const SENTINEL = "SENTINELconsumer0001:SENTINELtoken00002:SENTINELsecretSENTINELsecret0003";

async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function main() {
  const [budgetArg, ...modules] = process.argv.slice(2);
  const budget = Number(budgetArg);
  // Secrets exist in the environment while modules load: a module that read one at import time
  // would capture it into the serialized text.
  process.env.MAAS_API_KEY = SENTINEL;
  process.env.PROXMOX_VE_API_TOKEN = `root@pam!ci=${SENTINEL}`;
  const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [process.cwd()] }));
  const requireFromString = require(require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi", { paths: [process.cwd()] }))] }));
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}/`;
  const kubeconfig = [
    "apiVersion: v1", "kind: Config", "current-context: c",
    "clusters: [{name: c, cluster: {server: '" + url + "'}}]",
    "users: [{name: u, user: {token: '" + SENTINEL + "'}}]",
    "contexts: [{name: c, context: {cluster: c, user: u}}]",
  ].join("\n");
  const config = {
    get(key) {
      if (/url|endpoint/i.test(key)) return key.startsWith("maas") ? `${url}MAAS/` : url;
      if (/kubeconfig/i.test(key)) return kubeconfig;
      if (/token/i.test(key)) return `root@pam!ci=${SENTINEL}`;
      return SENTINEL;
    },
    require(key) { return this.get(key); },
  };

  // Pass 1 serializes everything before any provider method runs, as in a program process
  // (where methods never run); pass 2 loads each text back and exercises it.
  const found = [];
  for (const mod of modules) {
    const exports = require(path.resolve(mod));
    for (const [name, provider] of Object.entries(exports)) {
      if (!provider || typeof provider !== "object" || typeof provider.create !== "function") continue;
      const report = { module: mod, export: name, ok: true, problems: [] };
      try {
        report.serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
      } catch (err) {
        report.ok = false;
        report.problems.push(`serialization failed: ${String(err && err.message).slice(0, 300)}`);
      }
      found.push(report);
    }
  }

  let failed = false;
  for (const report of found) {
    const problem = (p) => { report.ok = false; report.problems.push(p); };
    if (report.serialized) {
      const { text, exportName } = report.serialized;
      delete report.serialized;
      try {
        report.bytes = Buffer.byteLength(text);
        if (report.bytes > budget) problem(`serialized text is ${report.bytes} bytes, over the ${budget}-byte budget`);
        if (text.includes("SENTINEL")) problem("serialized text contains a secret");
        const handler = requireFromString(text)[exportName]();
        for (const m of ["check", "diff", "create", "read", "update", "delete"])
          if (handler[m] !== undefined && typeof handler[m] !== "function") problem(`${m} is not a function after loading`);
        if (typeof handler.configure === "function") await handler.configure({ config });
        if (typeof handler.read === "function") {
          try {
            const out = await handler.read("1", { ip: "192.0.2.10", mac: "02:00:00:00:00:01", mechanism: "reservedips", nodeName: "n1" });
            if (JSON.stringify(out ?? {}).includes("SENTINEL")) problem("read() returned a secret");
            report.read = "returned";
          } catch (err) {
            const msg = String(err && err.stack ? err.stack : err);
            report.read = `${err && err.name}: ${String(err && err.message).slice(0, 160)}`;
            if (msg.includes("SENTINEL")) problem("read() error contains a secret");
            if (!err || typeof err.message !== "string" || err.message === "") problem("read() threw an error whose message was lost after deserialization");
            if (/is not defined|Private field|is not a function|Cannot find module|could not be serialized|Cannot read properties of undefined/.test(msg))
              problem(`read() failed as if serialization broke it: ${report.read}`);
          }
        }
      } catch (err) {
        problem(`loading the serialized text failed: ${String(err && err.message).slice(0, 300)}`);
      }
    }
    if (!report.ok) failed = true;
    console.log(JSON.stringify(report));
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.error(err); process.exit(1); });
