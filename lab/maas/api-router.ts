/**
 * From an HTTP request to a MAAS reply, in the order Django and piston apply their rules (ref §2):
 *   URL resolution (trailing slash mandatory; anything unmatched under /api/2.0/ is 404 "Unknown API endpoint"),
 *   CSRF (only when a `sessionid` cookie is sent), authentication, the 405 method check, then (method, op)
 *   dispatch ("Unrecognised signature" for unknown pairs) and the handler itself.
 */
import { createHash } from "node:crypto";
import type { ApiContext, Resource } from "./api-context";
import { ApiError, HTML_TYPE, textReply, type ParsedBody, type Reply } from "./http-io";
import { dnsResourceResources } from "./dns-resources";
import { ipAddressesResources } from "./ip-addresses";
import { ipRangeResources } from "./ip-ranges";
import { metaResources } from "./meta-resources";
import { authenticate, challengeReply, type NonceStore } from "./oauth";
import { reservedIpsResources } from "./reserved-ips";
import type { MaasStore } from "./store";
import { subnetResources } from "./subnets";
import type { MaasFeatures } from "./version";

const RESOURCES: Resource[] = [
  ...metaResources,
  ...reservedIpsResources,
  ...ipAddressesResources,
  ...subnetResources,
  ...ipRangeResources,
  ...dnsResourceResources,
];

const API_PREFIX = "/MAAS/api/2.0/";
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface RouterDeps {
  store: MaasStore;
  features: MaasFeatures;
  version: string;
  nonces: NonceStore;
  /** Current time in Unix seconds (for OAuth timestamps). */
  nowSeconds(): number;
}

export interface IncomingApiRequest {
  method: string;
  /** Decoded path, e.g. "/MAAS/api/2.0/reservedips/". */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: ParsedBody;
  /** scheme://host/path as the client addressed it. */
  absoluteUrl: string;
}

/** Where a request goes; `name` feeds the counters ("reservedips/{id}", "unknown", …). */
export interface ResolvedRoute {
  name: string;
  kind: "resource" | "version-text" | "gone" | "unknown-api" | "landing" | "not-found";
  resource?: Resource;
  params: Record<string, string>;
  op: string | null;
}

function lastValue(params: URLSearchParams, key: string): string | undefined {
  const all = params.getAll(key);
  return all.length === 0 ? undefined : all[all.length - 1];
}

function matchResource(rel: string, features: MaasFeatures): { resource: Resource; params: Record<string, string> } | null {
  for (const resource of RESOURCES) {
    if (resource.available && !resource.available(features)) continue;
    const m = resource.pattern.exec(rel);
    if (m) return { resource, params: { ...(m.groups ?? {}) } };
  }
  return null;
}

/** Resolve the route and the op: query string first, then form body, then (3.3+) a `/op-<name>` path suffix. */
export function resolveRoute(method: string, path: string, query: URLSearchParams, body: ParsedBody, features: MaasFeatures): ResolvedRoute {
  const none = { params: {}, op: null };
  if (path.startsWith("/MAAS/api/version/")) return { name: "api-version", kind: "version-text", ...none };
  if (path.startsWith("/MAAS/api/1.0/")) return { name: "api-1.0", kind: "gone", ...none };
  if (path === "/MAAS/api/") return { name: "api-landing", kind: "landing", ...none };
  if (!path.startsWith(API_PREFIX)) return { name: "not-found", kind: "not-found", ...none };
  const rel = path.slice(API_PREFIX.length);
  let op: string | null = lastValue(query, "op") || body.form.get("op") || null;
  let found = matchResource(rel, features);
  if (found === null && features.opPathSuffix) {
    const m = /^(.+\/)op-([^/]+)$/.exec(rel);
    const candidate = m ? matchResource(m[1], features) : null;
    // MAAS generates a suffix route only for ops the handler exports.
    if (m && candidate && Object.keys(candidate.resource.exports).some((k) => k.split(" ")[1] === m[2])) {
      found = candidate;
      op ??= m[2];
    }
  }
  if (found === null) return { name: "unknown", kind: "unknown-api", ...none };
  return { name: found.resource.name, kind: "resource", resource: found.resource, params: found.params, op };
}

function headerValue(headers: IncomingApiRequest["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

function hasSessionCookie(headers: IncomingApiRequest["headers"]): boolean {
  const cookie = headerValue(headers, "cookie") ?? "";
  return cookie.split(";").some((c) => c.trim().startsWith("sessionid="));
}

const CSRF_PAGE =
  '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>403 Forbidden</title></head>\n<body>\n' +
  "<h1>Forbidden <span>(403)</span></h1>\n<p>CSRF verification failed. Request aborted.</p>\n" +
  "<p>Reason given for failure:</p>\n<pre>\n    CSRF cookie not set.\n</pre>\n</body>\n</html>\n";

/** Headers every piston response carries (ref §2.4). */
function pistonHeaders(version: string): Record<string, string> {
  return { "X-MAAS-API-Hash": createHash("sha1").update(`maas-simulator ${version}`).digest("hex"), Vary: "Authorization" };
}

function withHeaders(reply: Reply, extra: Record<string, string>): Reply {
  return { ...reply, headers: { ...reply.headers, ...extra } };
}

/** Serve one request that is not under /_sim/. */
export function routeApiRequest(req: IncomingApiRequest, route: ResolvedRoute, deps: RouterDeps, commit: () => void): Reply {
  switch (route.kind) {
    case "version-text":
      return textReply(200, "2.0");
    case "gone":
      return textReply(410, "The 1.0 API is no longer available. Please use API version 2.0.");
    case "landing":
      return { status: 200, headers: { "Content-Type": HTML_TYPE }, body: "<html><body>MAAS API (simulator). Use /MAAS/api/2.0/.</body></html>" };
    case "not-found":
      return { status: 404, headers: { "Content-Type": HTML_TYPE }, body: "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>" };
    default:
      break;
  }
  // Django's CSRF middleware runs for every resolved view; without a session cookie MAAS skips it (ref §7.4).
  if (UNSAFE_METHODS.has(req.method) && hasSessionCookie(req.headers)) {
    return { status: 403, headers: { "Content-Type": HTML_TYPE }, body: CSRF_PAGE };
  }
  if (route.kind === "unknown-api" || route.resource === undefined) {
    return textReply(404, `Unknown API endpoint: ${req.path}.`);
  }
  const resource = route.resource;
  const piston = pistonHeaders(deps.version);
  let user = null;
  if (!resource.anonymous) {
    const auth = authenticate(
      { authorization: headerValue(req.headers, "authorization"), method: req.method, absoluteUrl: req.absoluteUrl, query: req.query, form: req.body.form },
      deps.store.state.users,
      deps.nonces,
      deps.nowSeconds(),
    );
    if (auth.kind === "error") return withHeaders(auth.reply, piston);
    if (auth.kind === "anonymous") return withHeaders(challengeReply(), piston);
    user = auth.user;
  }
  const allowed = [...new Set(Object.keys(resource.exports).map((k) => k.split(" ")[0]))];
  if (!allowed.includes(req.method)) {
    return withHeaders({ status: 405, headers: { "Content-Type": HTML_TYPE, Allow: allowed.join(", ") }, body: "" }, piston);
  }
  const handler = resource.exports[`${req.method} ${route.op ?? ""}`];
  if (handler === undefined) {
    return withHeaders(textReply(400, `Unrecognised signature: method=${req.method} op=${route.op ?? "None"}`), piston);
  }
  const ctx: ApiContext = {
    store: deps.store,
    features: deps.features,
    version: deps.version,
    user,
    method: req.method,
    path: req.path,
    query: req.query,
    body: req.body,
    params: route.params,
    commit,
  };
  try {
    return withHeaders(handler(ctx), piston);
  } catch (err) {
    if (err instanceof ApiError) return withHeaders(err.reply, piston);
    throw err;
  }
}
