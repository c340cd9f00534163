/**
 * MaasClient: the reservation-shaped view of MAAS's REST API that the dynamic provider needs, over both
 * generations — `reservedips` on MAAS ≥ 3.6 and `ipaddresses op=reserve|release` on MAAS ≤ 3.5
 * (ref/maas-api.md §0). It detects which one from `version/` (memoised per client) and hides the difference
 * behind `Reservation`.
 *
 * Write safety:
 * - A create is not idempotent. If an attempt fails after the request may have reached MAAS (reset,
 *   timeout, 5xx), the client lists the reservations first and *adopts* one with the same ip and MAC
 *   instead of posting again; only when none exists is the POST resent (`stats.adoptions` counts adoptions).
 * - A release is idempotent: a retried release that finds the reservation gone reports "released" (the
 *   earlier attempt did it); a first attempt that finds it gone reports "already-gone".
 * - Nothing here caches reservations; callers decide (the provider memoises one list per run).
 */
import { z } from "zod";
import { resolveMaasUrl } from "./base-url";
import { canonicalIp } from "./canonical-ip";
import { decodeBody } from "./decode";
import * as dnsResources from "./dns-resources";
import { MaasConflictError, MaasError, MaasUnsupportedError, MaasValidationError, type MaasConflictHolder } from "./errors";
import { MaasHttp, type MaasResponse } from "./http";
import * as ipAddresses from "./ip-addresses";
import { IP_RANGES_PATH, ipRangeSchema, toIpRange } from "./ip-ranges";
import { normalizeMac } from "./mac";
import { parseApiKey } from "./oauth";
import { makeRedactor } from "./redaction";
import * as reservedIps from "./reserved-ips";
import { conflictError, errorFromResponse, type FailureContext } from "./response-errors";
import { resolveRetryPolicy, type RetryPolicy } from "./retry-policy";
import { SUBNETS_PATH, subnetSchema, toSubnet } from "./subnets";
import type { IpRange, MaasVersion, Reservation, ReservationMechanism, ReservationRequest, ReservationView, Subnet } from "./types";
import { mechanismForVersion, parseMaasVersion } from "./version";

export interface MaasClientOptions {
  /** e.g. "http://127.0.0.1:5240/MAAS/" (with or without the trailing slash or "api/2.0/"). */
  url: string;
  /** "consumer:token:secret". Never appears in any message. */
  apiKey: string;
  /** Per attempt (headers and body), default 10 000 ms. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Test hook: replaces the backoff sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Test hook: replaces Math.random for jitter. */
  random?: () => number;
}

export interface MaasClientStats {
  /** Logical requests (each may take several attempts). */
  requests: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Attempts beyond the first. */
  retries: number;
  /** Creates that found, after an ambiguous failure, that MAAS had applied them, and adopted the result. */
  adoptions: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_USER_AGENT = "homelab-ipam-maas-client/0.1";

const versionSchema = () =>
  z.object({ version: z.string().nullish() });

export class MaasClient {
  readonly stats: MaasClientStats = { requests: 0, attempts: 0, retries: 0, adoptions: 0 };
  /** The MAAS URL as shown in messages (no credentials, ends with "/"). */
  readonly url: string;
  private readonly http: MaasHttp;
  private versionMemo: Promise<MaasVersion> | undefined;
  private mechanismMemo: Promise<ReservationMechanism> | undefined;

  constructor(opts: MaasClientOptions) {
    const endpoint = resolveMaasUrl(opts.url);
    const credentials = parseApiKey(opts.apiKey);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`MAAS timeoutMs must be a positive number of milliseconds; got ${String(opts.timeoutMs)}.`);
    }
    this.url = endpoint.displayUrl;
    this.http = new MaasHttp({
      endpoint,
      credentials,
      timeoutMs,
      retry: resolveRetryPolicy(opts.retry),
      userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
      redact: makeRedactor([opts.apiKey.trim(), credentials.consumerKey, credentials.tokenKey, credentials.tokenSecret]),
      stats: this.stats,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  /** `GET version/` (anonymous), once per client; a failure is not memoised. */
  version(): Promise<MaasVersion> {
    if (!this.versionMemo) {
      this.versionMemo = this.fetchVersion();
      this.versionMemo.catch(() => (this.versionMemo = undefined));
    }
    return this.versionMemo;
  }

  /** "reservedips" from MAAS 3.6.0 on, else "ipaddresses"; an unparseable version ("None") is settled by probing. */
  mechanism(): Promise<ReservationMechanism> {
    if (!this.mechanismMemo) {
      this.mechanismMemo = this.detectMechanism();
      this.mechanismMemo.catch(() => (this.mechanismMemo = undefined));
    }
    return this.mechanismMemo;
  }

  /** Every reservation the key can see (see `reservationView`). */
  async listReservations(): Promise<Reservation[]> {
    return (await this.reservationView()).reservations;
  }

  /**
   * Every reservation of both generations the key can see, in at most two GETs (MAAS has no pagination):
   * on ≥ 3.6 the `reservedips` list *and* the legacy `ipaddresses` reservations (made before an upgrade, still
   * served to DHCP: ref/maas-api.md §0, §6.1), on ≤ 3.5 the legacy ones and, when there are any, the DNS records
   * that hold their hostnames (`dnsNames`). Legacy rows are listed for all users with
   * `all=true` when the key is an admin's; otherwise MAAS answers 403 and only the key owner's are listed, which
   * `othersVisible: false` says.
   */
  async reservationView(): Promise<ReservationView> {
    const mechanism = await this.mechanism();
    const ctx = this.ctx("the reservation list");
    // One after the other, so a refresh's requests come in a fixed order (and a busy MAAS sees one at a time).
    const current =
      mechanism === "reservedips"
        ? decodeBody(z.array(reservedIps.reservedIpSchema()), await this.get(reservedIps.RESERVED_IPS_PATH, ctx), this.url, this.http.redact).map(
            reservedIps.toReservation,
          )
        : [];
    const legacy = await this.legacyReservations(ctx);
    // On ≤ 3.5 the hostname of a legacy reservation is a DNS record (dns-resources.ts): one more GET per list, none
    // when there is nothing to label. On ≥ 3.6 the label is the reserved IP's comment, and adopted legacy rows keep
    // their declared hostname (a rename there would be repaired by a replace, i.e. a migration: README, Upgrades).
    if (mechanism === "ipaddresses" && legacy.reservations.length > 0) {
      const names = await this.dnsNamesByIp(ctx);
      for (const r of legacy.reservations) r.dnsNames = names.get(canonicalIp(r.ip) ?? r.ip) ?? [];
    }
    return { reservations: [...current, ...legacy.reservations], othersVisible: legacy.othersVisible };
  }

  private async dnsNamesByIp(ctx: FailureContext): Promise<Map<string, string[]>> {
    const res = await this.get(dnsResources.DNS_RESOURCES_PATH, ctx);
    return dnsResources.namesByIp(decodeBody(z.array(dnsResources.dnsResourceSchema()), res, this.url, this.http.redact));
  }

  private async legacyReservations(ctx: FailureContext): Promise<ReservationView> {
    const decode = (res: MaasResponse) =>
      decodeBody(z.array(ipAddresses.staticIpSchema()), res, this.url, this.http.redact)
        .map((row) => ipAddresses.toReservation(row))
        .filter((r): r is Reservation => r !== null);
    const { response: all } = await this.sendPlain({ method: "GET", path: ipAddresses.IP_ADDRESSES_PATH, query: { all: "true" }, idempotent: true });
    if (all.status === 200) return { reservations: decode(all), othersVisible: true };
    if (all.status !== 403) throw errorFromResponse(ctx, all);
    return { reservations: decode(await this.get(ipAddresses.IP_ADDRESSES_PATH, ctx)), othersVisible: false };
  }

  /** The first reservation matching every criterion given (id, ip, mac in any accepted form), or null. */
  async findReservation(q: { id?: string; ip?: string; mac?: string }): Promise<Reservation | null> {
    if (q.id === undefined && q.ip === undefined && q.mac === undefined) {
      throw new MaasError("findReservation needs at least one of id, ip or mac.", "MAAS_BAD_ARGUMENT");
    }
    const ip = q.ip === undefined ? undefined : canonicalIp(q.ip);
    const mac = q.mac === undefined ? undefined : normalizeMac(q.mac);
    if (ip === null || mac === null) return null; // nothing MAAS holds can match an invalid address
    const list = await this.listReservations();
    return (
      list.find(
        (r) =>
          (q.id === undefined || r.id === q.id) &&
          (ip === undefined || canonicalIp(r.ip) === ip) &&
          (mac === undefined || r.mac === mac),
      ) ?? null
    );
  }

  /**
   * Creates a reservation (200 from MAAS, not 201). The MAC is sent normalised. After an ambiguous failure
   * an identical reservation (same ip and MAC) that now exists is adopted instead of posting again.
   */
  async createReservation(req: ReservationRequest): Promise<Reservation> {
    const mac = normalizeMac(req.mac);
    const ip = canonicalIp(req.ip);
    const action = `the reservation of ${ip ?? req.ip} for ${mac ?? req.mac}`;
    const local: Record<string, string[]> = {};
    if (ip === null) local["ip"] = [`${JSON.stringify(req.ip)} is not an IP address; write it like 192.168.4.238.`];
    if (mac === null) {
      local["mac"] = [`${JSON.stringify(req.mac)} is not a MAC address; write six hex pairs, e.g. bc:24:11:3b:7a:a7.`];
    }
    if (ip === null || mac === null) {
      const lines = Object.entries(local).map(([k, [m]]) => `${k}: ${m}`);
      throw new MaasValidationError(`Refusing to ask MAAS for ${action}: ${lines.join(" ")}`, local);
    }
    const mechanism = await this.mechanism();
    const ctx = this.ctx(action);
    const reconcile = async (): Promise<Reservation | null> => {
      const found = (await this.listReservations()).find((r) => canonicalIp(r.ip) === ip && r.mac === mac) ?? null;
      if (found) this.stats.adoptions++;
      return found;
    };
    const request =
      mechanism === "reservedips"
        ? { method: "POST" as const, path: reservedIps.RESERVED_IPS_PATH, form: reservedIps.createForm(req, mac, ip), idempotent: false }
        : { method: "POST" as const, path: ipAddresses.IP_ADDRESSES_PATH, op: "reserve", form: ipAddresses.reserveForm(req, mac, ip), idempotent: false };
    const result = await this.http.send(request, reconcile);
    if (result.kind === "reconciled") return result.value;
    const res = result.response;
    if (res.status === 200 || res.status === 201) {
      if (mechanism === "reservedips") {
        return reservedIps.toReservation(decodeBody(reservedIps.reservedIpSchema(), res, this.url, this.http.redact));
      }
      const row = decodeBody(ipAddresses.staticIpSchema(), res, this.url, this.http.redact);
      // The answer names no DNS record (dnsNames null): the declared hostname stands until the next list.
      const reservation = ipAddresses.toReservation({ ...row, alloc_type: undefined });
      if (reservation) return reservation;
      throw new MaasError(`MAAS answered ${action} with an address-less object; check the reservation in MAAS.`, "MAAS_BAD_RESPONSE");
    }
    const error =
      mechanism === "reservedips" ? reservedIps.classifyWriteFailure(ctx, res) : ipAddresses.classifyReserveFailure(ctx, res);
    if (error instanceof MaasConflictError && !error.heldBy) throw await this.withHolder(error, ctx, res, ip, mac);
    throw error;
  }

  /** reservedips only: PUT with nothing but `comment` (ip, mac and subnet are immutable). */
  async updateComment(id: string, comment: string): Promise<Reservation> {
    const mechanism = await this.mechanism();
    if (mechanism !== "reservedips") {
      const v = await this.version();
      throw new MaasUnsupportedError(
        `MAAS ${v.raw} at ${this.url} has no reservation comments: MAAS before 3.6 reserves through ipaddresses, ` +
          "which stores no comment. Leave the comment unset (or upgrade MAAS to 3.6 or later).",
      );
    }
    const ctx = this.ctx(`the comment of reservation ${id}`);
    const path = reservedIps.reservedIpPath(id);
    const { response: res } = await this.sendPlain({ method: "PUT", path, form: reservedIps.updateForm(comment), idempotent: true });
    if (res.status === 200) {
      return reservedIps.toReservation(decodeBody(reservedIps.reservedIpSchema(), res, this.url, this.http.redact));
    }
    throw reservedIps.classifyWriteFailure(ctx, res);
  }

  /**
   * Releases a reservation by the mechanism that made it. "already-gone" when MAAS no longer had it on the
   * first attempt; "released" when MAAS removed it (including a retry that finds an earlier attempt did).
   */
  async releaseReservation(r: Pick<Reservation, "id" | "ip" | "mechanism">): Promise<"released" | "already-gone"> {
    if (r.mechanism === "reservedips") {
      const ctx = this.ctx(`the release of reservation ${r.id} (${r.ip})`);
      const { response: res } = await this.sendPlain({ method: "DELETE", path: reservedIps.reservedIpPath(r.id), idempotent: true });
      if (res.status === 204 || res.status === 200) return "released";
      if (reservedIps.isGone(res)) return res.ambiguousFailures > 0 ? "released" : "already-gone";
      throw errorFromResponse(ctx, res);
    }
    const ip = canonicalIp(r.ip) ?? r.ip;
    const ctx = this.ctx(`the release of ${ip}`);
    // op=release is a POST but idempotent in effect: a second release of the same ip only says "does not exist".
    const { response: res } = await this.sendPlain({
      method: "POST",
      path: ipAddresses.IP_ADDRESSES_PATH,
      op: "release",
      form: ipAddresses.releaseForm(ip),
      idempotent: true,
    });
    if (res.status === 204 || res.status === 200) return "released";
    if (ipAddresses.isGone(res)) return res.ambiguousFailures > 0 ? "released" : "already-gone";
    throw errorFromResponse(ctx, res);
  }

  async listSubnets(): Promise<Subnet[]> {
    const res = await this.get(SUBNETS_PATH, this.ctx("the subnet list"));
    return decodeBody(z.array(subnetSchema()), res, this.url, this.http.redact).map(toSubnet);
  }

  async listIpRanges(): Promise<IpRange[]> {
    const res = await this.get(IP_RANGES_PATH, this.ctx("the IP range list"));
    return decodeBody(z.array(ipRangeSchema()), res, this.url, this.http.redact).map(toIpRange);
  }

  // ---- internals ----

  private ctx(action: string): FailureContext {
    return { displayUrl: this.url, action, redact: this.http.redact };
  }

  private async sendPlain(req: Parameters<MaasHttp["send"]>[0]): Promise<{ response: MaasResponse }> {
    const result = await this.http.send(req);
    if (result.kind !== "response") throw new Error("internal: reconcile result without a reconcile callback");
    return { response: result.response };
  }

  private async get(path: string, ctx: FailureContext, anonymous = false): Promise<MaasResponse> {
    const { response } = await this.sendPlain({ method: "GET", path, idempotent: true, anonymous });
    if (response.status === 200) return response;
    throw errorFromResponse(ctx, response);
  }

  private async fetchVersion(): Promise<MaasVersion> {
    const res = await this.get("version/", this.ctx("the version check"), true);
    const body = decodeBody(versionSchema(), res, this.url, this.http.redact);
    return parseMaasVersion(body.version ?? "None");
  }

  private async detectMechanism(): Promise<ReservationMechanism> {
    const fromVersion = mechanismForVersion(await this.version());
    if (fromVersion) return fromVersion;
    // No usable version: ask for the 3.6+ endpoint itself. MAAS ≤ 3.5 answers its catch-all 404.
    const { response: res } = await this.sendPlain({ method: "GET", path: reservedIps.RESERVED_IPS_PATH, idempotent: true });
    if (res.status === 200) return "reservedips";
    if (res.status === 404 && /Unknown API endpoint/i.test(res.text)) return "ipaddresses";
    throw errorFromResponse(this.ctx("the reserved-IP feature probe"), res);
  }

  /** Adds what holds the IP (or MAC) to a conflict, when the caller's reservation list shows it. */
  private async withHolder(
    error: MaasConflictError,
    ctx: FailureContext,
    res: MaasResponse,
    ip: string,
    mac: string,
  ): Promise<MaasConflictError> {
    let list: Reservation[];
    try {
      list = await this.listReservations();
    } catch {
      return error; // the conflict is the news; a failed lookup must not replace it
    }
    const holder = list.find((r) => canonicalIp(r.ip) === ip) ?? list.find((r) => r.mac === mac);
    if (!holder) return error;
    const heldBy: MaasConflictHolder = { ip: holder.ip, mac: holder.mac, id: holder.id };
    return conflictError(ctx, res, error.fields, heldBy);
  }
}
