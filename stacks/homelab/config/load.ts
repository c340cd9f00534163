/**
 * The program's front door: stack config → validated `HomelabConfig`, or one `HomelabConfigError`
 * listing every problem, before a single resource is constructed. Nothing downstream reads
 * `pulumi.Config` itself.
 *
 * Stack config keys read (see Pulumi.homelab.yaml):
 * - `homelab:network`, `homelab:k3s`, `homelab:nodes` (required), `homelab:proxmox`, `homelab:alerts` (optional)
 * - secrets: `homelab:k3sToken` (required), `homelab:proxmoxApiToken` (when Proxmox is enabled),
 *   `homelab:proxmoxSshPrivateKey`, `homelab:kubeconfig`, `homelab:sshPrivateKey` (optional)
 * - `homelab:ssh` (optional): defaults of the nodes' `ssh` blocks
 * - `maas:url` (required when a node is reserved in MAAS; the MAAS provider itself reads `maas:url`
 *   and `maas:apiKey` at run time).
 */
import * as pulumi from "@pulumi/pulumi";
import { formatIssue, type Issue } from "./issue";
import { validateHomelabConfig, type HomelabSettings, type RawStackConfig } from "./validate";

export type { Issue } from "./issue";
export type { HomelabSettings, RawStackConfig } from "./validate";

/** Validated config plus the secrets, as Pulumi secret Outputs (never plain strings). */
export interface HomelabConfig extends HomelabSettings {
  readonly secrets: {
    readonly k3sToken: pulumi.Output<string>;
    readonly proxmoxApiToken?: pulumi.Output<string>;
    readonly proxmoxSshPrivateKey?: pulumi.Output<string>;
    readonly kubeconfig?: pulumi.Output<string>;
    /** Whether homelab:sshPrivateKey is set (the K3s provider reads the key itself at run time). */
    readonly sshPrivateKeySet: boolean;
  };
}

/**
 * Every config problem at once, one per line: `nodes["<name>"].<field>: <what is wrong>; <how to fix>`.
 * A `RunError`, so Pulumi prints the message without a stack trace.
 */
export class HomelabConfigError extends pulumi.RunError {
  readonly issues: readonly Issue[];

  constructor(issues: readonly Issue[]) {
    super(
      `homelab stack config has ${issues.length} problem${issues.length === 1 ? "" : "s"} (nothing was created):\n` +
        issues.map(formatIssue).join("\n"),
    );
    this.name = "HomelabConfigError";
    this.issues = issues;
  }
}

/** Pure: validate raw config (already read from the stack) or throw HomelabConfigError. */
export function parseHomelabConfig(raw: RawStackConfig): HomelabSettings {
  const result = validateHomelabConfig(raw);
  if (!result.ok) throw new HomelabConfigError(result.issues);
  return result.settings;
}

/** Read the current stack's config, validate it, and wrap the secrets. */
export function loadHomelabConfig(): HomelabConfig {
  const raw = readStackConfig();
  const settings = parseHomelabConfig(raw);
  const secret = (value: string | undefined): pulumi.Output<string> | undefined => (value === undefined ? undefined : pulumi.secret(value));
  return {
    ...settings,
    secrets: {
      k3sToken: pulumi.secret(raw.secrets.k3sToken ?? ""),
      proxmoxApiToken: secret(raw.secrets.proxmoxApiToken),
      proxmoxSshPrivateKey: secret(raw.secrets.proxmoxSshPrivateKey),
      kubeconfig: secret(raw.secrets.kubeconfig),
      sshPrivateKeySet: raw.secrets.sshPrivateKey !== undefined && raw.secrets.sshPrivateKey !== "",
    },
  };
}

/** Raw values of the stack config; structured keys are JSON-parsed (a bad one becomes an issue). */
function readStackConfig(): RawStackConfig {
  const homelab = new pulumi.Config("homelab");
  const maas = new pulumi.Config("maas");
  const homelabKeys = Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith("homelab:"))
    .map((key) => key.slice("homelab:".length));
  const object = (key: string): unknown => {
    const text = homelab.get(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // a plain string where a mapping belongs: the schema reports it
    }
  };
  return {
    homelabKeys,
    network: object("network"),
    proxmox: object("proxmox"),
    k3s: object("k3s"),
    nodes: object("nodes"),
    alerts: object("alerts"),
    ssh: object("ssh"),
    maasUrl: maas.get("url"),
    secrets: {
      k3sToken: homelab.get("k3sToken"),
      proxmoxApiToken: homelab.get("proxmoxApiToken"),
      proxmoxSshPrivateKey: homelab.get("proxmoxSshPrivateKey"),
      kubeconfig: homelab.get("kubeconfig"),
      sshPrivateKey: homelab.get("sshPrivateKey"),
    },
  };
}
