/**
 * `/ipaddresses/` (all MAAS versions, ref §3.2): the legacy way to pin a MAC to an IP, `op=reserve` / `op=release`.
 *
 * Faithful quirks: parameters come only from a form body (request.POST); `mac` is never validated by the form (the
 * form's field is called `mac_address`) and is stored exactly as sent once the interface model accepts it; an IP in
 * a dynamic range is a 403 even with a MAC; "already in use" is a 404; with a MAC the reserved-range check is
 * skipped and the conflict text has no IP; on 3.6+ a MAC reservation is checked against reserved IPs (409). The
 * response has no id: the IP is the identity. `hostname` becomes a DNS record, not a field of the address
 * (dns-resources.ts).
 */
import { nowIso, requireUser, type ApiContext, type Resource } from "./api-context";
import { DEFAULT_DOMAIN, fileAddress, forgetAddress } from "./dns-resources";
import {
  ApiError,
  badRequest,
  conflict,
  emptyReply,
  forbidden,
  jsonReply,
  notFound,
  parseLenientBool,
  textReply,
  validationError,
  type Reply,
} from "./http-io";
import { nextFreeIp } from "./ip-usage";
import { mustParseNetwork, networkContains, parseIp, type ParsedIp } from "./ip-math";
import { invalidMacMessage, MAC_STORAGE_PATTERN } from "./mac";
import { renderStaticIp } from "./render";
import { invalidIpMessage } from "./reserved-ip-form";
import { ALLOC_TYPE, type DnsResourceRow, type InterfaceRow, type StaticIpRow, type SubnetRow } from "./store";
import { bestSubnetForIp, dynamicRangeFor, reservedRangeFor, subnetsBySpecifier } from "./subnet-query";


/** Django's QueryDict.get: the last value. */
function lastValue(params: URLSearchParams, key: string): string | undefined {
  const all = params.getAll(key);
  return all.length === 0 ? undefined : all[all.length - 1];
}

function optionalBool(key: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const parsed = parseLenientBool(value);
  if (parsed === null) throw badRequest(`Invalid ${key}: Value should be 'true' or 'false'`);
  return parsed;
}

function resolveReserveSubnet(ctx: ApiContext, ip: string | undefined, subnetParam: string | undefined): { subnet: SubnetRow; ip: ParsedIp | null } {
  if (ip !== undefined) {
    const parsed = parseIp(ip);
    if (parsed === null) {
      // Only reachable for an empty `ip` (the form accepts blank); netaddr then fails inside MAAS.
      throw new ApiError(textReply(500, `failed to detect a valid IP address from '${ip}'`));
    }
    const subnet = bestSubnetForIp(ctx.store, parsed);
    if (subnet === null) throw badRequest(`No known subnet for IP address: ${ip}.`);
    return { subnet, ip: parsed };
  }
  if (subnetParam !== undefined) {
    const found = subnetsBySpecifier(ctx.store, subnetParam);
    if (found.length !== 1) throw badRequest(`Unable to identify subnet: ${subnetParam}.`);
    return { subnet: found[0], ip: null };
  }
  throw badRequest("Must supply either the 'subnet' or the 'ip' parameter.");
}

function newStaticIp(ctx: ApiContext, ip: string, subnet: SubnetRow, userId: number): StaticIpRow {
  const now = nowIso();
  return {
    id: ctx.store.nextId("staticip"),
    ip,
    subnetId: subnet.id,
    allocType: ALLOC_TYPE.USER_RESERVED,
    userId,
    created: now,
    updated: now,
  };
}

/** The 3.6+ check in Interface._link_subnet_static against reserved IPs (exact MAC text comparison). */
function checkReservedIps(ctx: ApiContext, mac: string, ip: ParsedIp): void {
  if (!ctx.features.reservedIps) return;
  const hits = ctx.store.state.reservedIps.filter((r) => r.macAddress === mac || r.ip === ip.text);
  if (hits.length > 1) {
    throw conflict(`The MAC address ${mac} or the static IP ${ip.text} are associated with a reserved IP and cannot be used.`);
  }
  if (hits.length === 1) {
    const r = hits[0];
    if (r.ip !== ip.text) throw conflict(`The static IP ${ip.text} does not match the reserved IP ${r.ip} for the MAC address ${mac}.`);
    if (r.macAddress !== mac) throw conflict(`The static IP ${ip.text} is already reserved for the MAC address ${r.macAddress}.`);
  }
}

function reserve(ctx: ApiContext): Reply {
  const user = requireUser(ctx);
  const form = ctx.body.form;
  const subnetParam = form.get("subnet");
  let ip = ctx.features.reserveIpParam ? form.get("ip") : undefined;
  const ipAddress = form.get("ip_address");
  let hostname = form.get("hostname");
  const mac = form.get("mac");
  if (ip === undefined && ipAddress !== undefined) ip = ipAddress;

  // ClaimIPForMACForm: only `ip_address` is a real field; the error key is ip_address whatever name was sent.
  if (ip !== undefined && ip.trim() !== "" && parseIp(ip) === null) {
    throw validationError({ ip_address: [invalidIpMessage(ip.trim())] });
  }
  const { subnet, ip: parsedIp } = resolveReserveSubnet(ctx, ip, subnetParam);

  if (parsedIp !== null && dynamicRangeFor(ctx.store, subnet.id, parsedIp)) {
    throw forbidden(
      `IP address ${ip} belongs to an existing dynamic range. To reserve this IP address, a MAC address is required. (Create a device instead.)`,
    );
  }
  if (hostname !== undefined && hostname.indexOf(".") > 0) {
    const dot = hostname.indexOf(".");
    if (hostname.slice(dot + 1) !== DEFAULT_DOMAIN) throw notFound("No Domain matches the given query.");
    hostname = hostname.slice(0, dot);
  }
  const dnsName = hostname !== undefined && hostname !== "" ? hostname : null;
  const state = ctx.store.state;

  if (mac === undefined) {
    let address: string;
    if (parsedIp === null) {
      address = nextFreeIp(ctx.store, subnet);
    } else {
      if (state.staticIps.some((s) => s.ip === parsedIp.text && s.allocType !== ALLOC_TYPE.DISCOVERED)) {
        throw notFound(`The IP address ${parsedIp.text} is already in use.`);
      }
      if (!networkContains(mustParseNetwork(subnet.cidr), parsedIp)) {
        throw forbidden(`${ip} is not within subnet CIDR: ${subnet.cidr}`);
      }
      const reservedRange = reservedRangeFor(ctx.store, subnet.id, parsedIp);
      if (reservedRange) {
        throw notFound(`${ip} is within the reserved range from ${reservedRange.startIp} to ${reservedRange.endIp}`);
      }
      address = parsedIp.text;
    }
    const row = newStaticIp(ctx, address, subnet, user.id);
    state.staticIps.push(row);
    if (dnsName !== null) fileAddress(ctx.store, dnsName, DEFAULT_DOMAIN, row);
    ctx.commit();
    return jsonReply(200, renderStaticIp(ctx.store, row, ctx.features));
  }

  // With a MAC: get or create an `unknown` interface (stored exactly as sent), then link it STATIC.
  let nic: InterfaceRow | undefined = state.interfaces.find((i) => i.macAddress === mac);
  // The interface column is blank=True: an empty MAC is stored as is; anything else must be colon-separated hex.
  if (nic === undefined && mac !== "" && !MAC_STORAGE_PATTERN.test(mac)) throw validationError({ mac_address: [invalidMacMessage(mac)] });
  let address: string;
  if (parsedIp !== null) {
    checkReservedIps(ctx, mac, parsedIp);
    if (state.staticIps.some((s) => s.ip === parsedIp.text)) throw notFound("IP address is already in use.");
    address = parsedIp.text;
  } else {
    address = nextFreeIp(ctx.store, subnet);
  }
  if (nic === undefined) {
    nic = { id: ctx.store.nextId("interface"), name: "eth0", type: "unknown", macAddress: mac, vlanId: subnet.vlanId, staticIpIds: [] };
    state.interfaces.push(nic);
  }
  nic.vlanId ??= subnet.vlanId;
  const row = newStaticIp(ctx, address, subnet, user.id);
  state.staticIps.push(row);
  nic.staticIpIds.push(row.id);
  if (dnsName !== null) fileAddress(ctx.store, dnsName, DEFAULT_DOMAIN, row);
  ctx.commit();
  return jsonReply(200, renderStaticIp(ctx.store, row, ctx.features));
}

function release(ctx: ApiContext): Reply {
  const user = requireUser(ctx);
  const form = ctx.body.form;
  const ip = form.get("ip");
  if (ip === undefined) throw badRequest("No provided ip!");
  const force = optionalBool("force", form.get("force"));
  const discovered = optionalBool("discovered", form.get("discovered"));
  if (force && !user.isSuperuser) throw forbidden("Force-releasing an IP address requires admin privileges.");
  const parsed = ip.trim() === "" ? null : parseIp(ip);
  if (ip.trim() !== "" && parsed === null) throw validationError({ ip: [invalidIpMessage(ip.trim())] });

  const state = ctx.store.state;
  const candidates = [...state.staticIps]
    .sort((a, b) => a.id - b.id)
    .filter((s) => parsed !== null && s.ip === parsed.text)
    .filter((s) =>
      force
        ? discovered
          ? s.allocType === ALLOC_TYPE.DISCOVERED
          : s.allocType !== ALLOC_TYPE.DISCOVERED
        : s.allocType === ALLOC_TYPE.USER_RESERVED && s.userId === user.id,
    );
  const target = candidates[0];
  if (target === undefined) {
    throw badRequest(
      force
        ? `IP address ${ip} does not exist.`
        : `IP address ${ip} does not exist, is not the correct type of address, or does not belong to the requesting user.\n` +
            "If you are sure you want to release this address, use force=true as a MAAS administrator.",
    );
  }
  releaseStaticIp(ctx.store.state, target);
  ctx.commit();
  return emptyReply(204);
}

/**
 * Unlink and delete a static IP; a node-less interface left without addresses is deleted too, and so is a DNS record
 * left without addresses (`post_delete_clean_up_dns`, see dns-resources.ts).
 */
export function releaseStaticIp(state: { staticIps: StaticIpRow[]; interfaces: InterfaceRow[]; dnsResources: DnsResourceRow[] }, target: StaticIpRow): void {
  state.staticIps.splice(state.staticIps.indexOf(target), 1);
  forgetAddress(state, target.id);
  for (const nic of state.interfaces) nic.staticIpIds = nic.staticIpIds.filter((id) => id !== target.id);
  const kept = state.interfaces.filter((nic) => nic.staticIpIds.length > 0);
  state.interfaces.splice(0, state.interfaces.length, ...kept);
}

function read(ctx: ApiContext): Reply {
  const user = requireUser(ctx);
  const all = optionalBool("all", lastValue(ctx.query, "all"));
  const ip = lastValue(ctx.query, "ip");
  const owner = lastValue(ctx.query, "owner");
  let parsed: ParsedIp | null = null;
  if (ip !== undefined) {
    parsed = parseIp(ip);
    if (parsed === null) throw badRequest("Parameter 'ip' must contain an IP address.");
  }
  if (all && !user.isSuperuser) throw forbidden("Listing all IP addresses requires admin privileges.");
  if (owner !== undefined && !user.isSuperuser) throw forbidden("Listing another user's IP addresses requires admin privileges.");
  let rows = [...ctx.store.state.staticIps];
  if (!user.isSuperuser) rows = rows.filter((s) => s.userId === user.id);
  else if (owner !== undefined) rows = rows.filter((s) => ctx.store.user(s.userId)?.username === owner);
  else if (!all) rows = rows.filter((s) => s.userId === user.id);
  if (!all) rows = rows.filter((s) => s.allocType === ALLOC_TYPE.USER_RESERVED);
  if (parsed !== null) rows = rows.filter((s) => s.ip === parsed!.text);
  rows.sort((a, b) => a.id - b.id);
  return jsonReply(200, rows.map((s) => renderStaticIp(ctx.store, s, ctx.features)));
}

export const ipAddressesResources: Resource[] = [
  {
    name: "ipaddresses",
    pattern: /^ipaddresses\/$/,
    exports: { "GET ": read, "POST reserve": reserve, "POST release": release },
  },
];
