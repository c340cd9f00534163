import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fingerprintOf, hostKeyMatches, parsePinnedHostKey } from "../../../../providers/ssh/host-key";
import { shellQuote } from "../../../../providers/ssh/session";

/** An ed25519 public-key blob: string "ssh-ed25519", then 32 key bytes (RFC 8709). */
function ed25519Blob(fill: number): Buffer {
  const type = Buffer.from("ssh-ed25519");
  const key = Buffer.alloc(32, fill);
  const len = (n: number) => Buffer.from([0, 0, 0, n]);
  return Buffer.concat([len(type.length), type, len(key.length), key]);
}

describe("host-key pinning", () => {
  const blob = ed25519Blob(7);
  const line = `[127.0.0.1]:2222 ssh-ed25519 ${blob.toString("base64")}`;

  it("computes OpenSSH's SHA256 fingerprint (unpadded base64)", () => {
    expect(fingerprintOf(blob)).toBe(`SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`);
  });

  it("accepts a known_hosts line, a bare public key and a fingerprint, and matches only the pinned key", () => {
    for (const pinned of [line, `ssh-ed25519 ${blob.toString("base64")} root@node`, fingerprintOf(blob)]) {
      const parsed = parsePinnedHostKey(pinned);
      expect(hostKeyMatches(parsed, blob)).toBe(true);
      expect(hostKeyMatches(parsed, ed25519Blob(8))).toBe(false);
    }
  });

  it.each(["", "yes", "SHA256:short", "ssh-rsa AAAA", `ssh-rsa ${ed25519Blob(7).toString("base64")}`])("refuses %j with the accepted forms", (text) => {
    expect(() => parsePinnedHostKey(text)).toThrow(/known_hosts line .* or a SHA256 fingerprint/);
  });
});

describe("shellQuote", () => {
  it("single-quotes words so the remote shell sees them literally", () => {
    expect(shellQuote("/etc/rancher/k3s/config.yaml")).toBe("'/etc/rancher/k3s/config.yaml'");
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });
});
