/**
 * Where the real Kubernetes binaries are: scripts/kube-binaries.sh builds and caches them (pinned in
 * scripts/kube-binaries.pins); here it runs with --check, which builds nothing and fails with the
 * command to run when one is missing, so a test fails with that command instead of skipping or
 * starting a 25-minute build by surprise.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../temp-stack";

export type KubeBinary = "etcd" | "kube-apiserver" | "kube-controller-manager" | "pulumi-resource-kubernetes";

export class KubeBinariesMissing extends Error {
  override readonly name = "KubeBinariesMissing";
}

/** The bin directory holding every binary in `names`, all built from the current pins. */
export function kubeBinDir(names: readonly KubeBinary[]): Promise<string> {
  const script = path.join(repoRoot, "scripts/kube-binaries.sh");
  return new Promise((resolve, reject) => {
    execFile("bash", [script, "--check", ...names], { cwd: repoRoot }, (err, stdout, stderr) => {
      const dir = stdout.trim().split("\n").pop() ?? "";
      if (err || !dir) {
        const why = stderr.split("\n").filter((l) => l.includes("ERROR")).join("\n") || stderr.trim() || String(err);
        reject(new KubeBinariesMissing(`${names.join(", ")}: ${why.replace(/^\[kube-binaries\] ERROR: /, "")}`));
        return;
      }
      resolve(dir);
    });
  });
}

/**
 * The Kubernetes provider plugin for a temp stack: the built binary, at the version
 * `@pulumi/kubernetes` in node_modules asks the engine for (the build serves the pinned version,
 * scripts/kube-binaries.pins; a unit test keeps the two equal).
 */
export async function kubernetesPlugin(): Promise<{ name: string; version: string; binary: string }> {
  const dir = await kubeBinDir(["pulumi-resource-kubernetes"]);
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, "node_modules/@pulumi/kubernetes/package.json"), "utf8")) as { version: string };
  return { name: "kubernetes", version: pkg.version, binary: path.join(dir, "pulumi-resource-kubernetes") };
}
