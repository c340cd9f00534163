/**
 * What `K3sNodeConfig` does on a node, over one SSH session (providers/ssh): read config.yaml,
 * everything that can override it, the token file's hash and the unit state in one command;
 * write config.yaml and the token file atomically; restart the K3s unit; wait until the node is
 * back.
 */
import { createHash } from "node:crypto";
import { parse } from "yaml";
import type { SshSession } from "../../ssh";
import { K3S_CONFIG_FILE, type K3sRole } from "../config";
import { findOverrides, settingsFromConfigYaml, unitOf, type NodeObservation } from "./model";

export const DROP_IN_DIR = `${K3S_CONFIG_FILE}.d`;

export interface NodeFiles {
  /** config.yaml text, or undefined when the file is missing. */
  configText?: string;
  /** SHA-256 of the token file (trailing newlines removed), or undefined when missing. */
  tokenSha256?: string;
  /** Whether the K3s unit is installed (a machine without it gets the files and no restart). */
  unitInstalled: boolean;
  /** `systemctl is-active` of the unit said active. */
  unitActive: boolean;
  observation: NodeObservation;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function unitPaths(role: K3sRole) {
  const unit = unitOf(role);
  return {
    unit: `/etc/systemd/system/${unit}.service`,
    env: [`/etc/systemd/system/${unit}.service.env`, `/etc/default/${unit}`, `/etc/sysconfig/${unit}`],
  };
}

/**
 * Reads the node's K3s files. `configYaml`, when given, is what we are about to write: overrides
 * are then computed against it instead of the file on the node.
 */
export async function readNodeFiles(session: SshSession, role: K3sRole, tokenFile: string, configYaml?: string): Promise<NodeFiles> {
  const paths = unitPaths(role);
  // One command: each SSH channel costs the node an sshd child and a login shell.
  const { files, hashes, statuses } = await session.inspect(
    { files: [K3S_CONFIG_FILE, `${DROP_IN_DIR}/*.yaml`, paths.unit, ...paths.env], hashes: [tokenFile], statuses: [isActiveCommand(role)] },
    "reading the K3s files, the token hash and the unit state",
  );
  const active = statuses[0] === 0;
  const text = (p: string) => files.get(p)?.content.toString("utf8");
  const configText = text(K3S_CONFIG_FILE);
  const effective = configYaml ?? configText ?? "";
  let configFile: Record<string, unknown> = {};
  let settings: NodeObservation["settings"] = { role };
  try {
    configFile = (parse(effective) ?? {}) as Record<string, unknown>;
    if (configText !== undefined) settings = settingsFromConfigYaml(configText, role);
  } catch {
    // An unparsable file on the node reads as "no settings": every field then differs and `up` rewrites it.
  }
  const dropIns = [...files.keys()].filter((p) => p.startsWith(`${DROP_IN_DIR}/`)).sort().map((p) => ({ path: p, text: text(p) ?? "" }));
  const overrides = findOverrides({
    configFile,
    unitPath: paths.unit,
    unitText: text(paths.unit),
    dropIns,
    envFiles: paths.env.filter((p) => files.has(p)).map((p) => ({ path: p, text: text(p) ?? "" })),
  });
  return {
    configText,
    tokenSha256: hashes.get(tokenFile),
    unitInstalled: files.has(paths.unit),
    unitActive: active,
    observation: { settings, configSha256: configText === undefined ? "" : sha256(configText), overrides },
  };
}

/** Writes config.yaml (0600, it names the token file) and the token file (0600), both root-owned. */
export async function writeNodeFiles(session: SshSession, configYaml: string, tokenFile: string, token: string | undefined): Promise<void> {
  await session.writeFiles([
    { path: K3S_CONFIG_FILE, content: configYaml, mode: "0600" },
    ...(token !== undefined ? [{ path: tokenFile, content: `${token}\n`, mode: "0600" }] : []),
  ]);
}

export async function restartK3s(session: SshSession, role: K3sRole): Promise<void> {
  await session.runAsRoot(`systemctl restart ${unitOf(role)}`, `systemctl restart ${unitOf(role)}`);
}

function isActiveCommand(role: K3sRole): string {
  return `systemctl is-active ${unitOf(role)}`;
}

/**
 * Over SSH (no cluster API): whether systemd reports the unit active. Through `runAsRoot` like
 * every other command (`systemctl is-active` needs no root, but a second sudo command would need a
 * second sudoers line); a sudo refusal therefore throws instead of reading as "not active".
 */
export async function unitActive(session: SshSession, role: K3sRole): Promise<boolean> {
  const out = await session.runAsRoot(`if systemctl is-active --quiet ${unitOf(role)}; then echo active; else echo inactive; fi`, isActiveCommand(role));
  return out.toString("utf8").trim() === "active";
}
