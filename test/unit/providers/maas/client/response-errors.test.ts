import { describe, expect, it } from "vitest";
import {
  MaasAuthError,
  MaasConflictError,
  MaasError,
  MaasNotFoundError,
  MaasUnavailableError,
  MaasValidationError,
} from "../../../../../providers/maas/client/errors";
import type { MaasResponse } from "../../../../../providers/maas/client/http";
import { classifyReserveFailure, isGone as legacyIsGone } from "../../../../../providers/maas/client/ip-addresses";
import { makeRedactor } from "../../../../../providers/maas/client/redaction";
import { classifyWriteFailure, isGone as reservedIsGone } from "../../../../../providers/maas/client/reserved-ips";
import { errorFromResponse, type FailureContext } from "../../../../../providers/maas/client/response-errors";

const SECRET = "SecretSecretSecretSecretSecret12";
const ctx: FailureContext = {
  displayUrl: "http://127.0.0.1:5240/MAAS/",
  action: "the reservation of 192.168.4.238 for bc:24:11:3b:7a:a7",
  redact: makeRedactor(["ConsumerKey1234567", "TokenKey0123456789", SECRET]),
};

function res(status: number, text: string, contentType = "text/plain", extra: Partial<MaasResponse> = {}): MaasResponse {
  return {
    status,
    statusText: { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 410: "Gone", 500: "Internal Server Error", 503: "Service Unavailable" }[status] ?? "",
    contentType,
    headers: {},
    text,
    method: "POST",
    target: "reservedips/",
    attempts: 1,
    ambiguousFailures: 0,
    ...extra,
  };
}
const json = (status: number, body: unknown) => res(status, JSON.stringify(body), "application/json");

describe("reservedips write failures", () => {
  it("quote MAAS's dynamic-range message verbatim, name the field and say what to do", () => {
    const err = classifyWriteFailure(ctx, json(400, { ip: ["The reserved IP 192.168.4.238 must be outside the dynamic range 192.168.4.200 - 192.168.4.254."] }));
    expect(err).toBeInstanceOf(MaasValidationError);
    expect(err.message).toBe(
      'MAAS rejected the reservation of 192.168.4.238 for bc:24:11:3b:7a:a7: ip: "The reserved IP 192.168.4.238 must be outside ' +
        'the dynamic range 192.168.4.200 - 192.168.4.254." Choose an address outside MAAS\'s dynamic range (or shrink the range in MAAS).',
    );
    expect((err as MaasValidationError).fields).toEqual({ ip: ["The reserved IP 192.168.4.238 must be outside the dynamic range 192.168.4.200 - 192.168.4.254."] });
    expect(err).toMatchObject({ code: "MAAS_VALIDATION", name: "MaasValidationError", status: 400, method: "POST", path: "reservedips/" });
  });

  it("report several fields at once, form-wide messages without a label", () => {
    const err = classifyWriteFailure(ctx, json(400, { mac_address: ["'zz' is not a valid MAC address."], __all__: ["This field is required."] }));
    expect(err.message).toContain(`mac_address: "'zz' is not a valid MAC address."; "This field is required."`);
    expect(err.message).toContain("Write the MAC as six hex pairs");
    expect(err.message).toContain("Supply the missing value.");
  });

  it("turn 'already exists' into a conflict, not a validation error", () => {
    const ipTaken = classifyWriteFailure(ctx, json(400, { ip: ["Reserved IP with this IP address already exists."] }));
    const macTaken = classifyWriteFailure(ctx, json(400, { __all__: ["Reserved IP with this MAC address and Subnet already exists."] }));
    const inUse = classifyWriteFailure(ctx, json(400, { ip: ["The ip 192.168.4.238 is already in use by another machine."] }));
    for (const err of [ipTaken, macTaken, inUse]) {
      expect(err).toBeInstanceOf(MaasConflictError);
      expect(err.code).toBe("MAAS_CONFLICT");
      expect(err.message).toMatch(/^MAAS refused the reservation of 192\.168\.4\.238 for bc:24:11:3b:7a:a7: /);
    }
  });

  it("explain a 403 as a missing admin right", () => {
    const err = classifyWriteFailure(ctx, res(403, "This method is reserved for admin users."));
    expect(err).toBeInstanceOf(MaasAuthError);
    expect(err.message).toContain("This method is reserved for admin users.");
    expect(err.message).toContain("writes on reservedips need an admin user's API key");
  });

  it("count a missing reserved IP as gone, but not MAAS's unknown-endpoint 404", () => {
    expect(reservedIsGone(res(404, "No ReservedIP matches the given query."))).toBe(true);
    expect(reservedIsGone(res(404, "Unknown API endpoint: /MAAS/api/2.0/reservedips/7/."))).toBe(false);
    expect(reservedIsGone(res(400, "No ReservedIP matches the given query."))).toBe(false);
  });
});

describe("legacy ipaddresses op=reserve failures", () => {
  const legacy = (status: number, text: string, ct = "text/plain") => res(status, text, ct, { target: "ipaddresses/?op=reserve" });

  it("read a 403 about a dynamic range as a validation problem, not an auth problem", () => {
    const text = "IP address 192.168.4.238 belongs to an existing dynamic range. To reserve this IP address, a MAC address is required. (Create a device instead.)";
    const err = classifyReserveFailure(ctx, legacy(403, text));
    expect(err).toBeInstanceOf(MaasValidationError);
    expect((err as MaasValidationError).fields).toEqual({ ip: [text] });
    expect(err.message).toContain(`ip: "${text}"`);
    expect(err.message).toContain("Choose an address outside MAAS's dynamic range");
  });

  it("read a 404 'already in use' as a conflict", () => {
    const err = classifyReserveFailure(ctx, legacy(404, "The IP address 192.168.4.238 is already in use."));
    expect(err).toBeInstanceOf(MaasConflictError);
    expect(err.status).toBe(404);
  });

  it("read the 3.6 reserved-IP 409 and a MAC owned by a node as conflicts", () => {
    expect(classifyReserveFailure(ctx, legacy(409, "The static IP 192.168.4.238 is already reserved for the MAC address aa:bb:cc:dd:ee:ff."))).toBeInstanceOf(MaasConflictError);
    const node = classifyReserveFailure(ctx, legacy(400, "MAC address bc:24:11:3b:7a:a7 already belongs to pve. Use of the interface API is required, for an interface that belongs to a node."));
    expect(node).toBeInstanceOf(MaasConflictError);
    expect((node as MaasConflictError).fields).toHaveProperty("mac");
  });

  it("still treat a 403 without a range message as an auth problem", () => {
    expect(classifyReserveFailure(ctx, legacy(403, "Permission denied."))).toBeInstanceOf(MaasAuthError);
  });

  it("read unknown-subnet texts and JSON bodies as validation errors", () => {
    expect(classifyReserveFailure(ctx, legacy(400, "No known subnet for IP address: 10.9.9.9."))).toBeInstanceOf(MaasValidationError);
    const err = classifyReserveFailure(ctx, legacy(400, JSON.stringify({ ip_address: ["Enter a valid IPv4 or IPv6 address."] }), "application/json"));
    expect(err).toBeInstanceOf(MaasValidationError);
    expect(err.message).toContain('ip_address: "Enter a valid IPv4 or IPv6 address."');
  });

  it("count a release of an address that is no longer ours as gone", () => {
    expect(legacyIsGone(res(400, "IP address 192.168.4.238 does not exist, is not the correct type of address, or does not belong to the requesting user.\nIf you are sure..."))).toBe(true);
    expect(legacyIsGone(res(400, "No provided ip!"))).toBe(false);
  });
});

describe("generic classification", () => {
  it("names a 401 as a key problem and never shows the key parts MAAS echoes", () => {
    const err = errorFromResponse(ctx, res(401, "Authorization Error: 'Invalid access token: TokenKey0123456789'"));
    expect(err).toBeInstanceOf(MaasAuthError);
    expect(err.code).toBe("MAAS_AUTH");
    expect(err.message).toContain("Check the apiKey");
    expect(err.message).not.toContain("TokenKey0123456789");
  });

  it("points an unknown-endpoint 404 at the url", () => {
    const err = errorFromResponse(ctx, res(404, "Unknown API endpoint: /MAAS/api/2.0/reservedips/."));
    expect(err).toBeInstanceOf(MaasNotFoundError);
    expect(err.message).toContain("check that the url points at the MAAS root");
  });

  it("reduces an HTML 409 page to its title inside a conflict", () => {
    const err = errorFromResponse(ctx, res(409, "<html><head><title>409 Conflict</title></head><body><h1>Conflict</h1>long text</body></html>", "text/html"));
    expect(err).toBeInstanceOf(MaasConflictError);
    expect(err.message).toContain('"409 Conflict"');
    expect(err.message).not.toContain("<");
  });

  it("reports a 500 as unavailable with the attempt count", () => {
    const err = errorFromResponse(ctx, res(500, "Traceback: boom", "text/plain", { attempts: 1 }));
    expect(err).toBeInstanceOf(MaasUnavailableError);
    expect(err.message).toMatch(/^MAAS at http:\/\/127\.0\.0\.1:5240\/MAAS\/ is unavailable after 1 attempt \(500 Internal Server Error: Traceback: boom\)/);
  });

  it("falls back to a plain MaasError with code MAAS_HTTP for other statuses", () => {
    const err = errorFromResponse(ctx, res(410, "use 2.0"));
    expect(err).toBeInstanceOf(MaasError);
    expect(err.code).toBe("MAAS_HTTP");
    expect(err.message).toContain("410 Gone");
  });
});
