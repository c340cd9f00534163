/**
 * `K3sNodeConfig`: a node's K3s settings written to the node over SSH and read back from it.
 * - model.ts: pure rules (restart vs create-only fields, read-back parsing, overrides, refusal)
 * - remote.ts: the node's files over one SSH session
 * - provider.ts: the dynamic provider (loaded at run time through the forwarder)
 * - resource.ts: the resource class
 */
export { CREATE_ONLY_FIELDS, RESTART_FIELDS, diffSettings, execStartFlags, findOverrides, isJoinModeSwap, refusal, settingsFromConfigYaml } from "./model";
export type { RestartPolicy, SettingsDiff } from "./model";
export { K3sNodeConfig } from "./resource";
export type { K3sNodeConfigArgs } from "./resource";
export type { K3sNodeConfigInputs, K3sNodeConfigState, NodeSshInputs } from "./provider";
