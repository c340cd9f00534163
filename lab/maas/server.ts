/**
 * startMaasSimulator: a plain Node `http` server on 127.0.0.1 that speaks the slice of the MAAS 2.0 REST API the
 * project uses (ref/maas-api.md), plus the `/_sim/` admin surface.
 *
 * Per request: read and decode the body, resolve the route and op, count it, apply the fault plan (delay, then a
 * 5xx or a connection reset; a faulted write may be applied first), then route it like MAAS would. The server
 * never binds anything but loopback: 192.168.4.x addresses are data here, never a target.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { routeAdminRequest } from "./admin-routes";
import { resolveRoute, routeApiRequest, type IncomingApiRequest } from "./api-router";
import { RequestCounters } from "./counters";
import { dhcpRenew, listLeases } from "./dhcp";
import { FaultInjector } from "./faults";
import { ApiError, FormFields, formData, parseBody, readBody, textReply, type ParsedBody, type Reply } from "./http-io";
import { NonceStore } from "./oauth";
import { renameDnsRecord } from "./dns-resources";
import { addReservation, dropReservation, listReservations, reassignReservation, setIpRange, setReservationIp } from "./out-of-band";
import { INCIDENT_SEED, MaasStore } from "./store";
import type { MaasSimOptions, MaasSimulator } from "./types";
import { featuresOf } from "./version";

/** The only address the simulator binds. */
export const SIMULATOR_HOST = "127.0.0.1";

export const DEFAULT_MAAS_VERSION = "3.5.7";

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function emptyBody(): ParsedBody {
  const form = new FormFields();
  return { form, data: formData(form) };
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, "Content-Length": String(Buffer.byteLength(reply.body)) });
  res.end(reply.body);
}

function resetConnection(socket: Socket): void {
  // A TCP RST (ECONNRESET at the client) where the platform supports it, else a plain destroy.
  const s = socket as Socket & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === "function") s.resetAndDestroy();
  else socket.destroy();
}

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

export async function startMaasSimulator(opts: MaasSimOptions = {}): Promise<MaasSimulator> {
  const version = opts.version ?? DEFAULT_MAAS_VERSION;
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`MaasSimOptions.port must be an integer 0–65535 (0 = any free port), got ${port}.`);
  }
  const features = featuresOf(version);
  const store = MaasStore.open(opts.seed ?? INCIDENT_SEED, opts.stateFile);
  const nonces = new NonceStore();
  const counters = new RequestCounters();
  const faults = new FaultInjector();
  const deps = { store, features, version, nonces, nowSeconds: () => Math.floor(Date.now() / 1000) };
  // `sim` is referenced by the admin routes; assigned below before the server accepts connections.
  let sim: MaasSimulator;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", `http://${SIMULATOR_HOST}`);
    const raw = await readBody(req);
    if (url.pathname.startsWith("/_sim/")) {
      send(res, routeAdminRequest(sim, method, url.pathname, url.searchParams, raw));
      return;
    }
    const path = decodePath(url.pathname);
    // Django fills request.POST for POST; piston re-parses PUT bodies. Other methods' bodies are ignored.
    const body = method === "POST" || method === "PUT" ? await parseBody(req.headers["content-type"], raw) : emptyBody();
    const route = resolveRoute(method, path, url.searchParams, body, features);
    counters.count(method, route.name, route.op);
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    const fault = faults.next();
    const apiRequest: IncomingApiRequest = {
      method,
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      absoluteUrl: `http://${req.headers.host ?? SIMULATOR_HOST}${url.pathname}`,
    };
    const serve = (): Reply => routeApiRequest(apiRequest, route, deps, () => store.save());
    if (fault !== null) {
      counters.fault();
      // A fault after regiond did the work: reads are always authenticated first (the nonce is spent, ref §1.2:
      // a client must sign each retry afresh), writes are committed first when the plan says so. Then the answer
      // is lost — a reset, or nginx's 502/504 / regiond's 503 (ref §2.4, §7.3) — so the client cannot tell.
      if (!WRITE_METHODS.has(method) || faults.writesApplyBeforeFault) serve();
      if (fault === "reset") {
        resetConnection(req.socket);
        return;
      }
      send(res, faults.reply(fault));
      return;
    }
    send(res, serve());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Bodies that cannot be read or decoded come back as ApiError replies; anything else is MAAS's 500.
      send(res, err instanceof ApiError ? err.reply : textReply(500, String((err as Error)?.message ?? err)));
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, SIMULATOR_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  if (address.address !== SIMULATOR_HOST) {
    server.close();
    throw new Error(`MAAS simulator bound ${address.address} instead of ${SIMULATOR_HOST}; refusing to serve.`);
  }
  const adminUser = store.state.users.find((u) => u.isSuperuser);
  const plainUser = store.state.users.find((u) => !u.isSuperuser);
  if (adminUser === undefined || plainUser === undefined) throw new Error("MAAS simulator state has no admin or no non-admin user; delete the state file.");
  const keyOf = (u: { consumerKey: string; tokenKey: string; tokenSecret: string }): string => `${u.consumerKey}:${u.tokenKey}:${u.tokenSecret}`;

  let closed: Promise<void> | null = null;
  sim = {
    url: `http://${SIMULATOR_HOST}:${address.port}/MAAS/`,
    apiKey: keyOf(adminUser),
    userApiKey: keyOf(plainUser),
    version,
    dropReservation: (ip) => dropReservation(store, ip),
    setIpRange: (id, r) => setIpRange(store, id, r),
    renameDnsRecord: (from, to) => renameDnsRecord(store, from, to),
    reassignReservation: (ip, mac, comment) => reassignReservation(store, features, ip, mac, comment),
    setReservationIp: (oldIp, newIp) => setReservationIp(store, oldIp, newIp),
    addReservation: (r) => addReservation(store, features, r),
    reservations: () => listReservations(store),
    dhcpRenew: (mac) => dhcpRenew(store, mac),
    leases: () => listLeases(store),
    setFaults: (f) => faults.set(f),
    clearFaults: () => faults.clear(),
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
  return sim;
}
