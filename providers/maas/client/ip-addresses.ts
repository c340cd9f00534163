/**
 * MAAS ≤ 3.5 `ipaddresses` ↔ Reservation (ref/maas-api.md §3.2). This is what the incident's MAAS 3.5.7 has.
 * - `POST ipaddresses/?op=reserve` with `ip`, `mac` (sent normalised: this endpoint stores it verbatim),
 *   optional `subnet`, `hostname`; answers a StaticIPAddress with **no id**, so the IP is the identity.
 * - `GET ipaddresses/` lists only the caller's USER_RESERVED (alloc_type 4) addresses, without the hostname: that is a
 *   DNS record, read from `dnsresources/` (dns-resources.ts).
 * - `POST ipaddresses/?op=release` with `ip` answers 204; an address that is not (or no longer) the
 *   caller's gives 400 "… does not exist, is not the correct type of address, or does not belong to …".
 * - Errors are odd: "already in use" is a 404, a dynamic-range clash is a 403, a MAC owned by a node is a 400.
 */
import { z } from "zod";
import type { MaasError } from "./errors";
import type { MaasResponse } from "./http";
import { normalizeMac } from "./mac";
import {
  badRequestError,
  conflictError,
  errorFromResponse,
  isConflictText,
  parseErrorFields,
  plainText,
  validationError,
  type FailureContext,
} from "./response-errors";
import { subnetRefSchema, subnetCidrOf, subnetIdOf } from "./subnet-ref";
import type { Reservation, ReservationRequest } from "./types";

export const IP_ADDRESSES_PATH = "ipaddresses/";
/** StaticIPAddress alloc_type for addresses reserved through the API ("User reserved"). */
export const USER_RESERVED = 4;

export const staticIpSchema = () =>
  z.object({
  ip: z.string().nullish(),
  alloc_type: z.number().optional(),
  subnet: subnetRefSchema(),
  interface_set: z.array(z.object({ mac_address: z.string().nullish() })).nullish(),
  owner: z.object({ username: z.string().nullish() }).passthrough().nullish(),
});
export type StaticIpBody = z.infer<ReturnType<typeof staticIpSchema>>;

export function reserveForm(req: ReservationRequest, mac: string, ip: string): Record<string, string | undefined> {
  return { ip, mac, subnet: req.subnet, hostname: req.hostname };
}

export function releaseForm(ip: string): Record<string, string> {
  return { ip };
}

/** Maps one StaticIPAddress; null for rows without an IP or that are not user reservations. */
export function toReservation(body: StaticIpBody, dnsNames: string[] | null = null): Reservation | null {
  if (!body.ip) return null;
  if (body.alloc_type !== undefined && body.alloc_type !== USER_RESERVED) return null;
  const rawMac = body.interface_set?.[0]?.mac_address ?? "";
  return {
    id: body.ip,
    mechanism: "ipaddresses",
    ip: body.ip,
    mac: normalizeMac(rawMac) ?? rawMac.toLowerCase(),
    subnetId: subnetIdOf(body.subnet),
    subnetCidr: subnetCidrOf(body.subnet),
    comment: null,
    dnsNames,
    owner: body.owner?.username ?? null,
  };
}

/** op=release on an address that is not (any more) the caller's reservation. */
export function isGone(res: MaasResponse): boolean {
  return (res.status === 400 || res.status === 404) && /does not exist/i.test(res.text);
}

/** op=reserve failures, classified by status and body together. */
export function classifyReserveFailure(ctx: FailureContext, res: MaasResponse): MaasError {
  const text = plainText(res);
  const fields = parseErrorFields(res);
  if (fields) {
    const messages = Object.values(fields).flat();
    return isConflictText(messages) ? conflictError(ctx, res, fields) : validationError(ctx, res, fields);
  }
  // 403 here is about the address, not the key: "IP address … belongs to an existing dynamic range."
  if (res.status === 403 && /dynamic range/i.test(text)) return validationError(ctx, res, { ip: [text] });
  if (res.status === 400 && /already belongs to/i.test(text)) return conflictError(ctx, res, { mac: [text] });
  if ([400, 404, 409].includes(res.status) && isConflictText([text])) return conflictError(ctx, res, { ip: [text] });
  if (res.status === 404 && /within the reserved range/i.test(text)) return validationError(ctx, res, { ip: [text] });
  if (res.status === 404 && /No Domain matches/i.test(text)) return validationError(ctx, res, { hostname: [text] });
  if (res.status === 400 && /No known subnet/i.test(text)) return validationError(ctx, res, { ip: [text] });
  if (res.status === 400 && /Unable to identify subnet/i.test(text)) return validationError(ctx, res, { subnet: [text] });
  if (res.status === 400) return badRequestError(ctx, res);
  return errorFromResponse(ctx, res);
}
