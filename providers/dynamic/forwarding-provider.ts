/**
 * Pulumi stores a dynamic provider's code in state, for every resource, twice (inputs and
 * outputs), and runs that stored copy for refresh and delete (ref/pulumi.md §1.4, §1.5.5). So
 * resources register this small forwarding provider instead of their implementation (a 118 KB
 * MAAS provider made 24 MB of state for 100 nodes).
 *
 * What it stores is a stable module id and the state-layout version (modules.ts), never a path
 * inside dist/: at run time each method finds the project's registry through package.json's
 * `pulumiDynamicProviders` field, walking up from the provider host's working directory (the
 * program directory), and asks it for the implementation. So a release may move or rename
 * provider files; refresh and delete run the installed code (fixes reach existing resources);
 * a stale dist/ is refused before anything runs (build-freshness.ts); and the project's dist/
 * must be present to refresh or destroy.
 */
import type * as pulumi from "@pulumi/pulumi";
import { PROVIDER_MODULES } from "./modules";

const METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

/** The forwarder for provider `id` (a key of PROVIDER_MODULES), storing its current version. */
export function forwardingProvider(id: string): pulumi.dynamic.ResourceProvider {
  const entry = PROVIDER_MODULES[id];
  if (!entry) throw new Error(`no dynamic provider module "${id}"; add it to providers/dynamic/modules.ts`);
  const impl = require(require("node:path").join(__dirname, entry.module))[entry.exportName] as Record<string, unknown> | undefined;
  if (!impl || typeof impl.create !== "function") throw new Error(`${entry.module} does not export a dynamic provider named ${entry.exportName}`);
  const version = entry.version;
  // Serialized once and shared by every method below; runs in the provider host. The first call
  // of a host process finds the implementation, later ones reuse it from a process-wide map: the
  // search read package.json on every call, ≈ 0.3 ms each, 1.2 s of a 2000-resource refresh.
  // (Comments inside these functions would be copied into state.)
  const load = function (): Record<string, (...args: unknown[]) => unknown> {
    const g = globalThis as { __homelabIpamProviders?: Map<string, Record<string, (...args: unknown[]) => unknown>> };
    const cache = (g.__homelabIpamProviders ??= new Map());
    const key = id + "@" + version;
    const found = cache.get(key);
    if (found) return found;
    const nodePath = require("node:path");
    const fs = require("node:fs");
    let dir = process.cwd();
    for (;;) {
      const pkg = nodePath.join(dir, "package.json");
      if (fs.existsSync(pkg)) {
        const registry = JSON.parse(fs.readFileSync(pkg, "utf8")).pulumiDynamicProviders;
        if (registry) {
          const impl = require(nodePath.join(dir, registry)).loadProvider(id, version);
          cache.set(key, impl);
          return impl;
        }
      }
      const up = nodePath.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    throw new Error(`cannot find the homelab-ipam project above ${process.cwd()} (no package.json with "pulumiDynamicProviders"), needed to run dynamic provider ${id}: run pulumi in the project, after \`npm ci\` (or \`npm run build\`).`);
  };
  const forwarder: Record<string, unknown> = {};
  for (const method of METHODS) {
    if (typeof impl[method] !== "function") continue; // keep the host's defaults for missing methods
    forwarder[method] = function (...args: unknown[]) {
      return load()[method](...args);
    };
  }
  return forwarder as unknown as pulumi.dynamic.ResourceProvider;
}
