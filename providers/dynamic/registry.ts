/**
 * What the forwarding provider in state calls at run time: `loadProvider(id, version)` finds the
 * installed implementation of a provider by its stable id (modules.ts), after checking that the
 * compiled dist/ is not older than the sources (build-freshness.ts), once per process.
 *
 * Forwarders find this file through package.json's `pulumiDynamicProviders` field, so nothing in
 * state names a path inside dist/: this release's walk up from their package in node_modules
 * (providers/dynamic/forwarders/forwarder.js), the previous release's serialized ones from the
 * provider host's working directory (the program directory). Both call `loadProvider(id, version)`.
 */
import * as path from "node:path";
import { assertFreshBuild } from "./build-freshness";
import { PROVIDER_MODULES } from "./modules";

export { PROVIDER_MODULES, type ProviderModule } from "./modules";

let checked = false;

/** The implementation of provider `id` able to handle state written by `version`. Throws with the fix. */
export function loadProvider(id: string, version: number): Record<string, (...args: unknown[]) => unknown> {
  if (!checked) {
    assertFreshBuild(undefined, ["providers"]); // provider code imports nothing outside providers/
    checked = true;
  }
  const entry = PROVIDER_MODULES[id];
  if (!entry) {
    throw new Error(
      `this release of homelab-ipam has no dynamic provider "${id}" (it has: ${Object.keys(PROVIDER_MODULES).join(", ")}); ` +
        "install the release that wrote this state (git checkout <tag> && npm ci), or remove the resource from state (pulumi state delete <urn>).",
    );
  }
  if (!entry.reads.includes(version)) {
    throw new Error(
      `the state was written by ${id} v${version}, and this release reads v${entry.reads.join(", v")}; ` +
        `install a release that reads v${version} (see README "Upgrading the project"), run \`pulumi up\` there, then upgrade.`,
    );
  }
  const impl = require(path.join(__dirname, entry.module))[entry.exportName];
  if (!impl || typeof impl.create !== "function") throw new Error(`${entry.module} does not export a dynamic provider named ${entry.exportName}`);
  return impl;
}
