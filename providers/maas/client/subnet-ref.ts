/**
 * The `subnet` field MAAS nests in reservedip, ipaddress and iprange responses: a full subnet object
 * (take `id` and `cidr`, as the Terraform provider does). Older payloads or fixtures may carry a bare id.
 */
import { z } from "zod";

export const subnetRefSchema = () =>
  z
  .union([z.object({ id: z.number(), cidr: z.string().optional() }), z.number(), z.null()])
  .optional();

export function subnetIdOf(ref: z.infer<ReturnType<typeof subnetRefSchema>>): number | null {
  if (ref === undefined || ref === null) return null;
  return typeof ref === "number" ? ref : ref.id;
}

export function subnetCidrOf(ref: z.infer<ReturnType<typeof subnetRefSchema>>): string | null {
  if (ref === undefined || ref === null || typeof ref === "number") return null;
  return ref.cidr ?? null;
}
