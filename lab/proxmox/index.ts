/** The Proxmox guest-agent simulator for the read-back (loopback only): see simulator.ts. */
export { startProxmoxSimulator, type ProxmoxSimOptions, type ProxmoxSimRequest, type ProxmoxSimulator } from "./simulator";
export { agentInterfacesBody, type SimVm } from "./agent-interfaces";
