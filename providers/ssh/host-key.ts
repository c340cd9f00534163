/**
 * Host-key pinning. A node's key is declared either as a `known_hosts` line
 * (`[host]:port ssh-ed25519 AAAA…`, or just `ssh-ed25519 AAAA…`) or as the SHA256 fingerprint
 * `ssh-keygen -lf` prints (`SHA256:…`, unpadded base64). There is no "accept anything" mode: a
 * connection whose key does not match is refused before authentication, so nothing is sent.
 */
import { createHash } from "node:crypto";

export type PinnedHostKey =
  | { kind: "key"; keyType: string; blob: Buffer }
  | { kind: "fingerprint"; fingerprint: string };

/** OpenSSH's fingerprint of a raw public-key blob: "SHA256:" + unpadded base64 of its SHA-256. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Parses a declared host key; throws a message saying which forms are accepted. */
export function parsePinnedHostKey(text: string): PinnedHostKey {
  const value = text.trim();
  if (/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(value)) return { kind: "fingerprint", fingerprint: value.replace(/=$/, "") };
  const fields = value.split(/\s+/);
  // A known_hosts line has the host pattern first; a bare public key starts with its type.
  const at = fields.findIndex((f) => /^(ssh-|ecdsa-|sk-)/.test(f));
  const keyType = at >= 0 ? fields[at] : undefined;
  const base64 = at >= 0 ? fields[at + 1] : undefined;
  if (keyType && base64 && /^[A-Za-z0-9+/]+=*$/.test(base64)) {
    const blob = Buffer.from(base64, "base64");
    // The blob starts with its own type name (RFC 4253 §6.6): a pasted key of another type is refused.
    const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (len > 0 && blob.subarray(4, 4 + len).toString("latin1") === keyType) return { kind: "key", keyType, blob };
  }
  throw new Error(
    'hostKey must be a known_hosts line ("[127.0.0.1]:2222 ssh-ed25519 AAAA…", from `ssh-keyscan`) or a SHA256 fingerprint ("SHA256:…", from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`)',
  );
}

/** Whether the key the server presented is the pinned one. */
export function hostKeyMatches(pinned: PinnedHostKey, presented: Buffer): boolean {
  if (pinned.kind === "fingerprint") return fingerprintOf(presented) === pinned.fingerprint;
  return pinned.blob.equals(presented);
}

export function describePinned(pinned: PinnedHostKey): string {
  return pinned.kind === "fingerprint" ? pinned.fingerprint : fingerprintOf(pinned.blob);
}
