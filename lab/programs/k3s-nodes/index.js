// Benchmark program: N K3sNodeConfig resources, each on its own lab machine (lab/node), so a
// refresh-preview reads N nodes over SSH. Machines and key come from stack config.
"use strict";
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const { K3sNodeConfig } = require(path.resolve(__dirname, "../../../dist/providers/k3s/node-config"));
const { planK3sNode } = require(path.resolve(__dirname, "../../../dist/providers/k3s/config"));

const cfg = new pulumi.Config("bench");
const nodes = cfg.requireObject("nodes");
const cluster = { apiEndpoint: "k3s.bench.lan", flannelBackend: "vxlan", initServer: "none" };
for (const n of nodes) {
  const settings = planK3sNode({ name: n.name, ip: n.ip, interface: "eth0", role: "agent" }, cluster);
  new K3sNodeConfig(`${n.name}-k3s`, {
    ...settings,
    tokenSha256: pulumi.secret(cfg.require("tokenSha256")),
    tokenConfigKey: "bench:token",
    ssh: { ...n.ssh, privateKeyConfigKey: "bench:sshPrivateKey" },
    restart: "never",
  });
}
