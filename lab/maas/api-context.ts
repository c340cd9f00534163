/**
 * What an API handler receives, and how resources declare their operations.
 *
 * A resource mirrors a piston handler: its exports are keyed by (HTTP method, op), `op` empty for plain CRUD
 * (ref §2.2). The set of methods among the exports is what the resource allows; anything else is a 405.
 */
import type { ParsedBody, Reply } from "./http-io";
import { forbidden } from "./http-io";
import type { MaasStore, UserRow } from "./store";
import type { MaasFeatures } from "./version";

export interface ApiContext {
  store: MaasStore;
  features: MaasFeatures;
  version: string;
  /** The authenticated user; null only on anonymous resources. */
  user: UserRow | null;
  method: string;
  path: string;
  query: URLSearchParams;
  body: ParsedBody;
  /** Captures of the route pattern, e.g. { id: "7" }. */
  params: Record<string, string>;
  /** Persist the store; call after a successful change. */
  commit(): void;
}

export type Handler = (ctx: ApiContext) => Reply;

export interface Resource {
  /** Route name used in counters, e.g. "reservedips/{id}". */
  name: string;
  /** Matches the path below /MAAS/api/2.0/ (named groups become params). */
  pattern: RegExp;
  /** Reachable without credentials (version/, describe/). */
  anonymous?: boolean;
  /** Whether the simulated version has this resource at all (404 "Unknown API endpoint" otherwise). */
  available?: (features: MaasFeatures) => boolean;
  /** Keys "<METHOD> <op>", op empty for CRUD: "GET ", "POST reserve". */
  exports: Record<string, Handler>;
}

export const METHOD_RESERVED_ADMIN = "This method is reserved for admin users.";

/** MAAS's @admin_method: 403 for a non-admin (ref §2.4). */
export function requireAdmin(ctx: ApiContext): UserRow {
  if (ctx.user === null || !ctx.user.isSuperuser) throw forbidden(METHOD_RESERVED_ADMIN);
  return ctx.user;
}

export function requireUser(ctx: ApiContext): UserRow {
  if (ctx.user === null) throw new Error("handler of a protected resource ran without a user");
  return ctx.user;
}

/** ISO timestamp for new rows. */
export function nowIso(): string {
  return new Date().toISOString();
}
