import { describe, expect, it } from "vitest";
import { makeRedactor, REDACTED } from "../../../../../providers/maas/client/redaction";

describe("makeRedactor", () => {
  const redact = makeRedactor(["ConsumerKey1234567", "TokenKey0123456789", "SecretSecretSecretSecretSecret12"]);

  it("removes every key part, also percent-encoded", () => {
    const out = redact("Authorization Error: 'Invalid access token: TokenKey0123456789' sig=%26SecretSecretSecretSecretSecret12");
    expect(out).not.toContain("TokenKey0123456789");
    expect(out).not.toContain("SecretSecretSecretSecretSecret12");
    expect(out).toContain(REDACTED);
  });

  it("removes an echoed Authorization header", () => {
    const out = redact('headers: Authorization: OAuth realm="", oauth_token="x", oauth_signature="%26abc"');
    expect(out).toBe(`headers: Authorization: OAuth ${REDACTED}`);
  });

  it("removes oauth_signature values wherever they appear, and what follows '&' in an OAuth context", () => {
    expect(redact("expected oauth_signature=%26abcdef&x")).toBe(`expected oauth_signature=${REDACTED}&${REDACTED}`);
  });

  it("removes the real secret MAAS echoes in a wrong-signature 401, which the configured key does not contain (ref §1.3)", () => {
    const body = "Authorization Error: 'Invalid signature. Expected signature base string: &RealSecretNotConfigured00000001'";
    expect(redact(body)).toBe(`Authorization Error: 'Invalid signature. Expected signature base string: ${REDACTED}'`);
  });

  it("removes whole keys in any spelling and a named token key", () => {
    const key = "Abcdefghijklmnopqr:Stuvwxyz0123456789:ZyxwvutsrqponmlkjihgfedcbA012345";
    for (const spelling of [key, key.toLowerCase(), key.replace(/:/g, "%3A")]) expect(redact(`k ${spelling} k`)).toBe(`k ${REDACTED} k`);
    expect(redact("Authorization Error: 'Invalid access token: Stuvwxyz0123456789'")).toBe(`Authorization Error: 'Invalid access token: ${REDACTED}'`);
  });

  it("leaves ordinary text alone and ignores trivially short parts", () => {
    const r = makeRedactor(["a", "b", "c"]);
    expect(r("MAAS at http://127.0.0.1/ is unavailable")).toBe("MAAS at http://127.0.0.1/ is unavailable");
  });
});
