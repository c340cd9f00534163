/**
 * `node dist/lab/kube-cluster/main.js`: starts the test control plane and keeps it running until
 * Ctrl-C (for poking at it with kubectl, and for the test that Ctrl-C stops every process). Prints
 * one JSON line: the server, the admin kubeconfig file and the process ids.
 */
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { startKubeCluster } from "./cluster";

async function main(): Promise<void> {
  const controllerManager = !process.argv.includes("--no-controller-manager");
  const cluster = await startKubeCluster({ controllerManager, log: (l) => process.stderr.write(`${l}\n`) });
  const kubeconfig = path.join(cluster.dir, "admin.kubeconfig");
  await writeFile(kubeconfig, cluster.kubeconfig(), { mode: 0o600 });
  process.stdout.write(`${JSON.stringify({ server: cluster.server, kubeconfig, pids: cluster.pids() })}\n`);
  process.stderr.write(`KUBECONFIG=${kubeconfig} kubectl get --raw /readyz   # Ctrl-C stops etcd, the API server and the controllers\n`);
  // Keep the event loop alive; the SIGINT/SIGTERM handlers of cluster.ts stop everything and exit.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
