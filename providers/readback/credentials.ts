/**
 * Where the read-back's credentials come from at run time: the secret stack config key the
 * resource names (the engine hands the decrypted stack config to `configure`, ref/pulumi.md §1.6),
 * else an environment variable. Credentials are never inputs, never outputs, never in a message.
 */
import { readFileSync } from "fs";

/** The part of the dynamic provider's `Config` used here. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** Environment variable holding a kubeconfig *path* (colon-separated list; the first existing file wins). */
export const KUBECONFIG_ENV = "KUBECONFIG";
/** Environment variable holding the Proxmox API token, as the Proxmox provider reads it too. */
export const PROXMOX_TOKEN_ENV = "PROXMOX_VE_API_TOKEN";

export type Credential = { ok: true; value: string; source: string } | { ok: false; reason: string; fix: string };

/** A non-empty stack config value, or undefined (missing, empty, or the config cannot be read). */
export function fromConfig(config: ConfigSource | undefined, key: string | undefined): string | undefined {
  if (!key) return undefined;
  try {
    const v = config?.get(key);
    return v !== undefined && v !== "" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The kubeconfig text for `configKey`, or why there is none. */
export function kubeconfigText(config: ConfigSource | undefined, configKey: string, env: NodeJS.ProcessEnv): Credential {
  const inline = fromConfig(config, configKey);
  if (inline !== undefined) return { ok: true, value: inline, source: `stack config ${configKey}` };
  const paths = (env[KUBECONFIG_ENV] ?? "").split(":").filter(Boolean);
  for (const p of paths) {
    try {
      return { ok: true, value: readFileSync(p, "utf8"), source: `${KUBECONFIG_ENV} file ${p}` };
    } catch {
      // try the next one, as kubectl does
    }
  }
  return {
    ok: false,
    reason: `no kubeconfig: neither the secret stack config ${configKey} nor ${KUBECONFIG_ENV} gives one`,
    fix:
      `set the secret stack config ${configKey} ` +
      `(pulumi config set --secret ${configKey} "$(cat /etc/rancher/k3s/k3s.yaml)") or point ${KUBECONFIG_ENV} at a readable file`,
  };
}

/** The Proxmox API token for `tokenConfigKey`, or why there is none. */
export function proxmoxToken(config: ConfigSource | undefined, tokenConfigKey: string, env: NodeJS.ProcessEnv): Credential {
  const inline = fromConfig(config, tokenConfigKey);
  if (inline !== undefined) return { ok: true, value: inline, source: `stack config ${tokenConfigKey}` };
  const fromEnv = env[PROXMOX_TOKEN_ENV];
  if (fromEnv) return { ok: true, value: fromEnv, source: PROXMOX_TOKEN_ENV };
  return {
    ok: false,
    reason: `no Proxmox API token found in the secret stack config ${tokenConfigKey} or ${PROXMOX_TOKEN_ENV}`,
    fix: `set the secret stack config ${tokenConfigKey} (pulumi config set --secret ${tokenConfigKey} 'user@pve!homelab=…') or ${PROXMOX_TOKEN_ENV}`,
  };
}
