/**
 * A loopback-only stand-in for the K3s cluster API, just enough for the read-back: `GET
 * /api/v1/nodes` and `GET /api/v1/nodes/<name>` with realistic Node objects, bearer-token auth
 * (401 without it), 404 for unknown nodes, and an outage switch (connections refused, or 503).
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
    if (auth !== `Bearer ${token}`) return send(res, 401, statusObject(401, "Unauthorized", "Unauthorized"));
    if (req.method !== "GET") {
      return send(res, 405, statusObject(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`));
    }
    const path = new URL(req.url ?? "/", "http://sim").pathname;
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
    const authorized = (req.headers.authorization ?? "") === `Bearer ${token}`;
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
