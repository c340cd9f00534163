/**
 * One observation of one node: reads the configured sources in parallel and folds them into a
 * NodeObservation. Never throws. A source that cannot be read keeps the previous values of its
 * fields (last known, shown in the report), sets `reachable.<source>` false and adds an entry to
 * `unverified` (reason and fix) and one sentence to `errors`, so a refresh of a node whose cluster
 * is down still succeeds and says the node could not be verified, without calling that drift.
 */
import { kubeconfigText, proxmoxToken, type ConfigSource } from "./credentials";
import { readKubeNode } from "./kube-source";
import { KubeconfigError, parseKubeconfig, type KubeTarget } from "./kubeconfig";
import { agentIpForMac, observationFromNode, type NodeObservation, type Unverified } from "./observation";
import type { ReadbackSubject } from "./inputs";
import { readAgentInterfaces } from "./proxmox-source";

type KubeFields = Pick<NodeObservation, "ip" | "nodeIp" | "flannelIface" | "flannelPublicIp">;
interface SourceResult<T> {
  reachable: boolean;
  fields: T;
  error?: string;
  /** Set when the source could not be asked (then `reachable` is false). */
  unverified?: Unverified;
}

const KUBECONFIG_FIX = "store the cluster's kubeconfig as a secret (`pulumi config set --secret homelab:kubeconfig < kubeconfig`)";

function cannotAsk<T>(source: Unverified["source"], fields: T, reason: string, fix: string): SourceResult<T> {
  return { reachable: false, fields, error: `${reason}; ${fix}`, unverified: { source, reason, fix } };
}

async function observeKube(
  subject: ReadbackSubject,
  config: ConfigSource | undefined,
  env: NodeJS.ProcessEnv,
  previous: Partial<NodeObservation>,
): Promise<SourceResult<KubeFields>> {
  const kept: KubeFields = {
    ip: previous.ip ?? null,
    nodeIp: previous.nodeIp ?? null,
    flannelIface: previous.flannelIface ?? null,
    flannelPublicIp: previous.flannelPublicIp ?? null,
  };
  if (!subject.kube) {
    // Not observed: mirror what the node should report, so an unobserved source is never drift.
    return { reachable: false, fields: { ip: subject.ip, nodeIp: null, flannelIface: subject.flannelIface, flannelPublicIp: null } };
  }
  const cred = kubeconfigText(config, subject.kube.configKey, env);
  if (!cred.ok) return cannotAsk("kube", kept, cred.reason, cred.fix);
  let target: KubeTarget;
  try {
    target = parseKubeconfig(cred.value, cred.source);
  } catch (err) {
    const message = err instanceof KubeconfigError ? err.message : `${cred.source}: could not be read as a kubeconfig`;
    return cannotAsk("kube", kept, message, KUBECONFIG_FIX);
  }
  const read = await readKubeNode(target, subject.nodeName, cred.source);
  if (read.kind === "unreachable") return cannotAsk("kube", kept, read.reason, read.fix);
  if (read.kind === "missing") {
    return { reachable: true, fields: { ip: null, nodeIp: null, flannelIface: null, flannelPublicIp: null }, error: read.reason };
  }
  return { reachable: true, fields: observationFromNode(read.node) };
}

async function observeAgent(
  subject: ReadbackSubject,
  config: ConfigSource | undefined,
  env: NodeJS.ProcessEnv,
  previous: Partial<NodeObservation>,
  prefer: string | null,
): Promise<SourceResult<string | null>> {
  if (!subject.proxmox) return { reachable: false, fields: null };
  const pve = subject.proxmox;
  const cred = proxmoxToken(config, pve.tokenConfigKey, env);
  if (!cred.ok) return cannotAsk("proxmox", previous.agentIp ?? null, cred.reason, cred.fix);
  const read = await readAgentInterfaces({
    endpoint: pve.endpoint,
    node: pve.node,
    vmId: pve.vmId,
    token: cred.value,
    insecure: pve.insecure === true,
  });
  if (read.kind === "unreachable") return cannotAsk("proxmox", previous.agentIp ?? null, read.reason, read.fix);
  const ip = agentIpForMac(read.interfaces, subject.mac, prefer);
  if (ip === null) {
    const names = read.interfaces.map((i) => i.name).filter(Boolean).join(", ") || "none";
    return {
      reachable: true,
      fields: null,
      error: `the guest agent of VM ${pve.vmId} reports no IPv4 on an interface with MAC ${subject.mac} (interfaces: ${names}); check the VM's net0 MAC and the guest's DHCP`,
    };
  }
  return { reachable: true, fields: ip };
}

/**
 * Observes `subject`. `previous` is the last stored observation (empty on create); its values stand
 * in for a source that cannot be read this time.
 */
export async function observeNode(
  subject: ReadbackSubject,
  config: ConfigSource | undefined,
  env: NodeJS.ProcessEnv,
  previous: Partial<NodeObservation> = {},
): Promise<NodeObservation> {
  // When the MAC's interface carries several IPv4s, the pinned address (on read: the last observed one) wins.
  const [kube, agent] = await Promise.all([
    observeKube(subject, config, env, previous),
    observeAgent(subject, config, env, previous, subject.ip || null),
  ]);
  const errors = [kube.error, agent.error].filter((e): e is string => typeof e === "string");
  const unverified = [kube.unverified, agent.unverified].filter((u): u is Unverified => u !== undefined);
  return {
    ...kube.fields,
    agentIp: agent.fields,
    reachable: { kube: kube.reachable, proxmox: agent.reachable },
    errors,
    unverified,
  };
}
