/**
 * Raw stack config → validated settings, or every issue at once. Pure: no Pulumi imports, so the
 * fixture tests, the loader and any script share exactly the same checks.
 *
 * Each section (and each node) is parsed on its own, so a typo in one node does not hide a
 * duplicate IP in another; the rules then run on whatever parsed.
 */
import type { z } from "zod";
import { parsePinnedHostKey } from "../../../providers/ssh/host-key";
import { issue, type Issue } from "./issue";
import { normalizeMac } from "./mac";
import { checkRules, type ParsedNode, type RawSecrets } from "./rules";
import {
  alertsSchema,
  homelabKeys,
  k3sSchema,
  networkSchema,
  nodeSchema,
  proxmoxSchema,
  sshSchema,
  type AlertsConfig,
  type SshConfig,
  type K3sConfig,
  type NetworkConfig,
  type NodeConfig,
  type ProxmoxConfig,
} from "./schema";

/** What the loader read from the stack, before any checking. Objects are already JSON-parsed. */
export interface RawStackConfig {
  /** Every key set in the `homelab` namespace, without the prefix ("nodes", "k3sToken", …). */
  readonly homelabKeys: readonly string[];
  readonly network?: unknown;
  readonly proxmox?: unknown;
  readonly k3s?: unknown;
  readonly nodes?: unknown;
  readonly alerts?: unknown;
  readonly ssh?: unknown;
  /** `maas:url`. */
  readonly maasUrl?: string;
  /** Plain values; only presence and shape are checked, and they are not part of the result. */
  readonly secrets: RawSecrets;
}

/** The validated, defaulted config without secrets. */
export interface HomelabSettings {
  readonly network: NetworkConfig;
  /** Present only when Proxmox is configured and enabled. */
  readonly proxmox?: ProxmoxConfig;
  readonly k3s: K3sConfig;
  readonly nodes: readonly NodeConfig[];
  readonly alerts: AlertsConfig;
  /** Defaults of every node's `ssh` block. */
  readonly ssh: SshConfig;
  readonly maasUrl?: string;
  /**
   * The first server declared in homelab:nodes: it runs `cluster-init` only while no declared
   * server has a K3s datastore (stacks/homelab/bootstrap.ts); otherwise it joins like the others.
   */
  readonly initServer: string;
}

export type Validation = { readonly ok: true; readonly settings: HomelabSettings } | { readonly ok: false; readonly issues: readonly Issue[] };

/** K3s settings that must be identical on every server; a node carrying one is told where it goes. */
const CLUSTER_WIDE_K3S_KEYS = new Set(["version", "apiEndpoint", "flannelBackend", "clusterCidr", "serviceCidr", "clusterDomain", "resolvConf", "flannel-backend", "cluster-cidr", "service-cidr", "cluster-domain", "resolv-conf"]);

/** What to write when a required field is missing, keyed by section and field path. */
const MISSING_FIELD_HINTS: Readonly<Record<string, string>> = {
  "homelab:network": "declare the node subnet, e.g. homelab:network: { cidr: 192.168.4.0/24, gateway: 192.168.4.1, dns: [192.168.4.53] }",
  "homelab:k3s": "declare the cluster, e.g. homelab:k3s: { version: v1.30.5+k3s1, apiEndpoint: k3s.homelab.lan, flannelBackend: vxlan }",
  "homelab:nodes": "declare the nodes as a list under homelab:nodes (name, ip, mac, addressing, interface, role)",
  "nodes.name": "add name: <hostname>",
  "nodes.ip": "add the node's address, e.g. ip: 192.168.4.238",
  "nodes.mac": "add the MAC of the node's NIC, e.g. mac: bc:24:11:3b:7a:a7",
  "nodes.addressing": "add addressing: dhcp-reserved (DHCP with a MAAS reservation) or addressing: static",
  "nodes.interface": "name the guest NIC K3s pins flannel to (flannel-iface), e.g. interface: eth0",
  "nodes.role": "add role: server or role: agent",
  "nodes.proxmox.node": "add the Proxmox host the VM runs on, e.g. node: pve",
  "nodes.proxmox.vmId": "add a fixed VM id, e.g. vmId: 107",
  "network.cidr": "add the subnet, e.g. cidr: 192.168.4.0/24",
  "network.gateway": "add the router's address, e.g. gateway: 192.168.4.1",
  "network.dns": "add the DNS servers, e.g. dns: [192.168.4.53]",
  "k3s.version": "pin a K3s release, e.g. version: v1.30.5+k3s1",
  "k3s.apiEndpoint": "add a stable registration address, e.g. apiEndpoint: k3s.homelab.lan",
  "k3s.flannelBackend": "add flannelBackend: vxlan (or host-gw, wireguard-native, none)",
  "proxmox.endpoint": "add the API URL, e.g. endpoint: https://pve.homelab.lan:8006/",
  "proxmox.sshUser": "add the SSH user for snippet uploads, e.g. sshUser: root",
  "proxmox.snippetsDatastore": "add a directory storage with snippets enabled, e.g. snippetsDatastore: local",
  "proxmox.diskDatastore": "add the VM disk storage, e.g. diskDatastore: local-lvm",
  "proxmox.cloudInitDatastore": "add the cloud-init drive storage, e.g. cloudInitDatastore: local-lvm",
  "proxmox.templateVmId": "add the template's VM id, e.g. templateVmId: 9000",
};

export function validateHomelabConfig(raw: RawStackConfig): Validation {
  const issues: Issue[] = [];
  issues.push(...unknownKeyIssues(raw.homelabKeys));

  const network = requiredSection("network", networkSchema, raw.network, issues);
  const k3s = requiredSection("k3s", k3sSchema, raw.k3s, issues);
  const proxmox = raw.proxmox === undefined ? undefined : parseWith(proxmoxSchema, raw.proxmox, "proxmox", issues);
  const alerts = parseWith(alertsSchema, raw.alerts ?? {}, "alerts", issues);
  const ssh = parseWith(sshSchema, raw.ssh ?? {}, "ssh", issues);
  const { nodes, complete } = parseNodes(raw.nodes, issues);
  for (const { label, node } of nodes) {
    if (!node.ssh) continue;
    try {
      parsePinnedHostKey(node.ssh.hostKey);
    } catch (err) {
      const [problem, fix] = (err as Error).message.split(/ must be /);
      issues.push(issue(`${label}.ssh.hostKey`, `${JSON.stringify(node.ssh.hostKey.slice(0, 40))} is not a host key`, `it must be ${fix ?? problem}`));
    }
  }

  issues.push(
    ...checkRules({
      network,
      k3s,
      proxmox,
      nodes,
      nodesComplete: complete,
      maasUrl: raw.maasUrl,
      secrets: raw.secrets,
    }),
  );
  if (issues.length > 0 || !network || !k3s || !alerts || !ssh || !complete) {
    return { ok: false, issues };
  }
  const resolved = nodes.map(({ node }): NodeConfig => ({
    ...node,
    mac: normalizeMac(node.mac) ?? node.mac,
    reserveInMaas: node.addressing === "dhcp-reserved" ? true : (node.reserveInMaas ?? true),
  }));
  const initServer = resolved.find((node) => node.role === "server")?.name ?? "";
  return {
    ok: true,
    settings: {
      network,
      proxmox: proxmox?.enabled ? proxmox : undefined,
      k3s,
      nodes: resolved,
      alerts,
      ssh,
      maasUrl: raw.maasUrl,
      initServer,
    },
  };
}

// ---------------------------------------------------------------------------------------------

function unknownKeyIssues(keys: readonly string[]): Issue[] {
  const known = Object.keys(homelabKeys);
  return keys
    .filter((key) => !known.includes(key))
    .map((key) => {
      const guess = closest(key, known);
      return issue(
        `homelab:${key}`,
        `unknown config key${guess ? ` (did you mean homelab:${guess}?)` : ""}`,
        `remove it or fix the spelling; known keys: ${known.map((k) => `homelab:${k}`).join(", ")}`,
      );
    });
}

function requiredSection<S extends z.ZodType>(key: string, schema: S, value: unknown, issues: Issue[]): z.infer<S> | undefined {
  if (value === undefined) {
    issues.push(issue(`homelab:${key}`, "not set", MISSING_FIELD_HINTS[`homelab:${key}`] ?? `set homelab:${key}`));
    return undefined;
  }
  return parseWith(schema, value, key, issues);
}

function parseNodes(value: unknown, issues: Issue[]): { nodes: ParsedNode[]; complete: boolean } {
  if (value === undefined) {
    issues.push(issue("homelab:nodes", "not set", MISSING_FIELD_HINTS["homelab:nodes"] ?? ""));
    return { nodes: [], complete: false };
  }
  if (!Array.isArray(value)) {
    issues.push(issue("homelab:nodes", `is ${describe(value)}, not a list`, MISSING_FIELD_HINTS["homelab:nodes"] ?? ""));
    return { nodes: [], complete: false };
  }
  const labels = nodeLabels(value);
  const nodes: ParsedNode[] = [];
  value.forEach((entry, index) => {
    const label = labels[index] ?? `nodes[${index}]`;
    const node = parseWith(nodeSchema, entry, label, issues, "nodes");
    if (node) nodes.push({ label, node });
  });
  return { nodes, complete: nodes.length === value.length };
}

/** `nodes["name"]` when the entry has a name no other entry shares, else `nodes[index]`. */
function nodeLabels(entries: readonly unknown[]): string[] {
  const names = entries.map((entry) =>
    typeof entry === "object" && entry !== null && typeof (entry as { name?: unknown }).name === "string" ? (entry as { name: string }).name : undefined,
  );
  return names.map((name, index) =>
    name !== undefined && name !== "" && names.filter((other) => other === name).length === 1 ? `nodes[${JSON.stringify(name)}]` : `nodes[${index}]`,
  );
}

/**
 * Parse one section; translate zod's issues into ours. `base` is the path prefix used in messages
 * (`network`, `nodes["a"]`), `hintBase` the key into MISSING_FIELD_HINTS (defaults to `base`).
 */
function parseWith<S extends z.ZodType>(schema: S, value: unknown, base: string, issues: Issue[], hintBase = base): z.infer<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const zodIssue of result.error.issues) {
    issues.push(...translate(zodIssue, schema, value, base, hintBase));
  }
  return undefined;
}

function translate(zodIssue: z.core.$ZodIssue, schema: z.ZodType, input: unknown, base: string, hintBase: string): Issue[] {
  const segments = zodIssue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  const path = base + segments.map(formatSegment).join("");
  const fieldKey = [hintBase, ...segments.filter((s) => typeof s === "string")].join(".");
  const actual = valueAt(input, segments);
  switch (zodIssue.code) {
    case "invalid_type":
      if (actual === undefined) {
        return [issue(path, "is missing", MISSING_FIELD_HINTS[fieldKey] ?? `add ${String(segments.at(-1) ?? base)}`)];
      }
      return [issue(path, `is ${describe(actual)}, expected ${article(zodIssue.expected)}`, `write it as ${article(zodIssue.expected)}`)];
    case "unrecognized_keys": {
      const allowed = objectKeysAt(schema, segments);
      return zodIssue.keys.map((key) => {
        const keyPath = path + formatSegment(key);
        if (hintBase === "nodes" && segments.length === 0 && CLUSTER_WIDE_K3S_KEYS.has(key)) {
          return issue(keyPath, `K3s needs ${key} identical on every server, so it is not a per-node setting`, "move it to homelab:k3s (one value for the whole cluster)");
        }
        const guess = closest(key, allowed);
        return issue(keyPath, `unknown key${guess ? ` (did you mean ${guess}?)` : ""}`, `remove it or fix the spelling; allowed keys: ${allowed.join(", ")}`);
      });
    }
    case "invalid_value":
      if (actual === undefined) {
        return [issue(path, "is missing", MISSING_FIELD_HINTS[fieldKey] ?? `add one of ${zodIssue.values.map(String).join(", ")}`)];
      }
      return [issue(path, `${JSON.stringify(actual)} is not one of ${zodIssue.values.map(String).join(", ")}`, "use one of those values")];
    case "too_small":
      if (zodIssue.origin === "array") {
        return [issue(path, `needs at least ${String(zodIssue.minimum)} entr${zodIssue.minimum === 1 ? "y" : "ies"}`, MISSING_FIELD_HINTS[fieldKey] ?? "add the missing entries")];
      }
      if (zodIssue.origin === "string") {
        return [issue(path, "is empty", MISSING_FIELD_HINTS[fieldKey] ?? "write a value")];
      }
      return [issue(path, `${JSON.stringify(actual)} is too small (minimum ${String(zodIssue.minimum)}${zodIssue.inclusive ? "" : ", exclusive"})`, "use a larger value")];
    default:
      return [issue(path, zodIssue.message, "see stacks/homelab/config/schema.ts for the expected shape")];
  }
}

function formatSegment(segment: string | number): string {
  if (typeof segment === "number") return `[${segment}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
}

function valueAt(input: unknown, segments: readonly (string | number)[]): unknown {
  let current: unknown = input;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** The keys the schema allows at a path (for "allowed keys" and spelling suggestions). */
function objectKeysAt(schema: z.ZodType, segments: readonly (string | number)[]): string[] {
  let current: unknown = schema;
  const unwrap = (s: unknown): unknown => {
    let node = s as { unwrap?: () => unknown; shape?: unknown };
    while (typeof node?.unwrap === "function" && node.shape === undefined) node = node.unwrap() as typeof node;
    return node;
  };
  for (const segment of segments) {
    const node = unwrap(current) as { shape?: Record<string, unknown>; element?: unknown };
    if (typeof segment === "number") current = node.element;
    else current = node.shape?.[segment];
  }
  const shape = (unwrap(current) as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the text ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function article(expected: string): string {
  if (expected === "object") return "a mapping";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The candidate within edit distance 2 (or equal ignoring case and separators), if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string): string => s.toLowerCase().replace(/[-_]/g, "");
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = squash(candidate) === squash(word) ? 0 : editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
