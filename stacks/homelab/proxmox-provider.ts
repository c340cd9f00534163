/**
 * The explicit Proxmox provider, built from our config rather than ambient `proxmoxve:*` keys or
 * PROXMOX_VE_* variables, so which cluster and credentials a stack uses is visible in one file.
 * SSH is configured because Proxmox only accepts snippet uploads over SSH (ref/proxmox.md §3.7);
 * with API-token auth bpg does not derive an SSH user, so it is always set.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as pulumi from "@pulumi/pulumi";
import type { ProxmoxConfig } from "./config/schema";

export interface ProxmoxCredentials {
  readonly proxmoxApiToken?: pulumi.Output<string>;
  readonly proxmoxSshPrivateKey?: pulumi.Output<string>;
}

export function createProxmoxProvider(config: ProxmoxConfig, secrets: ProxmoxCredentials, opts?: pulumi.CustomResourceOptions): proxmoxve.Provider {
  const privateKey = secrets.proxmoxSshPrivateKey;
  return new proxmoxve.Provider(
    "proxmox",
    {
      endpoint: config.endpoint,
      apiToken: secrets.proxmoxApiToken,
      insecure: config.insecure,
      ssh: {
        username: config.sshUser,
        agent: config.sshAgent ?? privateKey === undefined,
        ...(privateKey ? { privateKey } : {}),
      },
    },
    opts,
  );
}
