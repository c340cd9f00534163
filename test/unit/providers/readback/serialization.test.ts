import { execFile } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startKubeSimulator, type KubeSimulator } from "../../../../lab/kube";
import { startProxmoxSimulator, type ProxmoxSimulator } from "../../../../lab/proxmox";
import { ensureBuilt } from "../../../harness/ensure-built";

// The provider that lands in Pulumi state is tsc's CommonJS in dist/, serialized in plain node:
// that is what is checked here (vitest's own transform would break the closure capture).
const root = path.resolve(__dirname, "../../../..");
const distProvider = path.join(root, "dist/providers/readback/provider.js");
const script = path.join(__dirname, "serialize-readback.cjs");
/** The serialized code sits in every read-back's state and in `preview --json`: keep it small. */
const BUDGET_BYTES = 64 * 1024;

const NODE = "k3s-vm-still-fawn";
const MAC = "bc:24:11:a9:d5:8c";
const PINNED = "192.168.4.236";
const VMID = 102;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function roundTrip(scenario: object): Promise<Record<string, any>> {
  const r = await run([script, distProvider], { SCENARIO: JSON.stringify(scenario), PROXMOX_VE_API_TOKEN: "root@pam!env=SENTINEL-env-token" });
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
  if (out.fatal) throw new Error(`round trip failed: ${out.fatal}\n${r.stderr}`);
  return out;
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let kube: KubeSimulator;
let pve: ProxmoxSimulator;

beforeAll(async () => {
  await ensureBuilt("dist/providers/readback/provider.js", ["providers/readback"]);
}, 180_000);

beforeEach(async () => {
  kube = await startKubeSimulator({ token: "SENTINEL-kube-token", nodes: [{ name: NODE, internalIp: PINNED }] });
  pve = await startProxmoxSimulator({ token: "root@pam!readback=SENTINEL-pve-secret", vms: [{ node: "pve", vmId: VMID, mac: MAC, ip: PINNED }] });
});

afterEach(async () => {
  await Promise.all([kube.close(), pve.close()]);
});

const inputs = () => ({
  nodeName: NODE,
  ip: PINNED,
  mac: MAC,
  flannelIface: "eth0",
  kube: { configKey: "homelab:kubeconfig" },
  proxmox: { endpoint: pve.url, node: "pve", vmId: VMID, tokenConfigKey: "homelab:proxmoxApiToken" },
});
const config = () => ({ "homelab:kubeconfig": kube.kubeconfig, "homelab:proxmoxApiToken": pve.apiToken });

describe("the serialized read-back provider", () => {
  it("stays within budget, requires only packages, and carries no credential", async () => {
    const out = await roundTrip({ config: config(), inputs: inputs() });
    expect(out.bytes).toBeLessThan(BUDGET_BYTES);
    // Packages become require() calls; local helpers are copied by value, never required by path.
    for (const r of out.requires as string[]) expect(r).not.toMatch(/^[./]/);
    expect(out.requires).toEqual(expect.arrayContaining(["undici/index.js", "yaml", "zod"]));
    expect(out.text).not.toContain("SENTINEL");
    expect(JSON.stringify({ ...out, text: undefined })).not.toContain("SENTINEL");
  });

  it("reads a consistent node through the simulators after the round trip", async () => {
    const out = await roundTrip({ config: config(), inputs: inputs() });
    expect(out.read.props).toMatchObject({ ip: PINNED, agentIp: PINNED, reachable: { kube: true, proxmox: true }, errors: [] });
    expect(out.diff).toEqual({ changes: false });
    expect(kube.requests().every((r) => r.authorized)).toBe(true);
    expect(pve.requests().every((r) => r.authorized)).toBe(true);
  });

  it("sees drift after the round trip", async () => {
    const created = await roundTrip({ config: config(), inputs: inputs() });
    kube.setNode(NODE, { internalIp: "192.168.4.221", flannelPublicIp: "192.168.4.221" });
    pve.setGuestIp(VMID, "192.168.4.221");
    const out = await roundTrip({ config: config(), inputs: inputs(), previous: created.created.outs });
    expect(out.read.props).toMatchObject({ ip: "192.168.4.221", agentIp: "192.168.4.221", flannelPublicIp: "192.168.4.221" });
    expect(out.diff).toEqual({ changes: true });
  }, 120_000); // two round trips, each a node process loading the SDK

  it("does not throw when the cluster is unreachable, and keeps the previous values", async () => {
    const created = await roundTrip({ config: config(), inputs: inputs() });
    const port = await closedPort();
    const downConfig = { ...config(), "homelab:kubeconfig": kube.kubeconfig.replace(kube.url, `http://127.0.0.1:${port}`) };
    const out = await roundTrip({ config: downConfig, inputs: inputs(), previous: created.created.outs });
    expect(out.read.props).toMatchObject({ ip: PINNED, nodeIp: PINNED, reachable: { kube: false, proxmox: true } });
    expect(out.read.props.errors[0]).toMatch(/did not answer/);
    expect(out.read.props.unverified[0]).toMatchObject({ source: "kube" });
    // could not verify is not drift
    expect(out.diff).toEqual({ changes: false });
  }, 120_000); // two round trips, each a node process loading the SDK
});

describe("the round-trip check itself", () => {
  it("fails for a provider that captures an undici Agent", async () => {
    const r = await run([script, distProvider, "broken"]);
    const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/serializ|native code/i);
  });
});
