import { describe, expect, it } from "vitest";
import {
  networkFailures,
  conflictsWith,
  diffReservation,
  dynamicRangeHolding,
  liveHostname,
  normalizeInputs,
  stateFrom,
  subnetFailures,
  subnetFor,
  UNKNOWN,
} from "../../../../../providers/maas/reservation/model";
import type { Reservation } from "../../../../../providers/maas/client/types";

const base = { ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", hostname: "k3s-vm-pve", subnet: "192.168.4.0/24" };

describe("normalizeInputs", () => {
  it("normalises MAC forms to lowercase colons and defaults the comment to the hostname", () => {
    for (const mac of ["BC:24:11:3B:7A:A7", "bc-24-11-3b-7a-a7", "bc24.113b.7aa7", "bc24113b7aa7"]) {
      const { inputs, failures } = normalizeInputs({ ...base, mac });
      expect(failures).toEqual([]);
      expect(inputs.mac).toBe("bc:24:11:3b:7a:a7");
      expect(inputs.comment).toBe("k3s-vm-pve");
    }
  });

  it("reports every bad field at once, naming the node", () => {
    const { failures } = normalizeInputs({ ip: "192.168.4.999", mac: "bc:24:11:3b:7a:zz", hostname: "k3s-vm-pve", subnet: "192.168.4.1/24" });
    expect(failures.map((f) => f.property)).toEqual(["ip", "mac", "subnet"]);
    expect(failures[0].reason).toContain("for k3s-vm-pve");
    expect(failures[2].reason).toContain("did you mean 192.168.4.0/24?");
  });

  it("lets unknown preview values through without failing", () => {
    const { failures } = normalizeInputs({ ip: UNKNOWN, mac: UNKNOWN, hostname: "k3s-vm-pve" });
    expect(failures).toEqual([]);
  });
});

describe("subnetFailures", () => {
  it.each([
    ["192.168.5.1", "is not part of the subnet"],
    ["192.168.4.0", "network address"],
    ["192.168.4.255", "broadcast address"],
  ])("rejects %s", (ip, text) => {
    const { inputs } = normalizeInputs({ ...base, ip });
    expect(subnetFailures(inputs)[0].reason).toContain(text);
  });
  it("accepts a host address inside the subnet", () => {
    expect(subnetFailures(normalizeInputs(base).inputs)).toEqual([]);
  });
});

describe("dynamic ranges and subnets", () => {
  const ranges = [{ id: 1, type: "dynamic" as const, startIp: "192.168.4.200", endIp: "192.168.4.230", subnetId: 1, comment: "" }];
  it("finds the dynamic range that holds an incident pool address", () => {
    expect(dynamicRangeHolding("192.168.4.220", ranges)?.startIp).toBe("192.168.4.200");
    expect(dynamicRangeHolding("192.168.4.238", ranges)).toBeUndefined();
    expect(dynamicRangeHolding("192.168.4.200", [{ ...ranges[0], type: "reserved" }])).toBeUndefined();
  });
  it("picks the most specific subnet like MAAS does", () => {
    const subnets = [
      { id: 1, cidr: "192.168.0.0/16", name: "wide", gatewayIp: null, dnsServers: [] },
      { id: 2, cidr: "192.168.4.0/24", name: "lan", gatewayIp: null, dnsServers: [] },
    ];
    expect(subnetFor("192.168.4.10", subnets)?.id).toBe(2);
    expect(subnetFor("10.0.0.1", subnets)).toBeUndefined();
  });
});

const live = (over: Partial<Reservation>): Reservation => ({
  id: "7", mechanism: "reservedips", ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7", subnetId: 1, subnetCidr: "192.168.4.0/24", comment: null, dnsNames: null, owner: null, ...over,
});

describe("conflictsWith", () => {
  const inputs = normalizeInputs(base).inputs;
  it("names the MAC that already holds the IP", () => {
    const [f] = conflictsWith(inputs, [live({ mac: "02:00:00:00:00:01" })]);
    expect(f.property).toBe("ip");
    expect(f.reason).toContain("already held in MAAS by reserved IP 7 (192.168.4.238 for 02:00:00:00:00:01)");
    expect(f.reason).toContain("will not release it");
  });
  it("names the IP the MAC already has in the subnet", () => {
    const [f] = conflictsWith(inputs, [live({ ip: "192.168.4.10" })]);
    expect(f.property).toBe("mac");
    expect(f.reason).toContain("already has reserved IP 7 (192.168.4.10 for bc:24:11:3b:7a:a7)");
  });
  it("ignores an identical reservation and the one being replaced", () => {
    expect(conflictsWith(inputs, [live({})])).toEqual([]);
    expect(conflictsWith(inputs, [live({ mac: "02:00:00:00:00:01" })], (r) => r.id === "7")).toEqual([]);
  });
  it("names a legacy holder's owner", () => {
    const [f] = conflictsWith(inputs, [live({ id: "192.168.4.238", mechanism: "ipaddresses", mac: "02:00:00:00:00:01", owner: "bob" })]);
    expect(f.reason).toContain("legacy ipaddresses reservation of 192.168.4.238 (192.168.4.238 for 02:00:00:00:00:01, owner bob)");
  });
});

// MAAS ≤ 3.5 keeps op=reserve's hostname as a DNS record (IPAddressesHandler._claim_ip); `read` compares it.
describe("liveHostname (a legacy reservation's DNS records)", () => {
  const legacy = (dnsNames: string[] | null) => live({ id: "192.168.4.238", mechanism: "ipaddresses", dnsNames });
  it("keeps the declaration when a record carries it (bare label against the record's first label, case aside)", () => {
    expect(liveHostname(legacy(["k3s-vm-pve.maas"]), "k3s-vm-pve")).toBe("k3s-vm-pve");
    expect(liveHostname(legacy(["K3S-VM-PVE.maas", "alias.maas"]), "k3s-vm-pve")).toBe("k3s-vm-pve");
    expect(liveHostname(legacy(["pve.lab"]), "pve.lab")).toBe("pve.lab");
  });
  it("reports a rename, several names, or none", () => {
    expect(liveHostname(legacy(["renamed.maas"]), "k3s-vm-pve")).toBe("renamed");
    expect(liveHostname(legacy(["b.maas", "a.maas"].sort()), "k3s-vm-pve")).toBe("a, b");
    expect(liveHostname(legacy(["pve.maas"]), "pve.lab")).toBe("pve.maas");
    expect(liveHostname(legacy([]), "k3s-vm-pve")).toBe("");
  });
  it("keeps the declaration where MAAS was not asked (reserved IPs; legacy rows on MAAS ≥ 3.6)", () => {
    expect(liveHostname(legacy(null), "k3s-vm-pve")).toBe("k3s-vm-pve");
    expect(liveHostname(live({ dnsNames: ["x.maas"] }), "k3s-vm-pve")).toBe("k3s-vm-pve");
  });
  it("makes a rename in MAAS a replacement of the reservation", () => {
    const inputs = normalizeInputs(base).inputs;
    const refreshed = stateFrom(legacy(["renamed.maas"]), inputs);
    expect(refreshed.hostname).toBe("renamed");
    expect(diffReservation(refreshed, inputs)).toEqual({ changes: true, replaces: ["hostname"], deleteBeforeReplace: true });
    expect(diffReservation(stateFrom(legacy(["k3s-vm-pve.maas"]), inputs), inputs).changes).toBe(false);
  });
});

describe("diffReservation", () => {
  const inputs = normalizeInputs(base).inputs;
  const stored = stateFrom(live({ comment: "k3s-vm-pve" }), inputs);

  it("reports no change when MAAS matches the declaration", () => {
    expect(diffReservation(stored, inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });
  it("replaces, deleting first, when MAAS moved the reservation to another MAC", () => {
    expect(diffReservation({ ...stored, mac: "02:00:00:00:00:99" }, inputs)).toEqual({ changes: true, replaces: ["mac"], deleteBeforeReplace: true });
  });
  it("replaces when the IP changed", () => {
    expect(diffReservation({ ...stored, ip: "192.168.4.239" }, inputs).replaces).toEqual(["ip"]);
  });
  it("updates the comment in place on MAAS 3.6+", () => {
    expect(diffReservation(stored, { ...inputs, comment: "new" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
  it("replaces on a hostname change on MAAS 3.5, where the hostname is a DNS record made at reserve time", () => {
    const legacy = { ...stored, mechanism: "ipaddresses" as const };
    expect(diffReservation(legacy, { ...inputs, hostname: "renamed", comment: "renamed" }).replaces).toEqual(["hostname"]);
  });
  it("treats an unknown planned IP as a replacement", () => {
    expect(diffReservation(stored, { ...inputs, ip: UNKNOWN }).replaces).toEqual(["ip"]);
  });
});

describe("networkFailures (MAAS's subnet and ranges, ref/maas-api.md §3.1, §4)", () => {
  const subnet = { id: 1, cidr: "192.168.4.0/24", name: "lan", gatewayIp: "192.168.4.1", dnsServers: [] };
  const ranges = [
    { id: 1, type: "dynamic" as const, startIp: "192.168.4.200", endIp: "192.168.4.230", subnetId: 1, comment: "" },
    { id: 2, type: "reserved" as const, startIp: "192.168.4.2", endIp: "192.168.4.9", subnetId: 1, comment: "switches" },
  ];
  const at = (ip: string) => networkFailures({ ...normalizeInputs(base).inputs, ip }, subnet, ranges).map((f) => f.reason);
  it.each([
    ["192.168.4.0", /network address of MAAS subnet 192\.168\.4\.0\/24/],
    ["192.168.4.255", /broadcast address of MAAS subnet/],
    ["192.168.4.1", /is the gateway of MAAS subnet/],
    ["192.168.4.220", /inside the MAAS dynamic range 192\.168\.4\.200-192\.168\.4\.230/],
    ["192.168.4.5", /inside the MAAS reserved range 192\.168\.4\.2-192\.168\.4\.9 \("switches"\)/],
  ])("refuses %s", (ip, message) => {
    expect(at(ip).join(" ")).toMatch(message);
  });
  it("accepts an ordinary host address", () => {
    expect(at("192.168.4.238")).toEqual([]);
  });
});
