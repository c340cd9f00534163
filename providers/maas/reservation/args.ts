import type * as pulumi from "@pulumi/pulumi";
import type { ReservationMechanism } from "../client/types";

/** What a caller declares for one MAC→IP reservation. */
export interface MaasReservationArgs {
  /** IPv4 address to pin, e.g. "192.168.4.238". Changing it replaces the reservation. */
  readonly ip: pulumi.Input<string>;
  /** MAC in any common form; stored lowercase colon-separated. Changing it replaces the reservation. */
  readonly mac: pulumi.Input<string>;
  /** Host name of the node. MAAS ≥ 3.6 stores it in the reservation comment (updated in place);
   *  MAAS ≤ 3.5 creates a DNS record for it (a change, or a rename of the record in MAAS, replaces the reservation). */
  readonly hostname: pulumi.Input<string>;
  /** Free text for MAAS ≥ 3.6 (defaults to "managed by pulumi: <hostname>"). */
  readonly comment?: pulumi.Input<string>;
  /** Subnet CIDR the IP must belong to, e.g. "192.168.4.0/24". MAAS picks the most specific subnet when omitted. */
  readonly subnet?: pulumi.Input<string>;
}

/** The state the provider stores: the desired fields under the input names (so one diff serves
 *  preview and refresh, ref/pulumi.md §1.8 A), plus what MAAS reported. */
export interface MaasReservationState {
  ip: string;
  mac: string;
  hostname: string;
  comment: string;
  subnet: string;
  /** reservedips id, or the IP for the legacy mechanism. */
  reservationId: string;
  mechanism: ReservationMechanism;
  /** MAAS's subnet id of the reservation. */
  subnetId: number | null;
  /**
   * Refresh only: the MAAS dynamic range ("start-end") that now covers this live reservation, else "". Declared as
   * "", so a range widened over a pinned node shows as an update on that node (drift), not as a stack-wide error.
   */
  insideDynamicRange?: string;
}
