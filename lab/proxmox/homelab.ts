/**
 * The Proxmox side of the lab homelab: the simulator with the nodes and the template that
 * Pulumi.homelab.yaml names, HTTPS like PVE, and guests configured with `ip=dhcp` asking the
 * MAAS simulator's DHCP for their address (so a dropped reservation moves them, as in the RCA).
 */
import { homelabNodes, labProxmoxNodes, labProxmoxTemplate } from "../lab-config";
import type { MaasSimulator } from "../maas";
import { startProxmoxSimulator, type ProxmoxSimulator } from "./simulator";

export async function startHomelabProxmox(maas?: Pick<MaasSimulator, "dhcpRenew">, nodes = homelabNodes()): Promise<ProxmoxSimulator> {
  return startProxmoxSimulator({
    https: true,
    nodes: labProxmoxNodes(nodes),
    templates: [labProxmoxTemplate()],
    ...(maas ? { dhcp: (mac: string) => maas.dhcpRenew(mac).ip } : {}),
  });
}
