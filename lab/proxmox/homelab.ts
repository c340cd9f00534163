/**
 * The Proxmox side of the lab homelab: the simulator with the nodes and the template that
 * Pulumi.homelab.yaml names, HTTPS like PVE, and guests configured with `ip=dhcp` asking the
 * MAAS simulator's DHCP for their address (so a dropped reservation moves them, as in the RCA).
 */
import { homelabNodes, labProxmoxNodes, labProxmoxTemplate } from "../lab-config";
import type { MaasSimulator } from "../maas";
import { startProxmoxSimulator, type ProxmoxSimulator } from "./simulator";

type Lease = ReturnType<MaasSimulator["dhcpRenew"]>;

/** `onLease` sees every DHCP answer a booting guest gets (the lab prints where it came from). */
export async function startHomelabProxmox(
  maas?: Pick<MaasSimulator, "dhcpRenew">,
  nodes = homelabNodes(),
  onLease?: (mac: string, lease: Lease) => void,
): Promise<ProxmoxSimulator> {
  return startProxmoxSimulator({
    https: true,
    nodes: labProxmoxNodes(nodes),
    templates: [labProxmoxTemplate()],
    ...(maas
      ? {
          dhcp: (mac: string) => {
            const lease = maas.dhcpRenew(mac);
            onLease?.(mac, lease);
            return lease.ip;
          },
        }
      : {}),
  });
}
