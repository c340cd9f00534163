/**
 * Pulumi stores a dynamic provider's code in state, for every resource, twice (inputs and
 * outputs), and runs that stored copy for refresh and delete (ref/pulumi.md §1.4, §1.5.5). For
 * the MAAS provider that copy was ~118 KB: 24 MB of state for 100 reservations, which made a
 * refresh of 100 nodes twice as slow as the engine floor.
 *
 * So resources register a ~1 KB forwarding provider instead. Each method loads the real
 * implementation from the compiled module at run time, by a path relative to the working
 * directory, which the language host and the provider host share (the program directory): the
 * checkout may move between machines, the layout does not. Two consequences, both intended:
 * refresh and delete run the installed code, so fixes reach existing resources; and state is
 * not self-contained, so the program's dist/ must be present to refresh or destroy.
 */
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

const METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

/**
 * A provider whose methods call `exportName` of the compiled module `file` (an absolute path,
 * e.g. `require.resolve("./provider")` from the module that registers the resource).
 */
export function forwardingProvider(file: string, exportName: string): pulumi.dynamic.ResourceProvider {
  const impl = require(file)[exportName] as Record<string, unknown> | undefined;
  if (!impl || typeof impl.create !== "function") throw new Error(`${file} does not export a dynamic provider named ${exportName}`);
  const target = path.relative(process.cwd(), file);
  // Serialized once and shared by every method below; runs in the provider host, where `require`
  // is the loaded module's own. (Comments inside these functions would be copied into state.)
  const load = function (): Record<string, (...args: unknown[]) => unknown> {
    const resolved = require("node:path").resolve(process.cwd(), target);
    try {
      return require(resolved)[exportName];
    } catch (err) {
      throw new Error(`cannot load the dynamic provider ${exportName} from ${resolved}: run \`npm install\` (or \`npm run build\`) in the project. ${(err as Error).message}`);
    }
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
