/**
 * MAC addresses in the config. MAAS, Proxmox and cloud-init spell MACs differently (MAAS and
 * cloud-init lower-case, Proxmox's generated ones upper-case), so duplicates are only visible
 * after normalising, and a typo must say which group is wrong, not just "invalid MAC".
 *
 * Normalisation is the MAAS client's `normalizeMac`, so the config accepts exactly what the
 * reservation provider sends and compares; this module only adds the explanation of a rejection.
 */
import { normalizeMac as normalizeMaasMac } from "../../../providers/maas/client/mac";

export type MacParse =
  | { readonly ok: true; /** lower-case, colon-separated, e.g. "bc:24:11:3b:7a:a7" */ readonly mac: string }
  | { readonly ok: false; /** why, naming the bad group when there is one */ readonly reason: string };

const HEX_GROUP = /^[0-9a-fA-F]{1,2}$/;

/** Accepts `bc:24:11:3b:7a:a7`, `BC-24-11-3B-7A-A7`, `bc24.113b.7aa7` and `bc24113b7aa7`. */
export function parseMac(text: string): MacParse {
  const mac = normalizeMaasMac(text);
  return mac !== null ? { ok: true, mac } : { ok: false, reason: explain(text.trim()) };
}

/** Normalised form, or undefined when the text is not a MAC. */
export function normalizeMac(text: string): string | undefined {
  return normalizeMaasMac(text) ?? undefined;
}

/** A NIC address must be unicast: the least significant bit of the first octet is the group bit. */
export function isMulticastMac(normalized: string): boolean {
  return (parseInt(normalized.slice(0, 2), 16) & 1) === 1;
}

function explain(text: string): string {
  const hasColon = text.includes(":");
  const hasDash = text.includes("-");
  if (hasColon && hasDash) return "it mixes ':' and '-' separators";
  if (!hasColon && !hasDash) return "it has no ':' or '-' separators and is not 12 hex digits";
  const groups = text.split(hasColon ? ":" : "-");
  if (groups.length !== 6) return `it has ${groups.length} groups instead of 6`;
  for (const [index, group] of groups.entries()) {
    if (!HEX_GROUP.test(group)) {
      const why = group.length === 0 ? "is empty" : group.length > 2 ? `has ${group.length} characters instead of 2` : "is not hex";
      return `group ${index + 1} "${group}" ${why}`;
    }
  }
  return "it is not in a form MAAS accepts";
}
