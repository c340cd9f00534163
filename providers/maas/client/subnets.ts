/** `GET subnets/` ↔ Subnet (ref/maas-api.md §4.1): used to check a reservation's subnet before writing. */
import { z } from "zod";
import type { Subnet } from "./types";

export const SUBNETS_PATH = "subnets/";

export const subnetSchema = () =>
  z.object({
  id: z.number(),
  cidr: z.string(),
  name: z.string().nullish(),
  gateway_ip: z.string().nullish(),
  dns_servers: z.array(z.string()).nullish(),
});

export function toSubnet(body: z.infer<ReturnType<typeof subnetSchema>>): Subnet {
  return {
    id: body.id,
    cidr: body.cidr,
    name: body.name ?? body.cidr,
    gatewayIp: body.gateway_ip ?? null,
    dnsServers: body.dns_servers ?? [],
  };
}
