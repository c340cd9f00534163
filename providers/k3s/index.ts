/**
 * K3s building blocks; they know nothing about the homelab config file.
 * - config.ts: pure K3s config (`planK3sNode`, `renderK3sConfig`, `toYaml`)
 * - cloud-init.ts: pure user-data that writes config.yaml, a root-only token file and installs K3s
 * - node-config/: `K3sNodeConfig`, the settings written to the node over SSH and read back from it
 * - bootstrap.ts: pure: does the first server run cluster-init or join (from the datastore check)
 * - datastore-check/: `K3sDatastoreCheck`, the read-only SSH lookup of the servers' datastores
 */
export {
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_RESOLV_CONF,
  DEFAULT_SERVICE_CIDR,
  K3S_API_PORT,
  K3S_CONFIG_FILE,
  K3S_FLAGS,
  K3S_TOKEN_FILE,
  planK3sNode,
  renderK3sConfig,
  serverUrl,
  toK3sConfigFile,
  toYaml,
} from "./config";
export type { K3sClusterInput, K3sConfigFile, K3sNodeInput, K3sNodeSettings, K3sRole } from "./config";
export { K3S_DATASTORE_DIR, planBootstrap } from "./bootstrap";
export type { BootstrapPlan, DatastoreObservation } from "./bootstrap";
export { K3sDatastoreCheck } from "./datastore-check";
export type { DatastoreCheckServer } from "./datastore-check";
export { K3S_INSTALL_SCRIPT, renderUserData } from "./cloud-init";
export type { UserDataArgs } from "./cloud-init";
export { CREATE_ONLY_FIELDS, K3sNodeConfig, RESTART_FIELDS, diffSettings, findOverrides, refusal, settingsFromConfigYaml } from "./node-config";
export type { K3sNodeConfigArgs, K3sNodeConfigInputs, K3sNodeConfigState, NodeSshInputs, RestartPolicy } from "./node-config";
