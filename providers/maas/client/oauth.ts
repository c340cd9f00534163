/**
 * MAAS API authentication: 0-legged OAuth 1.0 with the PLAINTEXT signature, the scheme every MAAS client
 * uses (ref/maas-api.md §1.2). MAAS remembers nonces for 300 s and rejects a reused one, so a header is
 * built for every attempt, retries included, with a fresh nonce and timestamp.
 */
import { randomBytes } from "node:crypto";
import { MaasConfigError } from "./errors";

export interface OAuthCredentials {
  consumerKey: string;
  tokenKey: string;
  tokenSecret: string;
}

/**
 * Splits a MAAS API key ("consumer:token:secret"). The error never repeats the key: it is a secret.
 */
export function parseApiKey(apiKey: string): OAuthCredentials {
  const how =
    "Copy the whole key from the MAAS UI (user preferences → API keys) or from `maas apikey --username <user>`; " +
    "it has the form <consumer_key>:<token_key>:<token_secret>.";
  if (typeof apiKey !== "string" || apiKey.trim() === "") {
    throw new MaasConfigError(`MAAS apiKey is empty. ${how}`);
  }
  const parts = apiKey.trim().split(":");
  if (parts.length !== 3) {
    throw new MaasConfigError(`MAAS apiKey must have exactly 3 colon-separated parts, but it has ${parts.length}. ${how}`);
  }
  const names = ["consumer key", "token key", "token secret"];
  const empty = parts.map((p, i) => (p === "" ? names[i] : null)).filter((n): n is string => n !== null);
  if (empty.length > 0) {
    throw new MaasConfigError(`MAAS apiKey has an empty ${empty.join(" and ")}. ${how}`);
  }
  const bad = parts.map((p, i) => (/[\s",]/.test(p) ? names[i] : null)).filter((n): n is string => n !== null);
  if (bad.length > 0) {
    throw new MaasConfigError(`MAAS apiKey's ${bad.join(" and ")} contains whitespace, a quote or a comma, which no MAAS key does. ${how}`);
  }
  const [consumerKey, tokenKey, tokenSecret] = parts as [string, string, string];
  return { consumerKey, tokenKey, tokenSecret };
}

/** 32 hex characters, like gomaasapi's nonces (never a comma, which would split the header). */
export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

/** RFC 3986 percent-encoding, as OAuth 1.0 requires for header values. */
function oauthEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface AuthorizationParts {
  nonce?: string;
  /** Unix seconds. */
  timestamp?: number;
}

/**
 * The Authorization header for one attempt. The PLAINTEXT signature is "<consumer secret>&<token secret>";
 * MAAS consumers have an empty secret, so it is "&<token secret>", sent percent-encoded as "%26<secret>".
 */
export function buildAuthorizationHeader(creds: OAuthCredentials, parts: AuthorizationParts = {}): string {
  const nonce = parts.nonce ?? newNonce();
  const timestamp = parts.timestamp ?? Math.floor(Date.now() / 1000);
  const params: [string, string][] = [
    ["oauth_version", "1.0"],
    ["oauth_signature_method", "PLAINTEXT"],
    ["oauth_consumer_key", creds.consumerKey],
    ["oauth_token", creds.tokenKey],
    ["oauth_signature", `&${oauthEncode(creds.tokenSecret)}`],
    ["oauth_nonce", nonce],
    ["oauth_timestamp", String(timestamp)],
  ];
  return `OAuth realm="", ${params.map(([k, v]) => `${k}="${oauthEncode(v)}"`).join(", ")}`;
}
