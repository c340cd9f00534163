/**
 * JSON shapes of MAAS API objects (ref §3.1, §3.2, §4), built from store rows.
 *
 * Field names and nesting follow MAAS's handlers and its example responses: a reserved IP, static IP or IP range
 * embeds the *full* subnet object, which embeds its VLAN; users appear as a small nested object.
 */
import type { MaasFeatures } from "./version";
import {
  ALLOC_TYPE_NAMES,
  type InterfaceRow,
  type IpRangeRow,
  type MaasStore,
  type ReservedIpRow,
  type StaticIpRow,
  type SubnetRow,
  type UserRow,
  type VlanRow,
} from "./store";

export const API_ROOT = "/MAAS/api/2.0/";

export function renderVlan(v: VlanRow): Record<string, unknown> {
  return {
    vid: v.vid,
    mtu: v.mtu,
    dhcp_on: v.dhcpOn,
    external_dhcp: null,
    relay_vlan: null,
    fabric: v.fabric,
    space: "undefined",
    primary_rack: v.primaryRack,
    secondary_rack: v.secondaryRack,
    name: v.name,
    fabric_id: v.fabricId,
    id: v.id,
    resource_uri: `${API_ROOT}vlans/${v.id}/`,
  };
}

export function renderSubnet(store: MaasStore, s: SubnetRow): Record<string, unknown> {
  const vlan = store.vlan(s.vlanId);
  return {
    name: s.name,
    description: s.description,
    vlan: vlan ? renderVlan(vlan) : null,
    cidr: s.cidr,
    rdns_mode: 2,
    gateway_ip: s.gatewayIp,
    dns_servers: [...s.dnsServers],
    allow_dns: true,
    allow_proxy: true,
    active_discovery: false,
    managed: s.managed,
    disabled_boot_architectures: [],
    space: "undefined",
    id: s.id,
    resource_uri: `${API_ROOT}subnets/${s.id}/`,
  };
}

export function renderUser(u: UserRow | undefined): Record<string, unknown> | null {
  if (u === undefined) return null;
  return {
    is_superuser: u.isSuperuser,
    username: u.username,
    email: u.email,
    is_local: true,
    resource_uri: `${API_ROOT}users/${u.username}/`,
  };
}

/** 3.5 renders naive timestamps ("2018-12-14T20:01:45.856"); 3.6 made them timezone-aware (ref §3.2). */
export function renderTimestamp(iso: string, features: MaasFeatures): string {
  const naive = iso.replace(/Z$/, "");
  return features.tzAwareTimestamps ? `${naive}+00:00` : naive;
}

export function renderReservedIp(store: MaasStore, r: ReservedIpRow): Record<string, unknown> {
  const subnet = store.subnet(r.subnetId);
  return {
    id: r.id,
    ip: r.ip,
    subnet: subnet ? renderSubnet(store, subnet) : null,
    mac_address: r.macAddress,
    comment: r.comment,
    resource_uri: `${API_ROOT}reservedips/${r.id}/`,
  };
}

export function renderIpRange(store: MaasStore, r: IpRangeRow): Record<string, unknown> {
  const subnet = store.subnet(r.subnetId);
  return {
    subnet: subnet ? renderSubnet(store, subnet) : null,
    type: r.type,
    start_ip: r.startIp,
    end_ip: r.endIp,
    user: renderUser(store.user(r.userId)),
    comment: r.comment,
    id: r.id,
    resource_uri: `${API_ROOT}ipranges/${r.id}/`,
  };
}

export function renderInterface(store: MaasStore, i: InterfaceRow): Record<string, unknown> {
  const vlan = store.vlan(i.vlanId);
  const links = i.staticIpIds
    .map((id) => store.state.staticIps.find((s) => s.id === id))
    .filter((s): s is StaticIpRow => s !== undefined)
    .map((s) => {
      const subnet = store.subnet(s.subnetId);
      return { id: s.id, mode: "static", ip_address: s.ip, subnet: subnet ? renderSubnet(store, subnet) : null };
    });
  return {
    system_id: null,
    id: i.id,
    name: i.name,
    type: i.type,
    vlan: vlan ? renderVlan(vlan) : null,
    mac_address: i.macAddress,
    parents: [],
    children: [],
    tags: [],
    enabled: true,
    links,
    params: "",
    discovered: null,
    effective_mtu: vlan?.mtu ?? 1500,
    vendor: null,
    product: null,
    firmware_version: null,
    link_connected: true,
    interface_speed: 0,
    link_speed: 0,
    numa_node: null,
    sriov_max_vf: 0,
    // A node-less interface has no system_id; MAAS fills the URI template's placeholder literally.
    resource_uri: `${API_ROOT}nodes/system_id/interfaces/${i.id}/`,
  };
}

/** A StaticIPAddress as `ipaddresses` renders it: no id, the IP is the identity (ref §3.2). */
export function renderStaticIp(store: MaasStore, s: StaticIpRow, features: MaasFeatures): Record<string, unknown> {
  const subnet = store.subnet(s.subnetId);
  return {
    created: renderTimestamp(s.created, features),
    ip: s.ip,
    alloc_type: s.allocType,
    subnet: subnet ? renderSubnet(store, subnet) : null,
    alloc_type_name: ALLOC_TYPE_NAMES[s.allocType] ?? "Unknown",
    owner: renderUser(store.user(s.userId)),
    interface_set: store.interfacesOf(s.id).map((i) => renderInterface(store, i)),
    resource_uri: `${API_ROOT}ipaddresses/`,
  };
}
