/**
 * MAAS ≥ 3.6 `reservedips` ↔ Reservation (ref/maas-api.md §3.1).
 * - `GET reservedips/` lists everything (no filters, no pagination); `POST reservedips/` creates with
 *   `ip`, `mac_address`, optional `subnet` and `comment`, answering 200; `PUT reservedips/{id}/` may only
 *   change `comment` (anything else trips MAAS's raw-string immutability check); `DELETE` answers 204.
 * - The response nests the whole subnet object; `comment` may be null.
 * - Writes need an admin key (403 otherwise).
 */
import { z } from "zod";
import { MaasError } from "./errors";
import type { MaasResponse } from "./http";
import { normalizeMac } from "./mac";
import { badRequestError, errorFromResponse, type FailureContext } from "./response-errors";
import { subnetRefSchema, subnetCidrOf, subnetIdOf } from "./subnet-ref";
import type { Reservation, ReservationRequest } from "./types";

export const RESERVED_IPS_PATH = "reservedips/";

export const reservedIpSchema = () =>
  z.object({
  id: z.number(),
  ip: z.string(),
  mac_address: z.string().nullish(),
  comment: z.string().nullish(),
  subnet: subnetRefSchema(),
});
export type ReservedIpBody = z.infer<ReturnType<typeof reservedIpSchema>>;

/** `reservedips/{id}/`. MAAS looks a non-numeric id up by a "name" field this model lacks, so only digits go out. */
export function reservedIpPath(id: string): string {
  if (!/^\d+$/.test(id)) {
    throw new MaasError(
      `MAAS reserved-IP id ${JSON.stringify(id)} is not numeric; reservedips ids are integers (the id MAAS returned on create).`,
      "MAAS_BAD_ARGUMENT",
    );
  }
  return `${RESERVED_IPS_PATH}${id}/`;
}

export function createForm(req: ReservationRequest, mac: string, ip: string): Record<string, string | undefined> {
  return { ip, mac_address: mac, subnet: req.subnet, comment: req.comment };
}

/** PUT body: only `comment`, never ip/mac/subnet (they are immutable and compared as raw strings). */
export function updateForm(comment: string): Record<string, string> {
  return { comment };
}

export function toReservation(body: ReservedIpBody): Reservation {
  const rawMac = body.mac_address ?? "";
  return {
    id: String(body.id),
    mechanism: "reservedips",
    ip: body.ip,
    mac: normalizeMac(rawMac) ?? rawMac.toLowerCase(),
    subnetId: subnetIdOf(body.subnet),
    subnetCidr: subnetCidrOf(body.subnet),
    comment: body.comment ?? null,
    dnsNames: null,
    owner: null,
  };
}

/** 404 on a reserved IP itself (not the "Unknown API endpoint" catch-all) means it no longer exists. */
export function isGone(res: MaasResponse): boolean {
  return res.status === 404 && !/Unknown API endpoint/i.test(res.text);
}

/** Create/update failures: 400 bodies are field dicts (conflicts such as "already exists" included). */
export function classifyWriteFailure(ctx: FailureContext, res: MaasResponse): MaasError {
  if (res.status === 400) return badRequestError(ctx, res);
  return errorFromResponse(ctx, res);
}
