/**
 * The stack's side of the first-server decision: one read-only `K3sDatastoreCheck` over every
 * declared server (those with an ssh block are asked over SSH), then `planBootstrap` decides whether
 * the first declared server runs cluster-init. The decision and any server that could not be checked
 * go to the log; a warning names every server that could not be checked when it matters.
 */
import * as pulumi from "@pulumi/pulumi";
import { planBootstrap, type DatastoreObservation } from "../../providers/k3s/bootstrap";
import { K3sDatastoreCheck } from "../../providers/k3s/datastore-check";
import type { HomelabConfig } from "./config/load";
import { nodeSshTarget } from "./node";

/** The server that runs cluster-init (undefined: the cluster exists), known at program time in preview and up. */
export function checkBootstrap(config: HomelabConfig): pulumi.Output<string | undefined> {
  const servers = config.nodes.filter((n) => n.role === "server");
  if (!config.initServer || servers.length === 0) return pulumi.output(undefined);
  const check = new K3sDatastoreCheck("k3s-datastores", {
    servers: servers.map((n) => ({ name: n.name, ...(n.ssh ? { ssh: nodeSshTarget(n, n.ssh, config.ssh, config.secrets.sshPrivateKeySet) } : {}) })),
  });
  return check.observations.apply((observed) => {
    // Every declared server, in order; one the check gave no answer for counts as unchecked.
    const byName = new Map((observed ?? []).map((o) => [o.name, o]));
    const observations = servers.map((n): DatastoreObservation => byName.get(n.name) ?? { name: n.name, state: "unchecked", reason: "no answer from the check" });
    const plan = planBootstrap(config.initServer, observations);
    if (plan.warning) pulumi.log.warn(plan.warning, check);
    else pulumi.log.info(plan.summary, check);
    return plan.initServer;
  });
}
