import { describe, expect, it } from "vitest";
import { MASK, maskSecrets, maskValue } from "../../../drift/secret-mask";

const MAAS_KEY = "Snt1nelCons0mer001:Snt1nelT0ken000002:Snt1nelSecretSnt1nelSecret000003";

describe("maskSecrets", () => {
  it.each([
    ["a MAAS API key", `key ${MAAS_KEY} was rejected`, "Snt1nel", `key ${MASK} was rejected`],
    ["a Proxmox API token", "token root@pam!homelab=5ent1ne1-aaaa-4bbb-8ccc-000000000001 in use", "5ent1ne1", `token root@pam!homelab=${MASK} in use`],
    ["an OAuth Authorization header", 'Authorization: OAuth oauth_consumer_key="abc", oauth_token="def", oauth_signature="&ghi"', "abc", `Authorization: ${MASK}`],
    ["a bearer token", "sent Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig to the API", "eyJhbG", `sent Bearer ${MASK} to the API`],
    ["a PVEAPIToken header value", "header PVEAPIToken=root@pam!x=s3cr3t-value", "s3cr3t", undefined],
    ["a kubeconfig token field", "users: [{name: u, user: {token: kubetok3n}}]", "kubetok3n", undefined],
    ["a client key in a kubeconfig", "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==", "LS0tLS1C", undefined],
    ["a PEM private key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIP\n-----END EC PRIVATE KEY-----", "MHcCAQEEIP", MASK],
    ["a JSON apiKey field", '{"apiKey":"abcdef123456"}', "abcdef123456", undefined],
  ])("masks %s", (_label, text, secret, expected) => {
    const out = maskSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(MASK);
    if (expected !== undefined) expect(out).toBe(expected);
  });

  it.each([
    ["[secret]"],
    ["192.168.4.238"],
    ["bc:24:11:3b:7a:a7"],
    ["homelab:proxmoxApiToken"],
    ["local:snippets/k3s-vm-pve-user-data.yaml"],
    ["urn:pulumi:homelab::homelab::homelab:index:Node$pulumi-nodejs:dynamic/maas:Reservation::k3s-vm-pve-reservation"],
    ["the cluster API at https://k3s.homelab.lan:6443 did not answer"],
  ])("leaves ordinary values alone: %s", (text) => {
    expect(maskSecrets(text)).toBe(text);
  });
});

describe("maskValue", () => {
  it("masks strings anywhere in a JSON value and keeps the shape", () => {
    const value = { a: [MAAS_KEY, 1, null], b: { c: "ok", d: true } };
    expect(maskValue(value)).toEqual({ a: [MASK, 1, null], b: { c: "ok", d: true } });
  });
});

describe("maskValue and Pulumi's secret envelope", () => {
  const envelope = (rest: Record<string, unknown>) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ...rest });

  it("turns an envelope into the CLI's [secret], so a refresh's recorded inputs match a preview's", () => {
    // A refresh preview shows oldState.inputs in state-file form, the preview shows "[secret]".
    const recorded = { nodeIp: "192.168.4.238", tokenSha256: envelope({ ciphertext: "[secret]" }) };
    expect(maskValue(recorded)).toEqual({ nodeIp: "192.168.4.238", tokenSha256: "[secret]" });
  });

  it("never passes on what an envelope holds, ciphertext or plaintext", () => {
    expect(JSON.stringify(maskValue([envelope({ value: "SENTINEL-plain" }), envelope({ ciphertext: "v1:SENTINEL-cipher" })]))).toBe('["[secret]","[secret]"]');
  });

  it("leaves objects that only look similar alone", () => {
    expect(maskValue({ "4dabf18193072939515e22adb298388d": "other", value: "x" })).toEqual({ "4dabf18193072939515e22adb298388d": "other", value: "x" });
  });
});
