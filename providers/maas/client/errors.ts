/**
 * The MaasError family. Callers branch on `instanceof` or the stable `code`, never on message text
 * (the lesson from undici's errors and from terraform-provider-maas's `strings.Contains(err, "404")`).
 * Messages name what was asked, quote MAAS verbatim and say what to do; they never contain the API key,
 * the token secret or the Authorization header (everything built from MAAS bodies goes through the
 * redactor in redaction.ts first). As a second line of defence every MaasError strips MAAS's echo forms (signature
 * base strings, oauth_* values, whole keys) from its message and fields itself, so an error built anywhere cannot
 * carry the secret a 401 echoes (ref/maas-api.md §1.3).
 */
import { redactMaasEchoes } from "./redaction";

function redactFields(fields: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.map((m) => redactMaasEchoes(m))]));
}

export interface MaasErrorDetails {
  status?: number;
  method?: string;
  path?: string;
}

export class MaasError extends Error {
  override readonly name: string = "MaasError";
  readonly code: string;
  readonly status?: number;
  readonly method?: string;
  readonly path?: string;

  constructor(rawMessage: string, code = "MAAS_ERROR", details: MaasErrorDetails = {}) {
    const message = redactMaasEchoes(rawMessage);
    super(message);
    // Inside a Pulumi dynamic provider this class runs as serialized code, where the closure
    // serializer rewrites classes to functions and calls Error as a plain function: that drops
    // `message` and `stack`. Set both explicitly so errors read the same there as here.
    this.message = message;
    if (!this.stack) Error.captureStackTrace?.(this, this.constructor);
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.method !== undefined) this.method = details.method;
    if (details.path !== undefined) this.path = details.path;
  }
}

/** MAAS refused the request's content (400 field→messages, or a 403 that is really about the IP). */
export class MaasValidationError extends MaasError {
  override readonly name = "MaasValidationError";
  /** MAAS's field → messages, verbatim; form-wide messages sit under `__all__`. */
  readonly fields: Record<string, string[]>;
  constructor(message: string, fields: Record<string, string[]>, details: MaasErrorDetails = {}) {
    super(message, "MAAS_VALIDATION", details);
    this.fields = redactFields(fields);
  }
}

/** 401/403: the key is wrong, expired, or lacks the rights (reservedips writes need an admin key). */
export class MaasAuthError extends MaasError {
  override readonly name = "MaasAuthError";
  constructor(message: string, details: MaasErrorDetails = {}) {
    super(message, "MAAS_AUTH", details);
  }
}

export class MaasNotFoundError extends MaasError {
  override readonly name = "MaasNotFoundError";
  constructor(message: string, details: MaasErrorDetails = {}) {
    super(message, "MAAS_NOT_FOUND", details);
  }
}

/** What holds the IP or MAC a reservation wanted, when MAAS's list shows it. */
export interface MaasConflictHolder {
  ip: string;
  mac: string;
  id: string;
}

/** The IP or MAC is already held by something else. */
export class MaasConflictError extends MaasError {
  override readonly name = "MaasConflictError";
  /** MAAS's field → messages when it sent them (reservedips validation), else the text under `__all__`. */
  readonly fields: Record<string, string[]>;
  readonly heldBy?: MaasConflictHolder;
  constructor(message: string, fields: Record<string, string[]>, details: MaasErrorDetails = {}, heldBy?: MaasConflictHolder) {
    super(message, "MAAS_CONFLICT", details);
    this.fields = redactFields(fields);
    if (heldBy) this.heldBy = heldBy;
  }
}

/** MAAS answered with 5xx (or a transient 409) on every attempt. */
export class MaasUnavailableError extends MaasError {
  override readonly name = "MaasUnavailableError";
  readonly attempts: number;
  constructor(message: string, attempts: number, details: MaasErrorDetails = {}) {
    super(message, "MAAS_UNAVAILABLE", details);
    this.attempts = attempts;
  }
}

/** No HTTP answer at all: connection refused or reset, or the attempt timed out, on every attempt. */
export class MaasUnreachableError extends MaasError {
  override readonly name = "MaasUnreachableError";
  readonly attempts: number;
  /** The last connection-level error code (ECONNREFUSED, UND_ERR_SOCKET, MAAS_ATTEMPT_TIMEOUT, …). */
  readonly causeCode: string;
  constructor(message: string, attempts: number, causeCode: string, details: MaasErrorDetails = {}) {
    super(message, "MAAS_UNREACHABLE", details);
    this.attempts = attempts;
    this.causeCode = causeCode;
  }
}

/** The operation does not exist on this MAAS generation (e.g. comments on MAAS ≤ 3.5). */
export class MaasUnsupportedError extends MaasError {
  override readonly name = "MaasUnsupportedError";
  constructor(message: string, details: MaasErrorDetails = {}) {
    super(message, "MAAS_UNSUPPORTED", details);
  }
}

/** The client was configured wrongly (URL, API key shape); raised before any request. */
export class MaasConfigError extends MaasError {
  override readonly name = "MaasConfigError";
  constructor(message: string) {
    super(message, "MAAS_CONFIG");
  }
}
