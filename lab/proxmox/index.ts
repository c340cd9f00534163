/** The Proxmox VE simulator (loopback only): see simulator.ts; the lab plugin install: plugin.ts. */
export { startProxmoxSimulator, type ProxmoxSimOptions, type ProxmoxSimRequest, type ProxmoxSimulator, type SimVmView } from "./simulator";
export { agentInterfacesBody, type SimVm } from "./agent-interfaces";
export { installLabProxmoxPlugin, labProxmoxPluginBinary, PROXMOXVE_PLUGIN_VERSION } from "./plugin";
