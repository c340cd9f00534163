import * as pulumi from "@pulumi/pulumi";
import type { ReadbackKubeSource, ReadbackProxmoxSource } from "./inputs";
import type { Reachability, Unverified } from "./observation";
import { forwardingProvider } from "../dynamic/forwarding-provider";
import { pausePromiseStacks } from "../dynamic/promise-stacks";

/** What a node should report, and where to ask. All addresses the node reports should equal `ip`. */
export interface NodeReadbackArgs {
  /** Kubernetes node name (also the resource id), e.g. "k3s-vm-pve". */
  readonly nodeName: pulumi.Input<string>;
  /** The pinned address: expected InternalIP, K3s node-ip, flannel public-ip and guest-agent IPv4. */
  readonly ip: pulumi.Input<string>;
  /** The node's MAC (VM net0): selects the guest-agent interface to read. */
  readonly mac: pulumi.Input<string>;
  /** The interface flannel must use (K3s --flannel-iface), e.g. "eth0". */
  readonly flannelIface: pulumi.Input<string>;
  /** Read the Node object from the cluster API. Omit to skip (its fields then mirror the inputs). */
  readonly kube?: pulumi.Input<{ readonly [K in keyof ReadbackKubeSource]: pulumi.Input<ReadbackKubeSource[K]> }>;
  /** Read the guest agent through Proxmox. Omit to skip (`agentIp` then stays null). */
  readonly proxmox?: pulumi.Input<{ readonly [K in keyof ReadbackProxmoxSource]: pulumi.Input<ReadbackProxmoxSource[K]> }>;
  /** False when the cluster runs without flannel (`flannel-backend: none`): no flannel address is expected. Default true. */
  readonly flannel?: pulumi.Input<boolean>;
}

/** The type token NodeReadback registers (`pulumi-nodejs:dynamic/<module>:<type>`, ref/pulumi.md §1.2). */
const MODULE = "readback";
const TYPE = "Node";

/** What is stored in state: forwards to `readbackProvider` in ./provider (see forwarding-provider.ts). */
export const readbackForwarder = forwardingProvider("homelab-ipam/node-readback");

/**
 * Live read-back of one node's addressing (`pulumi-nodejs:dynamic/readback:Node`): the incident
 * report's `test_ip_consistency` as a resource. Outputs carry what the node *really* reports under
 * the input names; a refresh-preview shows every disagreement as an update of this resource.
 * Credentials come from the stack config keys named in `kube`/`proxmox` (or KUBECONFIG /
 * PROXMOX_VE_API_TOKEN) at run time; they are never inputs and never in state.
 */
export class NodeReadback extends pulumi.dynamic.Resource {
  declare readonly nodeName: pulumi.Output<string>;
  /** InternalIP the cluster reports for the node. */
  declare readonly ip: pulumi.Output<string | null>;
  declare readonly mac: pulumi.Output<string>;
  /** --flannel-iface in the K3s node-args annotation. */
  declare readonly flannelIface: pulumi.Output<string | null>;
  /** --node-ip in the K3s node-args annotation. */
  declare readonly nodeIp: pulumi.Output<string | null>;
  /** flannel.alpha.coreos.com/public-ip annotation. */
  declare readonly flannelPublicIp: pulumi.Output<string | null>;
  /** IPv4 the guest agent reports on the interface with `mac`. */
  declare readonly agentIp: pulumi.Output<string | null>;
  declare readonly reachable: pulumi.Output<Reachability>;
  /** Why a source could not be read, one sentence each. */
  declare readonly errors: pulumi.Output<string[]>;
  /** Sources that could not be asked, with reason and fix (their fields are not compared). */
  declare readonly unverified: pulumi.Output<Unverified[]>;
  declare readonly kube: pulumi.Output<ReadbackKubeSource | undefined>;
  declare readonly proxmox: pulumi.Output<ReadbackProxmoxSource | undefined>;

  constructor(name: string, args: NodeReadbackArgs, opts?: pulumi.CustomResourceOptions) {
    const resume = pausePromiseStacks(); // see promise-stacks.ts
    try {
      super(
        readbackForwarder,
        name,
        {
          nodeIp: undefined,
          flannelPublicIp: undefined,
          agentIp: undefined,
          reachable: undefined,
          errors: undefined,
          unverified: undefined,
          kube: undefined,
          proxmox: undefined,
          ...args,
          // The provider attaches its warnings to this resource; it never learns its URN otherwise.
          logUrn: pulumi.createUrn(name, `pulumi-nodejs:dynamic/${MODULE}:${TYPE}`, opts?.parent),
        },
        opts,
        MODULE,
        TYPE,
      );
    } catch (err) {
      throw resume(err, new.target);
    } finally {
      resume();
    }
  }
}
