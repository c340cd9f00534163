/**
 * `K3sNodeConfig`: a node's K3s settings as a Pulumi resource, so `pulumi preview` says what a
 * config change really means on a running node.
 *
 * There is no remote system: create and update store the settings in state, read returns the
 * state. The value is the explicit `diff`:
 * - UPDATE_FIELDS (node-ip, flannel-iface, tls-san, advertise-address, resolv-conf, token-file)
 *   take effect after a restart, so they are in-place updates. `update` prints how to apply them:
 *   "apply with: edit /etc/rancher/k3s/config.yaml on <node> and `systemctl restart k3s`".
 * - REPLACE_FIELDS (cluster-init, server, the token, node-labels, flannel-backend, cluster-cidr,
 *   service-cidr, cluster-domain, node-name, role) are **ignored by K3s on a node that already
 *   joined** (labels and CIDRs are only read at registration/bootstrap, the token is baked into
 *   the datastore, cluster-init/server only matter for the first start). They are listed in
 *   `replaces`, so the preview shows a replacement (rejoin the node) rather than a harmless update.
 *   Any field in neither list also replaces: the safe default.
 *
 * The token itself is never stored: the resource keeps `tokenSha256` (a secret output), so a
 * token rotation still shows up as a replacement without the token being in state.
 *
 * State holds the forwarding provider (providers/dynamic), which loads `nodeConfigProvider` by
 * module id at run time. The provider object itself still serializes on its own (ref/pulumi.md
 * §1.4-1.5; test/unit/providers/serialization.test.ts): it references only its own constants and
 * pure helpers in this file, plus `console`.
 */
import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "../dynamic/forwarding-provider";
import type { K3sNodeSettings } from "./config";

/** What the resource stores: the settings plus a hash of the token. */
export interface K3sNodeConfigState extends K3sNodeSettings {
  /** Hex SHA-256 of the cluster token. */
  readonly tokenSha256: string;
}

/** One Input per stored field (optional ones stay optional). */
export type K3sNodeConfigArgs = { readonly [K in keyof K3sNodeConfigState]: pulumi.Input<K3sNodeConfigState[K]> };

// The field lists are module-local consts, exported below by name: tsc compiles a reference to an
// `export const` as `exports.X`, which a serialized provider cannot resolve (its `exports` is its own).

/** Changed in place (after a K3s restart on the node). */
const UPDATE = ["nodeIp", "flannelIface", "tlsSan", "advertiseAddress", "resolvConf", "tokenFile"] as const;
/** Ignored by K3s once the node joined: a change means rebuilding/rejoining the node. */
const REPLACE = ["nodeName", "role", "clusterInit", "server", "tokenSha256", "nodeLabels", "flannelBackend", "clusterCidr", "serviceCidr", "clusterDomain"] as const;
const ALL_FIELDS = [...UPDATE, ...REPLACE] as const;

export { REPLACE as REPLACE_FIELDS, UPDATE as UPDATE_FIELDS };

export interface K3sSettingsDiff {
  readonly updates: string[];
  readonly replaces: string[];
}

/** Field-by-field comparison of stored state (or old inputs) with new inputs; ignores `__provider`. */
export function diffK3sSettings(olds: Record<string, unknown>, news: Record<string, unknown>): K3sSettingsDiff {
  const updateFields: readonly string[] = UPDATE;
  const keys = new Set<string>([...Object.keys(olds), ...Object.keys(news)]);
  keys.delete("__provider");
  const updates: string[] = [];
  const replaces: string[] = [];
  for (const key of [...keys].sort()) {
    if (JSON.stringify(olds[key] ?? null) === JSON.stringify(news[key] ?? null)) continue;
    (updateFields.includes(key) ? updates : replaces).push(key);
  }
  return { updates, replaces };
}

/** The message `update` prints: what changed and how to make K3s pick it up. */
export function applyHint(state: { nodeName?: unknown; role?: unknown }, fields: readonly string[]): string {
  const unit = state.role === "agent" ? "k3s-agent" : "k3s";
  return (
    `K3s settings of ${String(state.nodeName)} changed (${fields.join(", ")}): ` +
    `apply with: edit /etc/rancher/k3s/config.yaml on ${String(state.nodeName)} and \`systemctl restart ${unit}\``
  );
}

function stateOf(inputs: Record<string, unknown>): Record<string, unknown> {
  const fields: readonly string[] = ALL_FIELDS;
  const state: Record<string, unknown> = {};
  for (const field of fields) {
    if (inputs[field] !== undefined) state[field] = inputs[field];
  }
  return state;
}

export const nodeConfigProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const failures: { property: string; reason: string }[] = [];
    for (const field of ["nodeName", "nodeIp", "flannelIface", "tokenSha256"]) {
      if (typeof news[field] !== "string" || news[field] === "") {
        failures.push({ property: field, reason: `${field} is required: K3s cannot pin the node without it` });
      }
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { updates, replaces } = diffK3sSettings(olds, news);
    return { changes: updates.length + replaces.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: Record<string, unknown>) {
    return { id: String(inputs.nodeName), outs: stateOf(inputs) };
  },

  async read(id: string, props?: Record<string, unknown>) {
    return { id, props: stateOf(props ?? {}) };
  },

  async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { updates } = diffK3sSettings(olds, news);
    if (updates.length > 0) console.warn(applyHint(news, updates));
    return { outs: stateOf(news) };
  },

  async delete() {
    // Nothing remote to delete: the node keeps running until it is rebuilt.
  },
};

/** What is stored in state: forwards to `nodeConfigProvider` by module id (providers/dynamic). */
export const nodeConfigForwarder = forwardingProvider("homelab-ipam/k3s-node-config");

/**
 * The K3s settings of one node (type `pulumi-nodejs:dynamic/k3s:NodeConfig`). Its outputs are
 * what reviewers compare with the MAAS reservation and the VM: `nodeIp`, `flannelIface`, ….
 */
export class K3sNodeConfig extends pulumi.dynamic.Resource {
  declare readonly nodeName: pulumi.Output<string>;
  declare readonly role: pulumi.Output<"server" | "agent">;
  declare readonly nodeIp: pulumi.Output<string>;
  declare readonly flannelIface: pulumi.Output<string>;
  declare readonly advertiseAddress: pulumi.Output<string | undefined>;
  declare readonly tlsSan: pulumi.Output<string[] | undefined>;
  declare readonly clusterInit: pulumi.Output<boolean | undefined>;
  declare readonly server: pulumi.Output<string | undefined>;
  declare readonly tokenFile: pulumi.Output<string>;
  declare readonly resolvConf: pulumi.Output<string>;
  declare readonly flannelBackend: pulumi.Output<string | undefined>;
  declare readonly clusterCidr: pulumi.Output<string | undefined>;
  declare readonly serviceCidr: pulumi.Output<string | undefined>;
  declare readonly clusterDomain: pulumi.Output<string | undefined>;
  declare readonly nodeLabels: pulumi.Output<string[]>;
  /** Secret. */
  declare readonly tokenSha256: pulumi.Output<string>;

  constructor(name: string, args: K3sNodeConfigArgs, opts?: pulumi.CustomResourceOptions) {
    const placeholders = Object.fromEntries(ALL_FIELDS.map((field) => [field, undefined]));
    super(
      nodeConfigForwarder,
      name,
      { ...placeholders, ...args },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["tokenSha256"] }),
      "k3s",
      "NodeConfig",
    );
  }
}
