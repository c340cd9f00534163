/**
 * The simulated Proxmox VE cluster: nodes, storages, VMs (config, power state, guest), snippet
 * files and tasks. Operations throw `PveError` with the status and message PVE would send; the
 * HTTP layer (simulator.ts) only maps routes. References: ref/proxmox.md §3 (the calls bpg
 * makes), §4 (formats); messages from PVE's API where the reference quotes them.
 */
import { randomBytes } from "node:crypto";
import { formatNet, formatSize, generatedMac, parseCicustom, parseIpConfig, parseNet, parsePropertyString, sizeBytes } from "./pve-config";

export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface Storage {
  type: "dir" | "lvmthin";
  /** Directory of a dir storage (snippets live in `<path>/snippets/`). */
  path?: string;
  content: string[];
  shared: boolean;
}

export interface Guest {
  /** The guest's qemu-guest-agent answers (a lab knob: "agent gone" sets it false). */
  agentUp: boolean;
  /** IPv4 the guest has now (null: none, e.g. DHCP got no lease). */
  ip: string | null;
  iface: string;
}

export interface Vm {
  vmid: number;
  node: string;
  config: Record<string, string>;
  status: "running" | "stopped";
  guest: Guest;
  lock?: string;
}

export interface Snippet {
  node: string;
  volid: string;
  data: string;
  ctime: number;
}

export interface ClusterOptions {
  nodes: string[];
  /** Templates to seed: cloud-init ready, boot disk scsi0 on local-lvm, agent on. */
  templates: Array<{ node: string; vmId: number }>;
  /** DHCP for guests whose ipconfig0 is `ip=dhcp` (the lab wires MAAS's DHCP in); default: no lease. */
  dhcp?: (mac: string) => string | null;
  /** Whether `local` has the snippets content type enabled (PVE's default is off, ref/proxmox.md §1.5). */
  snippetsEnabled: boolean;
}

/** Config keys the simulator accepts on PUT (what bpg sends for our VMs, ref/proxmox.md §3.3 step 4). */
const CONFIG_KEYS = new Set([
  "name", "description", "tags", "ostype", "cores", "sockets", "cpu", "memory", "balloon", "agent", "onboot",
  "boot", "scsihw", "citype", "cicustom", "nameserver", "searchdomain", "ciuser", "cipassword", "sshkeys", "ciupgrade",
]);
const SLOT = /^(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5]))$/;
const NET = /^net([0-9]|[12][0-9]|3[01])$/;
const IPCONFIG = /^ipconfig([0-9]|[12][0-9]|3[01])$/;

export class PveCluster {
  readonly storages: Record<string, Storage>;
  readonly vms = new Map<number, Vm>();
  readonly snippets = new Map<string, Snippet>(); // key `${node} ${volid}`: dir storage is node-local
  private readonly tasks = new Map<string, { node: string; exitstatus: string }>();

  constructor(private readonly opts: ClusterOptions) {
    this.storages = {
      local: { type: "dir", path: "/var/lib/vz", content: ["iso", "vztmpl", "backup", ...(opts.snippetsEnabled ? ["snippets"] : [])], shared: false },
      "local-lvm": { type: "lvmthin", content: ["images", "rootdir"], shared: false },
    };
    for (const t of opts.templates) {
      this.node(t.node);
      this.vms.set(t.vmId, {
        vmid: t.vmId,
        node: t.node,
        status: "stopped",
        guest: { agentUp: true, ip: null, iface: "eth0" },
        config: {
          name: "ubuntu-noble-cloudinit",
          template: "1",
          ostype: "l26",
          cores: "1",
          memory: "2048",
          agent: "1",
          scsihw: "virtio-scsi-pci",
          scsi0: `local-lvm:base-${t.vmId}-disk-0,size=3584M`,
          ide2: `local-lvm:vm-${t.vmId}-cloudinit,media=cdrom`,
          boot: "order=scsi0",
          net0: `virtio=${"BC:24:11:00:00:01"},bridge=vmbr0`,
        },
      });
    }
  }

  node(name: string): string {
    if (!this.opts.nodes.includes(name)) throw new PveError(500, `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
    return name;
  }

  vm(node: string, vmid: number): Vm {
    const vm = this.vms.get(vmid);
    if (!vm || vm.node !== node) throw new PveError(500, `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
    return vm;
  }

  storage(id: string): Storage {
    const s = this.storages[id];
    if (!s) throw new PveError(500, `storage '${id}' does not exist`);
    return s;
  }

  /** Finished task (the simulator's operations are synchronous), polled by UPID (ref/proxmox.md §3.1). */
  task(node: string, type: string, id: string | number, exitstatus = "OK"): string {
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");
    const upid = `UPID:${node}:${hex(process.pid)}:${hex(randomBytes(3).readUIntBE(0, 3))}:${hex(Math.floor(Date.now() / 1000))}:${type}:${id}:root@pam!homelab:`;
    this.tasks.set(upid, { node, exitstatus });
    return upid;
  }

  taskStatus(node: string, upid: string): { status: string; exitstatus: string; upid: string; node: string } {
    const t = this.tasks.get(upid);
    if (!t || t.node !== node) throw new PveError(500, `no such task`);
    return { status: "stopped", exitstatus: t.exitstatus, upid, node };
  }

  clusterResources(): unknown[] {
    return [...this.vms.values()].map((v) => ({
      id: `qemu/${v.vmid}`, vmid: v.vmid, node: v.node, type: "qemu", status: v.status, name: v.config.name, template: v.config.template === "1" ? 1 : 0,
    }));
  }

  /** POST /nodes/<node>/qemu/<vmid>/clone (ref/proxmox.md §3.3 step 1). */
  clone(node: string, vmid: number, p: Record<string, string>): string {
    const src = this.vm(this.node(node), vmid);
    const newid = Number(p.newid);
    if (!Number.isInteger(newid) || newid < 100) throw new PveError(400, "Parameter verification failed.", { newid: "value must be an integer >= 100" });
    if (this.vms.has(newid)) throw new PveError(500, `unable to create VM ${newid}: config file already exists`);
    const full = p.full === undefined ? src.config.template !== "1" : p.full === "1";
    if (src.config.template !== "1" && !full) throw new PveError(500, "linked clone feature is not supported for drive 'scsi0'");
    const target = p.target ? this.node(p.target) : node;
    const storage = p.storage ?? "local-lvm";
    if (!this.storage(storage).content.includes("images")) throw new PveError(500, `storage '${storage}' does not support vm images`);
    if (target !== node && !this.storage(storage).shared) {
      throw new PveError(500, `Can't clone to non-shared storage '${storage}'`);
    }
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(src.config)) {
      if (k === "template") continue;
      if (SLOT.test(k)) {
        const d = parsePropertyString(v);
        const disk = v.includes("cloudinit") ? `${storage}:vm-${newid}-cloudinit,media=cdrom` : `${storage}:vm-${newid}-disk-0${d.size ? `,size=${d.size}` : ""}`;
        config[k] = disk;
      } else if (NET.test(k)) {
        const n = parseNet(v);
        config[k] = formatNet({ ...n, mac: generatedMac() }); // PVE gives a clone new MACs
      } else config[k] = v;
    }
    if (p.name) config.name = p.name;
    if (p.description) config.description = p.description;
    this.vms.set(newid, { vmid: newid, node: target, config, status: "stopped", guest: { agentUp: true, ip: null, iface: "eth0" } });
    return this.task(node, "qmclone", vmid);
  }

  /** POST …/migrate: offline only; local disks need with-local-disks=1. */
  migrate(node: string, vmid: number, p: Record<string, string>): string {
    const vm = this.vm(node, vmid);
    const target = this.node(p.target ?? "");
    if (target === node) throw new PveError(400, "Parameter verification failed.", { target: "target is local node." });
    if (vm.status === "running" && p.online !== "1") throw new PveError(500, `can't migrate running VM without --online`);
    const local = Object.entries(vm.config).some(([k, v]) => SLOT.test(k) && !this.storage(v.split(":")[0]!).shared);
    if (local && p["with-local-disks"] !== "1") throw new PveError(500, `can't migrate local disk 'scsi0': use --with-local-disks`);
    vm.node = target;
    return this.task(node, "qmigrate", vmid);
  }

  /** PUT …/config (synchronous). Unknown keys and bad values fail before anything changes. */
  setConfig(node: string, vmid: number, p: Record<string, string>): void {
    const vm = this.vm(node, vmid);
    if (vm.config.template === "1") throw new PveError(500, `VM ${vmid} is a template`);
    const next = { ...vm.config };
    const errors: Record<string, string> = {};
    for (const k of (p.delete ?? "").split(/[,;\s]+/).filter(Boolean)) delete next[k];
    for (const [k, v] of Object.entries(p)) {
      if (k === "delete" || k === "digest") continue;
      try {
        if (NET.test(k)) next[k] = formatNet(parseNet(v));
        else if (IPCONFIG.test(k)) {
          parseIpConfig(v);
          next[k] = v;
        } else if (k === "cicustom") {
          parseCicustom(v);
          next[k] = v;
        } else if (SLOT.test(k)) {
          const cur = next[k] ? parsePropertyString(next[k]!) : undefined;
          const want = parsePropertyString(v);
          if (cur && !next[k]!.includes("cloudinit") && want[""] === cur[""]) {
            // Options of an existing disk (same volume); its size changes only through resize.
            for (const o of Object.keys(want)) if (!["", "discard", "iothread", "ssd", "cache", "size"].includes(o)) throw new Error(`invalid format - unknown key '${o}'`);
            if (want.size && want.size !== cur.size) throw new Error("the disk size changes only through resize");
            next[k] = [want[""], ...Object.entries({ ...want, size: cur.size }).filter(([o, x]) => o !== "" && x !== undefined).map(([o, x]) => `${o}=${x}`)].join(",");
            continue;
          }
          const m = /^([\w-]+):cloudinit$/.exec(v);
          if (!m) throw new Error("the simulator creates only cloud-init drives (`<storage>:cloudinit`) through config, or changes an existing disk's options");
          if (!this.storage(m[1]!).content.includes("images")) throw new Error(`storage '${m[1]}' does not support vm images`);
          next[k] = `${m[1]}:vm-${vmid}-cloudinit,media=cdrom`;
        } else if (k === "memory" || k === "cores" || k === "sockets") {
          if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`type check ('integer') failed - got '${v}'`);
          next[k] = v;
        } else if (k === "onboot") {
          if (v !== "0" && v !== "1") throw new Error(`type check ('boolean') failed - got '${v}'`);
          next[k] = v;
        } else if (k === "tags") {
          next[k] = v.split(/[;, ]+/).filter(Boolean).sort().join(";"); // PVE sorts tags (ref/proxmox.md §5.8)
        } else if (CONFIG_KEYS.has(k)) next[k] = v;
        else throw new Error("property is not defined in schema and the schema does not allow additional properties");
      } catch (err) {
        errors[k] = (err as Error).message;
      }
    }
    if (Object.keys(errors).length) throw new PveError(400, "Parameter verification failed.", errors);
    vm.config = next;
  }

  /** PUT …/resize: grow only. */
  resize(node: string, vmid: number, p: Record<string, string>): void {
    const vm = this.vm(node, vmid);
    const disk = p.disk ?? "";
    const cur = vm.config[disk];
    if (!cur || !SLOT.test(disk)) throw new PveError(500, `disk '${disk}' does not exist`);
    const d = parsePropertyString(cur);
    const have = sizeBytes(d.size ?? "0");
    const size = p.size ?? "";
    const want = size.startsWith("+") ? have + sizeBytes(size.slice(1)) : sizeBytes(size);
    if (want < have) throw new PveError(500, "shrinking disks is not supported");
    vm.config[disk] = cur.replace(/(,size=[^,]*)|$/, `,size=${formatSize(want)}`).replace(/,size=[^,]*,size=/, ",size=");
  }

  private cloudInitDrive(vm: Vm): boolean {
    return Object.entries(vm.config).some(([k, v]) => SLOT.test(k) && v.includes("cloudinit"));
  }

  /** PVE regenerates the cloud-init image at start and on PUT …/cloudinit; a missing snippet fails it. */
  private checkCloudInit(vm: Vm): void {
    const custom = vm.config.cicustom;
    if (!custom || !this.cloudInitDrive(vm)) return;
    for (const volid of Object.values(parseCicustom(custom))) {
      const ds = volid.split(":")[0]!;
      if (!this.storage(ds).content.includes("snippets")) throw new PveError(500, `storage '${ds}' does not support content-type 'snippets'`);
      if (!this.snippets.has(`${vm.node} ${volid}`)) throw new PveError(500, `volume '${volid}' does not exist`);
    }
  }

  regenerateCloudInit(node: string, vmid: number): void {
    const vm = this.vm(node, vmid);
    if (!this.cloudInitDrive(vm)) throw new PveError(500, `VM ${vmid} has no cloud-init drive`);
    this.checkCloudInit(vm);
  }

  /** The guest boots: its address comes from the cloud-init network config (ipconfig0), or DHCP. */
  private boot(vm: Vm): void {
    const mac = vm.config.net0 ? parseNet(vm.config.net0).mac : null;
    const ipc = vm.config.ipconfig0 && this.cloudInitDrive(vm) ? parseIpConfig(vm.config.ipconfig0) : {};
    if (ipc.ip && ipc.ip !== "dhcp" && ipc.ip !== "manual") vm.guest.ip = ipc.ip.split("/")[0]!;
    else vm.guest.ip = mac && this.opts.dhcp ? this.opts.dhcp(mac.toLowerCase()) : null;
    vm.status = "running";
  }

  start(node: string, vmid: number): string {
    const vm = this.vm(node, vmid);
    if (vm.config.template === "1") throw new PveError(500, `VM ${vmid} is a template`);
    if (vm.status === "running") throw new PveError(500, `VM ${vmid} already running`);
    this.checkCloudInit(vm);
    this.boot(vm);
    return this.task(node, "qmstart", vmid);
  }

  stop(node: string, vmid: number, kind: "qmstop" | "qmshutdown"): string {
    const vm = this.vm(node, vmid);
    if (vm.status !== "running") throw new PveError(500, `VM ${vmid} not running`);
    vm.status = "stopped";
    vm.guest.ip = null;
    return this.task(node, kind, vmid);
  }

  reboot(node: string, vmid: number): string {
    const vm = this.vm(node, vmid);
    if (vm.status !== "running") throw new PveError(500, `VM ${vmid} not running`);
    this.checkCloudInit(vm);
    this.boot(vm);
    return this.task(node, "qmreboot", vmid);
  }

  status(node: string, vmid: number): Record<string, unknown> {
    const vm = this.vm(node, vmid);
    const agent = parsePropertyString(vm.config.agent ?? "0");
    return { vmid, name: vm.config.name, status: vm.status, qmpstatus: vm.status, agent: agent[""] === "1" || agent.enabled === "1" ? 1 : 0, uptime: vm.status === "running" ? 60 : 0, ...(vm.lock ? { lock: vm.lock } : {}) };
  }

  /** The agent answers only for a running VM with the agent enabled in its config and running in the guest (ref/proxmox.md §4.2). */
  agent(node: string, vmid: number): Vm {
    const vm = this.vm(node, vmid);
    if (vm.status !== "running") throw new PveError(500, `VM ${vmid} is not running`);
    if (this.status(node, vmid).agent !== 1) throw new PveError(500, "No QEMU guest agent configured");
    if (!vm.guest.agentUp) throw new PveError(500, "QEMU guest agent is not running");
    return vm;
  }

  destroy(node: string, vmid: number): string {
    const vm = this.vm(node, vmid);
    if (vm.status === "running") throw new PveError(500, `VM ${vmid} is running - destroy failed`);
    this.vms.delete(vmid);
    return this.task(node, "qmdestroy", vmid);
  }

  listContent(node: string, ds: string, content?: string): unknown[] {
    this.node(node);
    const s = this.storage(ds);
    if (content && !s.content.includes(content)) return [];
    return [...this.snippets.values()]
      .filter((f) => f.node === node && f.volid.startsWith(`${ds}:`))
      .map((f) => ({ volid: f.volid, content: "snippets", format: "snippets", size: Buffer.byteLength(f.data), ctime: f.ctime }));
  }

  deleteContent(node: string, ds: string, volid: string): void {
    this.node(node);
    this.storage(ds);
    if (!this.snippets.delete(`${node} ${volid}`)) throw new PveError(500, `volume '${volid}' does not exist`);
  }

  /**
   * What `tee <storage path>/snippets/<name>` over SSH does on the node (the real provider's
   * upload, ref/proxmox.md §3.7 steps 5-6): the path must be the snippets directory of a dir
   * storage, and only the SSH user that can write there (root here) may.
   */
  sshTee(node: string, user: string, sshUser: string, command: string, data: string): void {
    this.node(node);
    if (user !== sshUser) throw new PveError(403, `Permission denied (publickey) for ${user}@${node}`);
    const m = /^tee (\/\S+)\/snippets\/([^/\s]+)$/.exec(command);
    if (!m) throw new PveError(400, `the lab node shell only runs 'tee <storage path>/snippets/<file>', not: ${command}`);
    const entry = Object.entries(this.storages).find(([, s]) => s.path === m[1]);
    if (!entry) throw new PveError(500, `tee: ${m[1]}/snippets/${m[2]}: No such file or directory`);
    this.snippets.set(`${node} ${entry[0]}:snippets/${m[2]}`, { node, volid: `${entry[0]}:snippets/${m[2]}`, data, ctime: Math.floor(Date.now() / 1000) });
  }
}
