/**
 * A throwaway self-signed certificate for 127.0.0.1: PVE serves its API only over HTTPS with
 * a self-signed certificate by default, and bpg rejects non-https endpoints (ref/proxmox.md
 * §1.2), so the simulator does too. Made with the openssl CLI (Debian base system) in a temp
 * directory that is removed again; nothing is written to the repository.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

let cached: { key: string; cert: string } | undefined;

export function loopbackCertificate(): { key: string; cert: string } {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(os.tmpdir(), "pve-sim-tls-"));
  try {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
      "-days", "2", "-subj", "/CN=pve-simulator", "-addext", "subjectAltName=IP:127.0.0.1",
    ], { stdio: "ignore" });
    cached = { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
