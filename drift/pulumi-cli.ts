/**
 * Finds a Pulumi CLI for the drift command, the lab, the benchmark and the tests. Any official
 * Pulumi CLI of a compatible version works; the project's own build is only the fallback.
 *
 * Compatible: `>= <@pulumi/pulumi in the lockfile>` and `< 4.0.0` (COMPATIBLE_RANGE). The lower
 * bound is the SDK the program is built with: Pulumi keeps newer CLIs working with older SDKs
 * within a major version, not the reverse, and every feature used here (`options.refresh:
 * always`, `refresh --preview-only`, streamed JSON previews, dynamic-provider config and output)
 * is older than that SDK. A new major may change the JSON the report is built from.
 *
 * Order: `PULUMI_BIN` (a path; must be compatible, else an error) → `pulumi` on PATH (when
 * compatible) → the project's build in the cache (scripts/pulumi-cli.sh).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface PulumiCli {
  /** Absolute path of the `pulumi` executable. */
  bin: string;
  /** e.g. "3.246.0" (no leading v). */
  version: string;
  /** Where it came from, for messages. */
  origin: "PULUMI_BIN" | "PATH" | "project build";
}

/** The @pulumi/pulumi version installed for this project (the lockfile's). */
export function sdkVersion(): string {
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

/** `>=<sdk> <4.0.0` as data: the minimum (inclusive) and the first major that is not accepted. */
export function compatibleRange(sdk = sdkVersion()): { min: string; belowMajor: number; text: string } {
  return { min: sdk, belowMajor: 4, text: `>=${sdk} <4.0.0` };
}

function triple(version: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** Null when `printed` (what `pulumi version` prints, e.g. "v3.250.1") is compatible, else why not. */
export function incompatibility(printed: string, range = compatibleRange()): string | null {
  const v = triple(printed);
  if (!v) return `it prints ${JSON.stringify(printed.trim().slice(0, 60))}, which is not a version`;
  const min = triple(range.min)!;
  const below = v[0] < min[0] || (v[0] === min[0] && (v[1] < min[1] || (v[1] === min[1] && v[2] < min[2])));
  if (below) return `it is v${v.join(".")}, older than this project's @pulumi/pulumi ${range.min} (needs ${range.text})`;
  if (v[0] >= range.belowMajor) return `it is v${v.join(".")}, a new major version this project has not been checked against (needs ${range.text})`;
  return null;
}

export function pulumiCacheRoot(version = sdkVersion(), env: NodeJS.ProcessEnv = process.env): string {
  const base = env.HOMELAB_PULUMI_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "homelab-ipam");
  return path.join(base, `pulumi-v${version}`);
}

function versionOf(bin: string, env: NodeJS.ProcessEnv): string {
  return execFileSync(bin, ["version"], { encoding: "utf8", env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeout: 30_000 }).trim();
}

function onPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, "pulumi");
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Returns a compatible CLI or throws an error that says how to get one. `env` is the environment
 * to search (PULUMI_BIN, PATH, HOMELAB_PULUMI_CACHE); `cwd` resolves a relative PULUMI_BIN.
 */
export function locatePulumiCli(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PulumiCli {
  const range = compatibleRange();
  if (env.PULUMI_BIN) {
    const bin = path.resolve(cwd, env.PULUMI_BIN);
    if (!existsSync(bin)) throw new Error(`PULUMI_BIN=${env.PULUMI_BIN}: no such file; point it at a pulumi executable (${range.text}) or unset it.`);
    const printed = versionOf(bin, env);
    const why = incompatibility(printed, range);
    if (why) throw new Error(`PULUMI_BIN=${bin} cannot be used: ${why}. Install a compatible Pulumi CLI, or unset PULUMI_BIN to use another.`);
    return { bin, version: printed.replace(/^v/, ""), origin: "PULUMI_BIN" };
  }
  const notes: string[] = [];
  const fromPath = onPath(env);
  if (fromPath) {
    const printed = versionOf(fromPath, env);
    const why = incompatibility(printed, range);
    if (!why) return { bin: fromPath, version: printed.replace(/^v/, ""), origin: "PATH" };
    notes.push(`the pulumi on PATH (${fromPath}) is not used: ${why}`);
  }
  const built = path.join(pulumiCacheRoot(range.min, env), "bin", "pulumi");
  if (existsSync(built)) {
    const printed = versionOf(built, env);
    const why = incompatibility(printed, range);
    if (!why) return { bin: built, version: printed.replace(/^v/, ""), origin: "project build" };
    notes.push(`${built} is not used: ${why}`);
  }
  throw new Error(
    `No compatible Pulumi CLI (${range.text}) found${notes.length ? ` (${notes.join("; ")})` : ""}. ` +
      "Install Pulumi the normal way (https://www.pulumi.com/docs/install/), set PULUMI_BIN to one, " +
      "or run `bash scripts/pulumi-cli.sh` to build v" + range.min + " from the Go module proxy (npm test and npm run lab do this for you).",
  );
}

if (require.main === module) {
  // `node dist/drift/pulumi-cli.js check <pulumi>`: exit 0 when compatible (scripts/pulumi-cli.sh uses this).
  const [cmd, bin] = process.argv.slice(2);
  if (cmd === "check" && bin) {
    try {
      const why = incompatibility(versionOf(bin, process.env));
      if (why) {
        process.stderr.write(`${bin}: ${why}\n`);
        process.exitCode = 1;
      }
    } catch (err) {
      process.stderr.write(`${bin}: could not run \`pulumi version\`: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  } else if (cmd === "range") {
    process.stdout.write(`${compatibleRange().text}\n`);
  } else {
    process.stderr.write("usage: node dist/drift/pulumi-cli.js check <path-to-pulumi> | range\n");
    process.exitCode = 2;
  }
}
