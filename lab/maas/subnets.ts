/**
 * `/subnets/` and `/subnets/{id}/` read side (ref §4.1), with the GET ops a client uses to learn what is taken:
 * `reserved_ip_ranges`, `unreserved_ip_ranges`, `ip_addresses` and `statistics`. `{id}` may be a specifier such as
 * `cidr:192.168.4.0/24`. The simulator does not create, update or delete subnets through the API.
 */
import type { ApiContext, Resource } from "./api-context";
import { forbidden, jsonReply, notFound, type Reply } from "./http-io";
import { mustParseIp, mustParseNetwork } from "./ip-math";
import { rangeJson, unusedRanges, usedRanges } from "./ip-usage";
import { renderSubnet, renderTimestamp } from "./render";
import type { SubnetRow } from "./store";
import { subnetsBySpecifier } from "./subnet-query";

function findSubnet(ctx: ApiContext): SubnetRow {
  const found = subnetsBySpecifier(ctx.store, ctx.params.id);
  if (found.length === 0) throw notFound("No Subnet matches the given query.");
  if (found.length > 1) throw forbidden(`Multiple Subnets match the given query: ${ctx.params.id}`);
  return found[0];
}

function list(ctx: ApiContext): Reply {
  const rows = [...ctx.store.state.subnets].sort((a, b) => a.id - b.id);
  return jsonReply(200, rows.map((s) => renderSubnet(ctx.store, s)));
}

function read(ctx: ApiContext): Reply {
  return jsonReply(200, renderSubnet(ctx.store, findSubnet(ctx)));
}

function reservedIpRanges(ctx: ApiContext): Reply {
  const subnet = findSubnet(ctx);
  const family = mustParseNetwork(subnet.cidr).family;
  return jsonReply(
    200,
    usedRanges(ctx.store, subnet).map((r) => ({ ...rangeJson(family, r), purpose: r.purposes })),
  );
}

function unreservedIpRanges(ctx: ApiContext): Reply {
  const subnet = findSubnet(ctx);
  const family = mustParseNetwork(subnet.cidr).family;
  return jsonReply(200, unusedRanges(ctx.store, subnet).map((r) => rangeJson(family, r)));
}

function ipAddresses(ctx: ApiContext): Reply {
  const subnet = findSubnet(ctx);
  const withUsername = ctx.query.get("with_username") !== "0" && ctx.query.get("with_username") !== "false";
  const rows = ctx.store.state.staticIps
    .filter((s) => s.subnetId === subnet.id)
    .sort((a, b) => (mustParseIp(a.ip).value < mustParseIp(b.ip).value ? -1 : 1));
  return jsonReply(
    200,
    rows.map((s) => {
      const out: Record<string, unknown> = {
        ip: s.ip,
        alloc_type: s.allocType,
        created: renderTimestamp(s.created, ctx.features),
        updated: renderTimestamp(s.updated, ctx.features),
      };
      const user = ctx.store.user(s.userId);
      if (withUsername && user) out.user = user.username;
      return out;
    }),
  );
}

function statistics(ctx: ApiContext): Reply {
  const subnet = findSubnet(ctx);
  const net = mustParseNetwork(subnet.cidr);
  const usable = net.family === "ipv4" && net.prefix < 31 ? net.last - net.first - 1n : net.last - net.first + 1n;
  const free = unusedRanges(ctx.store, subnet);
  const available = free.reduce((n, r) => n + (r.last - r.first + 1n), 0n);
  const largest = free.reduce((n, r) => (r.last - r.first + 1n > n ? r.last - r.first + 1n : n), 0n);
  const unavailable = usable - available;
  const usage = usable === 0n ? 0 : Number(unavailable) / Number(usable);
  return jsonReply(200, {
    num_available: Number(available),
    largest_available: Number(largest),
    num_unavailable: Number(unavailable),
    total_addresses: Number(usable),
    usage,
    usage_string: `${Math.round(usage * 100)}%`,
    available_string: `${Math.round((1 - usage) * 100)}%`,
    first_address: rangeJson(net.family, { first: net.first, last: net.first }).start,
    last_address: rangeJson(net.family, { first: net.last, last: net.last }).start,
    ip_version: net.family === "ipv4" ? 4 : 6,
  });
}

export const subnetResources: Resource[] = [
  { name: "subnets", pattern: /^subnets\/$/, exports: { "GET ": list } },
  {
    name: "subnets/{id}",
    // Same shape as MAAS's route: word characters, '.', ':', ' ', '-', optionally followed by a /prefix.
    pattern: /^subnets\/(?<id>[.: \w-]+(?:\/\d\d?\d?)?)\/$/,
    exports: {
      "GET ": read,
      "GET reserved_ip_ranges": reservedIpRanges,
      "GET unreserved_ip_ranges": unreservedIpRanges,
      "GET ip_addresses": ipAddresses,
      "GET statistics": statistics,
    },
  },
];
