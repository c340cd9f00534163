/**
 * Pulumi stores a dynamic provider in the state of every resource, twice (inputs and outputs), and
 * sends it with every call (ref/pulumi.md §1.4, §1.5.5). So resources register a forwarder instead
 * of their implementation: a module of the `@homelab-ipam/dynamic-forwarders` package
 * (providers/dynamic/forwarders/, installed into node_modules as a copy), which Pulumi's closure
 * serializer records as `require("@homelab-ipam/dynamic-forwarders/<provider>.v<version>.js")`,
 * ≈ 300 bytes. In the provider host that module finds the project's registry and asks it for the
 * implementation that reads this state layout (registry.ts), on first use.
 *
 * So state names a stable provider id and layout version, never a path inside dist/; refresh and
 * delete run the installed code; a stale dist/ is refused before anything runs (build-freshness.ts).
 * Nothing of the implementation is loaded in the program process.
 *
 * Stacks written by earlier releases hold earlier forwarders (a path into dist/, then a serialized
 * id-based forwarder of 3.7 KB); both still run, through the same registry (test/engine/upgrade.test.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import { PROVIDER_MODULES } from "./modules";

/** The forwarder for provider `id` (a key of PROVIDER_MODULES) at its current state layout. */
export function forwardingProvider(id: string): pulumi.dynamic.ResourceProvider {
  const entry = PROVIDER_MODULES[id];
  if (!entry) throw new Error(`no dynamic provider module "${id}"; add it to providers/dynamic/modules.ts`);
  let file: string;
  try {
    file = require.resolve(entry.forwarder);
  } catch (err) {
    if ((err as { code?: unknown }).code !== "MODULE_NOT_FOUND") throw err;
    throw new Error(`${entry.forwarder} is not installed (providers/dynamic/forwarders/ is copied into node_modules by npm): run \`npm ci\`, then run the command again.`);
  }
  // Captured by reference only from a real path under node_modules; through a symlink (npm without
  // install-links, a linked checkout) Pulumi would serialize the forwarder's code into every resource.
  if (!file.split(/[\\/]/).includes("node_modules")) {
    throw new Error(
      `${entry.forwarder} resolves to ${file}, outside node_modules (a symlink?): Pulumi would store its code in every resource. ` +
        "Install it as a copy: `npm ci` in the project (its .npmrc sets install-links=true).",
    );
  }
  const forwarder = require(file) as pulumi.dynamic.ResourceProvider & { forwards?: { id: string; version: number } };
  // The file is what state names, so it must say what modules.ts says (a copy-paste slip would route one
  // provider's state to another's implementation).
  if (forwarder.forwards?.id !== id || forwarder.forwards.version !== entry.version) {
    throw new Error(`${entry.forwarder} forwards ${JSON.stringify(forwarder.forwards)}, but modules.ts has ${id} v${entry.version}`);
  }
  return forwarder;
}
