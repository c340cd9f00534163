/** SSH key pairs for the lab, made by OpenSSH's own ssh-keygen (the format real nodes have). */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface KeyPair {
  privateKey: string;
  /** "ssh-ed25519 AAAA… comment" */
  publicKey: string;
  /** "SHA256:…" as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** Writes `<file>` and `<file>.pub` (ed25519, no passphrase) and returns them. */
export async function generateKeyPair(file: string, comment: string): Promise<KeyPair> {
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
  const [privateKey, publicKey, listing] = await Promise.all([
    readFile(file, "utf8"),
    readFile(`${file}.pub`, "utf8"),
    run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`]),
  ]);
  const fingerprint = listing.stdout.split(/\s+/)[1] ?? "";
  return { privateKey, publicKey: publicKey.trim(), fingerprint };
}
