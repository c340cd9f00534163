/**
 * Asks Proxmox for the guest agent's view of the VM's network interfaces
 * (`GET /api2/json/nodes/<node>/qemu/<vmid>/agent/network-get-interfaces`, ref/proxmox.md §4.2):
 * the address the guest *really* has, whatever MAAS or cloud-init intended. A stopped agent is a
 * 500 ("QEMU guest agent is not running"); like every other failure it is reported, never thrown.
 */
import { getJson } from "./http";
import type { AgentInterface } from "./observation";

export interface ProxmoxTarget {
  /** e.g. "https://pve.lan:8006/" (a trailing /api2/json is accepted too). */
  endpoint: string;
  node: string;
  vmId: number;
  /** Full API token `USER@REALM!TOKENID=SECRET`. */
  token: string;
  insecure?: boolean;
}

export type AgentRead =
  | { kind: "interfaces"; interfaces: AgentInterface[] }
  /** The agent could not be asked: `reason` says what failed, `fix` how to make it answer. */
  | { kind: "unreachable"; reason: string; fix: string };

const INSTALL_AGENT =
  "install and start the QEMU guest agent in the VM (`apt install qemu-guest-agent && systemctl enable --now qemu-guest-agent`) " +
  "and enable it on the VM (Proxmox: Options → QEMU Guest Agent, or `agent: enabled: true` on the VmLegacy)";

/** PVE puts the message in the status line and, for errors, in the body's `message`. */
function pveMessage(body: unknown): string | undefined {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m.trim() : undefined;
}

export async function readAgentInterfaces(target: ProxmoxTarget): Promise<AgentRead> {
  const base = target.endpoint.replace(/\/+$/, "").replace(/\/api2\/json$/, "");
  const path = `/api2/json/nodes/${encodeURIComponent(target.node)}/qemu/${target.vmId}/agent/network-get-interfaces`;
  const vm = `VM ${target.vmId} on ${target.node}`;
  const out = await getJson(base + path, { authorization: `PVEAPIToken=${target.token}` }, { insecure: target.insecure });
  if (out.kind === "unreachable") {
    return { kind: "unreachable", reason: `Proxmox at ${base} did not answer for ${vm} (${out.reason})`, fix: `check that ${base} is up and reachable from here, then run the preview again` };
  }
  if (out.status === 200) {
    const result = (out.body as { data?: { result?: unknown } } | undefined)?.data?.result;
    if (Array.isArray(result)) return { kind: "interfaces", interfaces: result as AgentInterface[] };
    return { kind: "unreachable", reason: `Proxmox answered for ${vm} without data.result (not a guest-agent reply)`, fix: "check that the endpoint is the Proxmox API (https://<host>:8006/)" };
  }
  const message = pveMessage(out.body);
  if (out.status === 401 || out.status === 403) {
    return {
      kind: "unreachable",
      reason: `Proxmox refused the API token for ${vm} (${out.status}${message ? `: ${message}` : ""})`,
      fix: `give the token VM.Monitor on /vms/${target.vmId} with a role that has it (PVE 8, ref/proxmox.md §4.2): \`pveum role add HomelabReadback --privs VM.Monitor\`, then \`pveum acl modify /vms/${target.vmId} --tokens '<user>@<realm>!<id>' --roles HomelabReadback\``,
    };
  }
  if (message && /guest agent is not running/i.test(message)) {
    return {
      kind: "unreachable",
      reason: `the QEMU guest agent of ${vm} is not running, so its address cannot be read`,
      fix: INSTALL_AGENT,
    };
  }
  return { kind: "unreachable", reason: `Proxmox answered ${out.status} for ${vm}${message ? `: ${message}` : ""}`, fix: INSTALL_AGENT };
}
