/**
 * A loopback-only stand-in for the K3s cluster API, just enough for the read-back: `GET
 * /api/v1/nodes` and `GET /api/v1/nodes/<name>` with realistic Node objects, bearer-token auth
 * (401 without it), 404 for unknown nodes, and an outage switch (connections refused, or 503).
 * A second, *unprivileged* token authenticates but has no RBAC rule for nodes, so every node
 * request gets the API server's 403 Forbidden Status (the RBAC authorizer's message shape:
 * `nodes "<name>" is forbidden: User "<user>" cannot get resource "nodes" in API group "" at the
 * cluster scope`, as kube-apiserver with `--authorization-mode=RBAC`, ref/kubernetes-build.md,
 * answers a user without a ClusterRole for nodes).
 * Tests, engine tests and `npm run lab` share it; it imports nothing from a test framework.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { renderKubeconfig } from "./kubeconfig";
import { nodeObject, resolveSimNode, statusObject, type ResolvedSimNode, type SimNode, type SimNodePatch } from "./node-object";

export interface KubeSimOptions {
  /** Bearer token the API accepts; default a random one (see `token` on the handle). */
  token?: string;
  nodes?: SimNode[];
}

/** The user name the unprivileged token authenticates as (it appears in the 403 message). */
export const UNPRIVILEGED_USER = "system:serviceaccount:default:no-node-rbac";

/** How an unreachable API behaves: "refuse" closes the port, "unavailable" answers 503. */
export type KubeOutage = "refuse" | "unavailable";

/** One request as the simulator saw it (the token is never recorded). */
export interface KubeSimRequest {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
}

export interface KubeSimulator {
  /** e.g. "http://127.0.0.1:41234" */
  url: string;
  token: string;
  /** kubeconfig YAML for this server and token. */
  kubeconfig: string;
  /** A token that authenticates as UNPRIVILEGED_USER but may not read nodes (403), and its kubeconfig. */
  unprivilegedToken: string;
  unprivilegedKubeconfig: string;
  /** Changes a node's reported addressing; creates the node when `internalIp` is given for an unknown name. */
  setNode(name: string, patch: SimNodePatch): void;
  removeNode(name: string): void;
  /** Takes the API down (`refuse` by default) or brings it back on the same port. */
  setReachable(reachable: boolean, outage?: KubeOutage): Promise<void>;
  /** Requests served so far, oldest first (a copy). */
  requests(): KubeSimRequest[];
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

function send(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return status;
}

export async function startKubeSimulator(options: KubeSimOptions = {}): Promise<KubeSimulator> {
  const token = options.token ?? `sim-${randomBytes(24).toString("hex")}`;
  const unprivilegedToken = `sim-norbac-${randomBytes(24).toString("hex")}`;
  const nodes = new Map<string, ResolvedSimNode>();
  let nextIndex = 0;
  for (const n of options.nodes ?? []) {
    if (nodes.has(n.name)) throw new Error(`startKubeSimulator: nodes["${n.name}"] is listed twice; give every node its own name.`);
    nodes.set(n.name, resolveSimNode(n, nextIndex++));
  }
  let resourceVersion = 1000;
  let outage: KubeOutage | null = null;
  const log: KubeSimRequest[] = [];
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    if (outage === "unavailable") {
      return send(res, 503, statusObject(503, "ServiceUnavailable", "the server is currently unable to handle the request"));
    }
    const auth = req.headers.authorization ?? "";
    const privileged = auth === `Bearer ${token}`;
    if (!privileged && auth !== `Bearer ${unprivilegedToken}`) return send(res, 401, statusObject(401, "Unauthorized", "Unauthorized"));
    if (req.method !== "GET") {
      return send(res, 405, statusObject(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`));
    }
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    if (!privileged && (path === "/api/v1/nodes" || path.startsWith("/api/v1/nodes/"))) {
      const name = path === "/api/v1/nodes" ? undefined : decodeURIComponent(path.slice("/api/v1/nodes/".length));
      const what = name === undefined ? "nodes is forbidden" : `nodes "${name}" is forbidden`;
      const verb = name === undefined ? "list" : "get";
      return send(
        res,
        403,
        statusObject(403, "Forbidden", `${what}: User "${UNPRIVILEGED_USER}" cannot ${verb} resource "nodes" in API group "" at the cluster scope`, {
          ...(name === undefined ? {} : { name }),
          kind: "nodes",
        }),
      );
    }
    if (path === "/api/v1/nodes") {
      return send(res, 200, {
        kind: "NodeList",
        apiVersion: "v1",
        metadata: { resourceVersion: String(resourceVersion) },
        items: [...nodes.values()].map((n) => nodeObject(n, resourceVersion)),
      });
    }
    const m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      const node = nodes.get(name);
      if (!node) return send(res, 404, statusObject(404, "NotFound", `nodes "${name}" not found`, { name, kind: "nodes" }));
      return send(res, 200, nodeObject(node, resourceVersion));
    }
    return send(res, 404, statusObject(404, "NotFound", "the server could not find the requested resource"));
  };

  const server = createServer((req, res) => {
    const authorized = [`Bearer ${token}`, `Bearer ${unprivilegedToken}`].includes(req.headers.authorization ?? "");
    const status = handle(req, res);
    log.push({ method: req.method ?? "GET", path: req.url ?? "/", status, authorized });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, LOOPBACK, () => {
        server.off("error", reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${LOOPBACK}:${port}`;

  return {
    url,
    token,
    kubeconfig: renderKubeconfig(url, token),
    unprivilegedToken,
    unprivilegedKubeconfig: renderKubeconfig(url, unprivilegedToken, "homelab-sim-no-rbac"),
    setNode(name, patch) {
      const current = nodes.get(name);
      if (!current) {
        if (!patch.internalIp) {
          throw new Error(`setNode("${name}"): no such node; pass internalIp to add it, or use one of: ${[...nodes.keys()].join(", ") || "(none)"}.`);
        }
        nodes.set(name, resolveSimNode({ name, ...patch, internalIp: patch.internalIp }, nextIndex++));
      } else {
        const next = { ...current };
        if (patch.internalIp !== undefined) next.internalIp = patch.internalIp;
        if (patch.nodeIp !== undefined) next.nodeIp = patch.nodeIp;
        if (patch.flannelIface !== undefined) next.flannelIface = patch.flannelIface;
        if (patch.flannelPublicIp !== undefined) next.flannelPublicIp = patch.flannelPublicIp;
        if (patch.ready !== undefined) next.ready = patch.ready;
        nodes.set(name, next);
      }
      resourceVersion++;
    },
    removeNode(name) {
      nodes.delete(name);
      resourceVersion++;
    },
    async setReachable(reachable, mode = "refuse") {
      if (reachable) {
        outage = null;
        if (!server.listening) await listen(port);
        return;
      }
      outage = mode;
      if (mode === "refuse") await stop();
    },
    requests: () => log.map((r) => ({ ...r })),
    close: stop,
  };
}
