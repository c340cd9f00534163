import { describe, expect, it } from "vitest";
import { MaasConfigError } from "../../../../../providers/maas/client/errors";
import { buildAuthorizationHeader, newNonce, parseApiKey } from "../../../../../providers/maas/client/oauth";
import { oauthParams } from "./canned-server";

const creds = { consumerKey: "ConsumerKey1234567", tokenKey: "TokenKey0123456789", tokenSecret: "SecretSecretSecretSecretSecret12" };

describe("parseApiKey", () => {
  it("splits a consumer:token:secret key", () => {
    expect(parseApiKey("ck:tk:ts")).toEqual({ consumerKey: "ck", tokenKey: "tk", tokenSecret: "ts" });
  });

  it.each([
    ["onlyone", /exactly 3 colon-separated parts, but it has 1/],
    ["a:b", /exactly 3 colon-separated parts, but it has 2/],
    ["a:b:c:d", /exactly 3 colon-separated parts, but it has 4/],
    ["a::c", /empty token key/],
    [":b:", /empty consumer key and token secret/],
    ["", /apiKey is empty/],
    ['a:b:c"d', /token secret contains whitespace, a quote or a comma/],
  ])("rejects %j with a MaasConfigError saying what is wrong", (key, message) => {
    expect(() => parseApiKey(key)).toThrow(MaasConfigError);
    expect(() => parseApiKey(key)).toThrow(message);
  });

  it("never repeats the key in its error", () => {
    const key = "SuperSecretConsumer:SuperSecretToken:SuperSecretSecret:extra";
    try {
      parseApiKey(key);
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      for (const part of key.split(":")) expect(msg).not.toContain(part);
      expect((e as MaasConfigError).code).toBe("MAAS_CONFIG");
    }
  });
});

describe("buildAuthorizationHeader", () => {
  it("builds the PLAINTEXT header MAAS accepts, with all six required oauth parameters", () => {
    const header = buildAuthorizationHeader(creds, { nonce: "abc123", timestamp: 1_700_000_000 });
    expect(header).toBe(
      'OAuth realm="", oauth_version="1.0", oauth_signature_method="PLAINTEXT", ' +
        `oauth_consumer_key="${creds.consumerKey}", oauth_token="${creds.tokenKey}", ` +
        `oauth_signature="%26${creds.tokenSecret}", oauth_nonce="abc123", oauth_timestamp="1700000000"`,
    );
  });

  it("signs with '&' plus the token secret once the header value is URL-decoded", () => {
    const params = oauthParams(buildAuthorizationHeader(creds));
    expect(params["oauth_signature"]).toBe(`&${creds.tokenSecret}`);
    for (const name of ["oauth_consumer_key", "oauth_token", "oauth_signature", "oauth_signature_method", "oauth_timestamp", "oauth_nonce"]) {
      expect(params).toHaveProperty(name);
    }
  });

  it("uses a fresh nonce on every call and the current Unix time in seconds", () => {
    const before = Math.floor(Date.now() / 1000);
    const nonces = new Set(Array.from({ length: 200 }, () => oauthParams(buildAuthorizationHeader(creds))["oauth_nonce"]));
    const ts = Number(oauthParams(buildAuthorizationHeader(creds))["oauth_timestamp"]);
    expect(nonces.size).toBe(200);
    expect(Number.isInteger(ts)).toBe(true);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(before + 5);
  });

  it("makes nonces without commas (a comma would split the header)", () => {
    for (let i = 0; i < 100; i++) expect(newNonce()).toMatch(/^[0-9a-f]{32}$/);
  });
});
