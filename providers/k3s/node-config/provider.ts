/**
 * The dynamic provider behind `K3sNodeConfig`: a node's K3s settings, delivered over SSH and read
 * back from the node itself. Loaded at run time through the forwarding provider (only a ~1 KB
 * forwarder is stored in state, see providers/dynamic/forwarding-provider.ts).
 *
 * - read:   config.yaml (parsed, hashed), the token file's hash, and every K3s input that would
 *           override config.yaml (unit flags, later drop-ins, K3S_* variables). No config.yaml →
 *           gone (refresh shows a create). An unreachable node keeps its last state and warns:
 *           "could not check" is not drift. A wrong host key is an error.
 * - diff:   field by field against the declaration; overrides and a pending restart are changes;
 *           a declared change of a create-only field is refused with the runbook unless `rejoin`.
 * - create/update: refuse when something would override the file (nothing written), write
 *           config.yaml and the token file atomically, restart K3s when a restart field changed
 *           (servers one at a time in this process), wait until the node is Ready on its node-ip.
 * - delete: leaves the files: K3s keeps running with them (removing them would unpin the node at
 *           its next restart).
 *
 * Secrets: the SSH private key and the cluster token are read from the stack config keys the
 * resource names, in `configure`; they are never inputs, outputs or part of a message.
 */
import type * as pulumi from "@pulumi/pulumi";
import { fromConfig, kubeconfigText, type ConfigSource } from "../../readback/credentials";
import { SshHostKeyMismatchError, SshUnreachableError, parsePinnedHostKey, sshSession, type SshSession } from "../../ssh";
import { toK3sConfigFile, toYaml, type K3sNodeSettings, type K3sRole } from "../config";
import { CREATE_ONLY_FIELDS, SETTINGS_FIELDS, diffSettings, refusal, unitOf, type RestartPolicy } from "./model";
import { readNodeFiles, restartK3s, sha256, unitActive, writeNodeFiles, type NodeFiles } from "./remote";

export interface NodeSshInputs {
  host: string;
  port: number;
  user: string;
  hostKey: string;
  /** Stack config key holding the private key (secret); absent: the ssh-agent ($SSH_AUTH_SOCK). */
  privateKeyConfigKey?: string;
}

export interface K3sNodeConfigInputs extends K3sNodeSettings {
  /** Hex SHA-256 of the cluster token (secret output). */
  tokenSha256: string;
  ssh: NodeSshInputs;
  /** Stack config key holding the cluster token (secret). */
  tokenConfigKey: string;
  restart: RestartPolicy;
  /** How long to wait for the node after a restart; the cluster API is asked when `kubeconfigKey` is set. */
  readiness: { kubeconfigKey?: string; timeoutSeconds: number };
  /** Opt-in: write changed create-only settings (after the node was uninstalled; see the runbook). */
  rejoin: boolean;
  /** Declared empty: anything on the node that overrides config.yaml is drift. */
  overrides: string[];
  /** Declared false: a write made with `restart: never` leaves the restart pending. */
  restartPending: boolean;
}

export interface K3sNodeConfigState extends K3sNodeConfigInputs {
  /** SHA-256 of config.yaml on the node. */
  configSha256: string;
  /** Create-only settings as last written (what the node joined with). */
  joinedWith: Record<string, unknown>;
}

type Props = Record<string, unknown>;

interface Runtime {
  config?: ConfigSource;
  /** Server restarts run one at a time per process; a server that did not come back stops the rest. */
  rollout: { tail: Promise<void>; stopped?: string };
}

function runtime(): Runtime {
  const g = globalThis as { __homelabK3sNodeConfig?: Runtime };
  return (g.__homelabK3sNodeConfig ??= { rollout: { tail: Promise.resolve() } });
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const POLL_MS = 250;

function secretFromConfig(key: string | undefined): string | undefined {
  return fromConfig(runtime().config, key);
}

/** Masks the token and the private key in any text that may reach a message. */
function redactor(inputs: Props): (text: string) => string {
  const secrets = [secretFromConfig(inputs.tokenConfigKey as string), secretFromConfig((inputs.ssh as NodeSshInputs | undefined)?.privateKeyConfigKey)].filter(
    (s): s is string => !!s && s.length >= 6,
  );
  return (text) => secrets.reduce((t, s) => t.split(s).join("[secret]"), text);
}

function nodeName(p: Props): string {
  return String(p.nodeName ?? "?");
}

async function open(p: Props): Promise<SshSession> {
  const ssh = p.ssh as NodeSshInputs;
  const privateKey = secretFromConfig(ssh.privateKeyConfigKey);
  if (ssh.privateKeyConfigKey && !privateKey && !process.env.SSH_AUTH_SOCK) {
    throw new Error(
      `K3sNodeConfig ${nodeName(p)}: no SSH key: set the secret stack config ${ssh.privateKeyConfigKey} ` +
        `(pulumi config set --secret ${ssh.privateKeyConfigKey} < ~/.ssh/id_ed25519) or run an ssh-agent`,
    );
  }
  try {
    return await sshSession({ host: ssh.host, port: ssh.port, user: ssh.user, hostKey: ssh.hostKey }, { privateKey }, redactor(p));
  } catch (err) {
    throw named(p, err);
  }
}

function named(p: Props, err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (!e.message.startsWith("K3sNodeConfig ")) e.message = `K3sNodeConfig ${nodeName(p)}: ${e.message}`;
  return e;
}

function settingsOf(p: Props): K3sNodeSettings {
  const s: Props = {};
  for (const f of SETTINGS_FIELDS) if (f !== "tokenSha256" && p[f] !== undefined) s[f] = p[f];
  return s as unknown as K3sNodeSettings;
}

function createOnlyOf(p: Props): Record<string, unknown> {
  return Object.fromEntries(CREATE_ONLY_FIELDS.map((f) => [f, p[f] ?? null]));
}

/** State after a write: the declaration as it now is on the node. */
function stateAfterWrite(inputs: Props, configYaml: string, restartPending: boolean): Props {
  return { ...inputs, overrides: [], restartPending, configSha256: sha256(configYaml), joinedWith: createOnlyOf(inputs) };
}

async function waitReady(session: SshSession, p: Props): Promise<void> {
  const readiness = p.readiness as K3sNodeConfigInputs["readiness"];
  const role = p.role as K3sRole;
  const deadline = Date.now() + readiness.timeoutSeconds * 1000;
  // Loaded here, not at the top: only a restart needs the cluster-API client, and loading it (zod,
  // undici) took ~1.6 s of every refresh's provider start on the loaded 2-core bench machine.
  const [{ parseKubeconfig }, { readKubeNode }] = await Promise.all([
    import("../../readback/kubeconfig"),
    import("../../readback/kube-source"),
  ]);
  const kubeconfig = readiness.kubeconfigKey ? kubeconfigText(runtime().config, readiness.kubeconfigKey, process.env) : undefined;
  const target = kubeconfig?.ok ? parseKubeconfig(kubeconfig.value, kubeconfig.source) : undefined;
  const where = target ? `Ready on ${String(p.nodeIp)} in the cluster API` : `${unitOf(role)} active (systemctl, over SSH)`;
  console.log(`K3sNodeConfig ${nodeName(p)}: waiting up to ${readiness.timeoutSeconds} s for ${where}…`);
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (target) {
      const read = await readKubeNode(target, nodeName(p), kubeconfig!.ok ? kubeconfig!.source : "");
      if (read.kind === "node") {
        const node = read.node as { status?: { addresses?: Array<{ type?: string; address?: string }>; conditions?: Array<{ type?: string; status?: string }> } };
        const ip = node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
        const ready = node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
        if (ready && ip === p.nodeIp) return;
        last = `Ready=${ready}, InternalIP=${ip ?? "none"}`;
      } else last = read.reason;
    } else if (await unitActive(session, role)) return;
    else last = `${unitOf(role)} not active`;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(
    `K3sNodeConfig ${nodeName(p)}: ${unitOf(role)} was restarted but the node did not come back within ${readiness.timeoutSeconds} s (${last}). ` +
      `The rollout stops here; other servers were not touched. Check \`journalctl -u ${unitOf(role)}\` on ${nodeName(p)}, fix it, then \`pulumi up\` again.`,
  );
}

/** Restarts K3s and waits for the node; servers go through one process-wide queue. */
async function restartAndWait(session: SshSession, p: Props): Promise<void> {
  const role = p.role as K3sRole;
  const run = async () => {
    console.log(`K3sNodeConfig ${nodeName(p)}: restarting ${unitOf(role)}…`);
    await restartK3s(session, role);
    await waitReady(session, p);
    console.log(`K3sNodeConfig ${nodeName(p)}: back, Ready on ${String(p.nodeIp)}`);
  };
  if (role !== "server") return run();
  const rollout = runtime().rollout;
  const turn = rollout.tail.then(async () => {
    if (rollout.stopped) throw new Error(`K3sNodeConfig ${nodeName(p)}: not restarted: the rollout stopped at ${rollout.stopped}`);
    try {
      await run();
    } catch (err) {
      rollout.stopped = nodeName(p);
      throw err;
    }
  });
  rollout.tail = turn.catch(() => undefined);
  return turn;
}

/** Writes the declaration; restarts when needed. Shared by create and update. */
async function apply(p: Props, previousPending: boolean): Promise<Props> {
  const settings = settingsOf(p);
  const configYaml = toYaml(toK3sConfigFile(settings));
  const session = await open(p);
  try {
    const before: NodeFiles = await readNodeFiles(session, settings.role, settings.tokenFile, configYaml);
    if (before.observation.overrides.length) {
      throw new Error(
        `K3sNodeConfig ${nodeName(p)}: nothing written: K3s would not use config.yaml as declared: ${before.observation.overrides.join(" ")}`,
      );
    }
    const token = secretFromConfig(p.tokenConfigKey as string);
    const tokenDiffers = before.tokenSha256 !== p.tokenSha256;
    if (tokenDiffers && token === undefined) {
      throw new Error(`K3sNodeConfig ${nodeName(p)}: the token file must be written but stack config ${String(p.tokenConfigKey)} is not set`);
    }
    const contentDiffers = before.configText !== configYaml;
    if (contentDiffers || tokenDiffers) await writeNodeFiles(session, configYaml, settings.tokenFile, tokenDiffers ? token : undefined);

    const wasOn = before.configText === undefined ? {} : before.observation.settings;
    const needsRestart = previousPending || diffSettings(wasOn, p, undefined).restart.length > 0 || tokenDiffers;
    if (!needsRestart) return stateAfterWrite(p, configYaml, false);
    if (!before.unitInstalled) {
      console.warn(`K3sNodeConfig ${nodeName(p)}: settings written; ${unitOf(settings.role)} is not installed, so nothing was restarted (install K3s at the pinned version; it starts with these settings).`);
      return stateAfterWrite(p, configYaml, false);
    }
    if (p.restart === "never") {
      console.warn(`K3sNodeConfig ${nodeName(p)}: settings written with restart: never; K3s runs the old settings until \`systemctl restart ${unitOf(settings.role)}\` (restart pending).`);
      return stateAfterWrite(p, configYaml, true);
    }
    await restartAndWait(session, p);
    return stateAfterWrite(p, configYaml, false);
  } catch (err) {
    throw named(p, err);
  }
}

function checkInputs(news: Props): Array<{ property: string; reason: string }> {
  const failures: Array<{ property: string; reason: string }> = [];
  const name = nodeName(news);
  const need = (property: string, value: unknown, why: string) => {
    if (value === UNKNOWN) return;
    if (typeof value !== "string" || value === "") failures.push({ property, reason: `K3sNodeConfig ${name}: ${property} is required: ${why}` });
  };
  need("nodeName", news.nodeName, "it is the node's K3s name");
  need("nodeIp", news.nodeIp, "K3s cannot pin the node without it");
  need("flannelIface", news.flannelIface, "flannel picks the default-route interface without it (seed 004)");
  need("tokenSha256", news.tokenSha256, "set the cluster token");
  need("tokenConfigKey", news.tokenConfigKey, "the stack config key of the token");
  const ssh = (news.ssh ?? {}) as Partial<NodeSshInputs>;
  need("ssh.host", ssh.host, "the address to reach the node");
  need("ssh.user", ssh.user, "root, or a user with passwordless sudo");
  need("ssh.hostKey", ssh.hostKey, "pin the node's host key (known_hosts line or SHA256 fingerprint)");
  if (typeof ssh.hostKey === "string" && ssh.hostKey !== "" && ssh.hostKey !== UNKNOWN) {
    try {
      parsePinnedHostKey(ssh.hostKey);
    } catch (err) {
      failures.push({ property: "ssh.hostKey", reason: `K3sNodeConfig ${name}: ${(err as Error).message}` });
    }
  }
  if (ssh.port !== undefined && (!Number.isInteger(ssh.port) || ssh.port < 1 || ssh.port > 65535)) {
    failures.push({ property: "ssh.port", reason: `K3sNodeConfig ${name}: ssh.port must be 1-65535, got ${String(ssh.port)}` });
  }
  if (news.restart !== "changed" && news.restart !== "never") {
    failures.push({ property: "restart", reason: `K3sNodeConfig ${name}: restart must be "changed" or "never", got ${String(news.restart)}` });
  }
  return failures;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export const nodeConfigProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req: pulumi.dynamic.ConfigureRequest) {
    runtime().config = req.config;
  },

  async check(_olds: Props, news: Props) {
    const ssh = (news.ssh ?? {}) as Partial<NodeSshInputs>;
    const readiness = (news.readiness ?? {}) as Partial<K3sNodeConfigInputs["readiness"]>;
    // Defaults first: the optional arguments (restart, readiness, rejoin, ssh.port) are checked as they will be used.
    const inputs: Props = {
      ...news,
      ssh: { ...ssh, port: ssh.port ?? 22 },
      restart: news.restart ?? "changed",
      readiness: { ...readiness, timeoutSeconds: readiness.timeoutSeconds ?? 180 },
      rejoin: news.rejoin ?? false,
      overrides: [],
      restartPending: false,
    };
    return { inputs, failures: checkInputs(inputs) };
  },

  async diff(_id: string, olds: Props, news: Props) {
    const joinedWith = olds.joinedWith as Record<string, unknown> | undefined;
    const settings = diffSettings(olds, news, joinedWith);
    if (settings.refused.length && news.rejoin !== true) throw new Error(refusal(nodeName(news), news.role, settings.refused));
    const overrides = Array.isArray(olds.overrides) && olds.overrides.length > 0;
    const pending = olds.restartPending === true && news.restart === "changed";
    const other = ["ssh", "tokenConfigKey", "restart", "readiness", "rejoin"].some((k) => !same(olds[k], news[k]));
    return { changes: settings.changed.length > 0 || overrides || pending || other, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs: Props) {
    const outs = await apply(inputs, false);
    return { id: nodeName(inputs), outs };
  },

  async read(id: string, props?: Props) {
    const stored = props ?? {};
    if (!stored.ssh) return { id, props: stored };
    let session: SshSession;
    try {
      session = await open(stored);
    } catch (err) {
      if (err instanceof SshHostKeyMismatchError) throw err;
      // Could not check is not drift: keep what we last knew, say so, and let the preview go on.
      const why = err instanceof SshUnreachableError ? err.message : (err as Error).message;
      console.warn(`K3sNodeConfig ${nodeName(stored)}: could not read the node (${why.replace(/^K3sNodeConfig \S+: /, "")}); showing its last known settings.`);
      return { id, props: stored };
    }
    try {
      const role = (stored.role as K3sRole) ?? "server";
      const files = await readNodeFiles(session, role, String(stored.tokenFile ?? ""));
      if (files.configText === undefined) return {};
      const live: Props = { ...stored };
      for (const f of SETTINGS_FIELDS) delete live[f];
      Object.assign(live, files.observation.settings, {
        role,
        tokenSha256: files.tokenSha256 ?? "",
        configSha256: files.observation.configSha256,
        overrides: files.observation.overrides,
      });
      // A unit that is installed but not running (a restart that never came back) needs a restart too.
      const down = files.unitInstalled && !files.unitActive;
      live.restartPending = stored.restartPending === true || down;
      if (down) console.warn(`K3sNodeConfig ${nodeName(stored)}: ${unitOf(role)} is installed but not active; \`pulumi up\` restarts it.`);
      else if (stored.restartPending === true) {
        console.warn(`K3sNodeConfig ${nodeName(stored)}: a restart is pending (settings were written with restart: never).`);
      }
      return { id, props: live };
    } catch (err) {
      console.warn(`K3sNodeConfig ${nodeName(stored)}: could not read the node's files (${(err as Error).message}); showing its last known settings.`);
      return { id, props: stored };
    }
  },

  async update(_id: string, olds: Props, news: Props) {
    const joinedWith = olds.joinedWith as Record<string, unknown> | undefined;
    const { refused } = diffSettings(olds, news, joinedWith);
    if (refused.length && news.rejoin !== true) throw new Error(refusal(nodeName(news), news.role, refused));
    return { outs: await apply(news, olds.restartPending === true) };
  },

  async delete(_id: string, props: Props) {
    console.warn(
      `K3sNodeConfig ${nodeName(props)}: removed from the stack; config.yaml and the token file stay on the node (K3s keeps running with them).`,
    );
  },
};
