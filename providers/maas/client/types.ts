/**
 * The MAAS client's public data model. No Pulumi imports anywhere under client/:
 * the client is usable from scripts, the simulator tests and the dynamic provider.
 */

/** Which MAAS API implements MAC→IP reservations on a given server. */
export type ReservationMechanism =
  /** MAAS ≥ 3.6: first-class `/MAAS/api/2.0/reservedips/` objects with an id. */
  | "reservedips"
  /** MAAS ≤ 3.5 (the incident ran 3.5.7): `ipaddresses op=reserve|release` with `mac`; the IP is the identity. */
  | "ipaddresses";

export interface MaasVersion {
  /** As MAAS reports it, e.g. "3.5.7" or "3.6.0~rc1" (or "None"). */
  raw: string;
  major: number;
  minor: number;
  patch: number;
}

/** One MAC→IP reservation as MAAS reports it, normalised across both generations. */
export interface Reservation {
  /** reservedips: the numeric id as a string; ipaddresses: the IP itself (op=reserve returns no id). */
  id: string;
  mechanism: ReservationMechanism;
  ip: string;
  /** Lowercase, colon-separated, zero-padded ("bc:24:11:3b:7a:a7"). Empty when MAAS holds the IP without a MAC. */
  mac: string;
  subnetId: number | null;
  subnetCidr: string | null;
  /** reservedips: the comment; ipaddresses: not stored by MAAS (null). */
  comment: string | null;
  /**
   * ipaddresses on MAAS ≤ 3.5: the FQDNs of the DNS records holding the IP (op=reserve's `hostname` lives there, see
   * dns-resources.ts), sorted; [] when no record holds it. null when not read: reservedips, legacy rows listed on
   * MAAS ≥ 3.6, and the op=reserve answer (it names no record).
   */
  dnsNames: string[] | null;
  /** ipaddresses: the MAAS user who made it; reservedips: null (only admins can write them). */
  owner: string | null;
}

/** Every reservation the key can see, and what it cannot. */
export interface ReservationView {
  reservations: Reservation[];
  /**
   * False when the key is not an admin's: legacy (`ipaddresses`) reservations of other MAAS users are then not
   * listed (ref/maas-api.md §3.2: `all=true` needs admin), so a conflict with one cannot be seen or named.
   */
  othersVisible: boolean;
}

export interface ReservationRequest {
  ip: string;
  mac: string;
  /** Subnet id or specifier (e.g. "cidr:192.168.4.0/24"); MAAS picks the most specific subnet when omitted. */
  subnet?: string;
  /** reservedips: sent as `comment`. */
  comment?: string;
  /** ipaddresses: sent as `hostname` (MAAS creates a DNS record). */
  hostname?: string;
}

export interface Subnet {
  id: number;
  cidr: string;
  name: string;
  gatewayIp: string | null;
  dnsServers: string[];
}

export interface IpRange {
  id: number;
  type: "dynamic" | "reserved";
  startIp: string;
  endIp: string;
  subnetId: number | null;
  comment: string;
}
