/**
 * `/reservedips/` and `/reservedips/{id}/` (MAAS ≥ 3.6, ref §3.1): the first-class MAC→IP reservation.
 *
 * List and read are open to any user; create, update and delete are @admin_method. Create answers 200 (not 201),
 * delete 204 with an empty body. Update runs the same form as create, so the immutability quirk applies.
 */
import { nowIso, requireAdmin, type ApiContext, type Resource } from "./api-context";
import { emptyReply, jsonReply, notFound, validationError, type Reply } from "./http-io";
import { renderReservedIp } from "./render";
import { cleanReservedIpForm } from "./reserved-ip-form";
import type { ReservedIpRow } from "./store";

const NOT_FOUND = "No ReservedIP matches the given query.";

/** get_reserved_ip_or_404: numeric ids only; anything else matches nothing. */
function findReservedIp(ctx: ApiContext): ReservedIpRow {
  const raw = ctx.params.id;
  const found = /^\d+$/.test(raw) ? ctx.store.state.reservedIps.find((r) => r.id === Number(raw)) : undefined;
  if (found === undefined) throw notFound(NOT_FOUND);
  return found;
}

function list(ctx: ApiContext): Reply {
  const rows = [...ctx.store.state.reservedIps].sort((a, b) => a.id - b.id);
  return jsonReply(200, rows.map((r) => renderReservedIp(ctx.store, r)));
}

function create(ctx: ApiContext): Reply {
  requireAdmin(ctx);
  const result = cleanReservedIpForm(ctx.store, ctx.body.data, null);
  if (!result.ok) throw validationError(result.errors);
  const now = nowIso();
  const row: ReservedIpRow = {
    id: ctx.store.nextId("reservedip"),
    ip: result.values.ip,
    subnetId: result.values.subnetId,
    macAddress: result.values.macAddress,
    comment: result.values.comment,
    created: now,
    updated: now,
  };
  ctx.store.state.reservedIps.push(row);
  ctx.commit();
  return jsonReply(200, renderReservedIp(ctx.store, row));
}

function read(ctx: ApiContext): Reply {
  return jsonReply(200, renderReservedIp(ctx.store, findReservedIp(ctx)));
}

function update(ctx: ApiContext): Reply {
  requireAdmin(ctx);
  const row = findReservedIp(ctx);
  const result = cleanReservedIpForm(ctx.store, ctx.body.data, row);
  if (!result.ok) throw validationError(result.errors);
  // Only the comment can differ: ip, mac_address and subnet passed the immutability check.
  row.comment = result.values.comment;
  row.updated = nowIso();
  ctx.commit();
  return jsonReply(200, renderReservedIp(ctx.store, row));
}

function remove(ctx: ApiContext): Reply {
  requireAdmin(ctx);
  const row = findReservedIp(ctx);
  ctx.store.state.reservedIps = ctx.store.state.reservedIps.filter((r) => r !== row);
  ctx.commit();
  return emptyReply(204);
}

const onlyFrom36 = (f: { reservedIps: boolean }): boolean => f.reservedIps;

export const reservedIpsResources: Resource[] = [
  {
    name: "reservedips",
    pattern: /^reservedips\/$/,
    available: onlyFrom36,
    exports: { "GET ": list, "POST ": create },
  },
  {
    name: "reservedips/{id}",
    pattern: /^reservedips\/(?<id>[^/]+)\/$/,
    available: onlyFrom36,
    exports: { "GET ": read, "PUT ": update, "DELETE ": remove },
  },
];
