/**
 * K3s building blocks; they know nothing about the homelab config file.
 * - config.ts: pure K3s config (`planK3sNode`, `renderK3sConfig`, `toYaml`)
 * - cloud-init.ts: pure user-data that writes config.yaml, a root-only token file and installs K3s
 * - node-config.ts: `K3sNodeConfig`, which stores a node's settings so preview shows update vs replace
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
export { K3S_INSTALL_SCRIPT, renderUserData } from "./cloud-init";
export type { UserDataArgs } from "./cloud-init";
export { K3sNodeConfig, REPLACE_FIELDS, UPDATE_FIELDS, applyHint, diffK3sSettings, nodeConfigProvider } from "./node-config";
export type { K3sNodeConfigArgs, K3sNodeConfigState, K3sSettingsDiff } from "./node-config";
