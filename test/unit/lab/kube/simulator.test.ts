import { request } from "undici";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { startKubeSimulator, type KubeSimulator } from "../../../../lab/kube";

let sim: KubeSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function get(path: string, token?: string) {
  const res = await request(`${sim!.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: (await res.body.json()) as any };
}

describe("the cluster-API simulator", () => {
  it("listens on loopback only", async () => {
    sim = await startKubeSimulator();
    expect(new URL(sim.url).hostname).toBe("127.0.0.1");
  });

  it("serves a realistic K3s Node object", async () => {
    sim = await startKubeSimulator({ token: "t0k", nodes: [{ name: "k3s-vm-pve", internalIp: "192.168.4.238", clusterInit: true }] });
    const { status, body } = await get("/api/v1/nodes/k3s-vm-pve", "t0k");
    expect(status).toBe(200);
    expect(body.kind).toBe("Node");
    expect(body.status.addresses).toEqual([
      { type: "InternalIP", address: "192.168.4.238" },
      { type: "Hostname", address: "k3s-vm-pve" },
    ]);
    expect(JSON.parse(body.metadata.annotations["k3s.io/node-args"])).toEqual([
      "server", "--cluster-init", "--node-ip", "192.168.4.238", "--flannel-iface", "eth0", "--token", "********", "--write-kubeconfig-mode", "0644",
    ]);
    expect(body.metadata.annotations["flannel.alpha.coreos.com/public-ip"]).toBe("192.168.4.238");
    expect(body.metadata.labels["node-role.kubernetes.io/etcd"]).toBe("true");
  });

  it("lists every node", async () => {
    sim = await startKubeSimulator({ token: "t", nodes: [{ name: "a", internalIp: "10.0.0.1" }, { name: "b", internalIp: "10.0.0.2", role: "agent" }] });
    const { body } = await get("/api/v1/nodes", "t");
    expect(body.kind).toBe("NodeList");
    expect(body.items.map((n: any) => n.metadata.name)).toEqual(["a", "b"]);
    expect(body.items[1].metadata.labels).not.toHaveProperty("node-role.kubernetes.io/control-plane");
  });

  it("answers 401 without the bearer token and 404 for an unknown node", async () => {
    sim = await startKubeSimulator({ token: "right" });
    expect((await get("/api/v1/nodes/x")).status).toBe(401);
    expect((await get("/api/v1/nodes/x", "wrong")).body).toMatchObject({ kind: "Status", code: 401, reason: "Unauthorized" });
    const missing = await get("/api/v1/nodes/x", "right");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: "NotFound", message: 'nodes "x" not found' });
  });

  it("changes, adds and removes nodes", async () => {
    sim = await startKubeSimulator({ token: "t", nodes: [{ name: "n", internalIp: "192.168.4.238" }] });
    sim.setNode("n", { internalIp: "192.168.4.222", nodeIp: null, flannelIface: "ens18" });
    const { body } = await get("/api/v1/nodes/n", "t");
    expect(body.status.addresses[0].address).toBe("192.168.4.222");
    expect(JSON.parse(body.metadata.annotations["k3s.io/node-args"])).toEqual(["server", "--flannel-iface", "ens18", "--token", "********", "--write-kubeconfig-mode", "0644"]);
    // flannel keeps the public-ip it had until told otherwise
    expect(body.metadata.annotations["flannel.alpha.coreos.com/public-ip"]).toBe("192.168.4.238");
    sim.setNode("m", { internalIp: "192.168.4.237" });
    sim.removeNode("n");
    expect((await get("/api/v1/nodes", "t")).body.items.map((i: any) => i.metadata.name)).toEqual(["m"]);
    expect(() => sim!.setNode("ghost", { nodeIp: "1.2.3.4" })).toThrow(/setNode\("ghost"\): no such node; pass internalIp/);
  });

  it("refuses connections while unreachable and comes back on the same URL", async () => {
    sim = await startKubeSimulator({ token: "t", nodes: [{ name: "n", internalIp: "10.0.0.1" }] });
    await sim.setReachable(false);
    await expect(request(`${sim.url}/api/v1/nodes/n`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await sim.setReachable(true);
    expect((await get("/api/v1/nodes/n", "t")).status).toBe(200);
  });

  it("can answer 503 instead of refusing", async () => {
    sim = await startKubeSimulator({ token: "t" });
    await sim.setReachable(false, "unavailable");
    expect((await get("/api/v1/nodes", "t")).status).toBe(503);
  });

  it("gives a kubeconfig for its own URL and token, and logs requests without the token", async () => {
    sim = await startKubeSimulator({ token: "secret-token" });
    const cfg = parse(sim.kubeconfig);
    expect(cfg.clusters[0].cluster.server).toBe(sim.url);
    expect(cfg.users[0].user.token).toBe("secret-token");
    await get("/api/v1/nodes", "secret-token");
    expect(sim.requests()).toEqual([{ method: "GET", path: "/api/v1/nodes", status: 200, authorized: true }]);
    expect(JSON.stringify(sim.requests())).not.toContain("secret-token");
  });
});
