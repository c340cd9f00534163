/**
 * The one redactor for MAAS text. Every MAAS response body is untrusted: a wrong PLAINTEXT signature is answered
 * with `Authorization Error: 'Invalid signature. Expected signature base string: &<the token secret MAAS holds>'`
 * (ref/maas-api.md §1.3), i.e. the *real* secret, which the client does not know and so cannot search for. So the
 * redactor knows MAAS's echo forms, independent of any key:
 * - a signature base string, whatever follows "base string:" up to the closing quote or line end;
 * - in a line that speaks of OAuth or signatures, anything after `&` / `%26` (PLAINTEXT's `<consumer>&<secret>`);
 * - every `oauth_*` parameter value;
 * - the token key in "Invalid access token: <token_key>";
 * - whole API keys `consumer:token:secret` in any spelling (`:` or `%3A`, any case);
 * - an `OAuth …` header text.
 * On top, a client's redactor removes its own configured key parts (any case, raw or percent-encoded).
 * The HTTP layer applies it to every non-2xx body as it arrives, MaasError applies the key-independent part to
 * every message, and drift/secret-mask.ts applies it to everything the drift report prints.
 */

export const REDACTED = "[redacted]";

/** Parts shorter than this are not redacted: replacing every "a" would mangle messages and hide nothing. */
const MIN_SECRET_LENGTH = 4;

export type Redactor = (text: string) => string;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A line that talks about OAuth signing: there `&…` is PLAINTEXT's `<consumer secret>&<token secret>`. */
const OAUTH_CONTEXT = /oauth|signature|authori[sz]ation|token|plaintext/i;

/** MAAS's echo forms, independent of any configured key. `mask` is the replacement text. */
export function redactMaasEchoes(text: string, mask = REDACTED): string {
  let out = text;
  // A signature base string, echoed by piston (PLAINTEXT: `&<secret>`; HMAC: METHOD&URL&params).
  out = out.replace(/(signature\s+base\s+string\s*:?\s*)[^'"\r\n]*/gi, (_m, head: string) => `${head}${mask}`);
  // Whole API keys in any spelling: three long alphanumeric parts joined by ':' or '%3A'.
  out = out.replace(/(?<![A-Za-z0-9])[A-Za-z0-9]{12,}(?::|%3A)[A-Za-z0-9]{12,}(?::|%3A)[A-Za-z0-9]{20,}(?![A-Za-z0-9])/gi, mask);
  // Every oauth_* parameter value, quoted or not.
  out = out.replace(/(oauth_[a-z_]+\s*=\s*)("[^"]*"|'[^']*'|[^,\s&"']+)/gi, (_m, head: string) => `${head}${mask}`);
  // The token key named by "Invalid access token: <token_key>".
  out = out.replace(/(invalid\s+access\s+token\s*:?\s*)[^'"\s,]+/gi, (_m, head: string) => `${head}${mask}`);
  // An OAuth header text, whatever follows the scheme marker.
  out = out.replace(/\bOAuth\s+[^\r\n]*/g, `OAuth ${mask}`);
  // In an OAuth context, anything after '&' or '%26' (PLAINTEXT signatures are `<consumer secret>&<token secret>`).
  out = out
    .split(/(\r?\n)/)
    .map((line) => (OAUTH_CONTEXT.test(line) ? line.replace(/(&|%26)(?!\[)[^\s'",;)]+/gi, (_m, amp: string) => `${amp}${mask}`) : line))
    .join("");
  return out;
}

/** Builds a redactor that removes the given secret strings (any case, raw or percent-encoded) and MAAS's echo forms. */
export function makeRedactor(secrets: readonly string[]): Redactor {
  const needles = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))]
    .sort((a, b) => b.length - a.length)
    .flatMap((s) => [...new Set([s, encodeURIComponent(s)])])
    .map((s) => new RegExp(escapeRegExp(s), "gi"));
  return (text: string) => {
    // Echo forms first: a whole key must be recognised before its configured parts are cut out of it.
    let out = redactMaasEchoes(text);
    for (const needle of needles) out = out.replace(needle, REDACTED);
    return out;
  };
}
