/**
 * Server side of MAAS API authentication: piston's OAuth 1.0 as MAAS wires it (ref §1.2, §1.3).
 *
 * The order of checks and the messages follow piston's `OAuthServer.verify_request`: version, consumer, token,
 * timestamp (300 s), nonce (recorded per consumer+token *before* the signature is checked, so a bad signature
 * still burns the nonce), signature method, signature. MAAS wraps the message as `Authorization Error: %r` (401,
 * `WWW-Authenticate: OAuth realm="OAuth"`), except "Invalid consumer." which becomes "Invalid API key.".
 *
 * A wrong signature is answered as MAAS answers it: piston echoes the signature base string it computed, which for
 * PLAINTEXT is `<consumer secret>&<token secret>` as MAAS stores them, i.e. `&<the real token secret>` (ref §1.3,
 * "The wrong-signature body contains the real secret"). The simulator echoes it unmasked, so clients are tested
 * against the leak a real MAAS produces.
 */
import { createHmac } from "node:crypto";
import { FormFields, pythonRepr, textReply, type Reply } from "./http-io";
import type { UserRow } from "./store";

/** Seconds a timestamp may lag behind server time, and how long nonces are remembered (piston, nonce-cleanup). */
export const OAUTH_WINDOW_SECONDS = 300;

const REQUIRED = [
  "oauth_consumer_key",
  "oauth_token",
  "oauth_signature",
  "oauth_signature_method",
  "oauth_timestamp",
  "oauth_nonce",
] as const;

const SIGNATURE_METHODS = ["PLAINTEXT", "HMAC-SHA1"];

export type AuthResult = { kind: "user"; user: UserRow } | { kind: "anonymous" } | { kind: "error"; reply: Reply };

export interface AuthRequest {
  authorization: string | undefined;
  method: string;
  /** scheme://host[:port]/path as the server rebuilds it (for HMAC-SHA1). */
  absoluteUrl: string;
  query: URLSearchParams;
  /** Form body fields (piston merges them into the OAuth parameters for POST). */
  form: FormFields;
}

/** Nonces seen per (consumer key, token key), forgotten after the window (regiond's nonce-cleanup). */
export class NonceStore {
  private readonly seen = new Map<string, number>();

  /** Record the nonce; true if it was already used. */
  use(consumerKey: string, tokenKey: string, nonce: string, nowSeconds: number): boolean {
    this.prune(nowSeconds);
    const key = `${consumerKey}\u0000${tokenKey}\u0000${nonce}`;
    if (this.seen.has(key)) return true;
    this.seen.set(key, nowSeconds);
    return false;
  }

  private prune(nowSeconds: number): void {
    for (const [key, at] of this.seen) {
      if (nowSeconds - at > OAUTH_WINDOW_SECONDS) this.seen.delete(key);
    }
  }
}

/** Python's urllib.parse.unquote: %XX decoded, malformed escapes left as they are, '+' kept. */
function unquote(s: string): string {
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Python's urllib.parse.quote(s, safe='~'), as piston's `escape`. */
function escape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

class OAuthFailure extends Error {
  constructor(
    message: string,
    readonly missingParam = false,
  ) {
    super(message);
  }
}

/** piston's `_split_header`: comma-separated name="value" pairs, realm ignored, quotes stripped, values unquoted. */
function splitHeader(header: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of header.split(",")) {
    if (part.includes("realm")) continue;
    const trimmed = part.trim();
    const eq = trimmed.indexOf("=");
    if (eq < 0) throw new OAuthFailure("Unable to parse OAuth parameters from Authorization header.");
    const value = trimmed.slice(eq + 1).replace(/^"+|"+$/g, "");
    params.set(trimmed.slice(0, eq), unquote(value));
  }
  return params;
}

function collectParameters(req: AuthRequest): Map<string, string> {
  const params = new Map<string, string>();
  if (req.method === "POST") for (const key of req.form.keys()) params.set(key, req.form.get(key) ?? "");
  const header = req.authorization ?? "";
  if (header.startsWith("OAuth ")) {
    for (const [k, v] of splitHeader(header.slice(6))) params.set(k, v);
  }
  for (const key of new Set(req.query.keys())) {
    const value = req.query.get(key) ?? "";
    if (value !== "") params.set(key, unquote(value));
  }
  return params;
}

/** oauth 1.0 signature base string for HMAC-SHA1: METHOD&URL&normalised parameters (no secret in it). */
function hmacBaseString(req: AuthRequest, params: Map<string, string>): string {
  const normalised = [...params]
    .filter(([k]) => k !== "oauth_signature")
    .map(([k, v]) => [escape(k), escape(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return [escape(req.method.toUpperCase()), escape(req.absoluteUrl), escape(normalised)].join("&");
}

function hmacSignature(base: string, tokenSecret: string): string {
  return createHmac("sha1", `&${escape(tokenSecret)}`).update(base).digest("base64");
}

function verify(req: AuthRequest, users: UserRow[], nonces: NonceStore, nowSeconds: number): UserRow {
  const params = collectParameters(req);
  const param = (name: string): string => {
    const v = params.get(name);
    if (v === undefined) throw new OAuthFailure(`Parameter not found: ${name}`, true);
    return v;
  };
  const version = params.get("oauth_version");
  if (version !== undefined && version !== "" && version !== "1.0") {
    throw new OAuthFailure(`OAuth version ${version} not supported.`);
  }
  const consumerKey = param("oauth_consumer_key");
  if (!users.some((u) => u.consumerKey === consumerKey)) throw new OAuthFailure("Invalid consumer.");
  const tokenKey = param("oauth_token");
  // piston looks the token up by key alone; it does not check that it belongs to the consumer.
  const user = users.find((u) => u.tokenKey === tokenKey);
  if (user === undefined) throw new OAuthFailure(`Invalid access token: ${tokenKey}`);
  const timestampText = param("oauth_timestamp");
  const nonce = param("oauth_nonce");
  if (!/^\s*[+-]?\d+\s*$/.test(timestampText)) {
    throw new SyntaxError(`invalid literal for int() with base 10: ${pythonRepr(timestampText)}`);
  }
  const timestamp = Number.parseInt(timestampText.trim(), 10);
  if (nowSeconds - timestamp > OAUTH_WINDOW_SECONDS) {
    throw new OAuthFailure(
      `Expired timestamp: given ${timestamp} and now ${nowSeconds} has a greater difference than threshold ${OAUTH_WINDOW_SECONDS}`,
    );
  }
  if (nonces.use(consumerKey, tokenKey, nonce, nowSeconds)) throw new OAuthFailure(`Nonce already used: ${nonce}`);
  const method = params.get("oauth_signature_method") ?? "PLAINTEXT";
  if (!SIGNATURE_METHODS.includes(method)) {
    throw new OAuthFailure(`Signature method ${method} not supported try one of the following: ${SIGNATURE_METHODS.join(", ")}`);
  }
  const signature = param("oauth_signature");
  // The consumer secret is always empty in MAAS (ref §1.1), so PLAINTEXT is "&" + escaped token secret.
  // PLAINTEXT's base string is the key itself; HMAC-SHA1's is METHOD&URL&params.
  const base = method === "PLAINTEXT" ? `&${escape(user.tokenSecret)}` : hmacBaseString(req, params);
  const expected = method === "PLAINTEXT" ? base : hmacSignature(base, user.tokenSecret);
  if (signature !== expected) {
    // Verbatim, secret included, as MAAS does (ref §1.3).
    throw new OAuthFailure(`Invalid signature. Expected signature base string: ${base}`);
  }
  return user;
}

/** True when every required OAuth parameter name occurs in the text (piston's substring test). */
function mentionsAll(text: string): boolean {
  return REQUIRED.every((p) => text.includes(p));
}

/**
 * Authenticate one request. No OAuth attempt (not all six parameter names present in the header, nor in the
 * query/form) is anonymous; a failed attempt is an error reply, never a silent downgrade (MAAS's
 * MAASAPIAuthentication).
 */
export function authenticate(req: AuthRequest, users: UserRow[], nonces: NonceStore, nowSeconds: number): AuthResult {
  const header = req.authorization ?? "";
  const paramNames = [...req.query.keys(), ...(req.method === "POST" ? req.form.keys() : [])];
  const attempted = mentionsAll(header) || REQUIRED.every((p) => paramNames.includes(p));
  if (!attempted) return { kind: "anonymous" };
  // piston only reads the header after an exact "OAuth " prefix; without it there is nothing to verify.
  if (!header.startsWith("OAuth ") && !REQUIRED.every((p) => paramNames.includes(p))) return { kind: "anonymous" };
  try {
    return { kind: "user", user: verify(req, users, nonces, nowSeconds) };
  } catch (err) {
    if (err instanceof OAuthFailure) {
      if (err.missingParam) return { kind: "error", reply: textReply(400, pythonRepr(`Bad Request: ${err.message}`)) };
      const text = err.message === "Invalid consumer." ? "Authorization Error: Invalid API key." : `Authorization Error: ${pythonRepr(err.message)}`;
      return { kind: "error", reply: textReply(401, text, { "WWW-Authenticate": 'OAuth realm="OAuth"' }) };
    }
    if (err instanceof SyntaxError) return { kind: "error", reply: textReply(500, err.message) };
    throw err;
  }
}

/** The reply to an anonymous request on a protected resource (piston's challenge, rc.FORBIDDEN = 401). */
export function challengeReply(): Reply {
  return textReply(401, "Forbidden");
}
