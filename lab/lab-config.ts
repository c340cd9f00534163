/**
 * The lab stack's config: the homelab of Pulumi.homelab.yaml (same network, K3s settings and
 * nodes — one source of truth), with MAAS, Proxmox and the cluster pointed at the loopback
 * simulators. Proxmox is on when `proxmox` is given (the stack then needs the lab stand-in of
 * the proxmoxve plugin, `createTempStack({ proxmoxPlugin: true })`), off otherwise.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { INCIDENT_SEED } from "./maas";
import type { LabFleet } from "./node";
import type { ConfigInput } from "./temp-stack";
import { repoRoot } from "./temp-stack";

export interface LabEndpoints {
  maasUrl: string;
  maasApiKey: string;
  /** Kubeconfig of the simulated cluster; omit to run without the read-back and alerts. */
  kubeconfig?: string;
  /** The MAAS dynamic range the validation checks node IPs against; default: the simulator's. */
  dynamicRange?: { start: string; end: string };
  /** A throwaway K3s token (the real one never leaves the homelab). */
  k3sToken: string;
  /** The Proxmox simulator (HTTPS, lab/proxmox); omit to run with Proxmox off. */
  proxmox?: { url: string; apiToken: string };
  /** Lab machines (lab/node): each node gets their `ssh` block, and the key goes in as a secret. */
  fleet?: LabFleet;
  /** Overrides of homelab:k3s (e.g. a short readyTimeoutSeconds for tests). */
  k3s?: Record<string, unknown>;
  /** Deploy the PrometheusRule: only where `kubeconfig` is a real API server with the CRD and the
   *  stack has the Kubernetes provider plugin (lab/kube-cluster); default false. */
  alerts?: boolean;
}

/** The template the Proxmox simulator seeds and the lab stack clones (as in Pulumi.homelab.yaml). */
export function labProxmoxTemplate(): { node: string; vmId: number } {
  const p = homelabStackFile()["homelab:proxmox"] as { templateVmId: number; templateNode: string };
  return { node: p.templateNode, vmId: p.templateVmId };
}

/** The Proxmox node names the homelab's VMs live on (and the template's). */
export function labProxmoxNodes(nodes: Node[] = homelabNodes()): string[] {
  const names = nodes.map((n) => (n.proxmox as { node?: string } | undefined)?.node).filter((n): n is string => Boolean(n));
  return [...new Set([labProxmoxTemplate().node, ...names])];
}

/** A throwaway SSH key for the snippet upload (PEM, as bpg's ssh.privateKey wants). */
let sshKey: string | undefined;
function throwawaySshKey(): string {
  // One per process, so re-applying the lab config does not change the provider's settings.
  sshKey ??= generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return sshKey;
}

/** The dynamic range of the MAAS simulator's default (incident) network. */
export function simulatorDynamicRange(): { start: string; end: string } {
  const pool = INCIDENT_SEED.subnets[0]?.ranges?.find((r) => r.type === "dynamic");
  if (!pool) throw new Error("the MAAS simulator's incident seed has no dynamic range");
  return { start: pool.startIp, end: pool.endIp };
}

type Node = Record<string, unknown> & { name: string; ip: string; mac: string };

/** The homelab's declared nodes, as in Pulumi.homelab.yaml. */
export function homelabNodes(): Node[] {
  return (homelabStackFile()["homelab:nodes"] as Node[]).map((n) => ({ ...n }));
}

function homelabStackFile(): Record<string, unknown> {
  const file = parse(readFileSync(path.join(repoRoot, "Pulumi.homelab.yaml"), "utf8")) as { config: Record<string, unknown> };
  return file.config;
}

export function labStackConfig(e: LabEndpoints, nodes: Node[] = homelabNodes()): Record<string, ConfigInput> {
  const homelab = homelabStackFile();
  const network = { ...(homelab["homelab:network"] as object), dynamicRange: e.dynamicRange ?? simulatorDynamicRange() };
  return {
    "maas:url": e.maasUrl,
    "maas:apiKey": { value: e.maasApiKey, secret: true },
    "homelab:network": network,
    "homelab:k3s": { ...(homelab["homelab:k3s"] as object), ...e.k3s },
    // Proxmox off: the nodes keep their MAAS reservation, K3s config and read-back. With a fleet,
    // SSH goes to the node's lab machine on 127.0.0.1, never to the declared 192.168.4.x address.
    "homelab:nodes": nodes
      .map(({ proxmox, ...n }) => (e.proxmox ? { ...n, proxmox } : n))
      .map((n) => (e.fleet?.machines.has(n.name) ? { ...n, ssh: e.fleet.sshFor(n.name) } : n)),
    ...(e.proxmox
      ? {
          // Pulumi.homelab.yaml's Proxmox settings, pointed at the simulator; a key instead of the ssh-agent.
          "homelab:proxmox": { ...(homelab["homelab:proxmox"] as object), endpoint: `${e.proxmox.url}/`, insecure: true, sshAgent: false },
          "homelab:proxmoxApiToken": { value: e.proxmox.apiToken, secret: true },
          "homelab:proxmoxSshPrivateKey": { value: throwawaySshKey(), secret: true },
        }
      : {}),
    "homelab:k3sToken": { value: e.k3sToken, secret: true },
    ...(e.fleet ? { "homelab:sshPrivateKey": { value: e.fleet.clientKey.privateKey, secret: true } } : {}),
    ...(e.kubeconfig ? { "homelab:kubeconfig": { value: e.kubeconfig, secret: true } } : {}),
    // The cluster simulator serves nodes only (no CRDs): there the kubeconfig serves the read-back only.
    "homelab:alerts": { enabled: e.alerts === true },
  };
}

/**
 * Seed 004's machine (leveling-pc), as commented in Pulumi.homelab.yaml: bare metal (no `proxmox`),
 * two NICs — wired enp6s0, which gets the reserved address, and WiFi wlp5s0, which had the default
 * route — so node-ip and flannel-iface are pinned to the wired one. Here it joins as an agent (the
 * seed's machine was a one-node cluster of its own; a fourth server would make the etcd count even).
 */
export const SEED004_NODE = {
  name: "leveling-pc",
  ip: "192.168.4.186",
  mac: "a8:a1:59:3c:00:4e",
  addressing: "dhcp-reserved",
  interface: "enp6s0",
  role: "agent",
} as const;
/** The address K3s kept from the machine's earlier DHCP lease (the seed's 192.168.1.79, on this LAN). */
export const SEED004_OLD_IP = "192.168.4.79";
