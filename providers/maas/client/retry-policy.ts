/**
 * The retry policy as data (the shape ky and undici use), plus the backoff arithmetic.
 *
 * Decisions (see also http.ts):
 * - 502/503/504 are retried: 503 is MAAS's "no rack connection", 502/504 come from its nginx front end
 *   while regiond (re)starts or a rack RPC times out (ref/maas-api.md §7.3).
 * - 409 is retried only when it is MAAS's transient serialization-conflict page (HTML body or a
 *   `Retry-After` header); a text/plain 409 is a real static-IP conflict and is reported at once.
 *   A transient 409 on a non-idempotent POST goes through the reconcile path like any other
 *   ambiguous failure, never a blind resend.
 * - No other 4xx is ever retried.
 * - Connection errors (refused, reset, socket closed, timeouts) are retried.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (so `limit + 1` attempts at most). */
  limit: number;
  /** Backoff before retry n is `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Full jitter: wait a uniformly random time between 0 and the backoff. */
  jitter: boolean;
  /** Longest `Retry-After` honoured; larger values are cut down to this. */
  maxRetryAfterMs: number;
  /** HTTP statuses that are transient. */
  statusCodes: number[];
  /** Also treat MAAS's transient 409 page (HTML or with `Retry-After`) as retryable. */
  retryTransientConflicts: boolean;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  limit: 4, // gomaasapi retries 4 times on the same transient codes
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  jitter: true,
  maxRetryAfterMs: 10_000, // MAAS's own Retry-After values are 5 s and 10 s
  statusCodes: [502, 503, 504],
  retryTransientConflicts: true,
});

/** Connection-level error codes worth another attempt. */
export const RETRYABLE_ERROR_CODES: readonly string[] = [
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "MAAS_ATTEMPT_TIMEOUT",
];

/** Error codes after which the request certainly never reached MAAS, so even a POST may be resent. */
export const NOT_SENT_ERROR_CODES: readonly string[] = ["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "EAI_AGAIN"];

/** Fills a partial policy with the defaults and rejects nonsense values. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, statusCodes: [...DEFAULT_RETRY_POLICY.statusCodes], ...partial };
  for (const key of ["limit", "baseDelayMs", "maxDelayMs", "maxRetryAfterMs"] as const) {
    const v = policy[key];
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`retry.${key} must be a non-negative number; got ${String(v)}.`);
  }
  return policy;
}

/**
 * How long to wait before retry number `retry` (1-based). A parsed `Retry-After` (already capped)
 * replaces the computed backoff, as in ky.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return policy.jitter ? Math.floor(random() * backoff) : backoff;
}
