/**
 * Every dynamic provider of this project, by stable module id. State stores only the forwarder of
 * `{ id, version }` (see forwarding-provider.ts); this table, shipped with each release, says where
 * that code lives now. Moving or renaming a provider file means changing its `module` here, never
 * its id.
 *
 * `version` is the state layout the provider writes; `reads` the layouts it can refresh and
 * delete. A release that changes a provider's state layout bumps `version` and keeps the old
 * number in `reads` for as long as it can read such state, with a new forwarder file
 * (providers/dynamic/forwarders/<provider>.v<version>.js; the old file stays while `reads` has it).
 *
 * To add a provider: one entry here, its forwarder file, and `forwardingProvider("<id>")` in its
 * resource class.
 */
export interface ProviderModule {
  /** Compiled module, relative to this file's directory (dist/providers/dynamic/). */
  readonly module: string;
  /** Name of the exported `pulumi.dynamic.ResourceProvider`. */
  readonly exportName: string;
  readonly version: number;
  readonly reads: readonly number[];
  /** What state stores: the forwarder module for `version` (providers/dynamic/forwarders/). */
  readonly forwarder: string;
}

const FORWARDERS = "@homelab-ipam/dynamic-forwarders";

export const PROVIDER_MODULES: Readonly<Record<string, ProviderModule>> = {
  "homelab-ipam/maas-reservation": { module: "../maas/reservation/provider", exportName: "reservationProvider", version: 1, reads: [1], forwarder: `${FORWARDERS}/maas-reservation.v1.js` },
  "homelab-ipam/node-readback": { module: "../readback/provider", exportName: "readbackProvider", version: 1, reads: [1], forwarder: `${FORWARDERS}/node-readback.v1.js` },
  "homelab-ipam/k3s-node-config": { module: "../k3s/node-config/provider", exportName: "nodeConfigProvider", version: 1, reads: [1], forwarder: `${FORWARDERS}/k3s-node-config.v1.js` },
  "homelab-ipam/k3s-datastore-check": { module: "../k3s/datastore-check/provider", exportName: "datastoreCheckProvider", version: 1, reads: [1], forwarder: `${FORWARDERS}/k3s-datastore-check.v1.js` },
};
