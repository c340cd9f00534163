/**
 * Anonymous resources used for feature detection: `version/` (ref §5) and `describe/`.
 *
 * No capability announces reserved IPs; clients must compare the version. `describe/` lists the handlers the
 * simulated version has, so `ReservedIpsHandler` appears only from 3.6.
 */
import type { ApiContext, Resource } from "./api-context";
import { jsonReply, type Reply } from "./http-io";
import { API_ROOT } from "./render";

export const CAPABILITIES = [
  "networks-management",
  "static-ipaddresses",
  "ipv6-deployment-ubuntu",
  "devices-management",
  "storage-deployment-ubuntu",
  "network-deployment-ubuntu",
  "bridging-interface-ubuntu",
  "bridging-automatic-ubuntu",
  "authenticate-api",
];

function version(ctx: ApiContext): Reply {
  return jsonReply(200, { capabilities: CAPABILITIES, version: ctx.version, subversion: "" });
}

function describe(ctx: ApiContext): Reply {
  const handlers: Array<[string, string, string[]]> = [
    ["IPAddressesHandler", "ipaddresses/", ["GET", "POST"]],
    ["IPRangesHandler", "ipranges/", ["GET", "POST"]],
    ["IPRangeHandler", "ipranges/{id}/", ["GET", "PUT", "DELETE"]],
    ["SubnetsHandler", "subnets/", ["GET"]],
    ["SubnetHandler", "subnets/{id}/", ["GET"]],
    ["VersionHandler", "version/", ["GET"]],
  ];
  if (ctx.features.reservedIps) {
    handlers.push(["ReservedIpsHandler", "reservedips/", ["GET", "POST"]], ["ReservedIpHandler", "reservedips/{id}/", ["GET", "PUT", "DELETE"]]);
  }
  return jsonReply(200, {
    doc: "MAAS API",
    hash: "simulator",
    resources: handlers.map(([name, path, methods]) => ({
      name,
      auth: { name, path: `${API_ROOT}${path}`, uri: `http://127.0.0.1${API_ROOT}${path}`, params: path.includes("{id}") ? ["id"] : [], actions: methods.map((m) => ({ method: m, name: null, op: null, restful: true })) },
      anon: null,
    })),
  });
}

export const metaResources: Resource[] = [
  { name: "version", pattern: /^version\/$/, anonymous: true, exports: { "GET ": version } },
  { name: "describe", pattern: /^describe\/$/, anonymous: true, exports: { "GET ": describe } },
];
