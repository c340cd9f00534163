/**
 * The homelab stack: every node declared once in Pulumi.homelab.yaml, pinned in MAAS (DHCP
 * reservation), Proxmox (VM MAC + ipconfig0) and K3s (node-ip, flannel-iface), so a refresh
 * preview shows any drift. Config is validated before anything is created.
 */
import * as pulumi from "@pulumi/pulumi";
import { assertFreshBuild } from "../../providers/dynamic/build-freshness";
import { deployAlerts } from "./alerts";
import { loadHomelabConfig } from "./config/load";
import { checkBootstrap } from "./bootstrap";
import { HomelabNode } from "./node";
import { createProxmoxProvider } from "./proxmox-provider";

// Pulumi runs dist/: refuse a build older than the sources before anything is registered.
assertFreshBuild();

const config = loadHomelabConfig();

const proxmox = config.proxmox && { config: config.proxmox, provider: createProxmoxProvider(config.proxmox, config.secrets) };
if (!proxmox) pulumi.log.info("homelab:proxmox is absent or disabled: no Proxmox VMs or snippets are managed by this stack.");

// Does the first declared server bootstrap the cluster or join it? Asked of the machines at
// program time (a read-only lookup), so the SSH delivery and a new VM's snippet get the same plan.
const bootstrap = checkBootstrap(config);

// Servers are chained (each one's K3s settings wait for the previous server's): one restart at a
// time, and a server that does not come back stops the rollout before the next one.
let previousServer: HomelabNode | undefined;
const homelabNodes = config.nodes.map((node) => {
  const homelabNode = new HomelabNode(node.name, {
    node,
    network: config.network,
    k3s: config.k3s,
    ...(node.name === config.initServer ? { initServer: bootstrap } : {}),
    k3sToken: config.secrets.k3sToken,
    proxmox,
    ssh: config.ssh,
    sshPrivateKeySet: config.secrets.sshPrivateKeySet,
    ...(node.role === "server" && previousServer?.k3sConfig ? { after: previousServer.k3sConfig } : {}),
    ...(config.secrets.kubeconfig !== undefined ? { kubeconfigKey: "homelab:kubeconfig" } : {}),
  });
  if (node.role === "server" && homelabNode.k3sConfig) previousServer = homelabNode;
  return homelabNode;
});

deployAlerts({ nodes: config.nodes, alerts: config.alerts, kubeconfig: config.secrets.kubeconfig });

/** Per node: ip, mac, addressing, reservationId, mechanism, nodeIp, flannelIface, vmId. */
export const nodes = pulumi.output(Object.fromEntries(config.nodes.map((node, i) => [node.name, homelabNodes[i]?.outputs()])));
