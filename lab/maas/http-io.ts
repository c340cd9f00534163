/**
 * Request bodies in, MAAS-shaped responses out.
 *
 * MAAS (Django + piston) accepts form-encoded and multipart bodies for POST and PUT, and JSON for the few handlers
 * that read `request.data` (ref §2.3). Its error responses differ by kind: validation errors are a JSON object of
 * field → messages, everything else is plain text (ref §2.4). Handlers throw {@link ApiError} with a ready reply.
 */
import type { IncomingMessage } from "node:http";

export const JSON_TYPE = "application/json; charset=utf-8";
export const TEXT_TYPE = "text/plain; charset=utf-8";
export const HTML_TYPE = "text/html; charset=utf-8";

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonReply(status: number, value: unknown): Reply {
  return { status, headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(value) };
}

export function textReply(status: number, text: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { "Content-Type": TEXT_TYPE, ...headers }, body: text };
}

export function emptyReply(status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers: { ...headers }, body: "" };
}

/** A request that MAAS answers with an error; the reply is sent as is. */
export class ApiError extends Error {
  constructor(readonly reply: Reply) {
    super(`${reply.status}: ${reply.body}`);
    this.name = "ApiError";
  }
}

export const badRequest = (text: string): ApiError => new ApiError(textReply(400, text));
export const forbidden = (text: string): ApiError => new ApiError(textReply(403, text));
export const notFound = (text: string): ApiError => new ApiError(textReply(404, text));
export const conflict = (text: string): ApiError => new ApiError(textReply(409, text));

/** Field → messages, the body of a form validation failure (`__all__` for form-wide errors). */
export type FieldErrors = Record<string, string[]>;

/** MAASAPIValidationError: the field → messages dict, serialised by Python's json.dumps (ref §2.4). */
export function validationError(errors: FieldErrors): ApiError {
  return new ApiError({ status: 400, headers: { "Content-Type": JSON_TYPE }, body: pythonJsonDumps(errors) });
}

/**
 * Python's `json.dumps` with default settings: ", " and ": " separators and ASCII-only output (non-ASCII as
 * \uXXXX), so validation bodies match MAAS byte for byte.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
    .join(", ")}}`;
}

/** Ordered multi-valued form fields; `get` returns the last value, like Django's QueryDict. */
export class FormFields {
  private readonly entries: Array<[string, string]>;

  constructor(entries: Iterable<[string, string]> = []) {
    this.entries = [...entries];
  }

  static fromSearchParams(params: URLSearchParams): FormFields {
    return new FormFields(params.entries());
  }

  get(key: string): string | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i][0] === key) return this.entries[i][1];
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }

  keys(): string[] {
    return [...new Set(this.entries.map(([k]) => k))];
  }

  all(): Array<[string, string]> {
    return [...this.entries];
  }
}

/**
 * What a handler sees of the body: `form` is Django's request.POST (form-encoded or multipart only); `data` is
 * piston's request.data (the form, or the decoded JSON object for application/json).
 */
export interface ParsedBody {
  form: FormFields;
  data: RequestData;
}

/** Key → value view over either form fields (values are strings) or a JSON object (values keep their JSON type). */
export interface RequestData {
  get(key: string): unknown;
  has(key: string): boolean;
}

export function formData(form: FormFields): RequestData {
  return { get: (k) => form.get(k), has: (k) => form.has(k) };
}

export function jsonData(obj: Record<string, unknown>): RequestData {
  return {
    get: (k) => (Object.prototype.hasOwnProperty.call(obj, k) ? obj[k] : undefined),
    has: (k) => Object.prototype.hasOwnProperty.call(obj, k),
  };
}

/** Bodies larger than this are refused; MAAS requests for this API are tiny. */
const MAX_BODY_BYTES = 1 << 20;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(textReply(413, "Request body too large."));
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Decode a POST/PUT body by content type. Multipart parsing uses the platform's fetch `Response.formData()`
 * (undici), not a hand-written parser. An undecodable body is a 400, as piston answers a body its mimer cannot read.
 */
export async function parseBody(contentType: string | undefined, body: Buffer): Promise<ParsedBody> {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (body.length === 0) {
    const empty = new FormFields();
    return { form: empty, data: formData(empty) };
  }
  if (type === "application/x-www-form-urlencoded") {
    const form = FormFields.fromSearchParams(new URLSearchParams(body.toString("utf8")));
    return { form, data: formData(form) };
  }
  if (type === "multipart/form-data") {
    let fd: globalThis.FormData;
    try {
      fd = await new Response(body, { headers: { "content-type": contentType ?? "" } }).formData();
    } catch {
      throw badRequest("Bad Request");
    }
    const entries: Array<[string, string]> = [];
    for (const [k, v] of fd.entries()) {
      entries.push([k, typeof v === "string" ? v : await v.text()]);
    }
    const form = new FormFields(entries);
    return { form, data: formData(form) };
  }
  if (type === "application/json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw badRequest("Bad Request");
    }
    const empty = new FormFields();
    const obj = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    return { form: empty, data: jsonData(obj) };
  }
  // Django parses only the two form types into request.POST; any other (or no) content type leaves it empty.
  const empty = new FormFields();
  return { form: empty, data: formData(empty) };
}

/**
 * Python's `repr()` of a str, which MAAS uses when it wraps OAuth errors (`Authorization Error: %r`, ref §1.3).
 */
export function pythonRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Django-style lenient boolean (`true/false`, `1/0`, `yes/no`, `on/off`), or null when unrecognised (ref §2.3). */
export function parseLenientBool(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on", "y", "t"].includes(v)) return true;
  if (["false", "0", "no", "off", "n", "f", ""].includes(v)) return false;
  return null;
}
