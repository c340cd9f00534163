/**
 * `/ipranges/` and `/ipranges/{id}/` (ref §4.2): list, read, and (for the lab's "someone widened the pool" story)
 * create, update and delete with MAAS's IPRange rules.
 *
 * Validation follows IPRangeForm + IPRange.clean: field checks, then the form's 3.6 rule that a dynamic range may
 * not cover a reserved IP, then the model's checks in order (first failure wins, reported on start_ip/end_ip).
 */
import { requireUser, type ApiContext, type Resource } from "./api-context";
import { emptyReply, forbidden, jsonReply, notFound, validationError, type FieldErrors, type Reply } from "./http-io";
import { unusedRanges } from "./ip-usage";
import { mustParseIp, mustParseNetwork, parseIp, type ParsedIp } from "./ip-math";
import { renderIpRange } from "./render";
import { invalidIpMessage } from "./reserved-ip-form";
import type { IpRangeRow, SubnetRow } from "./store";
import { bestSubnetForIp, subnetObjectId, subnetsBySpecifier } from "./subnet-query";

const NOT_FOUND = "No IPRange matches the given query.";
const RANGE_TYPES = ["dynamic", "reserved"] as const;

function findRange(ctx: ApiContext): IpRangeRow {
  const raw = ctx.params.id;
  const found = /^\d+$/.test(raw) ? ctx.store.state.ipRanges.find((r) => r.id === Number(raw)) : undefined;
  if (found === undefined) throw notFound(NOT_FOUND);
  return found;
}

function requireOwner(ctx: ApiContext, range: IpRangeRow): void {
  const user = requireUser(ctx);
  if (!user.isSuperuser && range.userId !== user.id) {
    throw forbidden("Unable to modify IP range. You don't own the IP range.");
  }
}

interface RangeValues {
  type: "dynamic" | "reserved";
  start: ParsedIp;
  end: ParsedIp;
  subnet: SubnetRow;
  comment: string;
}

function text(v: unknown): string {
  return v === undefined || v === null ? "" : String(v).trim();
}

/** IPRangeForm + IPRange.clean; `instance` for updates (missing fields come from it). */
function cleanRange(ctx: ApiContext, instance: IpRangeRow | null): { ok: true; values: RangeValues } | { ok: false; errors: FieldErrors } {
  const data = ctx.body.data;
  const get = (key: string): unknown => {
    if (data.has(key) || instance === null) return data.get(key);
    return { type: instance.type, start_ip: instance.startIp, end_ip: instance.endIp, subnet: instance.subnetId, comment: instance.comment }[key];
  };
  const errors: FieldErrors = {};
  const add = (field: string, message: string): void => {
    (errors[field] ??= []).push(message);
  };

  let subnetRaw = get("subnet");
  const startText = text(get("start_ip"));
  if ((subnetRaw === undefined || subnetRaw === null || subnetRaw === "") && instance === null && startText !== "") {
    const startIp = parseIp(startText);
    const best = startIp ? bestSubnetForIp(ctx.store, startIp) : null;
    if (best) subnetRaw = best.id;
  }
  let subnet: SubnetRow | null = null;
  if (subnetRaw === undefined || subnetRaw === null || subnetRaw === "") add("subnet", "This field is required.");
  else {
    const id = typeof subnetRaw === "number" ? subnetRaw : subnetObjectId(String(subnetRaw));
    const found = id !== null ? ctx.store.subnet(id) : subnetsBySpecifier(ctx.store, String(subnetRaw))[0];
    if (found) subnet = found;
    else add("subnet", "Select a valid choice. That choice is not one of the available choices.");
  }
  const typeText = text(get("type"));
  let type: RangeValues["type"] | null = null;
  if (typeText === "") add("type", "This field is required.");
  else if (!(RANGE_TYPES as readonly string[]).includes(typeText)) {
    add("type", `Select a valid choice. ${typeText} is not one of the available choices.`);
  } else type = typeText as RangeValues["type"];
  const parseField = (field: "start_ip" | "end_ip"): ParsedIp | null => {
    const t = text(get(field));
    if (t === "") {
      add(field, "This field is required.");
      return null;
    }
    const ip = parseIp(t);
    if (ip === null) add(field, invalidIpMessage(t));
    return ip;
  };
  const start = parseField("start_ip");
  const end = parseField("end_ip");
  const comment = text(get("comment"));
  if (Object.keys(errors).length > 0 || subnet === null || type === null || start === null || end === null) {
    return { ok: false, errors };
  }

  // Form clean (3.6+): a dynamic range may not cover a reserved IP.
  if (type === "dynamic") {
    const covers = ctx.store.state.reservedIps.some((r) => {
      const ip = mustParseIp(r.ip);
      return r.subnetId === subnet!.id && ip.family === start.family && ip.value >= start.value && ip.value <= end.value;
    });
    if (covers) add("__all__", "The dynamic IP range cannot include reserved IPs.");
  }

  const modelError = modelClean(ctx, type, start, end, subnet, instance);
  if (modelError) for (const field of modelError.fields) add(field, modelError.message);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, values: { type, start, end, subnet, comment } };
}

function modelClean(
  ctx: ApiContext,
  type: RangeValues["type"],
  start: ParsedIp,
  end: ParsedIp,
  subnet: SubnetRow,
  instance: IpRangeRow | null,
): { message: string; fields: string[] } | null {
  const both = ["start_ip", "end_ip"];
  if (start.family !== end.family) return { message: "Start IP address and end IP address must be in the same address family.", fields: both };
  if (end.value < start.value) return { message: "End IP address must not be less than Start IP address.", fields: ["end_ip"] };
  const net = mustParseNetwork(subnet.cidr);
  const inNet = (ip: ParsedIp): boolean => ip.family === net.family && ip.value >= net.first && ip.value <= net.last;
  if (!inNet(start) && !inNet(end)) return { message: `IP addresses must be within subnet: ${net.cidr}.`, fields: both };
  if (!inNet(start)) return { message: `Start IP address must be within subnet: ${net.cidr}.`, fields: ["start_ip"] };
  if (!inNet(end)) return { message: `End IP address must be within subnet: ${net.cidr}.`, fields: ["end_ip"] };
  if (start.value === net.first) return { message: "Reserved network address cannot be included in IP range.", fields: ["start_ip"] };
  if (net.family === "ipv4" && end.value === net.last) return { message: "Broadcast address cannot be included in IP range.", fields: ["end_ip"] };
  if (start.family === "ipv6" && type === "dynamic" && end.value - start.value + 1n < 256n) {
    return { message: "IPv6 dynamic range must be at least 256 addresses in size.", fields: both };
  }
  const unused = unusedRanges(
    ctx.store,
    subnet,
    type === "reserved" ? { rangesOnly: true, excludeRangeId: instance?.id } : { ignoreDiscovered: true, excludeRangeId: instance?.id },
  );
  if (unused.length === 0) return { message: `There is no room for any ${type} ranges on this subnet.`, fields: both };
  const fits = unused.some((u) => start.value >= u.first && start.value <= u.last && end.value >= u.first && end.value <= u.last);
  if (!fits) {
    const tail = type === "reserved" ? "range." : "IP address or range.";
    return { message: `Requested ${type} range conflicts with an existing ${tail}`, fields: both };
  }
  return null;
}

function list(ctx: ApiContext): Reply {
  const rows = [...ctx.store.state.ipRanges].sort((a, b) => a.id - b.id);
  return jsonReply(200, rows.map((r) => renderIpRange(ctx.store, r)));
}

function create(ctx: ApiContext): Reply {
  const user = requireUser(ctx);
  if (ctx.body.data.get("type") === "dynamic" && !user.isSuperuser) {
    throw forbidden("Unable to create dynamic IP range. You don't have sufficient privileges.");
  }
  const result = cleanRange(ctx, null);
  if (!result.ok) throw validationError(result.errors);
  const v = result.values;
  const row: IpRangeRow = {
    id: ctx.store.nextId("iprange"),
    subnetId: v.subnet.id,
    type: v.type,
    startIp: v.start.text,
    endIp: v.end.text,
    comment: v.comment,
    userId: user.id,
  };
  ctx.store.state.ipRanges.push(row);
  ctx.commit();
  return jsonReply(200, renderIpRange(ctx.store, row));
}

function read(ctx: ApiContext): Reply {
  return jsonReply(200, renderIpRange(ctx.store, findRange(ctx)));
}

function update(ctx: ApiContext): Reply {
  const row = findRange(ctx);
  requireOwner(ctx, row);
  const result = cleanRange(ctx, row);
  if (!result.ok) throw validationError(result.errors);
  const v = result.values;
  Object.assign(row, { subnetId: v.subnet.id, type: v.type, startIp: v.start.text, endIp: v.end.text, comment: v.comment });
  ctx.commit();
  return jsonReply(200, renderIpRange(ctx.store, row));
}

function remove(ctx: ApiContext): Reply {
  const row = findRange(ctx);
  requireOwner(ctx, row);
  ctx.store.state.ipRanges = ctx.store.state.ipRanges.filter((r) => r !== row);
  ctx.commit();
  return emptyReply(204);
}

export const ipRangeResources: Resource[] = [
  { name: "ipranges", pattern: /^ipranges\/$/, exports: { "GET ": list, "POST ": create } },
  {
    name: "ipranges/{id}",
    pattern: /^ipranges\/(?<id>[^/]+)\/$/,
    exports: { "GET ": read, "PUT ": update, "DELETE ": remove },
  },
];
