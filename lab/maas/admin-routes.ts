/**
 * `/_sim/…`: a thin HTTP face for the out-of-band methods, so a simulator running in another process (the CLI)
 * can be driven by tests and the lab story. Not part of MAAS; never faulted, never counted. Every route calls the
 * same {@link MaasSimulator} method an in-process caller would.
 *
 *   GET  /_sim/reservations               → reservations()
 *   POST /_sim/reservations   JSON {ip,mac,comment?,hostname?} → addReservation()
 *   POST /_sim/drop?ip=                   → { dropped }
 *   POST /_sim/reassign?ip=&mac=          → reassignReservation() (delete + reserve for another MAC)
 *   POST /_sim/set-ip?old=&new=           → setReservationIp()
 *   POST /_sim/rename-dns?from=&to=       → renameDnsRecord()
 *   POST /_sim/dhcp/renew?mac=            → dhcpRenew()
 *   GET  /_sim/leases                     → leases()
 *   POST /_sim/faults         JSON FaultPlan → setFaults();  DELETE /_sim/faults → clearFaults()
 *   GET  /_sim/counters                   → counters();  POST /_sim/counters/reset → resetCounters()
 * Errors are 400 (bad input) or 404 (unknown route) with `{"error": "<message>"}`.
 */
import { z } from "zod";
import { jsonReply, type Reply } from "./http-io";
import type { FaultPlan, MaasSimulator } from "./types";

const faultPlanSchema = z
  .object({
    rate: z.number().min(0).max(1).optional(),
    kinds: z.array(z.enum(["503", "502", "504", "reset"])).min(1).optional(),
    retryAfter: z.number().min(0).optional(),
    burst: z.number().int().min(0).optional(),
    delayMs: z.number().min(0).optional(),
    seed: z.number().int().optional(),
    writesApplyBeforeFault: z.boolean().optional(),
  })
  .strict();

const reservationSchema = z
  .object({ ip: z.string(), mac: z.string(), comment: z.string().optional(), hostname: z.string().optional() })
  .strict();

function required(query: URLSearchParams, key: string, route: string): string {
  const v = query.get(key);
  if (v === null || v === "") throw new Error(`${route} needs the query parameter "${key}", e.g. ${route}?${key}=…`);
  return v;
}

function parseJson<T>(body: Buffer, schema: z.ZodType<T>, route: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString("utf8") || "{}");
  } catch {
    throw new Error(`${route} expects a JSON body.`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${route}: ${issue.path.join(".") || "(body)"}: ${issue.message}`);
  }
  return parsed.data;
}

export function routeAdminRequest(sim: MaasSimulator, method: string, path: string, query: URLSearchParams, body: Buffer): Reply {
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case "GET /_sim/reservations":
        return jsonReply(200, sim.reservations());
      case "POST /_sim/reservations":
        sim.addReservation(parseJson(body, reservationSchema, route));
        return jsonReply(200, { ok: true });
      case "POST /_sim/drop":
        return jsonReply(200, { dropped: sim.dropReservation(required(query, "ip", path)) });
      case "POST /_sim/reassign":
        return jsonReply(200, sim.reassignReservation(required(query, "ip", path), required(query, "mac", path)));
      case "POST /_sim/set-ip":
        sim.setReservationIp(required(query, "old", path), required(query, "new", path));
        return jsonReply(200, { ok: true });
      case "POST /_sim/rename-dns":
        sim.renameDnsRecord(required(query, "from", path), required(query, "to", path));
        return jsonReply(200, { ok: true });
      case "POST /_sim/dhcp/renew":
        return jsonReply(200, sim.dhcpRenew(required(query, "mac", path)));
      case "GET /_sim/leases":
        return jsonReply(200, sim.leases());
      case "POST /_sim/faults":
        sim.setFaults(parseJson(body, faultPlanSchema, route) as FaultPlan);
        return jsonReply(200, { ok: true });
      case "DELETE /_sim/faults":
        sim.clearFaults();
        return jsonReply(200, { ok: true });
      case "GET /_sim/counters":
        return jsonReply(200, sim.counters());
      case "POST /_sim/counters/reset":
        sim.resetCounters();
        return jsonReply(200, { ok: true });
      default:
        return jsonReply(404, { error: `${route} is not a simulator admin route; see lab/maas/admin-routes.ts for the list.` });
    }
  } catch (err) {
    return jsonReply(400, { error: (err as Error).message });
  }
}
