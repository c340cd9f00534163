import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "../../dynamic/forwarding-provider";
import { pausePromiseStacks } from "../../dynamic/promise-stacks";
import type { DatastoreObservation } from "../bootstrap";
import type { DatastoreCheckServer } from "./provider";

/**
 * Which declared servers already hold a K3s datastore (type `pulumi-nodejs:dynamic/k3s:DatastoreCheck`).
 * A read-only lookup: registered with an id, so preview and up read it at program time and
 * nothing is ever created or deleted on the machines. See provider.ts.
 */
export const datastoreCheckForwarder = forwardingProvider("homelab-ipam/k3s-datastore-check");

export class K3sDatastoreCheck extends pulumi.dynamic.Resource {
  /** One per declared server, in the order given. */
  declare readonly observations: pulumi.Output<DatastoreObservation[]>;

  constructor(name: string, args: { readonly servers: readonly DatastoreCheckServer[] }, opts?: pulumi.CustomResourceOptions) {
    const resume = pausePromiseStacks(); // see promise-stacks.ts
    try {
      super(datastoreCheckForwarder, name, { observations: undefined, ...args }, pulumi.mergeOptions(opts, { id: name }), "k3s", "DatastoreCheck");
    } catch (err) {
      throw resume(err, new.target);
    } finally {
      resume();
    }
  }
}
