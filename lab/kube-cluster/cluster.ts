/**
 * A real Kubernetes control plane on 127.0.0.1 for tests: etcd, kube-apiserver and (by default)
 * kube-controller-manager with only the garbage collector and namespace controllers, a throwaway
 * PKI and static bearer tokens, RBAC on. No kubelet: Node objects are created through the API
 * (nodes.ts), as a K3s server would register them.
 *
 * Why the controller-manager: the Kubernetes provider deletes with Foreground propagation, which
 * needs a garbage collector to finish (without one `pulumi destroy` waits its 10-minute timeout,
 * ref/kubernetes-build.md §Behaviour seen). A real cluster runs one; annotating our resources with
 * `pulumi.com/deletionPropagationPolicy: background` would change what users deploy to suit a test.
 *
 * Always stopped: `stop()` waits for every process to exit; SIGINT/SIGTERM stop running clusters
 * before the process exits, and each server has a guard (process.ts) for when nothing runs at all.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Agent, request } from "undici";
import { stringify } from "yaml";
import { kubeBinDir } from "./binaries";
import { makePki } from "./pki";
import { killNow, startServer, type ServerProcess } from "./process";

const LOOPBACK = "127.0.0.1";
const READY_TIMEOUT_MS = 120_000;

/** A user of the static token file. */
export interface KubeClusterUser {
  name: string;
  token: string;
  groups?: string[];
}

export interface KubeClusterOptions {
  /** Run kube-controller-manager (garbage collector, namespace controller). Default true. */
  controllerManager?: boolean;
  /** More token users besides the admin; they have no rights until RBAC grants them some. */
  users?: KubeClusterUser[];
  /** Progress lines ("etcd ready in 1.2 s"); default: none. */
  log?: (line: string) => void;
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface KubeCluster {
  /** e.g. https://127.0.0.1:41234 */
  server: string;
  /** PEM of the throwaway CA that signed the serving certificate. */
  ca: string;
  /** Token of the admin user (group system:masters). */
  adminToken: string;
  /** kubeconfig for a token user by name (default the admin) or for any token (a service
   *  account's), CA embedded, bearer token. */
  kubeconfig(user?: string | { name: string; token: string }): string;
  /** One API call; `token` defaults to the admin's. JSON in and out; `contentType` for patches. */
  request(method: string, apiPath: string, body?: unknown, opts?: { token?: string; contentType?: string }): Promise<KubeResponse>;
  /** The directory holding the PKI, the logs and etcd's data. */
  dir: string;
  /** Process ids by server name, while they run. */
  pids(): Record<string, number>;
  /** Stops every process, waits for them to exit and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<{ processes: ServerProcess[]; stop: () => Promise<void> }>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...running].map((c) => c.stop())).then(() => process.exit(code));
    });
  }
  process.once("exit", () => {
    for (const c of running) for (const p of c.processes) killNow(p);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, LOOPBACK, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function token(): string {
  return randomBytes(24).toString("hex");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const log = options.log ?? (() => undefined);
  const withControllers = options.controllerManager ?? true;
  const bin = await kubeBinDir(withControllers ? ["etcd", "kube-apiserver", "kube-controller-manager"] : ["etcd", "kube-apiserver"]);
  installHandlers();

  const dir = await mkdtemp(path.join(os.tmpdir(), "homelab-kube-"));
  const processes: ServerProcess[] = [];
  let stopped = false;
  const entry = {
    processes,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Reverse start order: the controller-manager and the API server before etcd.
      for (const p of [...processes].reverse()) await p.stop();
      running.delete(entry);
      await rm(dir, { recursive: true, force: true });
    },
  };
  running.add(entry);

  try {
    const started = Date.now();
    const pki = await makePki(dir);
    const admin: KubeClusterUser = { name: "homelab-test-admin", token: token(), groups: ["system:masters"] };
    const users = [admin, ...(options.users ?? [])];
    const csv = users.map((u, i) => `${u.token},${u.name},uid-${i},"${(u.groups ?? []).join(",")}"`).join("\n") + "\n";
    await writeFile(path.join(dir, "tokens.csv"), csv, { mode: 0o600 });

    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://${LOOPBACK}:${etcdPort}`;
    const peerUrl = `http://${LOOPBACK}:${peerPort}`;
    processes.push(
      startServer("etcd", path.join(bin, "etcd"), [
        `--data-dir=${path.join(dir, "etcd")}`, "--name=test",
        `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=test=${peerUrl}`,
        "--log-level=warn", "--unsafe-no-fsync",
      ], path.join(dir, "etcd.log")),
    );

    const server = `https://${LOOPBACK}:${apiPort}`;
    processes.push(
      startServer("kube-apiserver", path.join(bin, "kube-apiserver"), [
        `--etcd-servers=${etcdUrl}`, `--bind-address=${LOOPBACK}`, `--advertise-address=${LOOPBACK}`, `--secure-port=${apiPort}`,
        `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${path.join(dir, "tokens.csv")}`, "--authorization-mode=RBAC", "--anonymous-auth=false",
        `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
        "--service-account-issuer=https://kubernetes.default.svc", "--service-cluster-ip-range=10.96.0.0/16",
        `--cert-dir=${path.join(dir, "certs")}`,
        // No kubelet answers on the advertised address: skip the loopback endpoint reconciler's error loop.
        "--endpoint-reconciler-type=none", "--profiling=false",
      ], path.join(dir, "kube-apiserver.log")),
    );

    const ca = await readFile(pki.caCert, "utf8");
    const kubeconfig = (user: string | { name: string; token: string } = admin.name): string => {
      const u = typeof user === "string" ? users.find((x) => x.name === user) : user;
      if (!u) throw new Error(`kubeconfig("${String(user)}"): no such user; one of ${users.map((x) => x.name).join(", ")}`);
      return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") } }],
        users: [{ name: u.name, user: { token: u.token } }],
        contexts: [{ name: "test", context: { cluster: "test", user: u.name } }],
        "current-context": "test",
      });
    };

    const agent = new Agent({ connect: { ca }, headersTimeout: 30_000, bodyTimeout: 30_000 });
    const call: KubeCluster["request"] = async (method, apiPath, body, opts = {}) => {
      const res = await request(`${server}${apiPath}`, {
        method: method as "GET",
        headers: {
          authorization: `Bearer ${opts.token ?? admin.token}`,
          accept: "application/json",
          ...(body !== undefined ? { "content-type": opts.contentType ?? "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: agent,
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // /readyz and friends answer plain text
      }
      return { status: res.statusCode, body: parsed };
    };

    // Ready: /readyz says ok (etcd reachable, post-start hooks done, RBAC bootstrap roles written).
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const dead = processes.find((p) => !p.running());
      if (dead) throw new Error(`${dead.name} exited during start-up (${await dead.exited}); its log ends:\n${dead.tail()}`);
      const r = await call("GET", "/readyz").catch(() => undefined);
      if (r?.status === 200 && r.body === "ok") break;
      if (Date.now() > deadline) {
        throw new Error(`kube-apiserver at ${server} was not ready within ${READY_TIMEOUT_MS / 1000} s; its log ends:\n${processes[1]!.tail()}`);
      }
      await sleep(250);
    }
    log(`kube-apiserver ${server} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    if (withControllers) {
      const kcmConfig = path.join(dir, "controller-manager.kubeconfig");
      await writeFile(kcmConfig, kubeconfig(), { mode: 0o600 });
      processes.push(
        startServer("kube-controller-manager", path.join(bin, "kube-controller-manager"), [
          `--kubeconfig=${kcmConfig}`, "--controllers=garbagecollector,namespace", "--leader-elect=false", "--secure-port=0",
        ], path.join(dir, "kube-controller-manager.log")),
      );
    }

    const cluster: KubeCluster = {
      server,
      ca,
      adminToken: admin.token,
      kubeconfig,
      request: call,
      dir,
      pids: () => Object.fromEntries(processes.filter((p) => p.running()).map((p) => [p.name, p.pid])),
      async stop() {
        await entry.stop();
        await agent.close().catch(() => undefined);
      },
    };
    return cluster;
  } catch (err) {
    await entry.stop();
    throw err;
  }
}
