/**
 * Cloud-init user-data that turns a fresh VM into a K3s node: hostname, the K3s config file,
 * a root-only token file, the QEMU guest agent (so Proxmox can report the IP the VM really got),
 * and a K3s install pinned to one release. Rendered with the `yaml` library from plain data.
 *
 * The result contains the cluster token: callers must keep it a Pulumi secret.
 */
import { Document } from "yaml";
import { K3S_CONFIG_FILE, K3S_TOKEN_FILE, type K3sRole } from "./config";

export interface UserDataArgs {
  readonly hostname: string;
  /** Search domain; when set the fqdn is `<hostname>.<domain>`. */
  readonly domain?: string;
  readonly role: K3sRole;
  /** e.g. "v1.30.5+k3s1" (INSTALL_K3S_VERSION). */
  readonly k3sVersion: string;
  /** The node's rendered /etc/rancher/k3s/config.yaml (see `toYaml`). */
  readonly k3sConfigYaml: string;
  /** The cluster token (secret). */
  readonly token: string;
}

/**
 * Installs K3s with the upstream script. Version and exec come in as positional arguments
 * ($0, $1), never spliced into the shell text. K3s reads server, token-file, node-ip, … from
 * config.yaml, so an agent needs no K3S_URL/K3S_TOKEN in its environment.
 */
export const K3S_INSTALL_SCRIPT = 'curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION="$0" INSTALL_K3S_EXEC="$1" sh -s -';

export function renderUserData(args: UserDataArgs): string {
  const data = {
    hostname: args.hostname,
    ...(args.domain ? { fqdn: `${args.hostname}.${args.domain}` } : {}),
    preserve_hostname: false,
    manage_etc_hosts: true,
    package_update: true,
    packages: ["qemu-guest-agent", "curl"],
    write_files: [
      { path: K3S_CONFIG_FILE, owner: "root:root", permissions: "0600", content: args.k3sConfigYaml },
      { path: K3S_TOKEN_FILE, owner: "root:root", permissions: "0600", content: `${args.token}\n` },
    ],
    runcmd: [
      ["systemctl", "enable", "--now", "qemu-guest-agent"],
      ["sh", "-c", K3S_INSTALL_SCRIPT, args.k3sVersion, args.role],
    ],
  };
  const doc = new Document(data);
  return `#cloud-config\n${doc.toString({ lineWidth: 0, indentSeq: true })}`;
}
