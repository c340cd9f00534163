/**
 * Live read-back of a node's addressing (the drift issue's "what the node really reports"):
 * - `NodeReadback` (`pulumi-nodejs:dynamic/readback:Node`): reads the Kubernetes Node object
 *   (InternalIP, K3s node-args, flannel public-ip) and the QEMU guest agent via Proxmox (IPv4 on the
 *   node's MAC); a refresh-preview shows any disagreement with the pinned address;
 * - the pure helpers the provider, the tests and the drift report share.
 */
export { NodeReadback, type NodeReadbackArgs } from "./resource";
export { readbackProvider } from "./provider";
export {
  agentIpForMac,
  compareObservation,
  expectedObservation,
  observationFromNode,
  parseNodeArgs,
  FLANNEL_PUBLIC_IP_ANNOTATION,
  NODE_ARGS_ANNOTATION,
  type AgentInterface,
  type KubeNode,
  type NodeObservation,
  type ObservationMismatch,
  type Reachability,
} from "./observation";
export type {
  NodeReadbackInputs,
  NodeReadbackState,
  ReadbackKubeSource,
  ReadbackProxmoxSource,
  ReadbackSubject,
} from "./inputs";
export { parseKubeconfig, KubeconfigError, type KubeTarget } from "./kubeconfig";
export { KUBECONFIG_ENV, PROXMOX_TOKEN_ENV } from "./credentials";
