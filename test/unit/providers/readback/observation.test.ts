import { describe, expect, it } from "vitest";
import {
  agentIpForMac,
  compareObservation,
  expectedObservation,
  observationFromNode,
  parseNodeArgs,
  type AgentInterface,
  type NodeObservation,
} from "../../../../providers/readback/observation";

describe("parseNodeArgs", () => {
  it.each([
    ['["server","--node-ip","192.168.4.238","--flannel-iface","eth0"]', { "node-ip": "192.168.4.238", "flannel-iface": "eth0" }],
    ['["agent","--node-ip=192.168.4.236","--flannel-iface=eth0"]', { "node-ip": "192.168.4.236", "flannel-iface": "eth0" }],
    ['["server","--cluster-init","--node-ip","192.168.4.238"]', { "cluster-init": "true", "node-ip": "192.168.4.238" }],
    ['["server","--node-ip","10.0.0.1","--node-ip","10.0.0.2"]', { "node-ip": "10.0.0.2" }],
    ['["server","--disable-network-policy"]', { "disable-network-policy": "true" }],
  ])("reads flags from %s", (annotation, flags) => {
    expect(parseNodeArgs(annotation)).toEqual(flags);
  });

  it.each([[undefined], [null], [""], ["not json"], ['{"node-ip":"1.2.3.4"}'], ["[1,2]"]])(
    "returns no flags for an unreadable annotation (%s)",
    (annotation) => {
      expect(parseNodeArgs(annotation as string | undefined)).toEqual({});
    },
  );
});

describe("observationFromNode", () => {
  it("reads InternalIP, node-ip, flannel-iface and the flannel public-ip", () => {
    const node = {
      metadata: {
        annotations: {
          "k3s.io/node-args": '["server","--node-ip","192.168.4.238","--flannel-iface","eth0"]',
          "flannel.alpha.coreos.com/public-ip": "192.168.4.222",
        },
      },
      status: { addresses: [{ type: "Hostname", address: "k3s-vm-pve" }, { type: "InternalIP", address: "192.168.4.222" }] },
    };
    expect(observationFromNode(node)).toEqual({
      ip: "192.168.4.222",
      nodeIp: "192.168.4.238",
      flannelIface: "eth0",
      flannelPublicIp: "192.168.4.222",
    });
  });

  it("takes the IPv4 of a dual-stack node-ip", () => {
    const node = { metadata: { annotations: { "k3s.io/node-args": '["server","--node-ip","192.168.4.238,fd00::238"]' } } };
    expect(observationFromNode(node).nodeIp).toBe("192.168.4.238");
  });

  it("reports null for everything a bare node object lacks", () => {
    expect(observationFromNode({})).toEqual({ ip: null, nodeIp: null, flannelIface: null, flannelPublicIp: null });
  });
});

describe("agentIpForMac", () => {
  const interfaces: AgentInterface[] = [
    {
      name: "lo",
      "hardware-address": "00:00:00:00:00:00",
      "ip-addresses": [{ "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: 8 }],
    },
    {
      name: "eth0",
      "hardware-address": "bc:24:11:3b:7a:a7",
      "ip-addresses": [
        { "ip-address-type": "ipv6", "ip-address": "fe80::be24:11ff:fe3b:7aa7", prefix: 64 },
        { "ip-address-type": "ipv4", "ip-address": "169.254.10.1", prefix: 16 },
        { "ip-address-type": "ipv4", "ip-address": "192.168.4.222", prefix: 24 },
        { "ip-address-type": "ipv4", "ip-address": "192.168.4.238", prefix: 24 },
      ],
    },
  ];

  it("finds the interface by MAC whatever the case or separator", () => {
    expect(agentIpForMac(interfaces, "BC-24-11-3B-7A-A7")).toBe("192.168.4.222");
  });

  it("skips link-local and IPv6 addresses and prefers the pinned address when present", () => {
    expect(agentIpForMac(interfaces, "bc:24:11:3b:7a:a7", "192.168.4.238")).toBe("192.168.4.238");
    expect(agentIpForMac(interfaces, "bc:24:11:3b:7a:a7", "192.168.4.99")).toBe("192.168.4.222");
  });

  it("returns null when no interface has the MAC", () => {
    expect(agentIpForMac(interfaces, "bc:24:11:a9:d5:8c")).toBeNull();
    expect(agentIpForMac(interfaces, "not-a-mac")).toBeNull();
  });
});

describe("compareObservation", () => {
  const expected = expectedObservation({ ip: "192.168.4.238", flannelIface: "eth0", kube: {}, proxmox: {} });
  const consistent: NodeObservation = {
    ip: "192.168.4.238",
    nodeIp: "192.168.4.238",
    flannelIface: "eth0",
    flannelPublicIp: "192.168.4.238",
    agentIp: "192.168.4.238",
    reachable: { kube: true, proxmox: true },
    errors: [],
    unverified: [],
  };

  it("finds nothing when every source reports the pinned address", () => {
    expect(compareObservation(expected, consistent)).toEqual([]);
  });

  it("names each field that differs, in report order", () => {
    const onPool = { ...consistent, ip: "192.168.4.222", agentIp: "192.168.4.222", flannelIface: "ens18" };
    expect(compareObservation(expected, onPool)).toEqual([
      { field: "ip", expected: "192.168.4.238", observed: "192.168.4.222" },
      { field: "flannelIface", expected: "eth0", observed: "ens18" },
      { field: "agentIp", expected: "192.168.4.238", observed: "192.168.4.222" },
    ]);
  });

  it("does not compare the fields of a source that did not answer: unverified is not drift", () => {
    const unverified = [{ source: "kube" as const, reason: "the cluster API did not answer", fix: "start it" }];
    // last known values that differ, but the cluster did not answer this time
    const down = { ...consistent, ip: "192.168.4.222", nodeIp: null, reachable: { kube: false, proxmox: true }, errors: ["x"], unverified };
    expect(compareObservation(expected, down)).toEqual([]);
    // the agent did answer, and its address differs: that is still drift
    expect(compareObservation(expected, { ...down, agentIp: "192.168.4.222" }).map((m) => m.field)).toEqual(["agentIp"]);
  });

  it("treats fields missing from an old state as null, and an old state without reachability as unverified", () => {
    expect(compareObservation(expected, { ip: "192.168.4.238", reachable: { kube: true, proxmox: true } }).map((m) => m.field)).toContain("nodeIp");
    expect(compareObservation(expected, { ip: "192.168.4.238" })).toEqual([]);
  });

  it("expects no flannel address without flannel", () => {
    const noFlannel = expectedObservation({ ip: "192.168.4.238", flannelIface: "eth0", kube: {}, flannel: false });
    expect(noFlannel.flannelPublicIp).toBeNull();
    expect(compareObservation(noFlannel, { ...consistent, flannelPublicIp: null })).toEqual([]);
    expect(compareObservation(noFlannel, { ...consistent, flannelPublicIp: "192.168.4.9" })).toEqual([]);
  });

  it("expects nothing from a source that is not configured", () => {
    const kubeOnly = expectedObservation({ ip: "192.168.4.236", flannelIface: "eth0", kube: {} });
    expect(kubeOnly.agentIp).toBeNull();
    expect(kubeOnly.reachable).toEqual({ kube: true, proxmox: false });
  });
});
