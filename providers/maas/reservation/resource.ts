import * as pulumi from "@pulumi/pulumi";
import type { ReservationMechanism } from "../client/types";
import type { MaasReservationArgs } from "./args";
import { forwardingProvider } from "../../dynamic/forwarding-provider";
import { pausePromiseStacks } from "../../dynamic/promise-stacks";

/**
 * A MAAS DHCP reservation (MAC → IP) as a Pulumi resource.
 *
 * Works on both MAAS generations: `/reservedips/` on MAAS ≥ 3.6 and `ipaddresses op=reserve` on
 * MAAS ≤ 3.5 (the incident's 3.5.7); `mechanism` says which one holds the reservation.
 * The provider reads `maas:url` and the secret `maas:apiKey` from stack config (or `MAAS_URL` /
 * `MAAS_API_KEY`) at run time, so the key is never an input and never stored in state.
 */
/** What is stored in state: forwards to `reservationProvider` in ./provider (see forwarding-provider.ts). */
export const reservationForwarder = forwardingProvider("homelab-ipam/maas-reservation");

export class MaasReservation extends pulumi.dynamic.Resource {
  declare readonly ip: pulumi.Output<string>;
  declare readonly mac: pulumi.Output<string>;
  declare readonly hostname: pulumi.Output<string>;
  declare readonly comment: pulumi.Output<string>;
  declare readonly subnet: pulumi.Output<string>;
  /** reservedips id, or the IP itself on MAAS ≤ 3.5 (op=reserve returns no id). */
  declare readonly reservationId: pulumi.Output<string>;
  declare readonly mechanism: pulumi.Output<ReservationMechanism>;
  declare readonly subnetId: pulumi.Output<number | null>;
  /** The MAAS dynamic range that now covers this live reservation ("" when none): drift to fix in MAAS. */
  declare readonly insideDynamicRange: pulumi.Output<string>;

  constructor(name: string, args: MaasReservationArgs, opts?: pulumi.CustomResourceOptions) {
    const resume = pausePromiseStacks(); // see promise-stacks.ts
    try {
      super(
        reservationForwarder,
        name,
        { comment: undefined, subnet: undefined, reservationId: undefined, mechanism: undefined, subnetId: undefined, insideDynamicRange: "", ...args },
        opts,
        "maas",
        "Reservation",
      );
    } catch (err) {
      throw resume(err, new.target);
    } finally {
      resume();
    }
  }
}
