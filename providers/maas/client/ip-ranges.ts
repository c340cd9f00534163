/**
 * `GET ipranges/` ↔ IpRange (ref/maas-api.md §4.2): lets callers check that a reservation lies outside every
 * dynamic range before MAAS rejects it (or, on legacy MAAS, before DHCP hands the address to someone else).
 */
import { z } from "zod";
import { subnetRefSchema, subnetIdOf } from "./subnet-ref";
import type { IpRange } from "./types";

export const IP_RANGES_PATH = "ipranges/";

export const ipRangeSchema = () =>
  z.object({
  id: z.number(),
  type: z.enum(["dynamic", "reserved"]),
  start_ip: z.string(),
  end_ip: z.string(),
  subnet: subnetRefSchema(),
  comment: z.string().nullish(),
});

export function toIpRange(body: z.infer<ReturnType<typeof ipRangeSchema>>): IpRange {
  return {
    id: body.id,
    type: body.type,
    startIp: body.start_ip,
    endIp: body.end_ip,
    subnetId: subnetIdOf(body.subnet),
    comment: body.comment ?? "",
  };
}
