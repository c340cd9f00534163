/**
 * The guest agent's `network-get-interfaces` reply as Proxmox wraps it (ref/proxmox.md §4.2):
 * `{"data":{"result":[lo, eth0]}}`, loopback first, MACs lower-case, IPv4 then IPv6 link-local,
 * per-interface statistics. Pure, so its shape is testable without a server.
 */

export interface SimVm {
  /** Proxmox node name, e.g. "pve". */
  node: string;
  vmId: number;
  /** MAC of net0 (any case; the agent reports it lower-case). */
  mac: string;
  /** IPv4 the guest currently has on `iface`; null = no address (DHCP failed). */
  ip: string | null;
  /** Guest interface name; default "eth0". */
  iface?: string;
  /** Prefix length of `ip`; default 24. */
  prefix?: number;
}

function statistics(seed: number): Record<string, number> {
  return {
    "rx-bytes": 1_048_576 * seed + 4_096,
    "rx-dropped": 0,
    "rx-errs": 0,
    "rx-packets": 8_192 * seed + 32,
    "tx-bytes": 524_288 * seed + 2_048,
    "tx-dropped": 0,
    "tx-errs": 0,
    "tx-packets": 4_096 * seed + 16,
  };
}

/** EUI-64 link-local address for a MAC, as the guest kernel assigns it. */
function linkLocal(mac: string): string {
  const b = mac.toLowerCase().split(":").map((h) => parseInt(h, 16));
  const hex = (x: number) => x.toString(16);
  const group = (hi: number, lo: number) => hex((hi << 8) | lo);
  return `fe80::${group(b[0]! ^ 0x02, b[1]!)}:${group(b[2]!, 0xff)}:${group(0xfe, b[3]!)}:${group(b[4]!, b[5]!)}`;
}

/** The full response body for `vm`. */
export function agentInterfacesBody(vm: SimVm): { data: { result: unknown[] } } {
  const mac = vm.mac.toLowerCase();
  const addresses: unknown[] = [];
  if (vm.ip) addresses.push({ "ip-address-type": "ipv4", "ip-address": vm.ip, prefix: vm.prefix ?? 24 });
  addresses.push({ "ip-address-type": "ipv6", "ip-address": linkLocal(mac), prefix: 64 });
  return {
    data: {
      result: [
        {
          name: "lo",
          "hardware-address": "00:00:00:00:00:00",
          "ip-addresses": [
            { "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: 8 },
            { "ip-address-type": "ipv6", "ip-address": "::1", prefix: 128 },
          ],
          statistics: statistics(0),
        },
        { name: vm.iface ?? "eth0", "hardware-address": mac, "ip-addresses": addresses, statistics: statistics(vm.vmId % 7 + 1) },
      ],
    },
  };
}
