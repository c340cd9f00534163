/**
 * The dynamic provider behind `K3sDatastoreCheck`: read-only. Registered with an id, so the engine
 * only ever calls `read`, at program time in preview and up alike (and again on refresh): it asks
 * every declared server that has an ssh block, over the same pinned-host-key SSH sessions as
 * K3sNodeConfig (providers/ssh pool), whether K3s's datastore directory exists.
 *
 * A server that cannot be asked (no ssh block, unreachable, login refused, the command failed) is
 * `unchecked` with the reason: the program decides what that means (bootstrap.ts). A host key
 * that does not match is an error, as everywhere else. The private key is read from the stack
 * config key the input names, in `configure`; it is never an input, an output or in a message.
 */
import type * as pulumi from "@pulumi/pulumi";
import { fromConfig, type ConfigSource } from "../../readback/credentials";
import { SshHostKeyMismatchError, sshSession } from "../../ssh";
import { K3S_DATASTORE_DIR, type DatastoreObservation } from "../bootstrap";
import type { NodeSshInputs } from "../node-config/provider";

export interface DatastoreCheckServer {
  name: string;
  /** Absent: the server has no ssh block and is not asked. */
  ssh?: NodeSshInputs;
}

type Props = Record<string, unknown>;

function runtime(): { config?: ConfigSource } {
  const g = globalThis as { __homelabK3sDatastoreCheck?: { config?: ConfigSource } };
  return (g.__homelabK3sDatastoreCheck ??= {});
}

const SCRIPT = `if [ -d '${K3S_DATASTORE_DIR}' ]; then echo datastore; else echo empty; fi\n`;

async function observe(server: DatastoreCheckServer): Promise<DatastoreObservation> {
  const { name, ssh } = server;
  if (!ssh) return { name, state: "unchecked", reason: "no ssh block" };
  const privateKey = fromConfig(runtime().config, ssh.privateKeyConfigKey);
  const redact = (text: string) => (privateKey && privateKey.length >= 6 ? text.split(privateKey).join("[secret]") : text);
  try {
    const session = await sshSession({ host: ssh.host, port: ssh.port, user: ssh.user, hostKey: ssh.hostKey }, { privateKey }, redact);
    const out = (await session.runAsRoot(SCRIPT, `checking ${K3S_DATASTORE_DIR}`)).toString("utf8").trim();
    if (out === "datastore" || out === "empty") return { name, state: out };
    return { name, state: "unchecked", reason: `unexpected answer ${JSON.stringify(out.slice(0, 40))}` };
  } catch (err) {
    if (err instanceof SshHostKeyMismatchError) {
      err.message = `K3s datastore check ${name}: ${err.message}`;
      throw err;
    }
    return { name, state: "unchecked", reason: redact((err as Error).message) };
  }
}

export const datastoreCheckProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req: pulumi.dynamic.ConfigureRequest) {
    runtime().config = req.config;
  },

  async create() {
    throw new Error("K3sDatastoreCheck is read-only: register it with an id (the resource class does), so the engine only reads it");
  },

  async read(id: string, props?: Props) {
    const servers = (props?.servers ?? []) as DatastoreCheckServer[];
    const observations = await Promise.all(servers.map(observe));
    return { id, props: { servers, observations } };
  },
};
