/**
 * A stale dist/ (TypeScript edited or pulled, not rebuilt) must not run silently: Pulumi runs
 * the compiled program and providers. This compares every source file with its compiled twin
 * and fails *before anything runs* with the command that fixes it. It does not build by itself:
 * a build inside `pulumi preview` would race with other runs on the same checkout and turn a
 * type error into a confusing preview failure; `npm run build` is one explicit, visible step.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

/** Source folders compiled to dist/ (tsconfig.json `include`). */
const SOURCE_DIRS = ["providers", "stacks", "drift", "lab", "bench"];

/** The project root: the nearest directory above `from` whose package.json names the provider registry. */
export function projectRoot(from = __dirname): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { pulumiDynamicProviders?: unknown }).pulumiDynamicProviders) return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

/** Sources whose compiled file is missing or older than they are, relative to `root`. */
export function staleSources(root: string, dirs: readonly string[] = SOURCE_DIRS): string[] {
  const stale: string[] = [];
  for (const dir of dirs) {
    for (const file of tsFiles(path.join(root, dir))) {
      const rel = path.relative(root, file);
      const built = path.join(root, "dist", rel.replace(/\.ts$/, ".js"));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs) stale.push(rel);
    }
  }
  return stale.sort();
}

/** The forwarders package (providers/dynamic/forwarders/) and where npm installs its copy. */
const FORWARDERS_SOURCE = "providers/dynamic/forwarders";
const FORWARDERS_INSTALLED = "node_modules/@homelab-ipam/dynamic-forwarders";

/**
 * Forwarder files whose installed copy is missing or differs from the source. npm installs the package
 * as a copy (.npmrc install-links) and `npm install` does not refresh a copy whose version is unchanged;
 * `npm ci` does.
 */
export function staleForwarders(root: string): string[] {
  const source = path.join(root, FORWARDERS_SOURCE);
  if (!existsSync(source)) return [];
  return readdirSync(source)
    .filter((f) => {
      const installed = path.join(root, FORWARDERS_INSTALLED, f);
      return !existsSync(installed) || !readFileSync(installed).equals(readFileSync(path.join(source, f)));
    })
    .map((f) => `${FORWARDERS_SOURCE}/${f}`)
    .sort();
}

/**
 * Throws when dist/ is older than the sources (no-op outside a source checkout, e.g. a packed install).
 * `dirs`: the source folders that can run here (a provider host runs only providers/).
 */
export function assertFreshBuild(root = projectRoot(), dirs: readonly string[] = SOURCE_DIRS): void {
  if (!root || !existsSync(path.join(root, "tsconfig.json"))) return;
  const forwarders = staleForwarders(root);
  if (forwarders.length > 0) {
    throw new Error(
      `${FORWARDERS_INSTALLED} is not the copy of ${forwarders.join(", ")} in this checkout (npm install keeps an older copy). ` +
        `Run \`npm ci\` in ${root}, then run the command again.`,
    );
  }
  const stale = staleSources(root, dirs);
  if (stale.length === 0) return;
  const more = stale.length > 3 ? ` and ${stale.length - 3} more` : "";
  throw new Error(
    `dist/ is out of date: ${stale.slice(0, 3).join(", ")}${more} changed since the last build. ` +
      `Run \`npm run build\` in ${root}, then run the command again.`,
  );
}
