/**
 * Installs the LAB STAND-IN of the proxmoxve plugin (tools/pulumi-resource-proxmoxve, built by
 * scripts/proxmoxve-plugin.sh) into a throwaway PULUMI_HOME, as `pulumi plugin install` would
 * lay it out (plugins/resource-proxmoxve-v8.6.0/). Only temp stacks of the tests and the lab
 * call this; a user's PULUMI_HOME never gets it, and the stack's runs set
 * PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION so nothing is downloaded instead.
 */
import { execFileSync } from "node:child_process";
import { mkdir, symlink } from "node:fs/promises";
import * as path from "node:path";

/** The version @muhlba91/pulumi-proxmoxve 8.6.0 requests (ref/proxmox.md §2.1). */
export const PROXMOXVE_PLUGIN_VERSION = "8.6.0";

let binary: string | undefined;

/** Path of the built stand-in; builds it on first use (cached outside the repository). */
export function labProxmoxPluginBinary(repoRoot: string): string {
  if (binary) return binary;
  const out = execFileSync("bash", [path.join(repoRoot, "scripts/proxmoxve-plugin.sh")], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const last = out.trim().split("\n").pop();
  if (!last) throw new Error("scripts/proxmoxve-plugin.sh printed no binary path");
  binary = last;
  return binary;
}

export async function installLabProxmoxPlugin(pulumiHome: string, repoRoot: string): Promise<string> {
  const dir = path.join(pulumiHome, "plugins", `resource-proxmoxve-v${PROXMOXVE_PLUGIN_VERSION}`);
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, "pulumi-resource-proxmoxve");
  await symlink(labProxmoxPluginBinary(repoRoot), target);
  return target;
}
