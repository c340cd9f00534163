import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { KubeconfigError, parseKubeconfig } from "../../../../providers/readback/kubeconfig";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const SECRET_TOKEN = "sentinel-kube-token-6c1f9b7d";

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: "https://192.168.4.238:6443" }) {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster }],
    users: [{ name: "default", user }],
    contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
    "current-context": "default",
  });
}

describe("parseKubeconfig", () => {
  it("reads a bearer token over http", () => {
    const t = parseKubeconfig(kubeconfig({ token: SECRET_TOKEN }, { server: "http://127.0.0.1:6443/" }), "homelab:kubeconfig");
    expect(t).toEqual({ server: "http://127.0.0.1:6443", token: SECRET_TOKEN, insecure: false });
  });

  it("decodes the client certificate, key and CA of a K3s kubeconfig", () => {
    const text = kubeconfig(
      { "client-certificate-data": b64("CERT PEM"), "client-key-data": b64("KEY PEM") },
      { server: "https://192.168.4.238:6443", "certificate-authority-data": b64("CA PEM") },
    );
    expect(parseKubeconfig(text, "k")).toMatchObject({ cert: "CERT PEM", key: "KEY PEM", ca: "CA PEM", insecure: false });
  });

  it("honours insecure-skip-tls-verify", () => {
    const text = kubeconfig({ token: "t" }, { server: "https://h:6443", "insecure-skip-tls-verify": true });
    expect(parseKubeconfig(text, "k").insecure).toBe(true);
  });

  it.each([
    ["not YAML", "a: [unclosed", /homelab:kubeconfig: is not valid YAML/],
    ["not a kubeconfig", "just: text", /is not a kubeconfig .*clusters/],
    ["a non-http server", kubeconfig({ token: "t" }, { server: "ftp://h" }), /server must be an http or https URL/],
    ["a user without credentials", kubeconfig({}), /has no credentials/],
    ["a key without its certificate", kubeconfig({ "client-key-data": b64(SECRET_TOKEN) }), /needs both client-certificate-data and client-key-data/],
  ])("rejects %s with a message naming the source", (_label, text, message) => {
    let error: unknown;
    try {
      parseKubeconfig(text, "homelab:kubeconfig");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeconfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^homelab:kubeconfig: /);
    expect((error as Error).message).not.toContain(SECRET_TOKEN);
  });

  it("rejects a current-context that is not listed", () => {
    const text = stringify({ clusters: [{ name: "a", cluster: { server: "http://h" } }], contexts: [], "current-context": "gone" });
    expect(() => parseKubeconfig(text, "k")).toThrow(/current-context "gone" is not listed/);
  });
});
