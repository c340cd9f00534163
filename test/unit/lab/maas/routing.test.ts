/**
 * URL layout, op dispatch, method checks, CSRF and response headers (ref §2), and the loopback-only binding.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMaasSimulator, type MaasSimulator } from "../../../../lab/maas";
import { call } from "./maas-http";

describe("MAAS simulator routing", () => {
  let sim: MaasSimulator;
  beforeAll(async () => {
    sim = await startMaasSimulator({ version: "3.6.0" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("listens on 127.0.0.1 only and reports the MAAS base URL", () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/MAAS\/$/);
    expect(new URL(sim.url).port).not.toBe("0");
  });

  it("refuses a port that is not a TCP port", async () => {
    await expect(startMaasSimulator({ port: 70000 })).rejects.toThrow(/port must be an integer 0–65535/);
  });

  it("answers a path without its trailing slash with 404 Unknown API endpoint, not a redirect", async () => {
    const res = await call(sim, "GET", "subnets");
    expect([res.status, res.text]).toEqual([404, "Unknown API endpoint: /MAAS/api/2.0/subnets."]);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("answers unknown endpoints with 404 even without credentials", async () => {
    const res = await call(sim, "GET", "machines/", { key: null });
    expect([res.status, res.text]).toEqual([404, "Unknown API endpoint: /MAAS/api/2.0/machines/."]);
  });

  it("serves the API version as plain text and the 1.0 API as gone", async () => {
    const version = await call(sim, "GET", "/MAAS/api/version/", { key: null });
    expect([version.status, version.text]).toEqual([200, "2.0"]);
    const gone = await call(sim, "GET", "/MAAS/api/1.0/nodes/", { key: null });
    expect([gone.status, gone.text]).toEqual([410, "The 1.0 API is no longer available. Please use API version 2.0."]);
  });

  it("reports the version, subversion and the fixed capability list", async () => {
    const res = await call(sim, "GET", "version/", { key: null });
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.json()).toEqual({
      capabilities: [
        "networks-management",
        "static-ipaddresses",
        "ipv6-deployment-ubuntu",
        "devices-management",
        "storage-deployment-ubuntu",
        "network-deployment-ubuntu",
        "bridging-interface-ubuntu",
        "bridging-automatic-ubuntu",
        "authenticate-api",
      ],
      version: "3.6.0",
      subversion: "",
    });
  });

  it("lists ReservedIpsHandler in describe/ on 3.6 only", async () => {
    const names = (await call(sim, "GET", "describe/", { key: null })).json().resources.map((r: { name: string }) => r.name);
    expect(names).toContain("ReservedIpsHandler");
    const old = await startMaasSimulator({ version: "3.5.7" });
    try {
      const oldNames = (await call(old, "GET", "describe/", { key: null })).json().resources.map((r: { name: string }) => r.name);
      expect(oldNames).not.toContain("ReservedIpsHandler");
    } finally {
      await old.close();
    }
  });

  it("rejects an unknown (method, op) pair with 400 Unrecognised signature", async () => {
    const res = await call(sim, "GET", "subnets/1/?op=foo");
    expect([res.status, res.text]).toEqual([400, "Unrecognised signature: method=GET op=foo"]);
    const post = await call(sim, "POST", "ipaddresses/?op=frobnicate", { form: {} });
    expect([post.status, post.text]).toEqual([400, "Unrecognised signature: method=POST op=frobnicate"]);
  });

  it("answers a method the resource does not export with 405 and an Allow header", async () => {
    const put = await call(sim, "PUT", "reservedips/", { form: { comment: "x" } });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, POST");
    const post = await call(sim, "POST", "reservedips/1/", { form: {} });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, PUT, DELETE");
  });

  it("puts X-MAAS-API-Hash and Vary: Authorization on API responses", async () => {
    const res = await call(sim, "GET", "subnets/");
    expect(res.headers["x-maas-api-hash"]).toMatch(/^[0-9a-f]{40}$/);
    expect(res.headers.vary).toBe("Authorization");
  });

  it("applies CSRF to unsafe methods only when a sessionid cookie is sent", async () => {
    const cookie = { cookie: "sessionid=abc123" };
    const post = await call(sim, "POST", "reservedips/", { headers: cookie, form: { ip: "192.168.4.50", mac_address: "bc:24:11:00:00:01" } });
    expect(post.status).toBe(403);
    expect(post.text).toContain("CSRF verification failed");
    expect(sim.reservations()).toEqual([]);
    expect((await call(sim, "GET", "reservedips/", { headers: cookie })).status).toBe(200);
    expect((await call(sim, "POST", "reservedips/", { headers: { cookie: "theme=dark" }, form: { ip: "192.168.4.50", mac_address: "bc:24:11:00:00:01" } })).status).toBe(200);
  });
});
