/**
 * Checks the shape of MAAS's success bodies with zod before mapping them, so a proxy page or a changed
 * field fails loudly with the request named, instead of surfacing later as `undefined` in Pulumi state.
 */
import type { z } from "zod";
import { MaasError } from "./errors";
import { parseJsonBody, summarizeBody, type MaasResponse } from "./http";
import type { Redactor } from "./redaction";

export function decodeBody<S extends z.ZodType>(schema: S, res: MaasResponse, displayUrl: string, redact: Redactor): z.infer<S> {
  const data = parseJsonBody(res, displayUrl, redact);
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(body)"}: ${i.message}`)
    .join("; ");
  throw new MaasError(
    redact(
      `MAAS at ${displayUrl} answered ${res.method} ${res.target} with a body this client does not understand (${issues}; ` +
        `body: ${summarizeBody(redact(res.text), res.contentType)}). Check that the url points at MAAS 2.x/3.x's API.`,
    ),
    "MAAS_BAD_RESPONSE",
    { status: res.status, method: res.method, path: res.target },
  );
}
