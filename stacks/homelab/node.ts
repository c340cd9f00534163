/**
 * `HomelabNode`: one declared node → its MAAS reservation, its Proxmox VM and user-data snippet,
 * and its K3s settings, all from the same `ip` and `mac` (the single source of truth that was
 * missing in RCA-2025-07-27, where MAAS, the VMs and K3s each had their own idea of the address).
 *
 * Children are keyed by node name (`<name>-reservation`, `-vm`, `-userdata`, `-k3s`), never by
 * IP or MAC, so a changed address is an update or replacement of the same child, not a rename.
 * The VM depends on the reservation, so it never boots before MAAS pins its address. A read-back
 * (`-readback`) compares what the node really reports with the declaration on every refresh.
 */
import { createHash } from "node:crypto";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { renderUserData } from "../../providers/k3s/cloud-init";
import { planK3sNode, toK3sConfigFile, toYaml, type K3sClusterInput, type K3sNodeSettings } from "../../providers/k3s/config";
import { K3sNodeConfig } from "../../providers/k3s/node-config";
import { MaasReservation } from "../../providers/maas";
import { NodeReadback } from "../../providers/readback";
import type { K3sConfig, NetworkConfig, NodeConfig, ProxmoxConfig, SshConfig } from "./config/schema";
import { planSnippet, planVm, type ProxmoxNode } from "./vm";

/** The read-back provider reads this secret at run time; only the key name is an input. */
const PROXMOX_TOKEN_KEY = "homelab:proxmoxApiToken";
/** Secrets the K3s provider reads at run time; only these key names are inputs. */
const K3S_TOKEN_KEY = "homelab:k3sToken";
const SSH_PRIVATE_KEY_KEY = "homelab:sshPrivateKey";

export interface HomelabNodeArgs {
  /** The validated declaration (MAC normalised, reserveInMaas resolved). */
  readonly node: NodeConfig;
  readonly network: NetworkConfig;
  readonly k3s: K3sConfig;
  /**
   * The server that runs cluster-init, from the datastore check (providers/k3s/bootstrap.ts):
   * undefined when the cluster exists. Only the bootstrap candidate needs an Output here.
   */
  readonly initServer?: pulumi.Input<string | undefined>;
  /** Cluster token; must be a secret Output. */
  readonly k3sToken: pulumi.Input<string>;
  /** Set when Proxmox is enabled: its settings and the explicit provider. Without it no VM or snippet is created. */
  readonly proxmox?: { readonly config: ProxmoxConfig; readonly provider: proxmoxve.Provider };
  /** Stack-config key of the secret kubeconfig, when one is set: the read-back asks the cluster. */
  readonly kubeconfigKey?: string;
  /** Defaults of the node's `ssh` block (homelab:ssh). */
  readonly ssh: SshConfig;
  /** homelab:sshPrivateKey is set; otherwise the provider uses the ssh-agent. */
  readonly sshPrivateKeySet: boolean;
  /**
   * The previous server's K3s settings: this node's are applied only after those are done, so a
   * rollout restarts servers one at a time and stops at the first that does not come back.
   */
  readonly after?: pulumi.Resource;
}

/** The per-node values exported for reviewers (`pulumi stack output nodes`). */
export interface HomelabNodeOutputs {
  readonly ip: pulumi.Output<string>;
  readonly mac: pulumi.Output<string>;
  readonly addressing: pulumi.Output<string>;
  readonly reservationId: pulumi.Output<string | undefined>;
  readonly mechanism: pulumi.Output<string | undefined>;
  readonly nodeIp: pulumi.Output<string>;
  readonly flannelIface: pulumi.Output<string>;
  readonly vmId: pulumi.Output<number | undefined>;
}

export class HomelabNode extends pulumi.ComponentResource implements HomelabNodeOutputs {
  /** IP as MAAS reports it when reserved, else as declared. */
  readonly ip: pulumi.Output<string>;
  /** MAC (lower-case) as MAAS reports it when reserved, else as declared. */
  readonly mac: pulumi.Output<string>;
  readonly addressing: pulumi.Output<string>;
  readonly reservationId: pulumi.Output<string | undefined>;
  readonly mechanism: pulumi.Output<string | undefined>;
  /** K3s node-ip. */
  readonly nodeIp: pulumi.Output<string>;
  readonly flannelIface: pulumi.Output<string>;
  readonly vmId: pulumi.Output<number | undefined>;

  readonly reservation?: MaasReservation;
  readonly userData?: proxmoxve.FileLegacy;
  readonly vm?: proxmoxve.VmLegacy;
  /** The K3s settings on the node, when it declares `ssh` (otherwise they are not delivered). */
  readonly k3sConfig?: K3sNodeConfig;
  /** What the node really reports (cluster API and/or guest agent), when either can be asked. */
  readonly readback?: NodeReadback;

  constructor(name: string, args: HomelabNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("homelab:index:Node", name, {}, opts);
    const { node, network, k3s } = args;
    // The plan depends on the live cluster only for the bootstrap candidate (cluster-init or server).
    const plan = pulumi.output(args.initServer).apply((initServer) => planK3sNode(node, clusterInput(k3s, initServer)));
    const settings = planK3sNode(node, clusterInput(k3s, undefined));
    const token = pulumi.output(args.k3sToken);

    if (node.reserveInMaas) {
      this.reservation = new MaasReservation(
        `${name}-reservation`,
        { ip: node.ip, mac: node.mac, hostname: node.name, subnet: network.cidr },
        { parent: this },
      );
    }

    if (args.proxmox && node.proxmox) {
      const vmNode: ProxmoxNode = { ...node, proxmox: node.proxmox };
      const { config, provider } = args.proxmox;
      const userData = pulumi.secret(pulumi.all([token, plan]).apply(([value, planned]) => renderNodeUserData(vmNode, network, k3s, planned, value)));
      this.userData = new proxmoxve.FileLegacy(`${name}-userdata`, planSnippet(vmNode, config, userData), {
        parent: this,
        provider,
        deleteBeforeReplace: true,
      });
      this.vm = new proxmoxve.VmLegacy(`${name}-vm`, planVm(vmNode, network, config), {
        parent: this,
        provider,
        dependsOn: [this.userData, ...(this.reservation ? [this.reservation] : [])],
      });
    }

    if (node.ssh) {
      this.k3sConfig = new K3sNodeConfig(
        `${name}-k3s`,
        {
          ...settings,
          clusterInit: plan.clusterInit,
          server: plan.server,
          tokenSha256: token.apply((value) => createHash("sha256").update(value).digest("hex")),
          tokenConfigKey: K3S_TOKEN_KEY,
          ssh: nodeSshTarget(node, node.ssh, args.ssh, args.sshPrivateKeySet),
          restart: node.restart,
          rejoin: node.rejoin,
          readiness: { timeoutSeconds: k3s.readyTimeoutSeconds, ...(args.kubeconfigKey ? { kubeconfigKey: args.kubeconfigKey } : {}) },
        },
        {
          parent: this,
          dependsOn: [...(this.vm ? [this.vm] : []), ...(this.reservation ? [this.reservation] : []), ...(args.after ? [args.after] : [])],
        },
      );
    } else {
      pulumi.log.warn(
        `${node.name}: K3s settings are not delivered (no ssh block): declare nodes["${node.name}"].ssh.hostKey so \`pulumi up\` writes them and \`pulumi preview\` reads them back.`,
        this,
      );
    }

    // Read back last, after everything that pins the address exists.
    if (args.kubeconfigKey || (args.proxmox && node.proxmox)) {
      this.readback = new NodeReadback(
        `${name}-readback`,
        {
          nodeName: node.name,
          ip: node.ip,
          mac: node.mac,
          flannelIface: node.interface,
          // Without flannel no node carries a flannel public-ip annotation: expect none.
          flannel: k3s.flannelBackend !== "none",
          ...(args.kubeconfigKey ? { kube: { configKey: args.kubeconfigKey } } : {}),
          ...(args.proxmox && node.proxmox
            ? {
                proxmox: {
                  endpoint: args.proxmox.config.endpoint,
                  insecure: args.proxmox.config.insecure,
                  node: node.proxmox.node,
                  vmId: node.proxmox.vmId,
                  tokenConfigKey: PROXMOX_TOKEN_KEY,
                },
              }
            : {}),
        },
        { parent: this, dependsOn: [...(this.k3sConfig ? [this.k3sConfig] : []), ...(this.reservation ? [this.reservation] : []), ...(this.vm ? [this.vm] : [])] },
      );
    }

    this.ip = this.reservation ? this.reservation.ip : pulumi.output(node.ip);
    this.mac = this.reservation ? this.reservation.mac : pulumi.output(node.mac);
    this.addressing = pulumi.output(node.addressing);
    this.reservationId = this.reservation ? this.reservation.reservationId : pulumi.output(undefined);
    this.mechanism = this.reservation ? this.reservation.mechanism : pulumi.output(undefined);
    this.nodeIp = this.k3sConfig ? this.k3sConfig.nodeIp : pulumi.output(settings.nodeIp);
    this.flannelIface = this.k3sConfig ? this.k3sConfig.flannelIface : pulumi.output(settings.flannelIface);
    this.vmId = this.vm ? this.vm.vmId : pulumi.output(undefined);
    this.registerOutputs(this.outputs());
  }

  /** The reviewer-facing fields as one object (used for the stack's `nodes` output). */
  outputs(): HomelabNodeOutputs {
    const { ip, mac, addressing, reservationId, mechanism, nodeIp, flannelIface, vmId } = this;
    return { ip, mac, addressing, reservationId, mechanism, nodeIp, flannelIface, vmId };
  }
}

/** Where and how a node is reached over SSH (K3sNodeConfig and the datastore check use the same target). */
export function nodeSshTarget(node: NodeConfig, ssh: NonNullable<NodeConfig["ssh"]>, defaults: SshConfig, privateKeySet: boolean) {
  return {
    host: ssh.host ?? node.ip,
    port: ssh.port ?? defaults.port,
    user: ssh.user ?? defaults.user,
    hostKey: ssh.hostKey,
    ...(privateKeySet ? { privateKeyConfigKey: SSH_PRIVATE_KEY_KEY } : {}),
  };
}

function clusterInput(k3s: K3sConfig, initServer: string | undefined): K3sClusterInput {
  return {
    apiEndpoint: k3s.apiEndpoint,
    flannelBackend: k3s.flannelBackend,
    clusterCidr: k3s.clusterCidr,
    serviceCidr: k3s.serviceCidr,
    clusterDomain: k3s.clusterDomain,
    resolvConf: k3s.resolvConf,
    initServer,
  };
}

function renderNodeUserData(node: ProxmoxNode, network: NetworkConfig, k3s: K3sConfig, settings: K3sNodeSettings, token: string): string {
  return renderUserData({
    hostname: node.name,
    domain: network.domain,
    role: node.role,
    k3sVersion: k3s.version,
    k3sConfigYaml: toYaml(toK3sConfigFile(settings)),
    token,
  });
}
