/** A real Kubernetes control plane on loopback for the engine tests (see cluster.ts). */
export { KubeBinariesMissing, kubeBinDir, kubernetesPlugin, type KubeBinary } from "./binaries";
export { startKubeCluster, type KubeCluster, type KubeClusterOptions, type KubeClusterUser, type KubeResponse } from "./cluster";
export { KubeNodes } from "./nodes";
export { createObjects, serviceAccountToken } from "./objects";
