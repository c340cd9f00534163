/**
 * The read-back resource's inputs and state: their types, the `check` rules (all failures at once,
 * each naming its property), and how checked inputs carry the *expected* observation so the preview
 * shows "live → expected" per field (ref/pulumi.md §1.8 design A).
 *
 * The resource names config keys, never credentials: `kube.configKey` and `proxmox.tokenConfigKey`
 * point at secret stack config that the provider reads at run time.
 */
import { IPv4 } from "ipaddr.js";
import { expectedObservation, type NodeObservation } from "./observation";

/** During preview, inputs that are not known yet arrive as this string (ref/pulumi.md §1.3). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Where to read the Kubernetes Node object. */
export interface ReadbackKubeSource {
  /** Stack config key holding the secret kubeconfig text, e.g. "homelab:kubeconfig". */
  configKey: string;
}

/** Where to ask the QEMU guest agent. */
export interface ReadbackProxmoxSource {
  /** PVE API base, e.g. "https://pve.lan:8006/". */
  endpoint: string;
  /** PVE node that runs the VM, e.g. "pve". */
  node: string;
  vmId: number;
  /** Stack config key holding the secret API token, e.g. "homelab:proxmoxApiToken". */
  tokenConfigKey: string;
  /** Accept PVE's self-signed certificate (default false). */
  insecure?: boolean;
}

/** The fields that say *which* node to observe and where; the rest is the observation. */
export interface ReadbackSubject {
  nodeName: string;
  /** The pinned address (MAAS reservation, ipconfig0, K3s node-ip). */
  ip: string;
  /** The node's MAC: finds its interface in the guest agent's reply. */
  mac: string;
  /** The interface flannel must use (K3s --flannel-iface). */
  flannelIface: string;
  kube?: ReadbackKubeSource;
  proxmox?: ReadbackProxmoxSource;
  /** False when the cluster runs without flannel (`flannel-backend: none`); default true. */
  flannel?: boolean;
  /** URN the provider's warnings are attached to (the resource's own, set by NodeReadback). */
  logUrn?: string;
}

/** Checked inputs: the subject plus the expected observation (`check` fills it in). */
export type NodeReadbackInputs = ReadbackSubject & Partial<Omit<NodeObservation, "ip" | "flannelIface">>;

/** What state holds: the subject's identity fields and the last observation under the same names. */
export type NodeReadbackState = Omit<ReadbackSubject, "ip" | "flannelIface"> & NodeObservation;

/** Observation fields that are bookkeeping, never expectations: not part of the checked inputs. */
export const NOT_EXPECTED = ["reachable", "errors", "unverified"] as const;

export interface CheckFailure {
  property: string;
  reason: string;
}

const known = (v: unknown): boolean => v !== UNKNOWN;
const isText = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

/** Twelve hex digits in one of the usual separators; same acceptance as MAAS. */
const MAC = /^(?:[0-9a-f]{2}([:-]))(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}$|^[0-9a-f]{12}$/i;
/** Linux interface names: at most 15 bytes, no spaces or slashes. */
const IFACE = /^[^\s/:]{1,15}$/;
/** A PVE API token `USER@REALM!TOKENID=SECRET` (ref/proxmox.md §1.2): the *value*, not a key name. */
const LOOKS_LIKE_PVE_TOKEN = /@[^!\s]+![^=\s]+=/;

/** Every problem with the inputs; an empty list means they are usable. Unknown values pass. */
export function checkReadbackInputs(news: Partial<ReadbackSubject>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  if (!isText(news.nodeName)) fail("nodeName", "is empty; give the Kubernetes node name, e.g. k3s-vm-pve.");
  if (known(news.ip) && !(typeof news.ip === "string" && IPv4.isValidFourPartDecimal(news.ip))) {
    fail("ip", `${JSON.stringify(news.ip ?? null)} is not an IPv4 address; write four decimal octets, e.g. 192.168.4.238.`);
  }
  if (known(news.mac) && !(typeof news.mac === "string" && MAC.test(news.mac.trim()))) {
    fail("mac", `${JSON.stringify(news.mac ?? null)} is not a MAC address; write six hex pairs, e.g. bc:24:11:3b:7a:a7.`);
  }
  if (known(news.flannelIface) && !(typeof news.flannelIface === "string" && IFACE.test(news.flannelIface))) {
    fail("flannelIface", `${JSON.stringify(news.flannelIface ?? null)} is not an interface name; write the guest's NIC name, e.g. eth0.`);
  }
  const kube = news.kube as Partial<ReadbackKubeSource> | undefined;
  if (kube !== undefined && known(kube)) {
    if (!isText(kube.configKey)) {
      fail("kube.configKey", 'is empty; name the secret stack config key that holds the kubeconfig, e.g. "homelab:kubeconfig".');
    } else if (known(kube.configKey) && /\n|apiVersion|BEGIN /.test(kube.configKey)) {
      fail("kube.configKey", "holds kubeconfig text, not the name of a config key; store the kubeconfig with `pulumi config set --secret homelab:kubeconfig …` and pass that key name.");
    }
  }
  if (news.flannel !== undefined && known(news.flannel) && typeof news.flannel !== "boolean") {
    fail("flannel", `${JSON.stringify(news.flannel)} is not a boolean; pass false when the cluster runs with flannel-backend: none.`);
  }
  const pve = news.proxmox as Partial<ReadbackProxmoxSource> | undefined;
  if (pve !== undefined && known(pve)) {
    if (known(pve.endpoint)) {
      let ok = false;
      try {
        ok = typeof pve.endpoint === "string" && /^https?:$/.test(new URL(pve.endpoint).protocol);
      } catch {
        ok = false;
      }
      if (!ok) fail("proxmox.endpoint", `${JSON.stringify(pve.endpoint ?? null)} is not an http(s) URL; write e.g. https://pve.lan:8006/.`);
    }
    if (!isText(pve.node)) fail("proxmox.node", 'is empty; give the Proxmox node that runs the VM, e.g. "pve".');
    if (known(pve.vmId) && !(Number.isInteger(pve.vmId) && (pve.vmId as number) >= 100)) {
      fail("proxmox.vmId", `${JSON.stringify(pve.vmId ?? null)} is not a Proxmox VM id; VM ids are integers from 100 up.`);
    }
    if (!isText(pve.tokenConfigKey)) {
      fail("proxmox.tokenConfigKey", 'is empty; name the secret stack config key that holds the API token, e.g. "homelab:proxmoxApiToken".');
    } else if (known(pve.tokenConfigKey) && LOOKS_LIKE_PVE_TOKEN.test(pve.tokenConfigKey)) {
      // Never echo the value: it is very likely the token itself.
      fail("proxmox.tokenConfigKey", "looks like an API token, not the name of a config key; store the token with `pulumi config set --secret homelab:proxmoxApiToken …` and pass that key name.");
    }
  }
  return failures;
}

/**
 * Checked inputs: the subject with the expected addresses merged in (what preview shows as
 * "after"). `reachable`, `errors` and `unverified` are left out: whether a source answered is not
 * something the program declares, so it never appears as a wanted value.
 */
export function withExpectation(news: ReadbackSubject): NodeReadbackInputs {
  const { nodeIp, flannelPublicIp, agentIp } = expectedObservation(news);
  return { ...news, nodeIp, flannelPublicIp, agentIp };
}

/** Inputs or state: both carry the subject fields (state's `ip`/`flannelIface` may be null). */
export interface SubjectBag {
  nodeName?: string;
  ip?: string | null;
  mac?: string;
  flannelIface?: string | null;
  kube?: ReadbackKubeSource;
  proxmox?: ReadbackProxmoxSource;
  flannel?: boolean;
  logUrn?: string;
}

/** The subject fields of a state or inputs bag (what to observe), without the observation. */
export function subjectOf(bag: SubjectBag): ReadbackSubject {
  const subject: ReadbackSubject = {
    nodeName: bag.nodeName ?? "",
    ip: bag.ip ?? "",
    mac: bag.mac ?? "",
    flannelIface: bag.flannelIface ?? "",
  };
  if (bag.kube) subject.kube = bag.kube;
  if (bag.proxmox) subject.proxmox = bag.proxmox;
  if (typeof bag.flannel === "boolean") subject.flannel = bag.flannel;
  if (typeof bag.logUrn === "string") subject.logUrn = bag.logUrn;
  return subject;
}

/** State to store: identity fields plus the observation (undefined sources left out: state is JSON). */
export function stateOf(subject: ReadbackSubject, observation: NodeObservation): NodeReadbackState {
  const state: NodeReadbackState = { nodeName: subject.nodeName, mac: subject.mac, ...observation };
  if (subject.kube) state.kube = subject.kube;
  if (subject.proxmox) state.proxmox = subject.proxmox;
  if (subject.flannel !== undefined) state.flannel = subject.flannel;
  if (subject.logUrn !== undefined) state.logUrn = subject.logUrn;
  return state;
}

/** True when `a` and `b` hold the same value for every subject field (what to observe, and how). */
export function sameSubject(a: SubjectBag, b: SubjectBag): boolean {
  return (
    sameValue(a.nodeName, b.nodeName) &&
    sameValue(a.mac, b.mac) &&
    sameValue(a.kube, b.kube) &&
    sameValue(a.proxmox, b.proxmox) &&
    (a.flannel ?? true) === (b.flannel ?? true)
  );
}

/** Deep equality for the JSON values inputs are made of (key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    return (a ?? null) === (b ?? null);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
