/**
 * What `K3sNodeConfig` does on a node, over one SSH session (providers/ssh): read config.yaml
 * and everything that can override it in one round trip, write config.yaml and the token file
 * atomically, restart the K3s unit, and wait until the node is back.
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
  const [files, hashes, active] = await Promise.all([
    session.readFiles([K3S_CONFIG_FILE, `${DROP_IN_DIR}/*.yaml`, paths.unit, ...paths.env]),
    session.hashFiles([tokenFile]),
    unitActive(session, role),
  ]);
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

/**
 * Over SSH (no cluster API): whether systemd reports the unit active. Through `runAsRoot` like
 * every other command (`systemctl is-active` needs no root, but a second sudo command would need a
 * second sudoers line); a sudo refusal therefore throws instead of reading as "not active".
 */
export async function unitActive(session: SshSession, role: K3sRole): Promise<boolean> {
  const unit = unitOf(role);
  const out = await session.runAsRoot(`if systemctl is-active --quiet ${unit}; then echo active; else echo inactive; fi`, `systemctl is-active ${unit}`);
  return out.toString("utf8").trim() === "active";
}
