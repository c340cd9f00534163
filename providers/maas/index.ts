/** Public surface of the MAAS building blocks: the reservation resource and its client. */
export { MaasReservation } from "./reservation/resource";
export type { MaasReservationArgs, MaasReservationState } from "./reservation/args";
export type { Reservation, ReservationMechanism, ReservationRequest, MaasVersion, Subnet, IpRange } from "./client/types";
