/**
 * Pure rules of `K3sNodeConfig`: which settings need a K3s restart, which K3s reads only when a
 * node joins (create-only), how the files on a node are turned back into settings, and which
 * other K3s inputs would silently override the file we write (ref/k3s.md §1.1).
 */
import { parse } from "yaml";
import { K3S_FLAGS, type K3sRole } from "../config";

/** K3s reads these at every start: a change is written and applied by restarting K3s. */
export const RESTART_FIELDS = ["nodeIp", "flannelIface", "tlsSan", "advertiseAddress", "resolvConf", "tokenFile"] as const;

/**
 * K3s honours these only when a node first joins (ref/k3s.md §1.1, §1.2): cluster-init/server are
 * ignored once a datastore exists (a swap between the two is allowed, see `isJoinModeSwap`), labels are applied at registration, CIDRs/backend/domain must
 * match every server and are fixed at bootstrap, the token encrypts the datastore, the node name
 * is tied to the node password. Changing them on a joined node is refused (see `refusal`).
 */
export const CREATE_ONLY_FIELDS = [
  "nodeName",
  "role",
  "clusterInit",
  "server",
  "tokenSha256",
  "nodeLabels",
  "flannelBackend",
  "clusterCidr",
  "serviceCidr",
  "clusterDomain",
] as const;

export const SETTINGS_FIELDS = [...RESTART_FIELDS, ...CREATE_ONLY_FIELDS] as const;
export type SettingsField = (typeof SETTINGS_FIELDS)[number];

export type RestartPolicy = "changed" | "never";

/** What is on the node and what overrides it. */
export interface NodeObservation {
  /** Settings parsed from config.yaml (fields K3s's file does not name are absent). */
  settings: Partial<Record<SettingsField, unknown>>;
  /** Hex SHA-256 of config.yaml as it is on the node. */
  configSha256: string;
  /** One sentence per K3s input that beats or competes with config.yaml (empty when none). */
  overrides: string[];
}

export function unitOf(role: unknown): "k3s" | "k3s-agent" {
  return role === "agent" ? "k3s-agent" : "k3s";
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** config.yaml text → settings, by K3S_FLAGS (the renderer's own table, read backwards). */
export function settingsFromConfigYaml(text: string, role: K3sRole): Partial<Record<SettingsField, unknown>> {
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const settings: Partial<Record<SettingsField, unknown>> = { role };
  for (const [field, flag] of K3S_FLAGS) {
    const value = doc[flag];
    if (value === undefined) continue;
    settings[field] = Array.isArray(value) ? value.map(String) : value;
  }
  if (settings.nodeLabels === undefined) settings.nodeLabels = [];
  return settings;
}

/** A flag K3s accepts, and its short forms (k3s server --help). */
const SHORT_FLAGS: Record<string, string> = { "-i": "node-ip", "-s": "server", "-t": "token" };
/** Environment twins of flags (ref/k3s.md §1.1); node-ip and flannel-iface have none. */
const ENV_FLAGS: Record<string, string> = {
  K3S_URL: "server",
  K3S_TOKEN: "token",
  K3S_TOKEN_FILE: "token-file",
  K3S_NODE_NAME: "node-name",
  K3S_CLUSTER_INIT: "cluster-init",
  K3S_RESOLV_CONF: "resolv-conf",
  K3S_CONFIG_FILE: "config",
  K3S_DATA_DIR: "data-dir",
};
/** Values never quoted in a message. */
const SECRET_FLAGS = new Set(["token", "agent-token"]);

/** ExecStart of a systemd unit as words (continuations joined, quotes removed). */
export function execStartWords(unit: string): string[] {
  const line = unit.replace(/\\\r?\n/g, " ").split("\n").find((l) => /^\s*ExecStart=/.test(l));
  if (!line) return [];
  return (line.replace(/^\s*ExecStart=/, "").match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, ""));
}

/** `--flag=value` / `--flag value` / `-i value` pairs of an ExecStart (the binary and subcommand skipped). */
export function execStartFlags(unit: string): Array<{ flag: string; value: string; text: string }> {
  const words = execStartWords(unit);
  const out: Array<{ flag: string; value: string; text: string }> = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const long = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(w);
    const flag = long ? long[1]! : SHORT_FLAGS[w];
    if (!flag) continue;
    let value = long?.[2];
    if (value === undefined) value = words[i + 1] && !words[i + 1]!.startsWith("-") ? words[++i]! : "true";
    out.push({ flag, value, text: `--${flag}=${SECRET_FLAGS.has(flag) ? "…" : value}` });
  }
  return out;
}

/** KEY=value lines of an EnvironmentFile (comments and blanks skipped, quotes removed). */
export function envAssignments(text: string): Array<{ key: string; value: string }> {
  return text
    .split("\n")
    .map((l) => /^\s*(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ key: m[1]!, value: m[2]!.trim().replace(/^['"]|['"]$/g, "") }));
}

function flagValue(file: Record<string, unknown>, flag: string): unknown {
  return file[flag];
}

function shown(flag: string, value: unknown): string {
  if (SECRET_FLAGS.has(flag)) return "…";
  return Array.isArray(value) ? value.join(",") : String(value);
}

export interface OverrideSources {
  /** Our config.yaml as K3s flag → value (what we wrote or what is there). */
  configFile: Record<string, unknown>;
  unitPath: string;
  unitText?: string;
  /** Drop-in path → text (alphabetical, as K3s reads them). */
  dropIns: Array<{ path: string; text: string }>;
  /** EnvironmentFile path → text. */
  envFiles: Array<{ path: string; text: string }>;
}

/**
 * What K3s would take over config.yaml, one sentence each, with the fix. CLI flags beat the file;
 * a later drop-in beats config.yaml; for K3S_* variables the docs do not say which wins
 * (ref/k3s.md §1.1 [U]), so they are reported as competing. Secret values are never quoted.
 */
export function findOverrides(src: OverrideSources): string[] {
  const out: string[] = [];
  if (src.unitText) {
    for (const { flag, value, text } of execStartFlags(src.unitText)) {
      const ours = flagValue(src.configFile, flag);
      if (ours !== undefined && same(String(value), shown(flag, ours)) && !SECRET_FLAGS.has(flag)) continue;
      const what = ours === undefined ? `(config.yaml does not set ${flag})` : `(config.yaml: ${flag}: ${shown(flag, ours)})`;
      out.push(
        `the unit's \`${text}\` overrides config.yaml ${what}: command-line flags beat the config file. ` +
          `Fix: remove it from ExecStart in ${src.unitPath}, run \`systemctl daemon-reload\`, then \`pulumi up\` (which restarts K3s).`,
      );
    }
  }
  for (const d of src.dropIns) {
    const doc = (parse(d.text) ?? {}) as Record<string, unknown>;
    for (const [rawKey, value] of Object.entries(doc)) {
      const key = rawKey.replace(/\+$/, "");
      const ours = flagValue(src.configFile, key);
      if (ours === undefined && !K3S_FLAGS.some(([, f]) => f === key)) continue;
      if (!rawKey.endsWith("+") && same(value, ours)) continue;
      out.push(
        `the drop-in ${d.path} sets \`${rawKey}: ${shown(key, value)}\`, which ${rawKey.endsWith("+") ? "appends to" : "overrides"} config.yaml ` +
          `(drop-ins are read after it, the last file wins). Fix: remove ${rawKey} from ${d.path}, then \`pulumi up\`.`,
      );
    }
  }
  for (const e of src.envFiles) {
    for (const { key, value } of envAssignments(e.text)) {
      const flag = ENV_FLAGS[key];
      if (!flag) continue;
      const ours = flagValue(src.configFile, flag);
      if (ours !== undefined && !SECRET_FLAGS.has(flag) && same(value, shown(flag, ours))) continue;
      out.push(
        `${key}${SECRET_FLAGS.has(flag) ? " (value not shown)" : `=${value}`} in ${e.path} competes with config.yaml's ${flag} ` +
          `(the K3s docs do not say which wins). Fix: remove ${key} from ${e.path}, run \`systemctl daemon-reload\`, then \`pulumi up\`.`,
      );
    }
  }
  return out;
}

export interface SettingsDiff {
  /** Fields whose value on the node differs from the declaration. */
  changed: SettingsField[];
  /** Of those, the ones K3s applies on restart. */
  restart: SettingsField[];
  /** Create-only fields whose *declared* value changed since the node joined. */
  refused: SettingsField[];
}

/** `cluster-init: true` and no `server` (a bootstrapping server) or `server` and no cluster-init (a joining one). */
function joinMode(p: Record<string, unknown>): "init" | "join" | undefined {
  if (p.clusterInit === true && (p.server ?? null) === null) return "init";
  if ((p.clusterInit ?? null) === null && typeof p.server === "string" && p.server !== "") return "join";
  return undefined;
}

/**
 * Whether cluster-init/server changed only between the two forms a server can be planned with
 * (bootstrap.ts): K3s ignores both once the node has a datastore (ref/k3s.md §1.1), so on a
 * joined server the swap changes nothing and is written (no restart: neither is a restart field).
 * A changed `server` URL (another apiEndpoint) is not a swap and stays refused.
 */
export function isJoinModeSwap(joinedWith: Record<string, unknown>, news: Record<string, unknown>): boolean {
  if (news.role !== "server") return false;
  const before = joinMode(joinedWith);
  const after = joinMode(news);
  return before !== undefined && after !== undefined && before !== after;
}

/**
 * `olds` = what is on the node (after refresh) or what was last written; `joinedWith` = the
 * create-only values declared when the node was last written; `news` = the declaration.
 * A create-only field that differs only on the node (a hand edit) is rewritten, not refused:
 * putting the file back is safe; changing what the node joined with is not — except a server's
 * swap between cluster-init and server (`isJoinModeSwap`), which K3s ignores after joining.
 */
export function diffSettings(olds: Record<string, unknown>, news: Record<string, unknown>, joinedWith: Record<string, unknown> | undefined): SettingsDiff {
  const changed = SETTINGS_FIELDS.filter((f) => !same(olds[f], news[f]));
  const restartFields: readonly string[] = RESTART_FIELDS;
  const restart = changed.filter((f) => restartFields.includes(f));
  let refused: SettingsField[] = joinedWith ? CREATE_ONLY_FIELDS.filter((f) => f in joinedWith && !same(joinedWith[f], news[f])) : [];
  if (joinedWith && isJoinModeSwap(joinedWith, news)) refused = refused.filter((f) => f !== "clusterInit" && f !== "server");
  return { changed, restart, refused };
}

/** The error a refused create-only change raises, with the runbook. */
export function refusal(nodeName: string, role: unknown, fields: readonly string[]): string {
  const unit = unitOf(role);
  const flags = fields.map((f) => (f === "tokenSha256" ? "token" : (K3S_FLAGS.find(([k]) => k === f)?.[1] ?? f)));
  return (
    `K3sNodeConfig ${nodeName}: ${flags.join(", ")} changed, but K3s reads ${fields.length === 1 ? "it" : "them"} only when a node joins; ` +
    "writing it to a joined node would change nothing now and break the next restart, so nothing was changed. Runbook: " +
    `(1) kubectl drain ${nodeName} --ignore-daemonsets --delete-emptydir-data; ` +
    `(2) on the node: /usr/local/bin/${unit === "k3s" ? "k3s-uninstall.sh" : "k3s-agent-uninstall.sh"}; kubectl delete node ${nodeName}; ` +
    "(3) set `rejoin: true` on this node's declaration and run `pulumi up`: the new settings are written (K3s is not installed, so nothing restarts); " +
    `(4) reinstall K3s at the pinned version (INSTALL_K3S_VERSION=<version> INSTALL_K3S_EXEC=${unit === "k3s" ? "server" : "agent"}), which starts it with the new settings and joins; ` +
    "(5) remove `rejoin`. The token, cluster-cidr, service-cidr, cluster-domain and flannel-backend are fixed for the whole cluster: a single node cannot change them."
  );
}
