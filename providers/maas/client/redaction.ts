/**
 * The one redacting formatter. MAAS sometimes echoes credentials back (a 401 body names the token key:
 * "Invalid access token: <token_key>"), and a body could in principle quote a header. Every message the
 * client builds from server text passes through a redactor made for that client's key.
 */

export const REDACTED = "[redacted]";

/** Parts shorter than this are not redacted: replacing every "a" would mangle messages and hide nothing. */
const MIN_SECRET_LENGTH = 4;

export type Redactor = (text: string) => string;

/** Builds a redactor that removes the given secret strings and any OAuth header text from a message. */
export function makeRedactor(secrets: readonly string[]): Redactor {
  const needles = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))]
    .sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const needle of needles) {
      out = out.split(needle).join(REDACTED);
      // A secret can also appear percent-encoded (e.g. inside an echoed signature).
      const encoded = encodeURIComponent(needle);
      if (encoded !== needle) out = out.split(encoded).join(REDACTED);
    }
    // Whatever follows an OAuth scheme marker, or any oauth_signature/oauth_token value, goes too.
    out = out.replace(/\bOAuth\s+[^\r\n]*/g, `OAuth ${REDACTED}`);
    out = out.replace(/(oauth_(?:signature|token|consumer_key)\s*=\s*)("[^"]*"|[^,\s&]+)/gi, `$1${REDACTED}`);
    return out;
  };
}
