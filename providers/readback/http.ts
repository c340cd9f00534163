/**
 * The read-back's only HTTP primitive: one GET that returns JSON or says why the endpoint could not
 * be reached. A preview must stay fast and must never fail because a node is down, so the policy is
 * short and fixed: ~3 s per phase (connect, headers, body) and one retry on a transport error or a
 * 5xx, nothing more (GET is idempotent; the K3s API and PVE answer in milliseconds when healthy).
 *
 * The undici Agent (TLS material for the cluster's CA and client certificate) is built per call and
 * closed after it, never captured: an Agent cannot be serialized into a dynamic provider
 * (ref/pulumi.md §1.5 pitfall 1).
 */
import { Agent, request } from "undici";

/** Per-phase timeout: connect, response headers and body each get this long. */
export const REQUEST_TIMEOUT_MS = 3_000;
/** One try plus one retry. */
export const MAX_ATTEMPTS = 2;

export interface TlsMaterial {
  /** PEM CA bundle to trust. */
  ca?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  /** Skip server certificate verification (kubeconfig insecure-skip-tls-verify; PVE's self-signed default). */
  insecure?: boolean;
}

export type JsonOutcome =
  | { kind: "response"; status: number; body: unknown }
  | { kind: "unreachable"; reason: string };

/** "connect ECONNREFUSED 127.0.0.1:6443" / "UND_ERR_HEADERS_TIMEOUT: no response within 3 s". */
function transportReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : undefined;
  if (code === "UND_ERR_CONNECT_TIMEOUT") return `no connection within ${REQUEST_TIMEOUT_MS / 1000} s`;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return `no response within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const message = typeof e?.message === "string" ? e.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * GETs `url` and parses the body as JSON (`body` is undefined when it is not JSON). Returns
 * `unreachable` with a one-line reason after the retry when the connection fails or times out.
 * A 5xx is retried once and then returned as a response. `headers` may carry credentials; they are
 * never part of a returned reason.
 */
export async function getJson(url: string, headers: Record<string, string>, tls: TlsMaterial = {}): Promise<JsonOutcome> {
  const connect: Record<string, unknown> = { timeout: REQUEST_TIMEOUT_MS };
  if (tls.ca) connect.ca = tls.ca;
  if (tls.cert) connect.cert = tls.cert;
  if (tls.key) connect.key = tls.key;
  if (tls.insecure) connect.rejectUnauthorized = false;
  const agent = new Agent({
    connect,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
    // A fresh connection per attempt: a half-dead keep-alive socket must not eat the retry.
    pipelining: 0,
  });
  try {
    let reason = "no attempt made";
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        const res = await request(url, {
          method: "GET",
          headers: { accept: "application/json", ...headers },
          dispatcher: agent,
        });
        const text = await res.body.text();
        if (res.statusCode >= 500 && attempt < MAX_ATTEMPTS) continue;
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        return { kind: "response", status: res.statusCode, body };
      } catch (err) {
        reason = transportReason(err);
      }
    }
    return { kind: "unreachable", reason };
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}
