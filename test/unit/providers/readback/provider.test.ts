import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { readbackProvider } from "../../../../providers/readback/provider";
import type { NodeReadbackInputs, NodeReadbackState } from "../../../../providers/readback/inputs";
import { startKubeSimulator, type KubeSimulator } from "../../../../lab/kube";
import { startProxmoxSimulator, type ProxmoxSimulator } from "../../../../lab/proxmox";

// The incident's node (RCA-2025-07-27): pinned .238, got .222 from the pool.
const NODE = "k3s-vm-pve";
const MAC = "bc:24:11:3b:7a:a7";
const PINNED = "192.168.4.238";
const POOL = "192.168.4.222";
const VMID = 101;

let kube: KubeSimulator;
let pve: ProxmoxSimulator;
let config: Record<string, string>;

const p = readbackProvider;
const configure = (values: Record<string, string>) =>
  p.configure!({
    config: {
      get: (k: string) => values[k],
      require: (k: string) => {
        if (values[k] === undefined) throw new Error(`Missing required configuration key: ${k}`);
        return values[k]!;
      },
    },
  });

function inputs(overrides: Partial<NodeReadbackInputs> = {}): NodeReadbackInputs {
  return {
    nodeName: NODE,
    ip: PINNED,
    mac: MAC,
    flannelIface: "eth0",
    kube: { configKey: "homelab:kubeconfig" },
    proxmox: { endpoint: pve.url, node: "pve", vmId: VMID, tokenConfigKey: "homelab:proxmoxApiToken" },
    ...overrides,
  };
}

async function checked(overrides: Partial<NodeReadbackInputs> = {}): Promise<NodeReadbackInputs> {
  const r = await p.check!({} as NodeReadbackInputs, inputs(overrides));
  expect(r.failures ?? []).toEqual([]);
  return r.inputs!;
}

/** create → (mutate) → read → diff against the stored inputs, as a refresh-preview does. */
async function refreshAfter(mutate: () => void | Promise<void>) {
  const news = await checked();
  const created = await p.create(news);
  await mutate();
  const read = await p.read!(created.id, created.outs);
  const diff = await p.diff!(created.id, read.props!, news);
  return { created, read, state: read.props as NodeReadbackState, diff };
}

beforeAll(async () => {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

beforeEach(async () => {
  kube = await startKubeSimulator({ nodes: [{ name: NODE, internalIp: PINNED, clusterInit: true }] });
  pve = await startProxmoxSimulator({ vms: [{ node: "pve", vmId: VMID, mac: MAC, ip: PINNED }] });
  config = { "homelab:kubeconfig": kube.kubeconfig, "homelab:proxmoxApiToken": pve.apiToken };
  await configure(config);
  vi.mocked(console.warn).mockClear();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all([kube.close(), pve.close()]);
});

afterAll(() => {
  vi.mocked(console.warn).mockRestore();
});

describe("check", () => {
  it("adds the expected observation to the inputs and keeps __provider", async () => {
    const r = await p.check!({} as NodeReadbackInputs, { ...inputs(), __provider: "code" } as NodeReadbackInputs);
    expect(r.inputs).toMatchObject({
      __provider: "code",
      ip: PINNED,
      nodeIp: PINNED,
      flannelPublicIp: PINNED,
      agentIp: PINNED,
    });
    // whether a source answers is not something the program declares
    expect(r.inputs).not.toHaveProperty("reachable");
    expect(r.inputs).not.toHaveProperty("errors");
  });

  it("reports every bad field at once, each by property name", async () => {
    const r = await p.check!({} as NodeReadbackInputs, {
      nodeName: "",
      ip: "192.168.4.2x",
      mac: "bc:24:11:1a:38:0g",
      flannelIface: "eth 0",
      kube: { configKey: "" },
      proxmox: { endpoint: "pve.lan", node: "pve", vmId: 7, tokenConfigKey: "homelab:t" },
    });
    expect(r.failures!.map((f) => f.property)).toEqual([
      "nodeName",
      "ip",
      "mac",
      "flannelIface",
      "kube.configKey",
      "proxmox.endpoint",
      "proxmox.vmId",
    ]);
    expect(r.failures![1]!.reason).toMatch(/"192.168.4.2x" is not an IPv4 address; .*e\.g\. 192\.168\.4\.238/);
  });

  it("refuses a token pasted where the config key name belongs, without repeating it", async () => {
    const token = "root@pam!homelab=8d1c5a3e-sentinel-secret";
    const r = await p.check!({} as NodeReadbackInputs, inputs({ proxmox: { endpoint: "https://pve:8006/", node: "pve", vmId: VMID, tokenConfigKey: token } }));
    expect(r.failures).toHaveLength(1);
    expect(r.failures![0]!.property).toBe("proxmox.tokenConfigKey");
    expect(JSON.stringify(r.failures)).not.toContain("8d1c5a3e");
  });

  it("lets unknown preview values through", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const r = await p.check!({} as NodeReadbackInputs, inputs({ ip: unknown, mac: unknown }));
    expect(r.failures ?? []).toEqual([]);
    expect(r.inputs!.nodeIp).toBe(unknown);
  });
});

describe("create", () => {
  it("stores a consistent node's observation under the input names", async () => {
    const created = await p.create(await checked());
    expect(created.id).toBe(NODE);
    expect(created.outs).toEqual({
      nodeName: NODE,
      mac: MAC,
      kube: { configKey: "homelab:kubeconfig" },
      proxmox: { endpoint: pve.url, node: "pve", vmId: VMID, tokenConfigKey: "homelab:proxmoxApiToken" },
      ip: PINNED,
      nodeIp: PINNED,
      flannelIface: "eth0",
      flannelPublicIp: PINNED,
      agentIp: PINNED,
      reachable: { kube: true, proxmox: true },
      errors: [],
      unverified: [],
    });
    expect(console.warn).not.toHaveBeenCalled();
    expect(await p.diff!(NODE, created.outs!, await checked())).toEqual({ changes: false });
  });

  it("succeeds with a one-line warning when the node is on the wrong address", async () => {
    kube.setNode(NODE, { internalIp: POOL, flannelPublicIp: POOL });
    pve.setGuestIp(VMID, POOL);
    const created = await p.create(await checked());
    expect(created.outs!.ip).toBe(POOL);
    expect(console.warn).toHaveBeenCalledTimes(1);
    const line = String(vi.mocked(console.warn).mock.calls[0]![0]);
    expect(line).not.toContain("\n");
    expect(line).toMatch(/NodeReadback k3s-vm-pve: .*ip "192.168.4.222" \(should be "192.168.4.238"\)/);
  });

  it("sends one request to each source", async () => {
    await p.create(await checked());
    expect(kube.requests()).toEqual([{ method: "GET", path: `/api/v1/nodes/${NODE}`, status: 200, authorized: true }]);
    expect(pve.requests()).toHaveLength(1);
    expect(pve.requests()[0]!.path).toBe(`/api2/json/nodes/pve/qemu/${VMID}/agent/network-get-interfaces`);
  });
});

describe("read finds drift", () => {
  it("sees a node on a pool address", async () => {
    const { state, diff } = await refreshAfter(() => {
      kube.setNode(NODE, { internalIp: POOL, flannelPublicIp: POOL });
      pve.setGuestIp(VMID, POOL);
    });
    expect(state).toMatchObject({ ip: POOL, nodeIp: PINNED, flannelPublicIp: POOL, agentIp: POOL, errors: [] });
    expect(diff).toEqual({ changes: true });
  });

  it("sees a K3s node-ip that differs", async () => {
    const { state, diff } = await refreshAfter(() => kube.setNode(NODE, { nodeIp: "192.168.4.221" }));
    expect(state.nodeIp).toBe("192.168.4.221");
    expect(diff.changes).toBe(true);
  });

  it("sees a node-ip that is not pinned at all", async () => {
    const { state, diff } = await refreshAfter(() => kube.setNode(NODE, { nodeIp: null }));
    expect(state.nodeIp).toBeNull();
    expect(diff.changes).toBe(true);
  });

  it("sees a flannel-iface that differs", async () => {
    const { state, diff } = await refreshAfter(() => kube.setNode(NODE, { flannelIface: "wlp5s0" }));
    expect(state.flannelIface).toBe("wlp5s0");
    expect(diff.changes).toBe(true);
  });

  it("sees a flannel public-ip left on the old address", async () => {
    const { state, diff } = await refreshAfter(() => kube.setNode(NODE, { flannelPublicIp: "192.168.1.79" }));
    expect(state).toMatchObject({ ip: PINNED, flannelPublicIp: "192.168.1.79" });
    expect(diff.changes).toBe(true);
  });

  it("sees the guest agent report another address", async () => {
    const { state, diff } = await refreshAfter(() => pve.setGuestIp(VMID, "192.168.4.220"));
    expect(state).toMatchObject({ ip: PINNED, agentIp: "192.168.4.220" });
    expect(diff.changes).toBe(true);
  });

  it("sees a node the cluster no longer has", async () => {
    const { state, diff } = await refreshAfter(() => kube.removeNode(NODE));
    expect(state).toMatchObject({ ip: null, nodeIp: null, reachable: { kube: true, proxmox: true } });
    expect(state.errors[0]).toMatch(/has no node "k3s-vm-pve" \(404\)/);
    expect(diff.changes).toBe(true);
  });

  it("reports no change when nothing moved", async () => {
    const { read, created, diff } = await refreshAfter(() => undefined);
    expect(read.props).toEqual(created.outs);
    expect(read.id).toBe(NODE);
    expect(diff).toEqual({ changes: false });
  });
});

describe("read when a source cannot be reached", () => {
  it("keeps the previous values when the cluster refuses connections, without throwing", async () => {
    const { state, diff } = await refreshAfter(() => kube.setReachable(false));
    expect(state).toMatchObject({ ip: PINNED, nodeIp: PINNED, flannelIface: "eth0", agentIp: PINNED });
    expect(state.reachable).toEqual({ kube: false, proxmox: true });
    expect(state.errors).toHaveLength(1);
    expect(state.errors[0]).toMatch(new RegExp(`the cluster API at ${kube.url} did not answer for node "k3s-vm-pve" \\(.*ECONNREFUSED`));
    expect(state.unverified).toEqual([{ source: "kube", reason: expect.stringMatching(/did not answer/), fix: expect.stringMatching(/the cluster API is down or unreachable/) }]);
    // unverified is not drift: no change, and a warning naming the node, the reason and the fix
    expect(diff).toEqual({ changes: false });
    expect(console.warn).toHaveBeenCalledWith(expect.stringMatching(/^warning: could not verify k3s-vm-pve .*did not answer.*Fix: the cluster API is down/));
  });

  it("treats a 503 from the cluster API as unreachable, after one retry", async () => {
    const { state } = await refreshAfter(() => kube.setReachable(false, "unavailable"));
    expect(state.reachable.kube).toBe(false);
    expect(state.errors[0]).toMatch(/answered 503/);
    expect(kube.requests().filter((r) => r.status === 503)).toHaveLength(2);
  });

  it("treats a stopped guest agent as an unreachable Proxmox source", async () => {
    const { state, diff } = await refreshAfter(() => pve.setAgentRunning(VMID, false));
    expect(state).toMatchObject({ agentIp: PINNED, reachable: { kube: true, proxmox: false } });
    expect(state.errors[0]).toMatch(/guest agent of VM 101 on pve is not running/);
    expect(state.unverified[0]).toMatchObject({ source: "proxmox", fix: expect.stringMatching(/apt install qemu-guest-agent/) });
    expect(diff.changes).toBe(false);
  });

  it("recovers once the cluster answers again", async () => {
    const news = await checked();
    const created = await p.create(news);
    await kube.setReachable(false);
    const down = await p.read!(NODE, created.outs);
    await kube.setReachable(true);
    const up = await p.read!(NODE, down.props);
    expect(up.props).toEqual(created.outs);
    expect(await p.diff!(NODE, up.props!, news)).toEqual({ changes: false });
  });

  it("names the config key when the cluster refuses the credentials, and never the token", async () => {
    const leaked = "sentinel-wrong-token-1f2e3d";
    await configure({ ...config, "homelab:kubeconfig": kube.kubeconfig.replace(kube.token, leaked) });
    const { state } = await refreshAfter(() => undefined);
    expect(state.reachable.kube).toBe(false);
    expect(state.errors[0]).toMatch(/rejected the credentials from stack config homelab:kubeconfig \(401 Unauthorized\)/);
    expect(JSON.stringify(state)).not.toContain(leaked);
    expect(JSON.stringify(state)).not.toContain(kube.token);
    expect(JSON.stringify(state)).not.toContain(pve.apiToken);
  });

  it("says how to provide a kubeconfig when there is none", async () => {
    vi.stubEnv("KUBECONFIG", "");
    await configure({ "homelab:proxmoxApiToken": pve.apiToken });
    const created = await p.create(await checked());
    expect(created.outs!.reachable.kube).toBe(false);
    expect(created.outs!.errors[0]).toMatch(/no kubeconfig: .*; set the secret stack config homelab:kubeconfig .*KUBECONFIG/);
  });
});

describe("credentials from the environment", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "readback-env-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("falls back to the KUBECONFIG file and PROXMOX_VE_API_TOKEN", async () => {
    const file = path.join(dir, "k3s.yaml");
    await writeFile(file, kube.kubeconfig);
    vi.stubEnv("KUBECONFIG", `${path.join(dir, "missing.yaml")}:${file}`);
    vi.stubEnv("PROXMOX_VE_API_TOKEN", pve.apiToken);
    await configure({});
    const created = await p.create(await checked());
    expect(created.outs!.reachable).toEqual({ kube: true, proxmox: true });
    expect(created.outs!.errors).toEqual([]);
  });
});

describe("diff", () => {
  it("is an update, never a replacement, when the node or its sources change", async () => {
    const created = await p.create(await checked());
    const moved = await checked({ mac: "bc:24:11:a9:d5:8c" });
    expect(await p.diff!(NODE, created.outs!, moved)).toEqual({ changes: true });
    const otherKey = await checked({ kube: { configKey: "homelab:otherKubeconfig" } });
    expect(await p.diff!(NODE, created.outs!, otherKey)).toEqual({ changes: true });
  });

  it("compares against the pinned address of the program, so a re-pinned node shows before any refresh", async () => {
    const created = await p.create(await checked());
    expect(await p.diff!(NODE, created.outs!, await checked({ ip: "192.168.4.237" }))).toEqual({ changes: true });
  });
});

describe("update", () => {
  it("re-observes and keeps nothing from a different node", async () => {
    const created = await p.create(await checked());
    await kube.setReachable(false);
    const updated = await p.update!(NODE, created.outs!, await checked({ nodeName: "k3s-vm-still-fawn" }));
    expect(updated.outs).toMatchObject({ nodeName: "k3s-vm-still-fawn", ip: null, reachable: { kube: false, proxmox: true } });
  });
});

describe("a node without a Proxmox source", () => {
  it("expects and reports no agent address", async () => {
    const news = await checked({ proxmox: undefined });
    const created = await p.create(news);
    expect(created.outs).toMatchObject({ agentIp: null, reachable: { kube: true, proxmox: false } });
    expect(created.outs).not.toHaveProperty("proxmox");
    expect(await p.diff!(NODE, created.outs!, news)).toEqual({ changes: false });
    expect(pve.requests()).toHaveLength(0);
  });
});
