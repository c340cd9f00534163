/**
 * Test-local HTTP helpers for the MAAS simulator: a PLAINTEXT OAuth header builder (deliberately independent of
 * the production client, so simulator tests do not inherit its bugs) and a request function over undici.
 */
import { randomUUID } from "node:crypto";
import { request } from "undici";
import type { MaasSimulator } from "../../../../lab/maas";

export interface OAuthHeaderOptions {
  nonce?: string;
  timestamp?: number;
  /** Override the (already percent-encoded) signature value. */
  signature?: string;
  /** Parameter names to leave out. */
  omit?: string[];
  realm?: string;
}

/** `Authorization: OAuth …` as gomaasapi builds it (ref §1.2). */
export function oauthHeader(apiKey: string, opts: OAuthHeaderOptions = {}): string {
  const [consumerKey, tokenKey, tokenSecret] = apiKey.split(":");
  const params: Array<[string, string]> = [
    ["oauth_version", "1.0"],
    ["oauth_signature_method", "PLAINTEXT"],
    ["oauth_consumer_key", consumerKey],
    ["oauth_token", tokenKey],
    ["oauth_signature", opts.signature ?? `%26${tokenSecret}`],
    ["oauth_nonce", opts.nonce ?? randomUUID()],
    ["oauth_timestamp", String(opts.timestamp ?? Math.floor(Date.now() / 1000))],
  ];
  const kept = params.filter(([k]) => !(opts.omit ?? []).includes(k));
  return `OAuth realm="${opts.realm ?? ""}", ${kept.map(([k, v]) => `${k}="${v}"`).join(", ")}`;
}

export interface CallOptions {
  /** API key to sign with; null sends no Authorization header. Default: the admin key. */
  key?: string | null;
  /** A ready Authorization header (wins over `key`). */
  authorization?: string;
  form?: Record<string, string> | Array<[string, string]>;
  multipart?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json(): any;
}

/** Call the simulator; `path` is relative to /MAAS/api/2.0/ unless it starts with "/". */
export async function call(sim: MaasSimulator, method: string, path: string, opts: CallOptions = {}): Promise<SimResponse> {
  const origin = new URL(sim.url).origin;
  const url = path.startsWith("/") ? `${origin}${path}` : `${origin}/MAAS/api/2.0/${path}`;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const key = opts.key === undefined ? sim.apiKey : opts.key;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  else if (key !== null) headers.authorization = oauthHeader(key);
  let body: string | undefined;
  if (opts.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form as Record<string, string>).toString();
  } else if (opts.multipart !== undefined) {
    const boundary = `----sim${randomUUID()}`;
    headers["content-type"] = `multipart/form-data; boundary=${boundary}`;
    body =
      Object.entries(opts.multipart)
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join("") + `--${boundary}--\r\n`;
  } else if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.json);
  }
  const res = await request(url, { method: method as "GET", headers, body });
  const text = await res.body.text();
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(", ") : String(v);
  return { status: res.statusCode, headers: flat, text, json: () => JSON.parse(text) };
}

/** The incident's three nodes (seeds/000). */
export const NODES = {
  pve: { ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" },
  stillFawn: { ip: "192.168.4.236", mac: "bc:24:11:a9:d5:8c" },
  chiefHorse: { ip: "192.168.4.237", mac: "bc:24:11:1a:38:07" },
} as const;
