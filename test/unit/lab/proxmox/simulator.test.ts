import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { startProxmoxSimulator, type ProxmoxSimulator } from "../../../../lab/proxmox";

let sim: ProxmoxSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const agentPath = (node: string, vmId: number) => `/api2/json/nodes/${node}/qemu/${vmId}/agent/network-get-interfaces`;
async function get(path: string, auth?: string) {
  const res = await request(`${sim!.url}${path}`, { headers: auth ? { authorization: auth } : {} });
  return { status: res.statusCode, body: (await res.body.json()) as any };
}

describe("the Proxmox guest-agent simulator", () => {
  it("answers with PVE's envelope: lo first, then the VM's NIC with a lower-case MAC", async () => {
    sim = await startProxmoxSimulator({ vms: [{ node: "pve", vmId: 101, mac: "BC:24:11:3B:7A:A7", ip: "192.168.4.238" }] });
    const { status, body } = await get(agentPath("pve", 101), `PVEAPIToken=${sim.apiToken}`);
    expect(status).toBe(200);
    const [lo, eth0] = body.data.result;
    expect(lo).toMatchObject({ name: "lo", "hardware-address": "00:00:00:00:00:00" });
    expect(lo["ip-addresses"][0]).toEqual({ "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: 8 });
    expect(eth0.name).toBe("eth0");
    expect(eth0["hardware-address"]).toBe("bc:24:11:3b:7a:a7");
    expect(eth0["ip-addresses"][0]).toEqual({ "ip-address-type": "ipv4", "ip-address": "192.168.4.238", prefix: 24 });
    expect(eth0["ip-addresses"][1]).toEqual({ "ip-address-type": "ipv6", "ip-address": "fe80::be24:11ff:fe3b:7aa7", prefix: 64 });
    expect(Object.keys(eth0.statistics)).toEqual(["rx-bytes", "rx-dropped", "rx-errs", "rx-packets", "tx-bytes", "tx-dropped", "tx-errs", "tx-packets"]);
  });

  it("accepts only the PVEAPIToken header", async () => {
    sim = await startProxmoxSimulator({ token: "root@pam!t=abc", vms: [{ node: "pve", vmId: 101, mac: "bc:24:11:3b:7a:a7", ip: "1.1.1.1" }] });
    expect(sim.apiToken).toBe("root@pam!t=abc");
    expect((await get(agentPath("pve", 101))).status).toBe(401);
    expect((await get(agentPath("pve", 101), "PVEAPIToken=root@pam!t=wrong")).body).toEqual({ data: null, message: "invalid token value!\n" });
    expect((await get(agentPath("pve", 101), "Bearer abc")).status).toBe(401);
    expect(sim.requests().map((r) => r.authorized)).toEqual([false, false, false]);
  });

  it("reports a stopped agent and an unknown VM like PVE does", async () => {
    sim = await startProxmoxSimulator({ vms: [{ node: "pve", vmId: 101, mac: "bc:24:11:3b:7a:a7", ip: "1.1.1.1" }] });
    const auth = `PVEAPIToken=${sim.apiToken}`;
    sim.setAgentRunning(101, false);
    expect(await get(agentPath("pve", 101), auth)).toEqual({ status: 500, body: { data: null, message: "QEMU guest agent is not running\n" } });
    sim.setAgentRunning(101, true);
    expect((await get(agentPath("pve", 101), auth)).status).toBe(200);
    expect((await get(agentPath("other", 101), auth)).body.message).toMatch(/nodes\/other\/qemu-server\/101.conf' does not exist/);
    expect(() => sim!.setGuestIp(999, "1.2.3.4")).toThrow(/setGuestIp\(999\): no such VM; known ids: 101/);
  });

  it("changes the guest address, or drops it", async () => {
    sim = await startProxmoxSimulator({ vms: [{ node: "pve", vmId: 101, mac: "bc:24:11:3b:7a:a7", ip: "192.168.4.238", iface: "ens18" }] });
    const auth = `PVEAPIToken=${sim.apiToken}`;
    sim.setGuestIp(101, "192.168.4.222");
    let eth = (await get(agentPath("pve", 101), auth)).body.data.result[1];
    expect(eth.name).toBe("ens18");
    expect(eth["ip-addresses"][0]["ip-address"]).toBe("192.168.4.222");
    sim.setGuestIp(101, null);
    eth = (await get(agentPath("pve", 101), auth)).body.data.result[1];
    expect(eth["ip-addresses"].map((a: any) => a["ip-address-type"])).toEqual(["ipv6"]);
  });
});
