import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import type { TLSSocket } from "node:tls";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKubeNode } from "../../../../providers/readback/kube-source";
import { parseKubeconfig } from "../../../../providers/readback/kubeconfig";

// A K3s API server authenticates kubectl with a client certificate signed by its own CA; this
// server on 127.0.0.1 does the same with the test-only material in ./tls.
const tls = (f: string) => readFileSync(path.join(__dirname, "tls", f), "utf8");
const b64 = (s: string) => Buffer.from(s).toString("base64");

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer(
    { key: tls("server.key"), cert: tls("server.crt"), ca: tls("ca.crt"), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const body = {
        kind: "Node",
        metadata: { name: "k3s-vm-pve", annotations: { "client-cn": peer.subject?.CN } },
        status: { addresses: [{ type: "InternalIP", address: "192.168.4.238" }] },
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return stringify({
    clusters: [{ name: "k3s", cluster: { server: url, ...cluster } }],
    users: [{ name: "k3s", user }],
    contexts: [{ name: "k3s", context: { cluster: "k3s", user: "k3s" } }],
    "current-context": "k3s",
  });
}
const clientCert = { "client-certificate-data": b64(tls("client.crt")), "client-key-data": b64(tls("client.key")) };

describe("reading a node over TLS with a client certificate", () => {
  it("trusts the cluster CA and presents the client certificate", async () => {
    const target = parseKubeconfig(kubeconfig({ "certificate-authority-data": b64(tls("ca.crt")) }, clientCert), "homelab:kubeconfig");
    const read = await readKubeNode(target, "k3s-vm-pve", "homelab:kubeconfig");
    expect(read.kind).toBe("node");
    if (read.kind === "node") {
      expect(read.node.metadata?.annotations?.["client-cn"]).toBe("system:admin");
      expect(read.node.status?.addresses?.[0]?.address).toBe("192.168.4.238");
    }
  });

  it("refuses a server certificate it cannot verify", async () => {
    const target = parseKubeconfig(kubeconfig({}, clientCert), "homelab:kubeconfig");
    const read = await readKubeNode(target, "k3s-vm-pve", "homelab:kubeconfig");
    expect(read.kind).toBe("unreachable");
    if (read.kind === "unreachable") expect(read.reason).toMatch(/did not answer for node "k3s-vm-pve" \(.*(certificate|self.signed|issuer)/i);
  });

  it("accepts it with insecure-skip-tls-verify", async () => {
    const target = parseKubeconfig(kubeconfig({ "insecure-skip-tls-verify": true }, clientCert), "homelab:kubeconfig");
    expect((await readKubeNode(target, "k3s-vm-pve", "homelab:kubeconfig")).kind).toBe("node");
  });

  it("cannot read the node without the client certificate", async () => {
    const target = parseKubeconfig(kubeconfig({ "certificate-authority-data": b64(tls("ca.crt")) }, { token: "not-enough" }), "homelab:kubeconfig");
    const read = await readKubeNode(target, "k3s-vm-pve", "homelab:kubeconfig");
    expect(read.kind).toBe("unreachable");
    if (read.kind === "unreachable") expect(read.reason).not.toContain("not-enough");
  });
});
