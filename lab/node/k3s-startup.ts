/**
 * What a K3s process would start with on a lab machine, worked out the way K3s does it
 * (ref/k3s.md §1.1): `/etc/rancher/k3s/config.yaml`, then `config.yaml.d/*.yaml` in alphabetical
 * order (last file wins; a `key+` appends), then the unit's ExecStart flags, which beat every file.
 * Written independently of providers/k3s on purpose: the lab plays K3s, the provider is under test.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export type StartupValue = string | boolean | string[];

/** `k3s` or `k3s-agent` → the unit file and the K3s subcommand. */
export function unitFile(root: string, unit: string): string {
  return path.join(root, "etc/systemd/system", `${unit.replace(/\.service$/, "")}.service`);
}

function mergeFile(into: Record<string, StartupValue>, file: string): void {
  const doc = parse(readFileSync(file, "utf8")) as Record<string, unknown> | null;
  for (const [rawKey, value] of Object.entries(doc ?? {})) {
    const append = rawKey.endsWith("+");
    const key = append ? rawKey.slice(0, -1) : rawKey;
    const v: StartupValue = Array.isArray(value) ? value.map(String) : typeof value === "boolean" ? value : String(value);
    if (append) {
      const before = into[key];
      into[key] = [...(Array.isArray(before) ? before : before === undefined ? [] : [String(before)]), ...(Array.isArray(v) ? v : [String(v)])];
    } else into[key] = v;
  }
}

/** ExecStart of a unit file as words (continuation lines joined, quotes removed). */
export function execStartWords(unitText: string): string[] {
  const joined = unitText.replace(/\\\n/g, " ");
  const line = joined.split("\n").find((l) => /^\s*ExecStart=/.test(l));
  if (!line) return [];
  return (line.replace(/^\s*ExecStart=/, "").match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, ""));
}

/** The settings K3s would run with under `root` (the machine's private /), for `unit`. */
export function startupSettings(root: string, unit: string): Record<string, StartupValue> {
  const settings: Record<string, StartupValue> = {};
  const base = path.join(root, "etc/rancher/k3s/config.yaml");
  if (existsSync(base)) mergeFile(settings, base);
  const dropins = path.join(root, "etc/rancher/k3s/config.yaml.d");
  if (existsSync(dropins)) for (const f of readdirSync(dropins).filter((f) => f.endsWith(".yaml")).sort()) mergeFile(settings, path.join(dropins, f));
  const unitPath = unitFile(root, unit);
  if (existsSync(unitPath)) {
    const words = execStartWords(readFileSync(unitPath, "utf8"));
    for (let i = 0; i < words.length; i++) {
      const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(words[i]!);
      if (!m) continue;
      const value = m[2] ?? (words[i + 1] && !words[i + 1]!.startsWith("--") ? words[++i]! : "true");
      settings[m[1]!] = value === "true" ? true : value;
    }
  }
  return settings;
}
