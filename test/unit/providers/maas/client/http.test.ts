import { afterEach, describe, expect, it } from "vitest";
import { resolveMaasUrl } from "../../../../../providers/maas/client/base-url";
import { MaasUnavailableError, MaasUnreachableError } from "../../../../../providers/maas/client/errors";
import { MaasHttp, type ClientStats, type MaasRequest } from "../../../../../providers/maas/client/http";
import { parseApiKey } from "../../../../../providers/maas/client/oauth";
import { makeRedactor } from "../../../../../providers/maas/client/redaction";
import { resolveRetryPolicy, type RetryPolicy } from "../../../../../providers/maas/client/retry-policy";
import { closedPort, oauthParams, startCannedServer, type CannedAnswer, type CannedServer } from "./canned-server";

const KEY = "ConsumerKey1234567:TokenKey0123456789:SecretSecretSecretSecretSecret12";
const SECRETS = KEY.split(":");

let server: CannedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function makeHttp(url: string, opts: { retry?: Partial<RetryPolicy>; timeoutMs?: number } = {}) {
  const stats: ClientStats = { requests: 0, attempts: 0, retries: 0 };
  const sleeps: number[] = [];
  const http = new MaasHttp({
    endpoint: resolveMaasUrl(url),
    credentials: parseApiKey(KEY),
    timeoutMs: opts.timeoutMs ?? 5_000,
    retry: resolveRetryPolicy({ jitter: false, ...opts.retry }),
    userAgent: "test-agent",
    redact: makeRedactor([KEY, ...SECRETS]),
    stats,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { http, stats, sleeps };
}

async function serve(answers: CannedAnswer[] | ((i: number) => CannedAnswer)) {
  server = await startCannedServer((_req, i) => (typeof answers === "function" ? answers(i) : answers[Math.min(i, answers.length - 1)]!));
  return server;
}

const GET_LIST: MaasRequest = { method: "GET", path: "reservedips/", idempotent: true };
const ok = (body: unknown = []): CannedAnswer => ({ status: 200, body: JSON.stringify(body) });
const unavailable: CannedAnswer = { status: 503, body: "No connections available.", contentType: "text/plain" };

function expectNoSecrets(text: string) {
  for (const s of SECRETS) expect(text).not.toContain(s);
  expect(text).not.toMatch(/oauth_/);
}

describe("MaasHttp retries", () => {
  it("retries a 503 until MAAS answers, counting attempts and retries", async () => {
    const s = await serve([unavailable, unavailable, ok()]);
    const { http, stats } = makeHttp(s.url);
    const result = await http.send(GET_LIST);
    expect(result.kind === "response" && result.response.status).toBe(200);
    expect(result.kind === "response" && result.response.attempts).toBe(3);
    expect(s.seen).toHaveLength(3);
    expect(stats).toEqual({ requests: 1, attempts: 3, retries: 2 });
  });

  it.each([502, 504])("treats %d from the front end as transient", async (status) => {
    const s = await serve([{ status, body: "bad gateway", contentType: "text/html" }, ok()]);
    const { http } = makeHttp(s.url);
    await http.send(GET_LIST);
    expect(s.seen).toHaveLength(2);
  });

  it("gives up after limit + 1 attempts with MaasUnavailableError quoting the last answer", async () => {
    const s = await serve([unavailable]);
    const { http } = makeHttp(s.url);
    const err = await http.send(GET_LIST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnavailableError);
    expect((err as MaasUnavailableError).attempts).toBe(5);
    expect((err as Error).message).toMatch(
      new RegExp(`^MAAS at ${s.url.replace(/[./]/g, "\\$&")} is unavailable after 5 attempts \\(503 Service Unavailable: No connections available\\.\\) on GET reservedips/\\.`),
    );
    expect(s.seen).toHaveLength(5);
    expectNoSecrets((err as Error).message);
  });

  it.each([
    [400, "text/plain", "No provided ip!"],
    [401, "text/plain", "Authorization Error: 'Invalid API key.'"],
    [403, "text/plain", "This method is reserved for admin users."],
    [404, "text/plain", "No ReservedIP matches the given query."],
    [409, "text/plain", "The static IP 192.168.4.238 is already reserved for the MAC address aa:bb:cc:dd:ee:ff."],
  ])("never retries a %d (%s)", async (status, contentType, body) => {
    const s = await serve([{ status, body, contentType }, ok()]);
    const { http, stats } = makeHttp(s.url);
    const result = await http.send(GET_LIST);
    expect(result.kind === "response" && result.response.status).toBe(status);
    expect(s.seen).toHaveLength(1);
    expect(stats.retries).toBe(0);
  });

  it("retries MAAS's transient HTML 409 page on an idempotent request", async () => {
    const s = await serve([{ status: 409, body: "<html><title>Conflict</title></html>", contentType: "text/html", headers: { "retry-after": "5" } }, ok()]);
    const { http, sleeps } = makeHttp(s.url);
    const result = await http.send(GET_LIST);
    expect(result.kind === "response" && result.response.status).toBe(200);
    expect(sleeps).toEqual([5_000]);
  });

  it("waits as Retry-After says, capped at maxRetryAfterMs, and backs off exponentially otherwise", async () => {
    const s = await serve([
      { ...unavailable, headers: { "retry-after": "2" } } as CannedAnswer,
      { ...unavailable, headers: { "retry-after": "3600" } } as CannedAnswer,
      unavailable,
      unavailable,
      ok(),
    ]);
    const { http, sleeps } = makeHttp(s.url, { retry: { maxRetryAfterMs: 7_000, baseDelayMs: 100 } });
    await http.send(GET_LIST);
    expect(sleeps).toEqual([2_000, 7_000, 400, 800]);
  });

  it("signs every attempt with a fresh nonce, retries included", async () => {
    const s = await serve([unavailable, unavailable, unavailable, ok()]);
    const { http } = makeHttp(s.url);
    await http.send(GET_LIST);
    const params = s.seen.map((r) => oauthParams(r.headers.authorization as string));
    expect(new Set(params.map((p) => p["oauth_nonce"])).size).toBe(4);
    for (const p of params) {
      expect(p["oauth_signature"]).toBe("&SecretSecretSecretSecretSecret12");
      expect(p["oauth_timestamp"]).toMatch(/^\d+$/);
    }
  });

  it("retries a connection reset on a GET", async () => {
    const s = await serve([{ reset: true }, ok()]);
    const { http } = makeHttp(s.url);
    const result = await http.send(GET_LIST);
    expect(result.kind === "response" && result.response.status).toBe(200);
    expect(result.kind === "response" && result.response.ambiguousFailures).toBe(1);
    expect(s.seen).toHaveLength(2);
  });

  it("abandons an attempt that gets no answer within timeoutMs and reports MAAS unreachable", async () => {
    const s = await serve([{ hang: true }]);
    const { http } = makeHttp(s.url, { timeoutMs: 150, retry: { limit: 1 } });
    const err = await http.send(GET_LIST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnreachableError);
    expect((err as MaasUnreachableError).causeCode).toBe("MAAS_ATTEMPT_TIMEOUT");
    expect((err as Error).message).toContain("is unreachable after 2 attempts (MAAS_ATTEMPT_TIMEOUT: no answer within 150 ms)");
    expect(s.seen).toHaveLength(2);
  });

  it("reports a refused connection as unreachable after retrying, without any secret", async () => {
    const port = await closedPort();
    const { http, stats } = makeHttp(`http://127.0.0.1:${port}/MAAS/`, { retry: { limit: 2 } });
    const err = await http.send(GET_LIST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnreachableError);
    expect(err).toMatchObject({ code: "MAAS_UNREACHABLE", causeCode: "ECONNREFUSED", attempts: 3, method: "GET", path: "reservedips/" });
    expect((err as Error).message).toContain(`MAAS at http://127.0.0.1:${port}/MAAS/ is unreachable after 3 attempts (ECONNREFUSED: connection refused)`);
    expect(stats.attempts).toBe(3);
    expectNoSecrets((err as Error).message);
  });
});

describe("MaasHttp non-idempotent requests", () => {
  const POST: MaasRequest = { method: "POST", path: "reservedips/", form: { ip: "192.168.4.238", mac_address: "bc:24:11:3b:7a:a7" }, idempotent: false };

  it("does not resend a POST whose connection was reset when there is no way to reconcile", async () => {
    const s = await serve([{ reset: true }, ok({})]);
    const { http } = makeHttp(s.url);
    const err = await http.send(POST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnreachableError);
    expect((err as Error).message).toContain("MAAS may or may not have applied this POST, so it was not sent again");
    expect(s.seen).toHaveLength(1);
  });

  it("does not resend a POST answered 503 when there is no way to reconcile", async () => {
    const s = await serve([unavailable, ok({})]);
    const { http } = makeHttp(s.url);
    await expect(http.send(POST)).rejects.toBeInstanceOf(MaasUnavailableError);
    expect(s.seen).toHaveLength(1);
  });

  it("reconciles before resending, and resends only when reconcile finds nothing", async () => {
    const s = await serve([{ reset: true }, unavailable, ok({ id: 1 })]);
    const { http } = makeHttp(s.url);
    let reconciles = 0;
    const result = await http.send(POST, async () => {
      reconciles++;
      return null;
    });
    expect(result.kind).toBe("response");
    expect(reconciles).toBe(2);
    expect(s.seen.filter((r) => r.method === "POST")).toHaveLength(3);
  });

  it("returns what reconcile found instead of posting again", async () => {
    const s = await serve([{ reset: true }, ok({})]);
    const { http } = makeHttp(s.url);
    const result = await http.send(POST, async () => "adopted");
    expect(result).toEqual({ kind: "reconciled", value: "adopted", attempts: 1 });
    expect(s.seen).toHaveLength(1);
  });

  it("resends a POST whose connection was refused without reconciling (it never reached MAAS)", async () => {
    const port = await closedPort();
    const { http } = makeHttp(`http://127.0.0.1:${port}/MAAS/`, { retry: { limit: 2 } });
    let reconciles = 0;
    const err = await http
      .send(POST, async () => {
        reconciles++;
        return null;
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ attempts: 3, causeCode: "ECONNREFUSED" });
    expect(reconciles).toBe(0);
  });
});

describe("MaasHttp request shape", () => {
  it("puts the op in the query string, form-encodes the body and sends no cookies even when offered one", async () => {
    const s = await serve([{ status: 200, body: "{}", headers: { "set-cookie": "sessionid=abc; Path=/" } }]);
    const { http } = makeHttp(s.url);
    await http.send({ method: "POST", path: "ipaddresses/", op: "reserve", form: { ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", subnet: undefined, hostname: "k3s a&b" }, idempotent: false });
    await http.send(GET_LIST);
    const [post, get] = s.seen;
    expect(post!.url).toBe("/MAAS/api/2.0/ipaddresses/?op=reserve");
    expect(post!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(post!.body))).toEqual({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", hostname: "k3s a&b" });
    expect(get!.url).toBe("/MAAS/api/2.0/reservedips/");
    expect(get!.headers.cookie).toBeUndefined();
    expect(post!.headers["user-agent"]).toBe("test-agent");
  });

  it("sends anonymous requests without an Authorization header", async () => {
    const s = await serve([ok({ version: "3.6.0" })]);
    const { http } = makeHttp(s.url);
    await http.send({ method: "GET", path: "version/", anonymous: true, idempotent: true });
    expect(s.seen[0]!.headers.authorization).toBeUndefined();
  });

  it("refuses a path without its trailing slash (MAAS would answer 404, not redirect)", async () => {
    const { http } = makeHttp("http://127.0.0.1:9/MAAS/");
    await expect(http.send({ method: "GET", path: "reservedips", idempotent: true })).rejects.toThrow(/must be relative and end with "\/"/);
  });

  it("refuses a `format` query parameter", async () => {
    const { http } = makeHttp("http://127.0.0.1:9/MAAS/");
    await expect(http.send({ method: "GET", path: "reservedips/", query: { format: "json" }, idempotent: true })).rejects.toThrow(/format/);
  });
});
