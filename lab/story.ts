/**
 * The incident story, end to end on loopback simulators and the real Pulumi engine:
 * provision the homelab's three K3s nodes (MAAS reservations, Proxmox VMs and snippets through
 * the lab stand-in of the proxmoxve plugin, K3s settings, read-back), replay
 * RCA-2025-07-27 (MAAS drops the host entries; the nodes renew onto pool addresses
 * .220-.222), show the drift the project's normal preview exposes and its Markdown report,
 * repair with `pulumi up`, let the nodes renew again, and show the clean preview. Then seed 004's
 * act: a bare-metal node whose DHCP address changed while K3s kept the old one is declared and
 * repaired by `pulumi up` alone (config written over SSH, K3s restarted, Node on the pinned address).
 *
 * Used by `npm run lab` (lab/main.ts) and by the end-to-end engine test; it imports nothing
 * from the test harness. Everything it starts is stopped by `close()`.
 */
import { startKubeSimulator, type KubeSimulator } from "./kube";
import { homelabNodes, labProxmoxNodes, labStackConfig, SEED004_NODE, SEED004_OLD_IP, simulatorDynamicRange } from "./lab-config";
import { startLabFleet, type LabFleet } from "./node";
import { startMaasSimulator, type MaasSimulator } from "./maas";
import { startHomelabProxmox } from "./proxmox/homelab";
import type { ProxmoxSimulator } from "./proxmox";
import { createTempStack, type TempStack } from "./temp-stack";
import { runDriftOn, type DriftRun } from "./drift-run";

export interface StoryOptions {
  /** MAAS version the simulator reports: "3.5.7" (the incident's, ipaddresses op=reserve) or "3.6.0"+ (reservedips). */
  maasVersion?: string;
  /** Progress lines, as they happen. */
  log?: (line: string) => void;
  /** Aborts the Pulumi operation in flight (Ctrl-C). */
  signal?: AbortSignal;
  /** Proxmox VMs through the lab stand-in plugin and the Proxmox simulator (default true). */
  proxmox?: boolean;
}

export interface StoryResult {
  maasVersion: string;
  mechanism: string;
  /** Addresses the nodes got from the pool once MAAS had dropped their entries. */
  poolAddresses: Record<string, string>;
  before: DriftRun;
  incident: DriftRun;
  after: DriftRun;
  /** Reservations MAAS holds at the end, as "ip mac". */
  finalReservations: string[];
  /** Seed 004's act: the bare-metal node before and after `pulumi up`. */
  seed004: Seed004Result;
}

export interface Seed004Result {
  /** The drift command with the machine declared, before `pulumi up`. */
  drift: DriftRun;
  /** K3s restarts on the machine during the repair. */
  restarts: number;
  /** What the cluster reports for the node after the repair. */
  internalIp: string;
  flannelPublicIp: string;
  after: DriftRun;
}

/** Other DHCP clients of the house; they hold .200-.219, so the nodes land on .220-.222 as in the RCA. */
const OTHER_CLIENTS = 20;
/** The order the RCA's timeline has the nodes falling into the pool. */
const RENEWAL_ORDER = ["k3s-vm-chief-horse", "k3s-vm-still-fawn", "k3s-vm-pve"];

export class IncidentStory {
  private maas?: MaasSimulator;
  private kube?: KubeSimulator;
  private pve?: ProxmoxSimulator;
  /** Where each guest's last DHCP answer came from (reservation, lease or pool), by MAC. */
  private readonly leaseSource = new Map<string, string>();
  private fleet?: LabFleet;
  private stack?: TempStack;
  private readonly log: (line: string) => void;
  private readonly started = Date.now();
  private step = 0;
  private readonly k3sToken = `K10lab${Math.random().toString(36).slice(2)}::server:lab`;
  /** The Pulumi operation in flight; close() lets it finish cancelling before deleting its files. */
  private inflight: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: StoryOptions = {}) {
    this.log = options.log ?? (() => undefined);
  }

  /** The temp directory of the stack (project, state, PULUMI_HOME), once created. */
  get tempDir(): string | undefined {
    return this.stack?.baseDir;
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.inflight = operation.catch(() => undefined);
    return operation;
  }

  private say(title: string): void {
    this.step += 1;
    const secs = ((Date.now() - this.started) / 1000).toFixed(0).padStart(3);
    this.log(`\n[${secs}s] ${this.step}. ${title}`);
  }

  async run(): Promise<StoryResult> {
    const maasVersion = this.options.maasVersion ?? "3.5.7";
    const nodes = homelabNodes();
    const signal = this.options.signal;

    const proxmoxOn = this.options.proxmox ?? true;
    this.say(`Starting the simulators on 127.0.0.1: MAAS ${maasVersion}, ${proxmoxOn ? "Proxmox VE, " : ""}the K3s cluster API`);
    this.maas = await startMaasSimulator({ version: maasVersion });
    // Guests configured with ip=dhcp ask MAAS's DHCP when they boot, so the RCA's renewals really move the VMs.
    if (proxmoxOn) this.pve = await startHomelabProxmox(this.maas, nodes, (mac, lease) => this.leaseSource.set(mac, lease.source));
    const range = simulatorDynamicRange();
    this.kube = await startKubeSimulator({
      nodes: [
        ...nodes.map((n, i) => ({ name: n.name, internalIp: n.ip, flannelIface: String(n.interface ?? "eth0"), clusterInit: i === 0 })),
        // Seed 004's machine: K3s installed by hand (nothing pinned), registered on its old DHCP address.
        { name: SEED004_NODE.name, internalIp: SEED004_OLD_IP, nodeIp: null, flannelIface: null, role: SEED004_NODE.role },
      ],
    });
    for (let i = 0; i < OTHER_CLIENTS; i++) this.maas.dhcpRenew(`02:00:00:aa:00:${i.toString(16).padStart(2, "0")}`);
    this.log(`    MAAS ${this.maas.url} (dynamic pool ${range.start}-${range.end}, ${OTHER_CLIENTS} other DHCP clients hold .200-.219)`);
    if (this.pve) this.log(`    Proxmox VE ${this.pve.url} (HTTPS, self-signed) with nodes ${labProxmoxNodes(nodes).join(", ")} and template ${this.pve.vmList().map((v) => v.vmid).join(", ")}`);
    this.log(`    cluster API ${this.kube.url} with nodes ${nodes.map((n) => `${n.name}=${n.ip}`).join(", ")}`);
    // Every node is a machine: sshd on 127.0.0.1 in its own mount namespace (lab/node).
    this.fleet = await startLabFleet({
      nodes: [...nodes.map((n) => ({ name: n.name, role: "server" as const })), { name: SEED004_NODE.name, role: SEED004_NODE.role }],
      kube: this.kube,
    });
    this.log(`    lab machines (real sshd, private /etc/rancher): ${[...this.fleet.machines.values()].map((m) => `${m.name}=${m.host}:${m.port}`).join(", ")}`);

    this.say(
      `Creating the lab stack (file:// state in a temp directory; ${this.pve ? "Proxmox on, through the LAB STAND-IN of the proxmoxve plugin — never used for a real stack" : "Proxmox off"})`,
    );
    this.stack = await createTempStack({
      stack: "lab",
      proxmoxPlugin: Boolean(this.pve),
      config: labStackConfig({
        ...(this.pve ? { proxmox: this.pve } : {}),
        maasUrl: this.maas.url,
        maasApiKey: this.maas.apiKey,
        kubeconfig: this.kube.kubeconfig,
        k3sToken: this.k3sToken,
        fleet: this.fleet,
      }),
    });
    this.log(`    ${this.stack.workDir}`);

    this.say(`pulumi up: one declaration per node → MAAS reservation, ${this.pve ? "cloud-init snippet, VM, " : ""}K3s settings, read-back`);
    const up = await this.track(this.stack.stack.up({ signal }));
    this.log(`    ${formatChanges(up.summary.resourceChanges)}`);
    const outputs = (await this.stack.stack.outputs()).nodes.value as Record<string, { ip: string; mac: string; mechanism: string; nodeIp: string; flannelIface: string }>;
    for (const [name, o] of Object.entries(outputs)) this.log(`    ${name.padEnd(20)} ${o.ip}  ${o.mac}  ${o.mechanism}  node-ip=${o.nodeIp} flannel-iface=${o.flannelIface}`);
    for (const n of nodes) {
      const vmId = vmIdOf(n);
      const vm = vmId === undefined ? undefined : this.pve?.vm(vmId);
      if (vm) this.log(`    VM ${vm.vmid} on ${vm.node.padEnd(11)} net0 ${vm.mac}  ipconfig0 ${vm.config.ipconfig0}  ${vm.status}, guest agent reports ${vm.guestIp}`);
    }
    const mechanism = Object.values(outputs)[0]?.mechanism ?? "";

    // The first up bootstrapped the cluster (cluster-init on the first server); now that the
    // machines hold a datastore, the first server is planned like the others.
    const firstServer = nodes.find((n) => n.role === "server")!.name;
    this.say(`pulumi up again: the cluster exists now, so ${firstServer} joins through server like the others (K3s ignores cluster-init/server once a node has its datastore: written, no restart)`);
    const settle = await this.track(this.stack.stack.up({ signal }));
    this.log(`    ${formatChanges(settle.summary.resourceChanges)}`);
    const joinLine = (text: string | undefined) => (text ?? "").split("\n").find((l) => /^\s*(server|cluster-init):/.test(l))?.trim() ?? "(none)";
    const pveNode = (nodes.find((n) => n.name === firstServer)!.proxmox as { node?: string } | undefined)?.node;
    // Pulumi.homelab.yaml's snippetsDatastore is `local`; the file name is the stack's (stacks/homelab/vm.ts).
    const snippet = this.pve && pveNode ? this.pve.snippet(pveNode, `local:snippets/${firstServer}-user-data.yaml`) : undefined;
    this.log(`    ${firstServer}: config.yaml ${joinLine(this.fleet.machine(firstServer).read("/etc/rancher/k3s/config.yaml"))}${this.pve ? `; its snippet (a replaced VM boots with it) ${joinLine(snippet)}` : ""}`);

    this.say("pulumi preview (refreshes first): nothing has drifted");
    const before = await this.drift();

    this.say(`The incident: MAAS ${maasVersion} drops the entries that pinned the nodes`);
    for (const n of nodes) this.maas.dropReservation(n.ip);
    this.log(`    MAAS now holds ${this.maas.reservations().length} reservations for the cluster`);
    const poolAddresses: Record<string, string> = {};
    for (const name of RENEWAL_ORDER) {
      const node = nodes.find((n) => n.name === name)!;
      const lease = this.renew(node);
      poolAddresses[name] = lease.ip;
      this.kube.setNode(name, { internalIp: lease.ip, flannelPublicIp: lease.ip });
      this.log(`    ${name} renews its lease and gets ${lease.ip} from the ${lease.source} (declared ${node.ip})`);
    }

    this.say("pulumi preview: the drift, and the report a reviewer would read (npm run drift)");
    const incident = await this.drift();
    this.log(indent(incident.markdown));

    this.say("pulumi up: recreate the reservations");
    const repair = await this.track(this.stack.stack.up({ signal }));
    this.log(`    ${formatChanges(repair.summary.resourceChanges)}`);

    this.say("The nodes renew their leases: MAAS now answers with the reserved addresses");
    for (const name of RENEWAL_ORDER) {
      const node = nodes.find((n) => n.name === name)!;
      const lease = this.renew(node);
      this.kube.setNode(name, { internalIp: lease.ip, flannelPublicIp: lease.ip });
      this.log(`    ${name} → ${lease.ip} (${lease.source})`);
    }

    this.say("pulumi preview: clean again");
    const after = await this.drift();
    this.log(indent(after.markdown.split("\n").slice(0, 3).join("\n")));

    const seed004 = await this.seed004Act(nodes);

    return {
      maasVersion,
      mechanism,
      poolAddresses,
      before,
      incident,
      after,
      finalReservations: this.maas.reservations().map((r) => `${r.ip} ${r.mac}`).sort(),
      seed004,
    };
  }

  /**
   * Seed 004: a bare-metal node whose DHCP address changed while K3s kept the old one. It comes
   * under the stack's management; `pulumi up` alone writes its K3s settings, restarts K3s and
   * brings the Node back on the pinned address.
   */
  private async seed004Act(nodes: ReturnType<typeof homelabNodes>): Promise<Seed004Result> {
    const name = SEED004_NODE.name;
    const signal = this.options.signal;
    this.say(`Seed 004: ${name}, bare metal (wired enp6s0 + WiFi wlp5s0), K3s installed by hand, no config.yaml`);
    this.log(`    DHCP moved it to ${SEED004_NODE.ip} on enp6s0; K3s still reports ${SEED004_OLD_IP} (flannel on the default route, wlp5s0)`);
    this.log(`    config.yaml on the machine: ${this.fleet!.machine(name).read("/etc/rancher/k3s/config.yaml") ?? "(none)"}`);

    this.say(`Declaring ${name} (no proxmox block: node-ip ${SEED004_NODE.ip}, flannel-iface enp6s0) and previewing`);
    await this.stack!.setConfig(
      labStackConfig(
        {
          maasUrl: this.maas!.url,
          maasApiKey: this.maas!.apiKey,
          kubeconfig: this.kube!.kubeconfig,
          k3sToken: this.k3sToken,
          fleet: this.fleet,
          ...(this.pve ? { proxmox: this.pve } : {}),
        },
        [...nodes, { ...SEED004_NODE }],
      ),
    );
    const drift = await this.drift();
    const summary = [...(drift.summary?.drift.nodes[name] ?? []), ...(drift.summary?.pullRequest?.nodes[name] ?? [])];
    for (const c of summary) this.log(`    ${c.resource ?? ""} ${c.op ?? ""}`.trimEnd());

    this.say("pulumi up: the K3s settings are written over SSH and K3s is restarted");
    const restartsBefore = this.fleet!.machine(name).restarts().length;
    const up = await this.track(this.stack!.stack.up({ signal }));
    this.log(`    ${formatChanges(up.summary.resourceChanges)}`);
    const restarts = this.fleet!.machine(name).restarts().length - restartsBefore;
    const node = await this.nodeObject(name);
    this.log(`    ${name}: config.yaml written (${(this.fleet!.machine(name).read("/etc/rancher/k3s/config.yaml") ?? "").split("\n").filter((l) => /node-ip|flannel-iface/.test(l)).join(", ")}); k3s-agent restarted ${restarts}×`);
    this.log(`    Node ${name}: InternalIP ${node.internalIp}, flannel public-ip ${node.flannelPublicIp}`);

    this.say("pulumi preview: clean");
    const after = await this.drift();
    return { drift, restarts, internalIp: node.internalIp, flannelPublicIp: node.flannelPublicIp, after };
  }

  /** The Node object as the cluster API serves it (what `kubectl get node -o json` shows). */
  private async nodeObject(name: string): Promise<{ internalIp: string; flannelPublicIp: string }> {
    const res = await fetch(`${this.kube!.url}/api/v1/nodes/${name}`, { headers: { authorization: `Bearer ${this.kube!.token}` } });
    const body = (await res.json()) as { status: { addresses: Array<{ type: string; address: string }> }; metadata: { annotations: Record<string, string> } };
    return {
      internalIp: body.status.addresses.find((a) => a.type === "InternalIP")?.address ?? "",
      flannelPublicIp: body.metadata.annotations["flannel.alpha.coreos.com/public-ip"] ?? "",
    };
  }

  /**
   * A node renews its DHCP lease: with Proxmox on, its VM's guest reboots and asks MAAS (the
   * guest agent then reports the new address); otherwise MAAS is asked directly.
   */
  private renew(node: Record<string, unknown> & { mac: string }): { ip: string; source: string } {
    const vmId = vmIdOf(node);
    if (!this.pve || vmId === undefined) return this.maas!.dhcpRenew(node.mac);
    this.pve.rebootGuest(vmId);
    return { ip: this.pve.vm(vmId)!.guestIp ?? "(none)", source: this.leaseSource.get(node.mac.toLowerCase()) ?? "(no answer)" };
  }

  /** The drift command on the lab stack: the project's normal preview, refresh included. */
  private async drift(): Promise<DriftRun> {
    const run = await this.track(runDriftOn(this.stack!));
    this.log(`    drift exit code ${run.exitCode} (${(["clean", "error", "drift", "could not verify"] as const)[run.exitCode] ?? "error"}): ${run.line}`);
    return run;
  }

  /** Stops the simulators and deletes the temp directory; never destroys through the engine (fast on Ctrl-C). */
  async close(): Promise<void> {
    // An aborted `pulumi up` gets SIGINT and cancels cleanly; give it time before removing its state.
    await Promise.race([this.inflight, new Promise((r) => setTimeout(r, 30_000).unref())]);
    await this.stack?.dispose().catch(() => undefined);
    await this.fleet?.close().catch(() => undefined);
    await this.kube?.close().catch(() => undefined);
    await this.pve?.close().catch(() => undefined);
    await this.maas?.close().catch(() => undefined);
  }
}

function vmIdOf(node: Record<string, unknown>): number | undefined {
  return (node.proxmox as { vmId?: number } | undefined)?.vmId;
}

function formatChanges(changes: Record<string, number> | undefined): string {
  return Object.entries(changes ?? {}).map(([op, n]) => `${op}: ${n}`).join(", ");
}

function indent(text: string): string {
  return text.split("\n").map((l) => `    │ ${l}`).join("\n");
}
