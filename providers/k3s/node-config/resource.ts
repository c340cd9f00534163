import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "../../dynamic/forwarding-provider";
import { pausePromiseStacks } from "../../dynamic/promise-stacks";
import type { K3sNodeSettings } from "../config";
import type { RestartPolicy } from "./model";

/**
 * The K3s settings of one node, on the node (type `pulumi-nodejs:dynamic/k3s:NodeConfig`): written
 * to /etc/rancher/k3s/config.yaml over SSH, read back from there on every refresh. See provider.ts.
 */
export const nodeConfigForwarder = forwardingProvider("homelab-ipam/k3s-node-config");

export type K3sNodeConfigArgs = { readonly [K in keyof K3sNodeSettings]: pulumi.Input<K3sNodeSettings[K]> } & {
  /** Hex SHA-256 of the cluster token; pass a secret. */
  readonly tokenSha256: pulumi.Input<string>;
  /** Stack config key of the secret cluster token, read by the provider at run time. */
  readonly tokenConfigKey: string;
  readonly ssh: {
    readonly host: string;
    readonly port?: number;
    readonly user: string;
    /** known_hosts line or "SHA256:…" fingerprint of the node's host key. */
    readonly hostKey: string;
    /** Stack config key of the secret private key; without it the ssh-agent is used. */
    readonly privateKeyConfigKey?: string;
  };
  /** "changed" (default): restart K3s when a restart field changed; "never": write only. */
  readonly restart?: RestartPolicy;
  readonly readiness?: { readonly kubeconfigKey?: string; readonly timeoutSeconds?: number };
  /** Opt-in to write changed create-only settings to a node that is being rejoined (see the runbook). */
  readonly rejoin?: boolean;
};

const OUTPUT_PLACEHOLDERS = {
  advertiseAddress: undefined,
  tlsSan: undefined,
  clusterInit: undefined,
  server: undefined,
  flannelBackend: undefined,
  clusterCidr: undefined,
  serviceCidr: undefined,
  clusterDomain: undefined,
  configSha256: undefined,
  joinedWith: undefined,
  overrides: undefined,
  restartPending: undefined,
};

export class K3sNodeConfig extends pulumi.dynamic.Resource {
  declare readonly nodeName: pulumi.Output<string>;
  declare readonly role: pulumi.Output<"server" | "agent">;
  declare readonly nodeIp: pulumi.Output<string>;
  declare readonly flannelIface: pulumi.Output<string>;
  declare readonly tlsSan: pulumi.Output<string[] | undefined>;
  declare readonly server: pulumi.Output<string | undefined>;
  declare readonly clusterInit: pulumi.Output<boolean | undefined>;
  declare readonly nodeLabels: pulumi.Output<string[]>;
  /** SHA-256 of config.yaml as it is on the node. */
  declare readonly configSha256: pulumi.Output<string>;
  /** What on the node overrides config.yaml (empty when nothing does). */
  declare readonly overrides: pulumi.Output<string[]>;
  declare readonly restartPending: pulumi.Output<boolean>;
  /** Secret. */
  declare readonly tokenSha256: pulumi.Output<string>;

  constructor(name: string, args: K3sNodeConfigArgs, opts?: pulumi.CustomResourceOptions) {
    const resume = pausePromiseStacks(); // see promise-stacks.ts
    try {
      super(
        nodeConfigForwarder,
        name,
        { ...OUTPUT_PLACEHOLDERS, ...args },
        pulumi.mergeOptions(opts, { additionalSecretOutputs: ["tokenSha256", "joinedWith"] }),
        "k3s",
        "NodeConfig",
      );
    } catch (err) {
      throw resume(err, new.target);
    } finally {
      resume();
    }
  }
}
