/**
 * A loopback-only stand-in for the one Proxmox VE call the read-back makes:
 * `GET /api2/json/nodes/<node>/qemu/<vmid>/agent/network-get-interfaces`, with `PVEAPIToken`
 * auth (401 otherwise), PVE's error style (message in the status line and the body), a switchable
 * guest agent (500 "QEMU guest agent is not running") and settable guest addresses. Shared by tests
 * and `npm run lab`; imports nothing from a test framework.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { agentInterfacesBody, type SimVm } from "./agent-interfaces";

export interface ProxmoxSimOptions {
  /** Full API token `USER@REALM!TOKENID=SECRET`; default a random `root@pam!homelab-readback=<uuid>`. */
  token?: string;
  vms?: SimVm[];
}

export interface ProxmoxSimRequest {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
}

export interface ProxmoxSimulator {
  /** e.g. "http://127.0.0.1:41235" (the read-back's `proxmox.endpoint`). */
  url: string;
  /** The token to send as `Authorization: PVEAPIToken=<apiToken>`. */
  apiToken: string;
  /** Changes the IPv4 the guest reports (null: none). */
  setGuestIp(vmId: number, ip: string | null): void;
  /** Starts or stops the VM's guest agent. */
  setAgentRunning(vmId: number, running: boolean): void;
  requests(): ProxmoxSimRequest[];
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";
const AGENT_PATH = /^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/agent\/network-get-interfaces$/;

/** PVE answers errors with the message as the HTTP reason phrase and `{data:null, message}` as body. */
function send(res: ServerResponse, status: number, body: unknown, reason?: string): number {
  const text = JSON.stringify(body);
  const headers = { "content-type": "application/json;charset=UTF-8", "content-length": Buffer.byteLength(text) };
  if (reason) res.writeHead(status, reason, headers);
  else res.writeHead(status, headers);
  res.end(text);
  return status;
}
const fail = (res: ServerResponse, status: number, message: string) =>
  send(res, status, { data: null, message: `${message}\n` }, message);

export async function startProxmoxSimulator(options: ProxmoxSimOptions = {}): Promise<ProxmoxSimulator> {
  const apiToken = options.token ?? `root@pam!homelab-readback=${randomUUID()}`;
  const vms = new Map<number, SimVm & { agentRunning: boolean }>();
  for (const vm of options.vms ?? []) {
    if (vms.has(vm.vmId)) throw new Error(`startProxmoxSimulator: vmId ${vm.vmId} is listed twice; every VM needs its own id.`);
    vms.set(vm.vmId, { ...vm, agentRunning: true });
  }
  const log: ProxmoxSimRequest[] = [];
  const sockets = new Set<Socket>();
  const vmOrThrow = (vmId: number, caller: string) => {
    const vm = vms.get(vmId);
    if (!vm) throw new Error(`${caller}(${vmId}): no such VM; known ids: ${[...vms.keys()].join(", ") || "(none)"}.`);
    return vm;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    const auth = req.headers.authorization;
    if (!auth) return fail(res, 401, "No ticket");
    if (auth !== `PVEAPIToken=${apiToken}`) return fail(res, 401, "invalid token value!");
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    const m = AGENT_PATH.exec(path);
    if (!m) return fail(res, 501, `Method '${req.method} ${path}' not implemented`);
    if (req.method !== "GET") return fail(res, 501, `Method '${req.method} ${path}' not implemented`);
    const node = decodeURIComponent(m[1]!);
    const vmId = Number(m[2]);
    const vm = vms.get(vmId);
    if (!vm || vm.node !== node) {
      return fail(res, 500, `Configuration file 'nodes/${node}/qemu-server/${vmId}.conf' does not exist`);
    }
    if (!vm.agentRunning) return fail(res, 500, "QEMU guest agent is not running");
    return send(res, 200, agentInterfacesBody(vm));
  };

  const server = createServer((req, res) => {
    const authorized = req.headers.authorization === `PVEAPIToken=${apiToken}`;
    const status = handle(req, res);
    log.push({ method: req.method ?? "GET", path: req.url ?? "/", status, authorized });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const url = `http://${LOOPBACK}:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiToken,
    setGuestIp(vmId, ip) {
      vmOrThrow(vmId, "setGuestIp").ip = ip;
    },
    setAgentRunning(vmId, running) {
      vmOrThrow(vmId, "setAgentRunning").agentRunning = running;
    },
    requests: () => log.map((r) => ({ ...r })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
