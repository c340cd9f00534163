/**
 * Test helper: a Pulumi stack file (`config:` map, as in Pulumi.homelab.yaml and the fixtures)
 * → the `RawStackConfig` the loader would build from the same stack. Encrypted `secure:` values
 * become the placeholders below (the rules only check presence and shape of secrets).
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { RawStackConfig } from "../../../../../stacks/homelab/config/validate";

/** Well-formed stand-ins for encrypted values, by key. */
export const SECRET_PLACEHOLDERS: Readonly<Record<string, string>> = {
  "homelab:k3sToken": "placeholder-k3s-token",
  "homelab:proxmoxApiToken": "placeholder@pve!placeholder=00000000-0000-4000-8000-000000000000",
  "homelab:proxmoxSshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n-----END OPENSSH PRIVATE KEY-----\n",
  "homelab:kubeconfig": "apiVersion: v1\nkind: Config\nclusters: []\n",
  "maas:apiKey": "placeholder:placeholder:placeholder",
};

export type StackValues = Record<string, unknown>;

export function readStackFile(path: string): { text: string; values: StackValues } {
  const text = readFileSync(path, "utf8");
  const doc = parse(text) as { config?: StackValues } | null;
  const values: StackValues = {};
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    const secure = typeof value === "object" && value !== null && "secure" in value;
    values[key] = secure ? (SECRET_PLACEHOLDERS[key] ?? "placeholder") : value;
  }
  return { text, values };
}

export function rawConfigFrom(values: StackValues): RawStackConfig {
  const text = (key: string): string | undefined => (values[key] === undefined ? undefined : String(values[key]));
  return {
    homelabKeys: Object.keys(values)
      .filter((key) => key.startsWith("homelab:"))
      .map((key) => key.slice("homelab:".length)),
    network: values["homelab:network"],
    proxmox: values["homelab:proxmox"],
    k3s: values["homelab:k3s"],
    nodes: values["homelab:nodes"],
    alerts: values["homelab:alerts"],
    maasUrl: text("maas:url"),
    secrets: {
      k3sToken: text("homelab:k3sToken"),
      proxmoxApiToken: text("homelab:proxmoxApiToken"),
      proxmoxSshPrivateKey: text("homelab:proxmoxSshPrivateKey"),
      kubeconfig: text("homelab:kubeconfig"),
    },
  };
}

/** The `# expect: …` header of a fixture. */
export function expectedMessage(text: string): string | undefined {
  return /^# expect: (.+)$/m.exec(text)?.[1];
}
