/**
 * The lab stack's config: the homelab of Pulumi.homelab.yaml (same network, K3s settings and
 * nodes — one source of truth), with Proxmox switched off (its plugin is not available here)
 * and MAAS and the cluster pointed at the loopback simulators.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { INCIDENT_SEED } from "./maas";
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
  /** Deploy the PrometheusRule: only where `kubeconfig` is a real API server with the CRD and the
   *  stack has the Kubernetes provider plugin (lab/kube-cluster); default false. */
  alerts?: boolean;
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
    "homelab:k3s": homelab["homelab:k3s"] as object,
    // Proxmox off: the nodes keep their MAAS reservation, K3s config and read-back.
    "homelab:nodes": nodes.map(({ proxmox: _vm, ...n }) => n),
    "homelab:k3sToken": { value: e.k3sToken, secret: true },
    ...(e.kubeconfig ? { "homelab:kubeconfig": { value: e.kubeconfig, secret: true } } : {}),
    // The cluster simulator serves nodes only (no CRDs): there the kubeconfig serves the read-back only.
    "homelab:alerts": { enabled: e.alerts === true },
  };
}
