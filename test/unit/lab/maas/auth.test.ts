/**
 * OAuth 1.0 PLAINTEXT authentication as MAAS (piston) checks it, ref §1.2–§1.3.
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../lab/maas";
import { call, oauthHeader } from "./maas-http";

describe("MAAS simulator authentication", () => {
  let sim: MaasSimulator;
  beforeAll(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("hands out keys shaped like MAAS keys (18/18/32 alphanumeric) and different ones for admin and user", () => {
    for (const key of [sim.apiKey, sim.userApiKey]) expect(key).toMatch(/^[A-Za-z0-9]{18}:[A-Za-z0-9]{18}:[A-Za-z0-9]{32}$/);
    expect(sim.userApiKey).not.toBe(sim.apiKey);
  });

  it("accepts a correctly signed request from the admin and from a plain user", async () => {
    expect((await call(sim, "GET", "reservedips/")).status).toBe(200);
    expect((await call(sim, "GET", "reservedips/", { key: sim.userApiKey })).status).toBe(200);
  });

  it("accepts the realm gomaasapi and python-libmaas send, and an unescaped & in the signature", async () => {
    const [, , secret] = sim.apiKey.split(":");
    for (const realm of ["MAAS API", "OAuth"]) {
      expect((await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.apiKey, { realm }) })).status).toBe(200);
    }
    expect((await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.apiKey, { signature: `&${secret}` }) })).status).toBe(200);
  });

  it("answers a request without credentials with 401 Forbidden", async () => {
    const res = await call(sim, "GET", "reservedips/", { key: null });
    expect(res.status).toBe(401);
    expect(res.text).toBe("Forbidden");
  });

  it("treats a header missing one of the six oauth parameters as no credentials at all", async () => {
    const res = await call(sim, "GET", "reservedips/", { authorization: oauthHeader(sim.apiKey, { omit: ["oauth_nonce"] }) });
    expect(res.status).toBe(401);
    expect(res.text).toBe("Forbidden");
  });

  // ref/maas-api.md §1.3: "The wrong-signature body contains the real secret" — the PLAINTEXT base string is
  // `&<token secret MAAS holds>`, echoed in the 401. The simulator must leak exactly like MAAS so clients are tested.
  it("rejects a wrong token secret with the piston message and echoes the real secret as MAAS does", async () => {
    const [ck, tk, secret] = sim.apiKey.split(":");
    const res = await call(sim, "GET", "reservedips/", { key: `${ck}:${tk}:${"x".repeat(32)}` });
    expect(res.status).toBe(401);
    expect(res.text).toBe(`Authorization Error: 'Invalid signature. Expected signature base string: &${secret}'`);
    expect(res.headers["www-authenticate"]).toBe('OAuth realm="OAuth"');
  });

  it("names an unknown consumer key as an invalid API key and an unknown token by its key", async () => {
    const [ck, tk, secret] = sim.apiKey.split(":");
    const badConsumer = await call(sim, "GET", "reservedips/", { key: `${"c".repeat(18)}:${tk}:${secret}` });
    expect([badConsumer.status, badConsumer.text]).toEqual([401, "Authorization Error: Invalid API key."]);
    const badToken = await call(sim, "GET", "reservedips/", { key: `${ck}:${"t".repeat(18)}:${secret}` });
    expect([badToken.status, badToken.text]).toEqual([401, `Authorization Error: 'Invalid access token: ${"t".repeat(18)}'`]);
  });

  it("rejects a nonce used twice by the same key, even when the second request is otherwise fine", async () => {
    const nonce = randomUUID();
    expect((await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.apiKey, { nonce }) })).status).toBe(200);
    const again = await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.apiKey, { nonce }) });
    expect(again.status).toBe(401);
    expect(again.text).toBe(`Authorization Error: 'Nonce already used: ${nonce}'`);
    // The nonce is remembered per (consumer, token): another user may use the same text.
    expect((await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.userApiKey, { nonce }) })).status).toBe(200);
  });

  it("rejects a timestamp more than 300 s old but accepts one just inside the window", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.apiKey, { timestamp: now - 400 }) });
    expect(stale.status).toBe(401);
    expect(stale.text).toMatch(/^Authorization Error: 'Expired timestamp: given \d+ and now \d+ has a greater difference than threshold 300'$/);
    const recent = await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.apiKey, { timestamp: now - 200 }) });
    expect(recent.status).toBe(200);
  });

  it("rejects an unsupported signature method and an unsupported oauth_version", async () => {
    const method = await call(sim, "GET", "subnets/", {
      authorization: oauthHeader(sim.apiKey).replace('oauth_signature_method="PLAINTEXT"', 'oauth_signature_method="RSA-SHA1"'),
    });
    expect(method.status).toBe(401);
    expect(method.text).toContain("Signature method RSA-SHA1 not supported");
    const version = await call(sim, "GET", "subnets/", { authorization: oauthHeader(sim.apiKey).replace('oauth_version="1.0"', 'oauth_version="2.0"') });
    expect([version.status, version.text]).toEqual([401, "Authorization Error: 'OAuth version 2.0 not supported.'"]);
  });

  it("answers 400 when the parameter names appear in the header but one is not actually a parameter", async () => {
    // "oauth_nonce" occurs only inside the realm text, which piston skips.
    const header = oauthHeader(sim.apiKey, { omit: ["oauth_nonce"], realm: "oauth_nonce" });
    const res = await call(sim, "GET", "subnets/", { authorization: header });
    expect(res.status).toBe(400);
    expect(res.text).toBe("'Bad Request: Parameter not found: oauth_nonce'");
  });

  it("also accepts an HMAC-SHA1 signature over the request as the server sees it", async () => {
    const [ck, tk, secret] = sim.apiKey.split(":");
    const esc = (v: string): string => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const params: Record<string, string> = {
      oauth_consumer_key: ck,
      oauth_token: tk,
      oauth_signature_method: "HMAC-SHA1",
      oauth_timestamp: String(Math.floor(Date.now() / 1000)),
      oauth_nonce: randomUUID(),
      oauth_version: "1.0",
      op: "reserved_ip_ranges",
    };
    const normalised = Object.entries(params)
      .map(([k, v]) => `${esc(k)}=${esc(v)}`)
      .sort()
      .join("&");
    const url = `${new URL(sim.url).origin}/MAAS/api/2.0/subnets/1/`;
    const signature = createHmac("sha1", `&${secret}`).update(`GET&${esc(url)}&${esc(normalised)}`).digest("base64");
    const oauth = Object.entries(params).filter(([k]) => k.startsWith("oauth_"));
    const header = `OAuth realm="", ${oauth.map(([k, v]) => `${k}="${v}"`).join(", ")}, oauth_signature="${esc(signature)}"`;
    expect((await call(sim, "GET", "subnets/1/?op=reserved_ip_ranges", { authorization: header })).status).toBe(200);
    const tampered = header.replace(`oauth_nonce="${params.oauth_nonce}"`, `oauth_nonce="${randomUUID()}"`);
    expect((await call(sim, "GET", "subnets/1/?op=reserved_ip_ranges", { authorization: tampered })).status).toBe(401);
  });

  it("lets anyone read version/ and describe/ without credentials", async () => {
    expect((await call(sim, "GET", "version/", { key: null })).status).toBe(200);
    expect((await call(sim, "GET", "describe/", { key: null })).status).toBe(200);
  });

  it("forbids a non-admin from writing reserved IPs but lets them read", async () => {
    const res = await call(sim, "POST", "reservedips/", { key: sim.userApiKey, form: { ip: "192.168.4.236", mac_address: "bc:24:11:a9:d5:8c" } });
    expect([res.status, res.text]).toEqual([403, "This method is reserved for admin users."]);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(sim.reservations()).toEqual([]);
  });
});
