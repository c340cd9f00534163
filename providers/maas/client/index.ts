/**
 * Public surface of the MAAS client (no Pulumi imports anywhere under client/): the client, its data model,
 * the error family and the small pure helpers the provider reuses.
 */
export { MaasClient, DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT } from "./client";
export type { MaasClientOptions, MaasClientStats } from "./client";
export type { RetryPolicy } from "./retry-policy";
export { DEFAULT_RETRY_POLICY } from "./retry-policy";
export {
  MaasError,
  MaasValidationError,
  MaasAuthError,
  MaasNotFoundError,
  MaasConflictError,
  MaasUnavailableError,
  MaasUnreachableError,
  MaasUnsupportedError,
  MaasConfigError,
} from "./errors";
export type { MaasConflictHolder, MaasErrorDetails } from "./errors";
export { normalizeMac } from "./mac";
export { canonicalIp } from "./canonical-ip";
export { parseRetryAfter } from "./retry-after";
export { parseMaasVersion, mechanismForVersion, isKnownVersion } from "./version";
export type { IpRange, MaasVersion, Reservation, ReservationMechanism, ReservationRequest, Subnet } from "./types";
