"use strict";
/**
 * What every dynamic resource of homelab-ipam stores in Pulumi state as its provider.
 *
 * Pulumi serializes a dynamic provider into the state of each resource, twice (inputs and
 * outputs), and sends that text with every call the engine makes: a refresh decodes it about five
 * times per resource (ref/pulumi.md §1.4). A provider object serialized by value costs kilobytes
 * (the previous release's forwarder: 3.7 KB; 2.1 KB more made a refresh of 2000 resources ≈ 24 %
 * slower). A module's exports from node_modules is instead serialized as
 * `require("<package>/<file>")`, under 300 bytes. This package is that module: a dependency
 * installed as a copy (`.npmrc`: install-links), not a symlink, because Node records a symlinked
 * package under its real path and the serializer captures only files under node_modules by reference.
 *
 * Each `<provider>.v<version>.js` file exports `forwarder(id, version)`: an object whose methods
 * are looked up when the provider host first asks for them. Nothing is loaded in the program
 * process (it only serializes the require); in the host, the first lookup finds the project's
 * registry through package.json's `pulumiDynamicProviders` field, walking up from this package,
 * and asks it for the implementation that reads state `version` (dist/providers/dynamic/registry.js).
 *
 * A file that state names must keep existing: add `<provider>.v<next>.js` for a new state layout
 * and remove an old one only when no release reads that layout any more (modules.ts `reads`).
 * Edited here, a file reaches node_modules on the next `npm ci`; `npm install` keeps the old copy
 * (build-freshness.ts then refuses to run until `npm ci`).
 */
const path = require("node:path");
const fs = require("node:fs");

const METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"];

/** The project's provider registry: the nearest package.json above this package that names one. */
function projectRegistry() {
  for (let dir = __dirname; ; ) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      const registry = JSON.parse(fs.readFileSync(pkg, "utf8")).pulumiDynamicProviders;
      if (registry) return require(path.join(dir, registry));
    }
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error(
        `cannot find the homelab-ipam project above ${__dirname} (no package.json with "pulumiDynamicProviders"), ` +
          "needed to run its dynamic providers: run pulumi in the project, after `npm ci` and `npm run build`.",
      );
    }
    dir = up;
  }
}

/** The provider object for `id` at state layout `version`; its methods load the implementation on first use. */
exports.forwarder = function forwarder(id, version) {
  // The implementation's methods bound to it, made on the first lookup (the host looks one up per call).
  let methods;
  const provider = {};
  for (const method of METHODS) {
    Object.defineProperty(provider, method, {
      enumerable: true,
      get() {
        if (!methods) {
          const impl = projectRegistry().loadProvider(id, version);
          // undefined for a method the implementation leaves out, so the provider host keeps its default
          methods = Object.fromEntries(METHODS.map((m) => [m, typeof impl[m] === "function" ? impl[m].bind(impl) : undefined]));
        }
        return methods[method];
      },
    });
  }
  // For tests and error messages; the provider host only looks up the methods above.
  Object.defineProperty(provider, "forwards", { value: Object.freeze({ id, version }) });
  return provider;
};
