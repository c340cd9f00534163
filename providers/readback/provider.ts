/**
 * The read-back's dynamic provider. It owns nothing outside Pulumi state: `create`, `update` and
 * `read` each *observe* the node (Kubernetes Node object, guest agent via Proxmox) and store what it
 * reports under the input names; `diff` compares that with what the node should report, field by
 * field, and never asks for a replacement. With `options.refresh: always` every preview re-reads the
 * node, so a node on a pool address (RCA-2025-07-27) or with a stale flannel address (seed 004)
 * shows as an update of `<node>-readback`, with the live and expected value per field.
 *
 * Never fails a deployment because a node is wrong (a warning instead), and never fails a refresh
 * because a node cannot be reached. A source that cannot be asked is *unverified*, not drift: the
 * previous values are kept, `reachable.<source> = false`, `unverified` says why and how to fix
 * it, the run shows one engine warning per node (providers/dynamic/engine-log.ts), and `diff`
 * ignores that source's fields, so `up` converges and the next preview is clean.
 *
 * Serialization (ref/pulumi.md §1.4–1.5): a plain object literal; clients and TLS material are built
 * inside the methods; credentials are read from the stack config handed to `configure` (or the
 * environment) at run time; warnings go through engine-log, never `pulumi.log`. (State holds only
 * the forwarding provider, so this module is loaded, not serialized.)
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  checkReadbackInputs,
  sameSubject,
  stateOf,
  subjectOf,
  withExpectation,
  type NodeReadbackInputs,
  type NodeReadbackState,
  type ReadbackSubject,
} from "./inputs";
import type { ConfigSource } from "./credentials";
import { observeNode } from "./observe";
import { compareObservation, describeMismatches, describeUnverified, expectedObservation, type NodeObservation } from "./observation";
import { engineLog } from "../dynamic/engine-log";

/**
 * Stack config from `configure`. It is stored synchronously on the first line of `configure`, so it
 * is in place before the host can hand the cached provider to a concurrent call (pitfall 7).
 */
const session: { config?: ConfigSource } = {};

/** One warning per unverified node (every operation that observes: create, read, update). */
async function warnIfUnverified(subject: ReadbackSubject, observation: NodeObservation): Promise<void> {
  if (observation.unverified.length === 0) return;
  await engineLog("warning", describeUnverified(subject.nodeName, observation.unverified), subject.logUrn);
}

/** After create/update: the node was observed and does not report what it should. */
async function warnIfInconsistent(subject: ReadbackSubject, observation: NodeObservation): Promise<void> {
  await warnIfUnverified(subject, observation);
  const mismatches = compareObservation(expectedObservation(subject), observation);
  if (mismatches.length === 0) return;
  await engineLog(
    "warning",
    `NodeReadback ${subject.nodeName}: the node does not report its pinned addressing: ${describeMismatches(mismatches)}. ` +
      "The deployment continues; `npm run drift -- --stack <stack>` shows the consequences and the fix.",
    subject.logUrn,
  );
}

async function observe(subject: ReadbackSubject, previous?: Partial<NodeObservation>): Promise<NodeObservation> {
  try {
    return await observeNode(subject, session.config, process.env, previous);
  } catch (err) {
    // observeNode is written not to throw; this keeps a refresh alive even if it does.
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ip: previous?.ip ?? null,
      nodeIp: previous?.nodeIp ?? null,
      flannelIface: previous?.flannelIface ?? null,
      flannelPublicIp: previous?.flannelPublicIp ?? null,
      agentIp: previous?.agentIp ?? null,
      reachable: { kube: false, proxmox: false },
      errors: [`the read-back failed unexpectedly: ${reason}`],
      unverified: (["kube", "proxmox"] as const)
        .filter((source) => subject[source])
        .map((source) => ({ source, reason: `the read-back failed unexpectedly: ${reason}`, fix: "report this as a bug with the preview's output" })),
    };
  }
}

export const readbackProvider: pulumi.dynamic.ResourceProvider<NodeReadbackInputs, NodeReadbackState> = {
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    session.config = req.config;
  },

  async check(_olds: NodeReadbackInputs, news: NodeReadbackInputs): Promise<pulumi.dynamic.CheckResult<NodeReadbackInputs>> {
    const failures = checkReadbackInputs(news);
    if (failures.length) return { inputs: news, failures };
    const subject = subjectOf(news);
    // Spread `news` first so whatever the engine added (notably __provider) stays alongside.
    return { inputs: { ...news, ...withExpectation(subject) } };
  },

  async diff(_id: string, olds: NodeReadbackState, news: NodeReadbackInputs): Promise<pulumi.dynamic.DiffResult> {
    // What to observe changed (another node, MAC or source, or where warnings go) → update; else
    // compare the observation. Unverified sources are not compared (compareObservation).
    const subjectChanged = !sameSubject(olds, news) || (olds.logUrn ?? null) !== (news.logUrn ?? null);
    const mismatches = compareObservation(expectedObservation(subjectOf(news)), olds);
    return { changes: subjectChanged || mismatches.length > 0 };
  },

  async create(inputs: NodeReadbackInputs): Promise<pulumi.dynamic.CreateResult<NodeReadbackState>> {
    const subject = subjectOf(inputs);
    const observation = await observe(subject);
    await warnIfInconsistent(subject, observation);
    return { id: subject.nodeName, outs: stateOf(subject, observation) };
  },

  async read(id: string, props?: NodeReadbackState): Promise<pulumi.dynamic.ReadResult<NodeReadbackState>> {
    const previous: Partial<NodeReadbackState> = props ?? {};
    // On read the stored observation stands in for the inputs (`ip`, `flannelIface` = last seen).
    const subject = subjectOf({ ...previous, nodeName: previous.nodeName ?? id });
    const observation = await observe(subject, previous);
    await warnIfUnverified(subject, observation);
    return { id, props: stateOf(subject, observation) };
  },

  async update(_id: string, olds: NodeReadbackState, news: NodeReadbackInputs): Promise<pulumi.dynamic.UpdateResult<NodeReadbackState>> {
    const subject = subjectOf(news);
    // Keep old values only while observing the same node through the same sources.
    const observation = await observe(subject, sameSubject(olds, news) ? olds : undefined);
    await warnIfInconsistent(subject, observation);
    return { outs: stateOf(subject, observation) };
  },

  async delete(): Promise<void> {
    // Nothing outside Pulumi state belongs to a read-back.
  },
};
