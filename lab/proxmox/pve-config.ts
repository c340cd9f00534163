/**
 * Proxmox VE's VM config values as the simulator validates and stores them (pure): property
 * strings (`k=v,k=v`), `netN`, `ipconfigN` and `cicustom`. Each rule cites its reference.
 */

/** `a=1,b=2` → {a:"1", b:"2"}; a bare first item (e.g. `local-lvm:vm-1-disk-0`) is under "". */
export function parsePropertyString(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  s.split(",").forEach((part, i) => {
    if (!part) return;
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (i === 0) out[""] = part;
      return;
    }
    out[part.slice(0, eq)] = part.slice(eq + 1);
  });
  return out;
}

export const NET_MODELS = ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"] as const;
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

/** A random MAC with Proxmox's own prefix BC:24:11, upper-case like PVE generates (ref/proxmox.md §1.4). */
export function generatedMac(): string {
  const b = Array.from({ length: 3 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, "0").toUpperCase());
  return `BC:24:11:${b.join(":")}`;
}

export interface NetDevice {
  model: string;
  mac: string;
  bridge: string;
  rest: Record<string, string>;
}

/**
 * Parses a `netN` value in either form PVE accepts (`model=virtio,macaddr=…` or
 * `virtio=<MAC>`), and stores the MAC with the case it was sent (ref/proxmox.md §1.4: "PVE
 * stores the MAC with the case you send"). Missing MAC → a generated one. Throws a PVE-style
 * message for a bad MAC (multicast or malformed) or an unknown model.
 */
export function parseNet(value: string, keep?: string): NetDevice {
  const p = parsePropertyString(value);
  let model = p.model;
  let mac = p.macaddr;
  for (const m of NET_MODELS) {
    if (p[m] !== undefined) {
      model = m;
      mac = p[m] || mac;
    }
  }
  if (!model || !(NET_MODELS as readonly string[]).includes(model)) throw new Error(`invalid format - unknown model '${model ?? ""}'`);
  if (mac !== undefined && mac !== "") {
    if (!MAC.test(mac)) throw new Error(`invalid format - value does not look like a valid MAC address: ${mac}`);
    if (parseInt(mac.slice(0, 2), 16) & 1) throw new Error(`invalid format - multicast MAC address not allowed: ${mac}`);
  } else {
    mac = keep ?? generatedMac();
  }
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (!["model", "macaddr", "", ...NET_MODELS].includes(k)) rest[k] = v;
  if (!rest.bridge) throw new Error("invalid format - missing bridge");
  const bridge = rest.bridge;
  delete rest.bridge;
  return { model, mac, bridge, rest };
}

/** PVE's stored form: `virtio=BC:24:11:…,bridge=vmbr0,firewall=0`. */
export function formatNet(n: NetDevice): string {
  return [`${n.model}=${n.mac}`, `bridge=${n.bridge}`, ...Object.entries(n.rest).map(([k, v]) => `${k}=${v}`)].join(",");
}

const IPV4_CIDR = /^(\d{1,3})(\.\d{1,3}){3}\/\d{1,2}$/;
const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;

export interface IpConfig {
  ip?: string;
  gw?: string;
  ip6?: string;
  gw6?: string;
}

/**
 * Validates `ipconfigN` (ref/proxmox.md §4.1): `ip` is CIDR, `dhcp` or `manual`; `gw` needs `ip`
 * and is not allowed with `ip=dhcp`; same for ip6/gw6 (`auto` too). Throws PVE-style text.
 */
export function parseIpConfig(value: string): IpConfig {
  const p = parsePropertyString(value);
  for (const k of Object.keys(p)) if (!["ip", "gw", "ip6", "gw6"].includes(k)) throw new Error(`invalid format - unknown key '${k}'`);
  if (p.ip !== undefined && p.ip !== "dhcp" && p.ip !== "manual" && !IPV4_CIDR.test(p.ip)) throw new Error(`invalid format - invalid IPv4 CIDR: ${p.ip}`);
  if (p.gw !== undefined) {
    if (!IPV4.test(p.gw)) throw new Error(`invalid format - invalid IPv4 address: ${p.gw}`);
    if (p.ip === undefined) throw new Error("gateway specified without specifying an IP address");
    if (p.ip === "dhcp") throw new Error("gateway specified together with DHCP");
  }
  if (p.gw6 !== undefined && (p.ip6 === undefined || p.ip6 === "dhcp" || p.ip6 === "auto")) throw new Error("IPv6 gateway specified without a static IPv6 address");
  return p as IpConfig;
}

/** `cicustom=user=<volid>[,network=…][,meta=…][,vendor=…]` (ref/proxmox.md §4.1). */
export function parseCicustom(value: string): Record<string, string> {
  const p = parsePropertyString(value);
  for (const [k, v] of Object.entries(p)) {
    if (!["user", "network", "meta", "vendor"].includes(k)) throw new Error(`invalid format - unknown key '${k}'`);
    if (!/^[a-zA-Z0-9][\w.-]*:snippets\/[^/]+$/.test(v)) throw new Error(`invalid format - '${v}' is not a snippets volume id`);
  }
  return p;
}

/** Disk size like "20G" / "3584M" in bytes. */
export function sizeBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(s);
  if (!m) throw new Error(`invalid size '${s}'`);
  const mult = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2] as "" | "K" | "M" | "G" | "T"];
  return Math.round(Number(m[1]) * mult);
}

export function formatSize(bytes: number): string {
  const g = bytes / 1024 ** 3;
  return Number.isInteger(g) ? `${g}G` : `${Math.round(bytes / 1024 ** 2)}M`;
}
