/**
 * The test control plane itself (lab/kube-cluster): the pinned kube-apiserver on etcd answers
 * /readyz with RBAC on, and stop() — or Ctrl-C on the lab command — leaves no process behind.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { startKubeCluster, type KubeCluster } from "../../lab/kube-cluster";
import { ensureBuilt } from "../harness/ensure-built";
import { repoRoot } from "../harness/stack";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let cluster: KubeCluster | undefined;
afterAll(async () => cluster?.stop());

describe("test control plane", () => {
  it("serves the pinned Kubernetes with RBAC and token authentication, and stops completely", async () => {
    cluster = await startKubeCluster({ users: [{ name: "nobody", token: "token-of-a-user-without-rights" }] });
    const version = await cluster.request("GET", "/version");
    expect((version.body as { gitVersion: string }).gitVersion).toBe("v1.35.4");
    expect((await cluster.request("GET", "/readyz")).body).toBe("ok");
    expect((await cluster.request("GET", "/api/v1/nodes", undefined, { token: "not-a-token" })).status).toBe(401);
    expect((await cluster.request("GET", "/api/v1/nodes", undefined, { token: "token-of-a-user-without-rights" })).status).toBe(403);
    expect((await cluster.request("GET", "/api/v1/nodes")).status).toBe(200);

    const pids = Object.values(cluster.pids());
    expect(Object.keys(cluster.pids()).sort()).toEqual(["etcd", "kube-apiserver", "kube-controller-manager"]);
    const { dir } = cluster;
    await cluster.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    cluster = undefined;
  });

  it("stops every process and waits for them on Ctrl-C", async () => {
    const main = await ensureBuilt("dist/lab/kube-cluster/main.js", ["lab"]);
    const child = spawn(process.execPath, [main], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      void exited.then((code) => reject(new Error(`main.js exited ${code} before it was ready:\n${stderr}`)));
    });
    const { pids, kubeconfig } = JSON.parse(line) as { pids: Record<string, number>; kubeconfig: string };
    expect(Object.values(pids).every(alive)).toBe(true);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    // main.js exits only after every server has exited, and removes the cluster's directory.
    expect(Object.values(pids).filter(alive)).toEqual([]);
    expect(existsSync(path.dirname(kubeconfig))).toBe(false);
  });
});
