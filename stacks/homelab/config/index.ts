/**
 * The stack config front door (public names only).
 * - load.ts: `loadHomelabConfig()` reads pulumi.Config; `parseHomelabConfig()` validates raw values
 * - validate.ts / rules.ts: pure checks returning every issue at once
 * - schema.ts: zod schemas and the types inferred from them
 */
export { HomelabConfigError, loadHomelabConfig, parseHomelabConfig } from "./load";
export type { HomelabConfig } from "./load";
export { validateHomelabConfig } from "./validate";
export type { HomelabSettings, RawStackConfig, Validation } from "./validate";
export { formatIssue } from "./issue";
export type { Issue } from "./issue";
export type { Addressing, AlertsConfig, FlannelBackend, K3sConfig, NetworkConfig, NodeConfig, NodeProxmoxConfig, NodeRole, ProxmoxConfig } from "./schema";
