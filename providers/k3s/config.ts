/**
 * K3s's `/etc/rancher/k3s/config.yaml` for one node, as pure data. This is where the node's one
 * IP and one interface reach K3s: `node-ip` and `flannel-iface` are pinned so a DHCP change can
 * no longer move the node under flannel (incident 004: 6,812 silent restarts), and `resolv-conf`
 * points at systemd-resolved's upstream file so CoreDNS does not forward to itself (the
 * "plugin/loop: Loop (127.0.0.1:53 -> :53) detected" crash of the same incident).
 *
 * Two steps, both pure: `planK3sNode` gives the typed settings (what `K3sNodeConfig` stores and
 * diffs), `renderK3sConfig` turns them into K3s's flag names in a fixed key order, and `toYaml`
 * prints that with the `yaml` library and fixed options, so the text is byte-stable (golden test).
 */
import { Document } from "yaml";

export const K3S_CONFIG_FILE = "/etc/rancher/k3s/config.yaml";
/** Root-only file holding the cluster token; the config only names it, so config.yaml holds no secret. */
export const K3S_TOKEN_FILE = "/etc/rancher/k3s/token";
/** systemd-resolved's list of real upstream servers (not the 127.0.0.53 stub): avoids CoreDNS's loop. */
export const DEFAULT_RESOLV_CONF = "/run/systemd/resolve/resolv.conf";
/** The supervisor/API port every server listens on. */
export const K3S_API_PORT = 6443;
/** K3s's defaults, written explicitly so the rendered file says what the cluster runs with. */
export const DEFAULT_CLUSTER_CIDR = "10.42.0.0/16";
export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

export type K3sRole = "server" | "agent";

/** What one node contributes (from its declaration). */
export interface K3sNodeInput {
  readonly name: string;
  readonly ip: string;
  /** Guest NIC name, e.g. "eth0". */
  readonly interface: string;
  readonly role: K3sRole;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Cluster-wide settings (identical on every server). */
export interface K3sClusterInput {
  /** DNS name or VIP every non-initial node registers through. */
  readonly apiEndpoint: string;
  readonly flannelBackend: string;
  readonly clusterCidr?: string;
  readonly serviceCidr?: string;
  readonly clusterDomain?: string;
  readonly resolvConf?: string;
  /**
   * Name of the server that bootstraps embedded etcd (`cluster-init: true`); absent when the
   * cluster already exists, so every server joins through `server` (see bootstrap.ts).
   */
  readonly initServer?: string;
}

/** Typed settings of one node; field names are K3s's flags in camelCase. */
export interface K3sNodeSettings {
  readonly nodeName: string;
  /** Not a flag: selects `k3s server` or `k3s agent`. */
  readonly role: K3sRole;
  readonly nodeIp: string;
  readonly flannelIface: string;
  /** Servers only. */
  readonly advertiseAddress?: string;
  /** Servers only: [apiEndpoint, node ip]. */
  readonly tlsSan?: readonly string[];
  /** The initial server only, and only while no cluster exists (bootstrap.ts). */
  readonly clusterInit?: boolean;
  /** Every node except a bootstrapping initial server: `https://<apiEndpoint>:6443`. */
  readonly server?: string;
  readonly tokenFile: string;
  readonly resolvConf: string;
  /** Servers only (agents take it from the servers). */
  readonly flannelBackend?: string;
  readonly clusterCidr?: string;
  readonly serviceCidr?: string;
  readonly clusterDomain?: string;
  /** `key=value`, sorted by key. */
  readonly nodeLabels: readonly string[];
}

/** K3s's config file: flag name → value. */
export type K3sConfigFile = Readonly<Record<string, string | boolean | readonly string[]>>;

/** Settings field → K3s flag, in the order they are written to config.yaml. */
export const K3S_FLAGS = [
  ["nodeName", "node-name"],
  ["nodeIp", "node-ip"],
  ["flannelIface", "flannel-iface"],
  ["advertiseAddress", "advertise-address"],
  ["tlsSan", "tls-san"],
  ["clusterInit", "cluster-init"],
  ["server", "server"],
  ["tokenFile", "token-file"],
  ["resolvConf", "resolv-conf"],
  ["flannelBackend", "flannel-backend"],
  ["clusterCidr", "cluster-cidr"],
  ["serviceCidr", "service-cidr"],
  ["clusterDomain", "cluster-domain"],
  ["nodeLabels", "node-label"],
] as const satisfies ReadonlyArray<readonly [Exclude<keyof K3sNodeSettings, "role">, string]>;

export function serverUrl(apiEndpoint: string): string {
  return `https://${apiEndpoint}:${K3S_API_PORT}`;
}

/** The settings of one node. `initServer` bootstraps etcd; everyone else joins via the endpoint. */
export function planK3sNode(node: K3sNodeInput, cluster: K3sClusterInput): K3sNodeSettings {
  const isServer = node.role === "server";
  const isInit = isServer && cluster.initServer !== undefined && node.name === cluster.initServer;
  const labels = Object.entries(node.labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`);
  return {
    nodeName: node.name,
    role: node.role,
    nodeIp: node.ip,
    flannelIface: node.interface,
    ...(isServer ? { advertiseAddress: node.ip, tlsSan: [...new Set([cluster.apiEndpoint, node.ip])] } : {}),
    ...(isInit ? { clusterInit: true } : { server: serverUrl(cluster.apiEndpoint) }),
    tokenFile: K3S_TOKEN_FILE,
    resolvConf: cluster.resolvConf ?? DEFAULT_RESOLV_CONF,
    ...(isServer
      ? {
          flannelBackend: cluster.flannelBackend,
          clusterCidr: cluster.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
          serviceCidr: cluster.serviceCidr ?? DEFAULT_SERVICE_CIDR,
          clusterDomain: cluster.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
        }
      : {}),
    nodeLabels: labels,
  };
}

/** Settings → K3s's file, keys in K3S_FLAGS order, unset and empty entries left out. */
export function toK3sConfigFile(settings: K3sNodeSettings): K3sConfigFile {
  const file: Record<string, string | boolean | readonly string[]> = {};
  for (const [field, flag] of K3S_FLAGS) {
    const value = settings[field];
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    file[flag] = value;
  }
  return file;
}

/** `config.yaml` of one node as an ordered object (see K3S_FLAGS for the order). */
export function renderK3sConfig(node: K3sNodeInput, cluster: K3sClusterInput): K3sConfigFile {
  return toK3sConfigFile(planK3sNode(node, cluster));
}

/** YAML text of a K3s config file, with a header saying who owns it. */
export function toYaml(config: K3sConfigFile): string {
  const doc = new Document(config);
  doc.commentBefore = " Managed by Pulumi (stack homelab) from Pulumi.homelab.yaml; local edits are overwritten.";
  return doc.toString({ lineWidth: 0, indentSeq: true });
}
