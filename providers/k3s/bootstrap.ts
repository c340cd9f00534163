/**
 * Whether the first declared server bootstraps the cluster (`cluster-init: true`) or joins an
 * existing one (`server:` like every other node), from what each declared server's disk says.
 * Pure: the datastore check (datastore-check/) supplies the observations.
 *
 * K3s ignores cluster-init and server once a node has a datastore (ref/k3s.md §1.1, §1.2), so the
 * choice only matters for a server without one: a rebuilt or replaced first server must join, or
 * it starts a second cluster. One server with a datastore proves the cluster exists.
 */

/** The K3s datastore directory (`${data-dir}/server/db`, default data-dir; ref/k3s.md §1.4): SQLite or etcd files live here. */
export const K3S_DATASTORE_DIR = "/var/lib/rancher/k3s/server/db";

/** What one declared server's disk says. */
export type DatastoreObservation =
  | { readonly name: string; readonly state: "datastore" | "empty" }
  /** Not asked: no ssh block, unreachable, or the check failed; `reason` says which. */
  | { readonly name: string; readonly state: "unchecked"; readonly reason: string };

export interface BootstrapPlan {
  /** The server that runs cluster-init; undefined when the cluster exists (every server joins). */
  readonly initServer?: string;
  /** One line for the log: what was decided and why. */
  readonly summary: string;
  /** Set when servers could not be checked and none that could has a datastore. */
  readonly warning?: string;
}

/**
 * `first`: the first declared server (the bootstrap candidate); `observations`: every declared
 * server, in declaration order.
 * - a server has a datastore → the cluster exists: nobody runs cluster-init;
 * - every server checked, none has one → a new cluster: `first` bootstraps;
 * - some could not be checked, none checked has one → `first` bootstraps as before this check
 *   existed, with a warning naming them: a fresh stack's VMs are not reachable before they exist,
 *   so refusing here would make the first deployment impossible.
 */
export function planBootstrap(first: string, observations: readonly DatastoreObservation[]): BootstrapPlan {
  const holders = observations.filter((o) => o.state === "datastore").map((o) => o.name);
  if (holders.length > 0) {
    return { summary: `K3s: the cluster exists (datastore on ${holders.join(", ")}): ${first} joins through server like the other nodes, no server runs cluster-init.` };
  }
  const unchecked = observations.filter((o): o is Extract<DatastoreObservation, { state: "unchecked" }> => o.state === "unchecked");
  if (unchecked.length === 0) {
    return { initServer: first, summary: `K3s: no declared server has a datastore: ${first} bootstraps a new cluster (cluster-init).` };
  }
  const list = unchecked.map((o) => `${o.name} (${o.reason})`).join(", ");
  return {
    initServer: first,
    summary: `K3s: no checked server has a datastore: ${first} is planned with cluster-init.`,
    warning:
      `K3s: could not check for a datastore on ${list}, and no server that could be checked has one, so ${first} is planned with cluster-init. ` +
      `If the cluster already runs on them and ${first} has no datastore (rebuilt, replaced), K3s on ${first} would start a second cluster: ` +
      `make them reachable (or give them an ssh block) before \`pulumi up\`.`,
  };
}
