/**
 * The HTTP layer: one place that talks to MAAS, through Node's `fetch` (the undici that ships inside Node:
 * in a micro-benchmark its first request took ≈ 34 ms, loading the undici package and its first request
 * ≈ 70 ms, and that load sat on the path of every refresh). It owns the things every call needs and that are easy to get subtly wrong (ref/maas-api.md §2, §7):
 * - paths relative to `/MAAS/api/2.0/`, always ending in "/"; named ops as `?op=…`; params form-encoded;
 * - a new OAuth header (fresh nonce + timestamp) for every attempt, retries included;
 * - no cookies ever (Node's fetch has no jar), no redirects followed, no `format` query parameter;
 * - a per-attempt timeout covering headers and body;
 * - the retry policy (retry-policy.ts), honouring `Retry-After`.
 *
 * Non-idempotent requests (a reservation create) are never resent blindly. When an attempt fails after the
 * request may have reached MAAS (reset, timeout, transient status), the caller's `reconcile` callback runs
 * first — it re-lists and returns the object if the write did take effect — and only when it finds nothing
 * is the request sent again. Without a `reconcile` such a failure is reported at once.
 */
import { STATUS_CODES } from "node:http";
import type { MaasEndpoint } from "./base-url";
import { MaasError, MaasUnavailableError, MaasUnreachableError } from "./errors";
import { buildAuthorizationHeader, type OAuthCredentials } from "./oauth";
import type { Redactor } from "./redaction";
import { parseRetryAfter } from "./retry-after";
import { NOT_SENT_ERROR_CODES, RETRYABLE_ERROR_CODES, retryDelayMs, type RetryPolicy } from "./retry-policy";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface MaasRequest {
  method: HttpMethod;
  /** Relative to the API root, e.g. "reservedips/" or "reservedips/7/". Must end with "/". */
  path: string;
  /** A named operation, sent in the query string (`?op=reserve`). */
  op?: string;
  /** Extra query parameters (GET filters). Never `format`. */
  query?: Record<string, string>;
  /** Sent as an application/x-www-form-urlencoded body; undefined values are left out. */
  form?: Record<string, string | undefined>;
  /** `version/` needs no credentials. */
  anonymous?: boolean;
  /** True when sending the request twice has the same effect as sending it once. */
  idempotent: boolean;
}

export interface MaasResponse {
  status: number;
  statusText: string;
  /** Lowercased, without parameters ("application/json"). Empty when absent. */
  contentType: string;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  text: string;
  method: HttpMethod;
  /** The path as shown in messages, with its op: "ipaddresses/?op=reserve". */
  target: string;
  /** Attempts it took to get this response. */
  attempts: number;
  /** Earlier attempts that failed after the request may have reached MAAS (so it may already have acted). */
  ambiguousFailures: number;
}

export type SendResult<T> =
  | { kind: "response"; response: MaasResponse }
  /** `reconcile` found that an earlier, failed-looking attempt had in fact been applied. */
  | { kind: "reconciled"; value: T; attempts: number };

export interface ClientStats {
  /** Logical requests (one per `send`). */
  requests: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Attempts after the first, summed over all requests. */
  retries: number;
}

export interface MaasHttpOptions {
  endpoint: MaasEndpoint;
  credentials: OAuthCredentials;
  timeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
  redact: Redactor;
  stats: ClientStats;
  /** Injected in tests to observe backoff without waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected in tests to make jitter deterministic. */
  random?: () => number;
}

type AttemptOutcome =
  | { kind: "response"; status: number; statusText: string; contentType: string; headers: Record<string, string>; text: string }
  | { kind: "error"; code: string; description: string };

const DESCRIPTIONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed while sending",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed temporarily",
  UND_ERR_SOCKET: "connection closed by the server",
  UND_ERR_CLOSED: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_HEADERS_TIMEOUT: "no response headers in time",
  UND_ERR_BODY_TIMEOUT: "response body stalled",
};

const MAX_BODY_IN_MESSAGE = 300;

/** A short, single-line rendering of a response body for messages: HTML reduced to its text, whitespace collapsed. */
export function summarizeBody(text: string, contentType: string): string {
  let out = text;
  if (contentType.includes("html") || /^\s*</.test(out)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(out)?.[1];
    out = (title ?? out)
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]*>/g, " ")
      .replace(/&nbsp;/g, " ")
      .replace(/&amp;/g, "&")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">");
  }
  out = out.replace(/\s+/g, " ").trim();
  if (out.length > MAX_BODY_IN_MESSAGE) out = `${out.slice(0, MAX_BODY_IN_MESSAGE - 1)}…`;
  return out === "" ? "(empty body)" : out;
}

/** Parses a JSON response body, or throws a MaasError naming the request. */
export function parseJsonBody(res: MaasResponse, displayUrl: string, redact: Redactor): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    throw new MaasError(
      redact(
        `MAAS at ${displayUrl} answered ${res.method} ${res.target} with ${res.status} but a body that is not JSON ` +
          `(${res.contentType || "no content type"}: ${summarizeBody(redact(res.text), res.contentType)}). ` +
          "Check that the url points at MAAS itself and not a proxy or login page.",
      ),
      "MAAS_BAD_RESPONSE",
      { status: res.status, method: res.method, path: res.target },
    );
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: { code?: unknown }[]; name?: unknown };
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  const inner = Array.isArray(e?.errors) ? e.errors.find((x) => typeof x?.code === "string") : undefined;
  if (inner && typeof inner.code === "string") return inner.code;
  return typeof e?.name === "string" ? e.name : "UNKNOWN";
}

function sleepFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class MaasHttp {
  readonly endpoint: MaasEndpoint;
  readonly redact: Redactor;
  private readonly opts: MaasHttpOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(opts: MaasHttpOptions) {
    this.opts = opts;
    this.endpoint = opts.endpoint;
    this.redact = opts.redact;
    this.sleep = opts.sleep ?? sleepFor;
    this.random = opts.random ?? Math.random;
  }

  async send<T = never>(req: MaasRequest, reconcile?: () => Promise<T | null>): Promise<SendResult<T>> {
    if (!req.path.endsWith("/") || req.path.startsWith("/")) {
      // MAAS answers a path without its trailing slash with 404 "Unknown API endpoint", not a redirect.
      throw new Error(`internal: MAAS API path ${JSON.stringify(req.path)} must be relative and end with "/"`);
    }
    if (req.query && "format" in req.query) {
      throw new Error("internal: MAAS uses the `format` query parameter to pick its output emitter; do not send it");
    }
    const { stats, retry } = this.opts;
    const target = req.op ? `${req.path}?op=${req.op}` : req.path;
    stats.requests++;
    let ambiguous = 0;
    let waitMs = 0;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        stats.retries++;
        if (waitMs > 0) await this.sleep(waitMs);
      }
      stats.attempts++;
      const outcome = await this.attempt(req);
      let reached: boolean;
      let retryAfterMs: number | undefined;
      if (outcome.kind === "response") {
        if (!this.isTransient(outcome)) {
          return {
            kind: "response",
            response: { ...outcome, method: req.method, target, attempts: attempt, ambiguousFailures: ambiguous },
          };
        }
        reached = true;
        retryAfterMs = parseRetryAfter(outcome.headers["retry-after"], retry.maxRetryAfterMs);
      } else {
        if (!RETRYABLE_ERROR_CODES.includes(outcome.code)) throw this.failed(req, target, attempt, outcome, "final");
        reached = !NOT_SENT_ERROR_CODES.includes(outcome.code);
      }
      if (attempt > retry.limit) throw this.failed(req, target, attempt, outcome, "final");
      waitMs = retryDelayMs(retry, attempt, retryAfterMs, this.random);
      if (!reached) continue;
      ambiguous++;
      if (req.idempotent) continue;
      if (!reconcile) throw this.failed(req, target, attempt, outcome, "not-resent");
      if (waitMs > 0) await this.sleep(waitMs);
      waitMs = 0;
      const applied = await reconcile();
      if (applied !== null) return { kind: "reconciled", value: applied, attempts: attempt };
    }
  }

  private isTransient(res: { status: number; contentType: string; headers: Record<string, string> }): boolean {
    const { retry } = this.opts;
    if (retry.statusCodes.includes(res.status)) return true;
    // MAAS's 409 after its own serialization retries is an HTML page with Retry-After: 5. A text/plain 409
    // is a real static-IP conflict and retrying cannot fix it.
    if (res.status === 409 && retry.retryTransientConflicts) {
      return res.contentType.includes("html") || res.headers["retry-after"] !== undefined;
    }
    return false;
  }

  private async attempt(req: MaasRequest): Promise<AttemptOutcome> {
    const { endpoint, credentials, timeoutMs, userAgent } = this.opts;
    const query = new URLSearchParams();
    if (req.op) query.set("op", req.op);
    for (const [k, v] of Object.entries(req.query ?? {})) query.append(k, v);
    const qs = query.toString();
    const url = `${endpoint.apiRoot}${req.path}${qs ? `?${qs}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json", "user-agent": userAgent };
    if (!req.anonymous) headers["authorization"] = buildAuthorizationHeader(credentials); // fresh per attempt
    let body: string | undefined;
    if (req.form) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) form.append(k, v);
      body = form.toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      // The abort timer bounds headers and body together; a redirect is MAAS's answer, shown as such.
      const res = await fetch(url, { method: req.method, headers, body, signal: controller.signal, redirect: "manual" });
      // Every MAAS body that is not a success is untrusted text: it can echo the real token secret (ref §1.3),
      // so it is redacted here, before any classifier, message or log can see it.
      const raw = await res.text();
      const text = res.status >= 200 && res.status < 300 ? raw : this.redact(raw);
      const flat: Record<string, string> = {};
      for (const [k, v] of res.headers) flat[k] = v; // lowercase names, repeated headers joined with ", "
      return {
        kind: "response",
        status: res.status,
        statusText: STATUS_CODES[res.status] ?? "",
        contentType: (flat["content-type"] ?? "").split(";")[0]!.trim().toLowerCase(),
        headers: flat,
        text,
      };
    } catch (err) {
      if (timedOut) return { kind: "error", code: "MAAS_ATTEMPT_TIMEOUT", description: `no answer within ${timeoutMs} ms` };
      const code = errorCode(err);
      const description = DESCRIPTIONS[code] ?? (err instanceof Error ? err.message : String(err));
      return { kind: "error", code, description };
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(req: MaasRequest, target: string, attempts: number, outcome: AttemptOutcome, why: "final" | "not-resent"): MaasError {
    const { displayUrl } = this.endpoint;
    const details = { method: req.method, path: target };
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    const unknownOutcome =
      why === "not-resent"
        ? ` MAAS may or may not have applied this ${req.method}, so it was not sent again; check MAAS before running again.`
        : "";
    if (outcome.kind === "response") {
      const body = summarizeBody(outcome.text, outcome.contentType);
      const advice =
        outcome.status === 409
          ? "MAAS kept reporting a database conflict; run again in a little while."
          : "Check that MAAS's region and rack controllers are running (`maas status`, or the Controllers page), then run again.";
      return new MaasUnavailableError(
        this.redact(
          `MAAS at ${displayUrl} is unavailable after ${tries} (${outcome.status} ${outcome.statusText}: ${body}) ` +
            `on ${req.method} ${target}.${unknownOutcome || ` ${advice}`}`,
        ),
        attempts,
        { ...details, status: outcome.status },
      );
    }
    return new MaasUnreachableError(
      this.redact(
        `MAAS at ${displayUrl} is unreachable after ${tries} (${outcome.code}: ${outcome.description}) on ${req.method} ${target}.` +
          (unknownOutcome ||
            " Check that MAAS is running and that the url is right (it usually looks like http://maas.example:5240/MAAS/)."),
      ),
      attempts,
      outcome.code,
      details,
    );
  }
}
