/**
 * A throwaway PKI for one test cluster, made with openssl: a CA, the API server's serving
 * certificate for 127.0.0.1, and the service-account signing key pair. EC P-256 keys: quick to
 * generate on a loaded machine; the API server accepts them for both uses. Valid one day.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import * as path from "node:path";

export interface ClusterPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  saKey: string;
  saPub: string;
}

function openssl(dir: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd: dir }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed in ${dir}: ${stderr.trim() || String(err)}`));
      else resolve();
    });
  });
}

export async function makePki(dir: string): Promise<ClusterPki> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(dir, ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=homelab-ipam-test-ca"]);
  await openssl(dir, ["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver"]);
  await writeFile(path.join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "server.ext", "-out", "server.crt"]);
  await openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "sa.key"]);
  await openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
  const f = (name: string) => path.join(dir, name);
  return { caCert: f("ca.crt"), serverCert: f("server.crt"), serverKey: f("server.key"), saKey: f("sa.key"), saPub: f("sa.pub") };
}
