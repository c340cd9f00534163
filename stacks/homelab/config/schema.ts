/**
 * The shape of the `homelab:*` stack config, as zod schemas; the TypeScript types are inferred
 * from them so the schema is the one source of truth.
 *
 * The schemas check structure only: types, enums, required fields and unknown keys (every
 * object is strict, so a typo like `adressing:` fails instead of being silently ignored).
 * Formats and cross-field facts (IP inside the subnet, unique MACs, odd server count, …) are
 * rules in `rules.ts`, which keep going after a bad value so every problem is reported at once.
 */
import { z } from "zod";

/** `homelab:network`: the one L2 subnet the nodes live on (MAAS manages its DHCP). */
export const networkSchema = z.strictObject({
  /** Subnet CIDR, e.g. "192.168.4.0/24"; also the MAAS subnet of every reservation. */
  cidr: z.string(),
  /** Default gateway; must be inside `cidr`. Written into static ipconfigs. */
  gateway: z.string(),
  /** DNS servers handed to the VMs (Proxmox `nameserver`). */
  dns: z.array(z.string()).min(1),
  /** Search domain (Proxmox `searchdomain`, cloud-init fqdn). */
  domain: z.string().optional(),
  /** MAAS's dynamic (pool) range of this subnet, when known. Node IPs must be outside it. */
  dynamicRange: z.strictObject({ start: z.string(), end: z.string() }).optional(),
});

/** `homelab:proxmox`: absent or `enabled: false` means no Proxmox resources at all. */
export const proxmoxSchema = z.strictObject({
  /** Default true. */
  enabled: z.boolean().default(true),
  /** "https://host:8006/" (the provider rejects http). */
  endpoint: z.string(),
  /** Skip TLS verification of the Proxmox API (self-signed PVE certs). Default false. */
  insecure: z.boolean().default(false),
  /** SSH user for snippet uploads (bpg uploads snippets over SSH, never the API). */
  sshUser: z.string().min(1),
  /** Use the local ssh-agent. Default: true unless `homelab:proxmoxSshPrivateKey` is set. */
  sshAgent: z.boolean().optional(),
  /** Directory storage with "snippets" content enabled, e.g. "local". */
  snippetsDatastore: z.string().min(1),
  /** Where VM disks live, e.g. "local-lvm". */
  diskDatastore: z.string().min(1),
  /** Where the cloud-init drive is created, e.g. "local-lvm". */
  cloudInitDatastore: z.string().min(1),
  /** VM id of the cloud-init-ready template every VM is cloned from. */
  templateVmId: z.number().int(),
  /** Proxmox node holding the template, when it differs from the VM's node (bpg clones there, then migrates). */
  templateNode: z.string().min(1).optional(),
  /** Bridge of net0. Default "vmbr0". */
  bridge: z.string().min(1).default("vmbr0"),
});

export const flannelBackends = ["vxlan", "host-gw", "wireguard-native", "none"] as const;

/** `homelab:k3s`: settings K3s needs identical on every server, so they are set once here. */
export const k3sSchema = z.strictObject({
  /** Pinned K3s release, e.g. "v1.30.5+k3s1" (INSTALL_K3S_VERSION). */
  version: z.string(),
  /** Stable registration address: a DNS name or a VIP, never one node's IP. */
  apiEndpoint: z.string(),
  flannelBackend: z.enum(flannelBackends),
  /** Pod CIDR (K3s default 10.42.0.0/16). */
  clusterCidr: z.string().optional(),
  /** Service CIDR (K3s default 10.43.0.0/16). */
  serviceCidr: z.string().optional(),
  /** Cluster DNS domain (K3s default "cluster.local"). */
  clusterDomain: z.string().optional(),
  /** resolv.conf the kubelet hands to pods; default /run/systemd/resolve/resolv.conf (incident 004's CoreDNS loop). */
  resolvConf: z.string().optional(),
  /** How long `pulumi up` waits for a restarted node to be Ready again before it stops the rollout. Default 180. */
  readyTimeoutSeconds: z.number().int().positive().default(180),
});

/** `homelab:ssh` (optional): defaults for every node's `ssh` block. */
export const sshSchema = z.strictObject({
  /** Login user; "root", or a user with passwordless sudo (see README). Default "root". */
  user: z.string().min(1).default("root"),
  /** Default 22. */
  port: z.number().int().min(1).max(65535).default(22),
});

/** A node's `ssh` block: how `pulumi up` reaches it to write its K3s settings. */
export const nodeSshSchema = z.strictObject({
  /** Default: the node's declared `ip`. */
  host: z.string().min(1).optional(),
  /** Default: homelab:ssh.port (22). */
  port: z.number().int().min(1).max(65535).optional(),
  /** Default: homelab:ssh.user (root). */
  user: z.string().min(1).optional(),
  /** The node's host key: a known_hosts line (`ssh-keyscan`) or "SHA256:…" (`ssh-keygen -lf`). Required: there is no unpinned mode. */
  hostKey: z.string().min(1),
});

/** `homelab:alerts` (optional): where the PrometheusRule goes. */
export const alertsSchema = z.strictObject({
  /** Default true (deployed whenever homelab:kubeconfig is set). False keeps the kubeconfig for the
   *  node read-back only, e.g. for a cluster without the Prometheus operator. */
  enabled: z.boolean().default(true),
  /** Namespace of the PrometheusRule. Default "monitoring". */
  namespace: z.string().min(1).default("monitoring"),
  /** Extra labels, e.g. `{ release: kube-prometheus-stack }` to match the operator's ruleSelector. */
  labels: z.record(z.string(), z.string()).default({}),
});

export const nodeProxmoxSchema = z.strictObject({
  /** Proxmox node (host) the VM runs on, e.g. "pve". */
  node: z.string().min(1),
  /** Fixed VM id; changing it replaces the VM. */
  vmId: z.number().int(),
  /** Default 2. */
  cores: z.number().int().positive().default(2),
  /** Default 4096. */
  memoryMb: z.number().int().positive().default(4096),
  /** Size of scsi0 in GB (the template's disk is grown to it). Default 32. */
  diskGb: z.number().int().positive().default(32),
});

export const addressingModes = ["static", "dhcp-reserved"] as const;
export const nodeRoles = ["server", "agent"] as const;

/** One entry of `homelab:nodes`: the single declaration MAAS, Proxmox and K3s are derived from. */
export const nodeSchema = z.strictObject({
  /** Hostname, K3s node name and the key of every child resource. */
  name: z.string(),
  /** The node's one IPv4 address. */
  ip: z.string(),
  /** The MAC of the node's NIC (pinned on the VM's net0). */
  mac: z.string(),
  /** "static": the guest configures the IP itself; "dhcp-reserved": DHCP, with a MAAS reservation. */
  addressing: z.enum(addressingModes),
  /** Guest NIC name K3s pins flannel to (flannel-iface), e.g. "eth0". */
  interface: z.string(),
  role: z.enum(nodeRoles),
  /** Present: a Proxmox VM (when homelab:proxmox is enabled). Absent: bare metal or an existing machine. */
  proxmox: nodeProxmoxSchema.optional(),
  /** Reserve the IP in MAAS. Default true; always true for dhcp-reserved. */
  reserveInMaas: z.boolean().optional(),
  /** Kubernetes node labels (K3s node-label). */
  labels: z.record(z.string(), z.string()).default({}),
  /** Present: `pulumi up` writes the node's K3s settings over SSH and `preview` reads them back. */
  ssh: nodeSshSchema.optional(),
  /** "changed" (default): restart K3s when a restart-relevant setting changed; "never": write only (maintenance windows). */
  restart: z.enum(["changed", "never"]).default("changed"),
  /** Opt-in after uninstalling K3s on the node: write changed create-only settings (see README, "Create-only settings"). */
  rejoin: z.boolean().default(false),
});

export type NetworkConfig = z.infer<typeof networkSchema>;
export type ProxmoxConfig = z.infer<typeof proxmoxSchema>;
export type K3sConfig = z.infer<typeof k3sSchema>;
export type SshConfig = z.infer<typeof sshSchema>;
export type NodeSshConfig = z.infer<typeof nodeSshSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;
export type NodeProxmoxConfig = z.infer<typeof nodeProxmoxSchema>;
export type FlannelBackend = (typeof flannelBackends)[number];
export type Addressing = (typeof addressingModes)[number];
export type NodeRole = (typeof nodeRoles)[number];

/** A validated node: `mac` is normalised (lower-case, colons) and `reserveInMaas` resolved. */
export type NodeConfig = Omit<z.infer<typeof nodeSchema>, "reserveInMaas"> & { readonly reserveInMaas: boolean };

/** Keys of the `homelab` namespace and the schema of each (secrets are plain strings). */
export const homelabKeys = {
  network: networkSchema,
  proxmox: proxmoxSchema,
  k3s: k3sSchema,
  nodes: z.array(nodeSchema),
  alerts: alertsSchema,
  ssh: sshSchema,
  k3sToken: z.string(),
  sshPrivateKey: z.string(),
  proxmoxApiToken: z.string(),
  proxmoxSshPrivateKey: z.string(),
  kubeconfig: z.string(),
} as const;

export type HomelabKey = keyof typeof homelabKeys;
