/**
 * Every MAAS response text is untrusted (ref/maas-api.md §1.3: a wrong PLAINTEXT signature is answered with
 * "Expected signature base string: &<the token secret MAAS holds>"). This drives every error path of the client —
 * each operation × each status and body shape of ref/maas-api.md §2.4, §3.2 — with bodies that echo a sentinel
 * secret in MAAS's echo forms, and asserts the sentinel appears nowhere in what the client throws. The key the
 * client is configured with is *not* the sentinel (the mistyped-key case), so redacting only the configured key
 * cannot pass this test.
 */
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaasClient } from "../../../../../providers/maas/client";
import { maskSecrets } from "../../../../../drift/secret-mask";
import { startCannedServer, type CannedAnswer, type CannedServer } from "./canned-server";

/** The token secret MAAS really holds (32 alphanumerics, ref §1.1), and the consumer/token keys of that user. */
export const SENTINEL = "Sntl0RealTokenSecretQ9w8e7r6t5y4";
const CK = "Cons0merKey1234567";
const TK = "T0kenKey0123456789";
/** What the user configured: one character off. */
const CONFIGURED = `${CK}:${TK}:${SENTINEL.slice(0, -1)}X`;

/** The forms in which a MAAS body can carry the secret. */
const ECHOES = [
  `Authorization Error: 'Invalid signature. Expected signature base string: &${SENTINEL}'`,
  `Invalid signature. Expected signature base string: %26${SENTINEL}`,
  `oauth_signature="%26${SENTINEL}", oauth_token="${TK}"`,
  `signature &${SENTINEL} did not match`,
  `key ${CK}:${TK}:${SENTINEL}`,
  `key ${CK}%3A${TK}%3A${SENTINEL}`,
  `key ${CK.toLowerCase()}:${TK.toLowerCase()}:${SENTINEL.toLowerCase()}`,
];

/** Status and body shapes MAAS produces (ref §2.4, §3.2), each carrying one echo form. */
function shapes(echo: string): Array<{ name: string; answer: CannedAnswer }> {
  const text = (status: number, headers: Record<string, string> = {}): CannedAnswer => ({ status, body: echo, contentType: "text/plain", headers });
  return [
    { name: "400 JSON field dict", answer: { status: 400, body: JSON.stringify({ ip: [echo], __all__: [echo] }) } },
    { name: "400 text", answer: text(400) },
    { name: "400 conflict text", answer: { status: 400, body: `MAC address bc:24:11:3b:7a:a7 already belongs to ${echo}`, contentType: "text/plain" } },
    { name: "401 text", answer: text(401, { "www-authenticate": 'OAuth realm="OAuth"' }) },
    { name: "403 text", answer: text(403) },
    { name: "403 dynamic range text", answer: { status: 403, body: `IP address 192.168.4.220 belongs to an existing dynamic range. ${echo}`, contentType: "text/plain" } },
    { name: "404 text", answer: text(404) },
    { name: "404 already in use", answer: { status: 404, body: `The IP address 192.168.4.238 is already in use. ${echo}`, contentType: "text/plain" } },
    { name: "409 text", answer: text(409) },
    { name: "409 HTML retry", answer: { status: 409, body: `<html><head><title>409 ${echo}</title></head><body>${echo}</body></html>`, contentType: "text/html", headers: { "retry-after": "0" } } },
    { name: "410 text", answer: text(410) },
    { name: "500 text", answer: text(500) },
    { name: "502 HTML", answer: { status: 502, body: `<html><body>${echo}</body></html>`, contentType: "text/html" } },
    { name: "503 text", answer: text(503, { "retry-after": "0" }) },
    { name: "504 text", answer: text(504) },
    { name: "200 not JSON", answer: { status: 200, body: echo, contentType: "text/html" } },
    { name: "200 wrong JSON shape", answer: { status: 200, body: JSON.stringify({ unexpected: echo }) } },
  ];
}

type Op = { name: string; run: (c: MaasClient) => Promise<unknown>; path: RegExp };
const OPS: Op[] = [
  { name: "listReservations", run: (c) => c.listReservations(), path: /\/(reservedips|ipaddresses)\/(\?all=true)?$/ },
  { name: "createReservation", run: (c) => c.createReservation({ ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", comment: "x", hostname: "x" }), path: /\/(reservedips|ipaddresses)\/(\?op=reserve)?$/ },
  { name: "updateComment", run: (c) => c.updateComment("7", "x"), path: /\/reservedips\/7\/$/ },
  { name: "releaseReservation(reservedips)", run: (c) => c.releaseReservation({ id: "7", ip: "192.168.4.238", mechanism: "reservedips" }), path: /\/reservedips\/7\/$/ },
  { name: "releaseReservation(ipaddresses)", run: (c) => c.releaseReservation({ id: "192.168.4.238", ip: "192.168.4.238", mechanism: "ipaddresses" }), path: /\/ipaddresses\/\?op=release$/ },
  { name: "listSubnets", run: (c) => c.listSubnets(), path: /\/subnets\/$/ },
  { name: "listIpRanges", run: (c) => c.listIpRanges(), path: /\/ipranges\/$/ },
  { name: "version", run: (c) => c.version(), path: /\/version\/$/ },
];

let server: CannedServer;
let current: { version: string; op: Op; answer: CannedAnswer };

beforeAll(async () => {
  server = await startCannedServer((req) => {
    const url = req.url;
    if (current.op.path.test(url)) return current.answer;
    if (/\/version\/$/.test(url)) return { status: 200, body: JSON.stringify({ version: current.version, subversion: "", capabilities: [] }) };
    // Lists the client needs around the call under test (e.g. the reconcile list after a create) answer empty.
    if (req.method === "GET") return { status: 200, body: "[]" };
    return { status: 500, body: "unexpected request in test", contentType: "text/plain" };
  });
});
afterAll(() => server.close());

function client(): MaasClient {
  return new MaasClient({ url: server.url, apiKey: CONFIGURED, retry: { limit: 1 }, sleep: async () => {}, timeoutMs: 2_000 });
}

const cases = ["3.5.7", "3.6.0"].flatMap((version) =>
  OPS.filter((op) => version === "3.6.0" || (op.name !== "updateComment" && op.name !== "releaseReservation(reservedips)")).flatMap((op) =>
    ECHOES.flatMap((echo, e) => shapes(echo).map((s) => ({ label: `${version} ${op.name} ${s.name} echo#${e}`, version, op, answer: s.answer }))),
  ),
);

describe("no MAAS error path lets an echoed secret through", () => {
  it(`covers ${cases.length} operation × status × echo combinations`, async () => {
    const leaks: string[] = [];
    let failures = 0;
    for (const c of cases) {
      current = { version: c.version, op: c.op, answer: c.answer };
      let thrown: unknown;
      try {
        await c.op.run(client());
      } catch (err) {
        thrown = err;
      }
      if (thrown === undefined) continue; // some shapes are success for some ops (e.g. 404 on release = already gone)
      failures++;
      const seen = [inspect(thrown, { depth: 6 }), String(thrown), JSON.stringify(thrown), (thrown as Error).stack ?? ""].join("\n");
      for (const needle of [SENTINEL, SENTINEL.toLowerCase(), encodeURIComponent(`&${SENTINEL}`)]) {
        if (seen.includes(needle)) leaks.push(`${c.label}: ${seen.slice(0, 400)}`);
      }
    }
    expect(failures).toBeGreaterThan(cases.length * 0.8);
    expect(leaks.slice(0, 5), `${leaks.length} leaks`).toEqual([]);
  }, 180_000);

  it("the drift report's masker removes every MAAS echo form on its own (last line of defence)", () => {
    for (const echo of ECHOES) expect(maskSecrets(`error: ${echo}`), echo).not.toMatch(new RegExp(SENTINEL, "i"));
  });
});
