/**
 * Finds the Pulumi CLI that matches the installed @pulumi/pulumi, for the drift command, the lab,
 * the benchmark and the tests. `scripts/pulumi-cli.sh` puts it (or a link to a matching `pulumi`
 * on PATH) in a per-version cache directory outside the repository; this reads the same location.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface PulumiCli {
  /** Directory holding `bin/pulumi`, as `PulumiCommand.get({ root })` expects. */
  root: string;
  /** Absolute path of the `pulumi` executable. */
  bin: string;
  /** e.g. "3.246.0" (no leading v). */
  version: string;
}

/** The @pulumi/pulumi version installed for this project (the lockfile's). */
export function sdkVersion(): string {
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

export function pulumiCacheRoot(version = sdkVersion()): string {
  const base =
    process.env.HOMELAB_PULUMI_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "homelab-ipam");
  return path.join(base, `pulumi-v${version}`);
}

/**
 * Returns the CLI or throws an error that says how to get it. Never falls back to another
 * version: the CLI, the language host and the SDK must come from one release.
 */
export function locatePulumiCli(): PulumiCli {
  const version = sdkVersion();
  const root = pulumiCacheRoot(version);
  const bin = path.join(root, "bin", "pulumi");
  if (existsSync(bin)) {
    const printed = execFileSync(bin, ["version"], {
      encoding: "utf8",
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    }).trim();
    if (printed === `v${version}`) return { root, bin, version };
    throw new Error(`${bin} prints ${printed}, expected v${version}: run \`bash scripts/pulumi-cli.sh\` to rebuild it.`);
  }
  throw new Error(
    `The Pulumi CLI v${version} is not set up at ${bin}. Run \`bash scripts/pulumi-cli.sh\` ` +
      "(npm test and npm run lab do this for you); it uses a matching `pulumi` on PATH or builds one.",
  );
}
