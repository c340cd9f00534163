/**
 * The lab's nodes as machines (machine.ts) wired to the simulated cluster (lab/kube): when K3s is
 * restarted on a machine, its Node object goes NotReady, and after `readyDelayMs` comes back
 * Ready with what K3s starts with — InternalIP and flannel's public-ip from `node-ip`, the
 * `k3s.io/node-args` from node-ip and flannel-iface (ref/k3s.md §1.4: InternalIP and the flannel
 * annotation are only updated when K3s restarts). A node set to `never-ready` stays NotReady
 * and `systemctl is-active` answers "activating", as a K3s that cannot start would.
 */
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeSimulator } from "../kube";
import { generateKeyPair, type KeyPair } from "./keys";
import type { LoginUser } from "./login-user";
import { startLabMachine, type K3sUnit, type LabMachine, type RestartEvent } from "./machine";

export interface FleetNode {
  name: string;
  role: "server" | "agent";
  /** Extra ExecStart flags in the K3s unit. */
  execStartFlags?: string[];
  files?: Record<string, string>;
  /** Log in as this user (real sudo, the machine's own sudoers) instead of root. */
  loginUser?: LoginUser;
}

export interface RestartSpan {
  node: string;
  unit: string;
  /** When `systemctl restart` ran. */
  startedAt: number;
  /** When the Node object was Ready again (undefined: never). */
  readyAt?: number;
  settings: RestartEvent["settings"];
  /** Whether the machine had a K3s datastore before this start. */
  datastoreExisted: boolean;
}

export interface LabFleet {
  /** The key every machine accepts for its login user, root by default (a secret: give it to the stack as secret config). */
  clientKey: KeyPair;
  machines: Map<string, LabMachine>;
  machine(name: string): LabMachine;
  /** The `ssh` block for a node's declaration. */
  sshFor(name: string): { host: string; port: number; user: string; hostKey: string };
  /** Every restart on every machine, in order. */
  timeline(): RestartSpan[];
  setOutcome(name: string, outcome: "ok" | "never-ready"): void;
  close(): Promise<void>;
}

export interface FleetOptions {
  nodes: FleetNode[];
  /** The simulated cluster whose Node objects the restarts update; optional. */
  kube?: KubeSimulator;
  /** How long a restarted node stays NotReady. Default 300 ms. */
  readyDelayMs?: number;
}

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length ? String(value[0]) : undefined;
  return typeof value === "string" ? value.split(",")[0] : undefined;
}

export async function startLabFleet(opts: FleetOptions): Promise<LabFleet> {
  const keyDir = await mkdtemp(path.join(os.tmpdir(), "lab-fleet-"));
  const machines = new Map<string, LabMachine>();
  const spans: RestartSpan[] = [];
  const outcomes = new Map<string, "ok" | "never-ready">();
  const timers = new Set<NodeJS.Timeout>();
  const close = async () => {
    for (const t of timers) clearTimeout(t);
    await Promise.all([...machines.values()].map((m) => m.close().catch(() => undefined)));
    await rm(keyDir, { recursive: true, force: true });
  };
  try {
    const clientKey = await generateKeyPair(path.join(keyDir, "id_ed25519"), "lab-operator");
    const delay = opts.readyDelayMs ?? 300;
    const started = await Promise.all(
      opts.nodes.map((n) => {
        const unit: K3sUnit = n.role === "server" ? "k3s" : "k3s-agent";
        return startLabMachine({
          name: n.name,
          unit,
          execStartFlags: n.execStartFlags,
          files: n.files,
          loginUser: n.loginUser,
          authorizedKeys: [clientKey.publicKey],
          onRestart: async (event) => {
            const span: RestartSpan = { node: n.name, unit: event.unit, startedAt: event.at, settings: event.settings, datastoreExisted: event.datastoreExisted };
            spans.push(span);
            const machine = machines.get(n.name)!;
            await machine.setActive(unit, "activating");
            opts.kube?.setNode(n.name, { ready: false });
            const timer = setTimeout(() => {
              timers.delete(timer);
              if (outcomes.get(n.name) === "never-ready") return;
              const nodeIp = first(event.settings["node-ip"]);
              const iface = first(event.settings["flannel-iface"]);
              span.readyAt = Date.now();
              void machine.setActive(unit, "active");
              opts.kube?.setNode(n.name, {
                ready: true,
                ...(nodeIp ? { internalIp: nodeIp, nodeIp, flannelPublicIp: nodeIp } : {}),
                ...(iface ? { flannelIface: iface } : {}),
              });
            }, delay);
            timers.add(timer);
            return 0;
          },
        });
      }),
    );
    for (const m of started) machines.set(m.name, m);
    const machine = (name: string): LabMachine => {
      const m = machines.get(name);
      if (!m) throw new Error(`lab fleet: no machine "${name}" (have ${[...machines.keys()].join(", ")})`);
      return m;
    };
    return {
      clientKey,
      machines,
      machine,
      sshFor(name) {
        const m = machine(name);
        return { host: m.host, port: m.port, user: m.user, hostKey: m.knownHostsLine };
      },
      timeline: () => spans.map((s) => ({ ...s })),
      setOutcome: (name, outcome) => void outcomes.set(name, outcome),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
