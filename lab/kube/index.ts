/** The cluster-API simulator for the read-back (loopback only): see simulator.ts. */
export { startKubeSimulator, UNPRIVILEGED_USER, type KubeOutage, type KubeSimOptions, type KubeSimRequest, type KubeSimulator } from "./simulator";
export { nodeArgsAnnotation, nodeObject, type SimNode, type SimNodePatch } from "./node-object";
export { renderKubeconfig } from "./kubeconfig";
