/**
 * A loopback-only Proxmox VE API simulator for the calls the proxmoxve provider (bpg) and the
 * read-back make (ref/proxmox.md §3, §4.2): clone from a template, migrate, VM config read and
 * update, resize, cloud-init regeneration, start/stop/shutdown/reboot/status, the guest agent's
 * network-get-interfaces, snippet storage listing and delete, cluster resources, tasks. Auth is
 * `PVEAPIToken` only (401 otherwise); errors carry the message in the status line and the body,
 * as PVE does. State lives in cluster.ts; this file maps routes and exposes the out-of-band
 * knobs the tests use to play the Proxmox UI (edit ipconfig0, change a MAC, stop a VM, kill the
 * guest agent).
 *
 * Snippets: PVE's API cannot upload them (upload accepts iso/vztmpl/import only; the simulator
 * answers that too), and the real provider writes them over SSH. The simulator models that SSH
 * session as one lab-only route, `POST /lab/nodes/<node>/ssh-exec?user=…&command=tee <path>`,
 * that applies the node's rules (snippets directory of a dir storage, the SSH user); it is
 * outside /api2/json and no real Proxmox has it. Shared by tests and `npm run lab`; imports
 * nothing from a test framework.
 */
import { randomUUID } from "node:crypto";
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { agentInterfacesBody, type SimVm } from "./agent-interfaces";
import { PveCluster, PveError } from "./cluster";
import { formatNet, parseNet } from "./pve-config";
import { loopbackCertificate } from "./tls";

export interface ProxmoxSimOptions {
  /** Full API token `USER@REALM!TOKENID=SECRET`; default a random `root@pam!homelab=<uuid>`. */
  token?: string;
  /** Running VMs that exist before the stack (guest agent only; the read-back's tests). */
  vms?: SimVm[];
  /** Serve HTTPS with a self-signed certificate, as PVE does (needed by the provider plugin). Default false. */
  https?: boolean;
  /** Cluster node names; default: the nodes of `vms` and `templates`, else ["pve"]. */
  nodes?: string[];
  /** Cloud-init templates; default none (the lab and plugin tests seed 9000 on pve). */
  templates?: Array<{ node: string; vmId: number }>;
  /** DHCP answer for guests configured with ip=dhcp (e.g. the MAAS simulator's dhcpRenew). */
  dhcp?: (mac: string) => string | null;
  /** The SSH user that may write snippets (default "root"). */
  sshUser?: string;
  /** Enable the snippets content type on `local` (default true; PVE's own default is off). */
  snippetsEnabled?: boolean;
}

export interface ProxmoxSimRequest {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
}

export interface SimVmView {
  vmid: number;
  node: string;
  status: "running" | "stopped";
  config: Record<string, string>;
  guestIp: string | null;
  agentUp: boolean;
  /** net0's MAC as stored. */
  mac: string | null;
}

export interface ProxmoxSimulator {
  /** e.g. "https://127.0.0.1:41235" (http:// unless `https`). */
  url: string;
  /** The token to send as `Authorization: PVEAPIToken=<apiToken>`. */
  apiToken: string;
  /** Changes the IPv4 the guest reports (null: none). */
  setGuestIp(vmId: number, ip: string | null): void;
  /** Starts or stops the VM's guest agent (inside the guest; the VM keeps running). */
  setAgentRunning(vmId: number, running: boolean): void;
  /** A UI edit of one config key (null deletes it); no reboot, like PVE's "pending until reboot" for a running guest. */
  editConfig(vmId: number, key: string, value: string | null): void;
  /** A UI edit of net0's MAC. */
  setMac(vmId: number, mac: string): void;
  /** The VM is stopped (UI "Stop"). */
  stopVm(vmId: number): void;
  /** The guest reboots by itself (e.g. the kernel update): it re-reads cloud-init and renews DHCP. */
  rebootGuest(vmId: number): void;
  vm(vmId: number): SimVmView | undefined;
  vmList(): SimVmView[];
  /** The snippet's content as Proxmox's storage holds it, or undefined. */
  snippet(node: string, volid: string): string | undefined;
  snippetList(): Array<{ node: string; volid: string }>;
  requests(): ProxmoxSimRequest[];
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

/** PVE answers errors with the message as the HTTP reason phrase and `{data:null, message}` as body. */
function send(res: ServerResponse, status: number, body: unknown, reason?: string): number {
  const text = JSON.stringify(body);
  const headers = { "content-type": "application/json;charset=UTF-8", "content-length": Buffer.byteLength(text) };
  // A reason phrase must be one line of visible characters.
  if (reason) res.writeHead(status, reason.replace(/[^\x20-\x7e]/g, " ").slice(0, 200), headers);
  else res.writeHead(status, headers);
  res.end(text);
  return status;
}
const fail = (res: ServerResponse, status: number, message: string, errors?: Record<string, string>) =>
  send(res, status, { data: null, message: `${message}\n`, ...(errors ? { errors } : {}) }, message);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

type Route = [method: string, pattern: RegExp, handler: (m: string[], p: Record<string, string>, body: string) => unknown];

export async function startProxmoxSimulator(options: ProxmoxSimOptions = {}): Promise<ProxmoxSimulator> {
  const apiToken = options.token ?? `root@pam!homelab=${randomUUID()}`;
  const seeded = options.vms ?? [];
  const templates = options.templates ?? [];
  const nodes = options.nodes ?? [...new Set([...seeded.map((v) => v.node), ...templates.map((t) => t.node)])];
  const cluster = new PveCluster({
    nodes: nodes.length ? nodes : ["pve"],
    templates,
    dhcp: options.dhcp,
    snippetsEnabled: options.snippetsEnabled ?? true,
  });
  for (const vm of seeded) {
    if (cluster.vms.has(vm.vmId)) throw new Error(`startProxmoxSimulator: vmId ${vm.vmId} is listed twice; every VM needs its own id.`);
    cluster.vms.set(vm.vmId, {
      vmid: vm.vmId,
      node: vm.node,
      status: "running",
      config: { name: `vm-${vm.vmId}`, agent: "1", net0: `virtio=${vm.mac},bridge=vmbr0` },
      guest: { agentUp: true, ip: vm.ip, iface: vm.iface ?? "eth0" },
    });
  }
  const prefixes = new Map(seeded.map((v) => [v.vmId, v.prefix ?? 24]));
  const sshUser = options.sshUser ?? "root";
  const log: ProxmoxSimRequest[] = [];
  const sockets = new Set<Socket>();
  const known = (vmId: number, caller: string) => {
    const vm = cluster.vms.get(vmId);
    if (!vm) throw new Error(`${caller}(${vmId}): no such VM; known ids: ${[...cluster.vms.keys()].join(", ") || "(none)"}.`);
    return vm;
  };

  const N = "([^/]+)";
  const Q = `/api2/json/nodes/${N}/qemu/(\\d+)`;
  const routes: Route[] = [
    ["GET", /^\/api2\/json\/version$/, () => ({ version: "8.4.1", release: "8.4", repoid: "lab-simulator" })],
    ["GET", /^\/api2\/json\/cluster\/resources$/, (_m, p) => (p.type && p.type !== "vm" ? [] : cluster.clusterResources())],
    ["GET", /^\/api2\/json\/storage\/([^/]+)$/, ([ds]) => {
      const s = cluster.storage(ds!);
      return { storage: ds, type: s.type, content: s.content.join(","), shared: s.shared ? 1 : 0, ...(s.path ? { path: s.path } : {}) };
    }],
    ["GET", new RegExp(`^/api2/json/nodes/${N}/tasks/([^/]+)/status$`), ([node, upid]) => cluster.taskStatus(node!, decodeURIComponent(upid!))],
    ["POST", new RegExp(`^${Q}/clone$`), ([node, id], p) => cluster.clone(node!, Number(id), p)],
    ["POST", new RegExp(`^${Q}/migrate$`), ([node, id], p) => cluster.migrate(node!, Number(id), p)],
    ["GET", new RegExp(`^${Q}/config$`), ([node, id]) => ({ ...cluster.vm(node!, Number(id)).config, digest: "0".repeat(40) })],
    ["PUT", new RegExp(`^${Q}/config$`), ([node, id], p) => void cluster.setConfig(node!, Number(id), p)],
    ["POST", new RegExp(`^${Q}/config$`), ([node, id], p) => (cluster.setConfig(node!, Number(id), p), cluster.task(node!, "qmconfig", id!))],
    ["PUT", new RegExp(`^${Q}/resize$`), ([node, id], p) => void cluster.resize(node!, Number(id), p)],
    ["PUT", new RegExp(`^${Q}/cloudinit$`), ([node, id]) => void cluster.regenerateCloudInit(node!, Number(id))],
    ["GET", new RegExp(`^${Q}/status/current$`), ([node, id]) => cluster.status(node!, Number(id))],
    ["POST", new RegExp(`^${Q}/status/start$`), ([node, id]) => cluster.start(node!, Number(id))],
    ["POST", new RegExp(`^${Q}/status/stop$`), ([node, id]) => cluster.stop(node!, Number(id), "qmstop")],
    ["POST", new RegExp(`^${Q}/status/shutdown$`), ([node, id]) => cluster.stop(node!, Number(id), "qmshutdown")],
    ["POST", new RegExp(`^${Q}/status/reboot$`), ([node, id]) => cluster.reboot(node!, Number(id))],
    ["GET", new RegExp(`^${Q}/agent/network-get-interfaces$`), ([node, id]) => {
      const vm = cluster.agent(node!, Number(id));
      const mac = vm.config.net0 ? parseNet(vm.config.net0).mac : "00:00:00:00:00:00";
      return agentInterfacesBody({ node: vm.node, vmId: vm.vmid, mac, ip: vm.guest.ip, iface: vm.guest.iface, prefix: prefixes.get(vm.vmid) }).data;
    }],
    ["DELETE", new RegExp(`^${Q}$`), ([node, id]) => cluster.destroy(node!, Number(id))],
    ["GET", new RegExp(`^/api2/json/nodes/${N}/storage/${N}/content$`), ([node, ds], p) => cluster.listContent(node!, ds!, p.content)],
    ["DELETE", new RegExp(`^/api2/json/nodes/${N}/storage/${N}/content/(.+)$`), ([node, ds, volid]) => {
      cluster.deleteContent(node!, ds!, decodeURIComponent(volid!));
      return cluster.task(node!, "imgdel", decodeURIComponent(volid!));
    }],
    ["POST", new RegExp(`^/api2/json/nodes/${N}/storage/${N}/upload$`), (_m, p) => {
      // pve-storage Status.pm: upload accepts content iso, vztmpl, import only (ref/proxmox.md §3.7).
      throw new PveError(400, "Parameter verification failed.", { content: `value '${p.content ?? ""}' does not have a value in the enumeration 'iso, vztmpl, import'` });
    }],
    ["POST", new RegExp(`^/lab/nodes/${N}/ssh-exec$`), ([node], p, body) => void cluster.sshTee(node!, p.user ?? "", sshUser, p.command ?? "", body)],
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const auth = req.headers.authorization;
    if (!auth) return fail(res, 401, "No ticket");
    if (auth !== `PVEAPIToken=${apiToken}`) return fail(res, 401, "invalid token value!");
    const url = new URL(req.url ?? "/", "http://sim");
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    const isLab = url.pathname.startsWith("/lab/");
    if (!isLab && (method === "POST" || method === "PUT") && raw) Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    for (const [m, re, fn] of routes) {
      if (m !== method) continue;
      const match = re.exec(url.pathname);
      if (!match) continue;
      try {
        const data = fn(match.slice(1), params, raw);
        return send(res, 200, { data: data ?? null });
      } catch (err) {
        if (err instanceof PveError) return fail(res, err.status, err.message, err.errors);
        return fail(res, 500, (err as Error).message);
      }
    }
    return fail(res, 501, `Method '${method} ${url.pathname}' not implemented`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const authorized = req.headers.authorization === `PVEAPIToken=${apiToken}`;
    void handle(req, res).then(
      (status) => log.push({ method: req.method ?? "GET", path: req.url ?? "/", status, authorized }),
      (err: Error) => {
        log.push({ method: req.method ?? "GET", path: req.url ?? "/", status: 500, authorized });
        if (!res.headersSent) fail(res, 500, err.message);
      },
    );
  };
  const server = options.https ? createHttps({ ...loopbackCertificate(), minVersion: "TLSv1.3" }, listener) : createHttp(listener);
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
  const url = `${options.https ? "https" : "http"}://${LOOPBACK}:${(server.address() as AddressInfo).port}`;

  const view = (vmid: number): SimVmView | undefined => {
    const vm = cluster.vms.get(vmid);
    if (!vm) return undefined;
    return {
      vmid, node: vm.node, status: vm.status, config: { ...vm.config }, guestIp: vm.guest.ip, agentUp: vm.guest.agentUp,
      mac: vm.config.net0 ? parseNet(vm.config.net0).mac : null,
    };
  };

  return {
    url,
    apiToken,
    setGuestIp(vmId, ip) {
      known(vmId, "setGuestIp").guest.ip = ip;
    },
    setAgentRunning(vmId, running) {
      known(vmId, "setAgentRunning").guest.agentUp = running;
    },
    editConfig(vmId, key, value) {
      const vm = known(vmId, "editConfig");
      cluster.setConfig(vm.node, vmId, value === null ? { delete: key } : { [key]: value });
    },
    setMac(vmId, mac) {
      const vm = known(vmId, "setMac");
      if (!vm.config.net0) throw new Error(`setMac(${vmId}): the VM has no net0`);
      vm.config.net0 = formatNet({ ...parseNet(vm.config.net0), mac });
    },
    stopVm(vmId) {
      const vm = known(vmId, "stopVm");
      cluster.stop(vm.node, vmId, "qmstop");
    },
    rebootGuest(vmId) {
      const vm = known(vmId, "rebootGuest");
      cluster.reboot(vm.node, vmId);
    },
    vm: view,
    vmList: () => [...cluster.vms.keys()].map((id) => view(id)!),
    snippet: (node, volid) => cluster.snippets.get(`${node} ${volid}`)?.data,
    snippetList: () => [...cluster.snippets.values()].map((s) => ({ node: s.node, volid: s.volid })),
    requests: () => log.map((r) => ({ ...r })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
