/**
 * Turns a MAAS error response into a typed MaasError. MAAS's error bodies vary by status *and* endpoint
 * (ref/maas-api.md §2.4, §3.2): validation errors are JSON field→messages (`__all__` form-wide), most others
 * are text/plain, the 409 conflict page is HTML, and the legacy `ipaddresses op=reserve` reports "already in
 * use" as a 404 and a dynamic-range clash as a 403. Endpoint-specific rules live with each endpoint
 * (reserved-ips.ts, ip-addresses.ts); this module holds the shared pieces and the generic fallback.
 */
import {
  MaasAuthError,
  MaasConflictError,
  MaasError,
  MaasNotFoundError,
  MaasUnavailableError,
  MaasValidationError,
  type MaasConflictHolder,
  type MaasErrorDetails,
} from "./errors";
import { summarizeBody, type MaasResponse } from "./http";
import type { Redactor } from "./redaction";

export interface FailureContext {
  /** Base URL as shown to people. */
  displayUrl: string;
  /** What was being done, as a noun phrase: "the reservation of 192.168.4.238 for bc:24:11:3b:7a:a7". */
  action: string;
  redact: Redactor;
}

/** Messages that mean "someone else already holds this IP or MAC", on either generation. */
const CONFLICT_PATTERN =
  /already exists|already in use|is already reserved for the MAC|does not match the reserved IP|already belongs to/i;

/** Hints keyed on MAAS's own wording; the first hint for each matching message is used, duplicates dropped. */
const HINTS: [RegExp, string][] = [
  [/outside the dynamic range|belongs to an existing dynamic range/i, "Choose an address outside MAAS's dynamic range (or shrink the range in MAAS)."],
  [/within the reserved range/i, "Choose an address outside MAAS's reserved ranges (or shrink the range in MAAS)."],
  [/network address cannot|broadcast address cannot/i, "Choose a host address, not the subnet's network or broadcast address."],
  [/is not part of the subnet|no subnet for|no known subnet|unable to identify subnet/i, "Choose an address inside a subnet MAAS manages (or create the subnet in MAAS first), and check the subnet given."],
  [/None found with id|No Subnet matches/i, "Check the subnet id or CIDR against MAAS's subnet list."],
  [/not a valid MAC address/i, "Write the MAC as six hex pairs, e.g. bc:24:11:3b:7a:a7."],
  [/Enter a valid IPv4 or IPv6 address|must contain an IP address/i, "Write the IP as a plain address, e.g. 192.168.4.238."],
  [/immutable/i, "Only the comment can change in place; delete the reservation and create it again."],
  [/No Domain matches|domain .*(does not exist|not found)/i, "Use a hostname without a domain, or one whose domain exists in MAAS."],
  [/This field is required|cannot be blank|Must supply either|No provided/i, "Supply the missing value."],
];

const DEFAULT_VALIDATION_HINT = "Fix the values MAAS names and run again.";

function details(res: MaasResponse): MaasErrorDetails {
  return { status: res.status, method: res.method, path: res.target };
}

/** MAAS's JSON validation body as field → messages, or null when the body is not such a dict. */
export function parseErrorFields(res: MaasResponse): Record<string, string[]> | null {
  if (!res.contentType.includes("json")) return null;
  let data: unknown;
  try {
    data = JSON.parse(res.text);
  } catch {
    return null;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) return null;
  const fields: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (Array.isArray(value)) fields[key] = value.map((v) => String(v));
    else if (typeof value === "string") fields[key] = [value];
    else return null;
  }
  return Object.keys(fields).length > 0 ? fields : null;
}

/** The body as plain text (trimmed, no summarising), for pattern checks. */
export function plainText(res: MaasResponse): string {
  return res.text.trim();
}

/** Renders fields as `ip: "…"; mac_address: "…", "…"`; form-wide (`__all__`) messages are quoted without a label. */
export function renderFields(fields: Record<string, string[]>): string {
  return Object.entries(fields)
    .map(([key, messages]) => {
      const quoted = messages.map((m) => JSON.stringify(m)).join(", ");
      return key === "__all__" ? quoted : `${key}: ${quoted}`;
    })
    .join("; ");
}

export function hintsFor(messages: string[]): string {
  const hints: string[] = [];
  for (const message of messages) {
    const hint = HINTS.find(([pattern]) => pattern.test(message))?.[1];
    if (hint && !hints.includes(hint)) hints.push(hint);
  }
  return hints.length > 0 ? hints.join(" ") : DEFAULT_VALIDATION_HINT;
}

export function isConflictText(messages: string[]): boolean {
  return messages.some((m) => CONFLICT_PATTERN.test(m));
}

export function validationError(ctx: FailureContext, res: MaasResponse, fields: Record<string, string[]>): MaasValidationError {
  const message = `MAAS rejected ${ctx.action}: ${renderFields(fields)} ${hintsFor(Object.values(fields).flat())}`;
  return new MaasValidationError(ctx.redact(message), fields, details(res));
}

export function describeHolder(holder: MaasConflictHolder): string {
  const mac = holder.mac === "" ? "no MAC" : holder.mac;
  return holder.id === holder.ip ? `a reservation of ${holder.ip} for ${mac}` : `reservation ${holder.id} (${holder.ip} for ${mac})`;
}

export function conflictError(
  ctx: FailureContext,
  res: MaasResponse,
  fields: Record<string, string[]>,
  heldBy?: MaasConflictHolder,
): MaasConflictError {
  const holder = heldBy ? ` It is held by ${describeHolder(heldBy)}.` : "";
  const message =
    `MAAS refused ${ctx.action}: ${renderFields(fields)}${holder} ` +
    "Release what holds the address or MAC in MAAS, or choose another address.";
  return new MaasConflictError(ctx.redact(message), fields, details(res), heldBy);
}

/** A 400 with either a JSON dict or one plain-text message: validation, or a conflict when MAAS says so. */
export function badRequestError(ctx: FailureContext, res: MaasResponse, textField = "__all__"): MaasError {
  const fields = parseErrorFields(res) ?? { [textField]: [summarizeBody(res.text, res.contentType)] };
  const messages = Object.values(fields).flat();
  return isConflictText(messages) ? conflictError(ctx, res, fields) : validationError(ctx, res, fields);
}

/** Generic classification by status, after any endpoint-specific rule has had its say. */
export function errorFromResponse(ctx: FailureContext, res: MaasResponse): MaasError {
  const { displayUrl, action, redact } = ctx;
  const body = summarizeBody(res.text, res.contentType);
  const status = `${res.status} ${res.statusText}`.trim();
  const d = details(res);
  switch (true) {
    case res.status === 400:
      return badRequestError(ctx, res);
    case res.status === 401:
      return new MaasAuthError(
        redact(
          `MAAS at ${displayUrl} rejected the API key for ${action} (${status}: ${body}). ` +
            "Check the apiKey: it must be a current key of a MAAS user, copied whole (consumer:token:secret) from the " +
            "MAAS UI or `maas apikey --username <user>`; also keep this machine's clock within 5 minutes of MAAS's.",
        ),
        d,
      );
    case res.status === 403:
      return new MaasAuthError(
        redact(
          `MAAS at ${displayUrl} refused ${action} (${status}: ${body}). The key is valid but its user lacks the ` +
            "permission: writes on reservedips need an admin user's API key.",
        ),
        d,
      );
    case res.status === 404: {
      const hint = /Unknown API endpoint/i.test(res.text)
        ? ` MAAS has no API endpoint ${res.target}; check that the url points at the MAAS root (e.g. http://maas.example:5240/MAAS/).`
        : " It may have been deleted in MAAS; refresh and run again.";
      return new MaasNotFoundError(redact(`MAAS at ${displayUrl} found nothing for ${action} (${status}: ${body}).${hint}`), d);
    }
    case res.status === 409: {
      const fields = parseErrorFields(res) ?? { __all__: [body] };
      return conflictError(ctx, res, fields);
    }
    case res.status >= 500: {
      const tries = `${res.attempts} attempt${res.attempts === 1 ? "" : "s"}`;
      return new MaasUnavailableError(
        redact(
          `MAAS at ${displayUrl} is unavailable after ${tries} (${status}: ${body}) on ${res.method} ${res.target}, ` +
            `while attempting ${action}. Check MAAS's regiond log (/var/log/maas/regiond.log) and run again.`,
        ),
        res.attempts,
        d,
      );
    }
    default:
      return new MaasError(
        redact(`MAAS at ${displayUrl} answered ${status} to ${res.method} ${res.target} (${body}) for ${action}.`),
        "MAAS_HTTP",
        d,
      );
  }
}
