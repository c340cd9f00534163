/** Lab machines that behave like K3s nodes over SSH (real sshd, private mount namespace). */
export { startLabFleet } from "./fleet";
export type { FleetNode, FleetOptions, LabFleet, RestartSpan } from "./fleet";
export { PRIVATE_DIRS, startLabMachine } from "./machine";
export type { K3sUnit, LabMachine, LabMachineOptions, RestartEvent } from "./machine";
export { generateKeyPair } from "./keys";
export { cpuSecondsOf } from "./cpu-time";
export type { CpuSeconds } from "./cpu-time";
export { SUDOERS_FILE } from "./login-user";
export type { LoginUser } from "./login-user";
export type { KeyPair } from "./keys";
