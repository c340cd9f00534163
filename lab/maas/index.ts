/**
 * The MAAS 2.0 REST API simulator: a loopback stand-in for MAAS used by unit/engine tests and the embedded lab.
 * It follows shared/ref/maas-api.md (the reference), not any client's convenience.
 */
export { startMaasSimulator, DEFAULT_MAAS_VERSION, SIMULATOR_HOST } from "./server";
export { INCIDENT_SEED } from "./store";
export { parseMaasVersion } from "./version";
export type { FaultPlan, MaasSimOptions, MaasSimSeed, MaasSimulator, SimCounters, SimReservation } from "./types";
