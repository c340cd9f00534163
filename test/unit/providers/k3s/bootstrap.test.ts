import { describe, expect, it } from "vitest";
import { planBootstrap, type DatastoreObservation } from "../../../../providers/k3s/bootstrap";
import { planK3sNode } from "../../../../providers/k3s/config";

const at = (...states: Array<DatastoreObservation["state"] | string>): DatastoreObservation[] =>
  states.map((state, i) => (state === "datastore" || state === "empty" ? { name: `s${i + 1}`, state } : { name: `s${i + 1}`, state: "unchecked", reason: state }));

describe("planBootstrap", () => {
  it("a fresh cluster (every server checked, none has a datastore): the first server bootstraps, no warning", () => {
    const plan = planBootstrap("s1", at("empty", "empty", "empty"));
    expect(plan).toEqual({ initServer: "s1", summary: expect.stringContaining("s1 bootstraps a new cluster") });
  });

  it.each([
    ["the first server rebuilt, the others joined", at("empty", "datastore", "datastore"), "s2, s3"],
    ["every server joined (after bootstrap)", at("datastore", "datastore", "datastore"), "s1, s2, s3"],
    ["only the first server has one", at("datastore", "empty", "empty"), "s1"],
    ["the others unreachable, one with a datastore is enough", at("empty", "unreachable", "datastore"), "s3"],
  ])("the cluster exists (%s): nobody runs cluster-init, no warning", (_what, observations, holders) => {
    const plan = planBootstrap("s1", observations);
    expect(plan.initServer).toBeUndefined();
    expect(plan.warning).toBeUndefined();
    expect(plan.summary).toContain(`datastore on ${holders}`);
  });

  it("servers that could not be checked and none that could has a datastore: cluster-init as before, with a warning naming each and why", () => {
    const plan = planBootstrap("s1", at("empty", "s2 is unreachable: ECONNREFUSED", "no ssh block"));
    expect(plan.initServer).toBe("s1");
    expect(plan.warning).toContain("could not check for a datastore on s2 (s2 is unreachable: ECONNREFUSED), s3 (no ssh block)");
    expect(plan.warning).toContain("K3s on s1 would start a second cluster");
  });

  it("feeds planK3sNode: the first server joins through the endpoint when there is no init server", () => {
    const node = { name: "s1", ip: "192.168.4.238", interface: "eth0", role: "server" } as const;
    const cluster = { apiEndpoint: "k3s.homelab.lan", flannelBackend: "vxlan" };
    expect(planK3sNode(node, { ...cluster, initServer: planBootstrap("s1", at("empty", "datastore")).initServer })).toMatchObject({ server: "https://k3s.homelab.lan:6443" });
    expect(planK3sNode(node, { ...cluster, initServer: planBootstrap("s1", at("empty", "empty")).initServer })).toMatchObject({ clusterInit: true });
    expect(planK3sNode(node, { ...cluster, initServer: undefined }).clusterInit).toBeUndefined();
  });
});
