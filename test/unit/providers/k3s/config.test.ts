import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RESOLV_CONF,
  K3S_FLAGS,
  planK3sNode,
  renderK3sConfig,
  toYaml,
  type K3sClusterInput,
  type K3sNodeInput,
} from "../../../../providers/k3s/config";

const cluster: K3sClusterInput = { apiEndpoint: "k3s.homelab.lan", flannelBackend: "vxlan", initServer: "k3s-vm-pve" };
const pve: K3sNodeInput = { name: "k3s-vm-pve", ip: "192.168.4.238", interface: "eth0", role: "server" };
const stillFawn: K3sNodeInput = { name: "k3s-vm-still-fawn", ip: "192.168.4.236", interface: "eth0", role: "server" };
const agent: K3sNodeInput = { name: "worker-1", ip: "192.168.4.240", interface: "enp6s0", role: "agent", labels: { "homelab/zone": "b", "homelab/gpu": "true" } };

describe("renderK3sConfig", () => {
  it.each([
    ["the first server", pve, { "cluster-init": true }, ["server"]],
    ["a joining server", stillFawn, { server: "https://k3s.homelab.lan:6443" }, ["cluster-init"]],
    ["an agent", agent, { server: "https://k3s.homelab.lan:6443" }, ["cluster-init", "advertise-address", "tls-san", "flannel-backend", "cluster-cidr", "service-cidr", "cluster-domain"]],
  ])("for %s pins node-ip and flannel-iface and sets how it joins", (_what, node, joins, absent) => {
    const config = renderK3sConfig(node, cluster);
    expect(config).toMatchObject({ "node-name": node.name, "node-ip": node.ip, "flannel-iface": node.interface, "token-file": "/etc/rancher/k3s/token", ...joins });
    for (const key of absent) expect(config).not.toHaveProperty(key);
  });

  it("gives servers the endpoint and their own IP as TLS SANs and advertise-address", () => {
    expect(renderK3sConfig(stillFawn, cluster)).toMatchObject({
      "advertise-address": "192.168.4.236",
      "tls-san": ["k3s.homelab.lan", "192.168.4.236"],
      "flannel-backend": "vxlan",
      "cluster-cidr": "10.42.0.0/16",
      "service-cidr": "10.43.0.0/16",
    });
  });

  it("lists a SAN once when the endpoint is the node's IP", () => {
    expect(renderK3sConfig(pve, { ...cluster, apiEndpoint: "192.168.4.238" })["tls-san"]).toEqual(["192.168.4.238"]);
  });

  it("defaults resolv-conf to systemd-resolved's upstream file (incident 004's CoreDNS loop) and honours an override", () => {
    expect(renderK3sConfig(agent, cluster)["resolv-conf"]).toBe(DEFAULT_RESOLV_CONF);
    expect(DEFAULT_RESOLV_CONF).toBe("/run/systemd/resolve/resolv.conf");
    expect(renderK3sConfig(agent, { ...cluster, resolvConf: "/etc/k3s-resolv.conf" })["resolv-conf"]).toBe("/etc/k3s-resolv.conf");
  });

  it("writes node labels as key=value sorted by key, and leaves the key out when there are none", () => {
    expect(renderK3sConfig(agent, cluster)["node-label"]).toEqual(["homelab/gpu=true", "homelab/zone=b"]);
    expect(renderK3sConfig(pve, cluster)).not.toHaveProperty("node-label");
  });

  it("writes keys in K3S_FLAGS order whatever order the inputs come in", () => {
    const keys = Object.keys(renderK3sConfig({ ...agent, labels: { z: "1", a: "2" } }, cluster));
    const order = K3S_FLAGS.map(([, flag]) => flag as string);
    expect(keys).toEqual([...keys].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  });

  it("never contains the token itself, only the path of the token file", () => {
    const settings = planK3sNode(pve, cluster);
    expect(Object.keys(settings)).not.toContain("token");
    expect(settings.tokenFile).toBe("/etc/rancher/k3s/token");
  });
});

describe("toYaml", () => {
  it("round-trips through a YAML parser to the same object", () => {
    const config = renderK3sConfig(agent, cluster);
    expect(parse(toYaml(config))).toEqual(config);
  });

  it.each([
    ["k3s-vm-pve", pve],
    ["k3s-vm-still-fawn", stillFawn],
    ["worker-1", agent],
  ])("matches the golden config.yaml of %s", async (name, node) => {
    await expect(toYaml(renderK3sConfig(node, cluster))).toMatchFileSnapshot(`./__golden__/${name}.config.yaml`);
  });
});
