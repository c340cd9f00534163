/**
 * The dynamic provider behind `MaasReservation`.
 *
 * - check:  normalises inputs and gathers every failure at once. For a reservation MAAS does not hold yet it then
 *           validates with MAAS's own data before anything is written: subnet, network/broadcast/gateway, dynamic
 *           and reserved ranges, the IP or MAC held by a reservation this stack does not own (named: id, MAC,
 *           comment, owner), and the same IP or MAC (any spelling) declared twice in this run.
 * - create: adopts an identical reservation (either generation: made by hand, or made before a MAAS upgrade),
 *           else reserves; a conflict is refused before any write.
 * - read:   returns the live object, `{}` when MAAS dropped it (refresh then shows a create). MAAS never changes a
 *           reservation's MAC (ref/maas-api.md §3.1, §7.7), so a reservation under our id with another MAC is
 *           another host's (on MAAS ≤ 3.5 the IP is the id) and ours is gone. A dynamic range now covering the
 *           reservation is reported in `insideDynamicRange` (drift on that node). On MAAS ≤ 3.5 the hostname is
 *           read from the IP's DNS records (renamed or deleted in MAAS: drift).
 * - diff:   explicit; ip/mac/subnet replace (delete first, refused at preview if another reservation holds the
 *           new pair), so does a legacy reservation's hostname; the comment updates in place.
 * - delete: releases only what is still ours; already gone is success.
 *
 * Serialization (ref/pulumi.md §1.4–1.5): this object is stored in state as code. Methods build
 * the client at run time; the URL and secret API key come from `configure` (stack config
 * `maas:url`, `maas:apiKey`) or MAAS_URL / MAAS_API_KEY, never from a captured value. Per-process
 * state lives on globalThis because each serialized function gets its own copy of captured
 * variables. One list of reservations, ranges and subnets is shared by all resources in a run, so
 * a refresh costs a few requests whatever the number of nodes.
 */
import type * as pulumi from "@pulumi/pulumi";
import { isKnownVersion, mechanismForVersion, MaasClient } from "../client";
import type { IpRange, Reservation, ReservationMechanism, ReservationView, Subnet } from "../client/types";
import type { MaasReservationState } from "./args";
import {
  conflictsWith,
  diffReservation,
  dynamicRangeHolding,
  HIDDEN_OTHERS_NOTE,
  liveHostname,
  networkFailures,
  normalizeInputs,
  stateFrom,
  subnetFailures,
  subnetFor,
  UNKNOWN,
  type CheckFailure,
  type ReservationInputs,
} from "./model";

interface Settings { url?: string; apiKey?: string }
interface Memo<T> { at: number; value: Promise<T> }
interface RuntimeState {
  settings?: Promise<Settings>;
  client?: { key: string; client: MaasClient };
  reservations?: Memo<ReservationView>;
  ranges?: Memo<IpRange[]>;
  subnets?: Memo<Subnet[]>;
  /** "ip …" / "mac …" → hostname claimed by `check` in this run, to catch the same IP or MAC declared twice. */
  claims?: Map<string, string>;
  /**
   * Live reservations `read` matched to this stack's state in this run ("mechanism id mac"). The engine gives
   * `check` no old inputs (README, design notes), so this is how `check` tells our reservation (being replaced)
   * from another host's. The dynamic provider host is one process per engine run.
   */
  owned?: Set<string>;
}

/**
 * Lists are shared for this long within one engine run (one provider process per run); a delete or update clears
 * them, a create adds to them. Long enough for a refresh of thousands of reservations to cost one list.
 */
const MEMO_MS = 300_000;

function runtime(): RuntimeState {
  const g = globalThis as { __homelabMaasReservation?: RuntimeState };
  return (g.__homelabMaasReservation ??= {});
}

async function client(): Promise<MaasClient> {
  const state = runtime();
  const settings: Settings = await (state.settings ?? Promise.resolve({}));
  const url = settings.url || process.env.MAAS_URL;
  const apiKey = settings.apiKey || process.env.MAAS_API_KEY;
  if (!url) throw new Error("MAAS is not configured: run `pulumi config set maas:url http://<region>:5240/MAAS/` (or set MAAS_URL).");
  if (!apiKey) throw new Error("The MAAS API key is not configured: run `pulumi config set --secret maas:apiKey <consumer:token:secret>` (or set MAAS_API_KEY).");
  const key = `${url}\n${apiKey}`;
  if (state.client?.key !== key) state.client = { key, client: new MaasClient({ url, apiKey }) };
  return state.client.client;
}

function memo<T>(slot: "reservations" | "ranges" | "subnets", load: () => Promise<T>): Promise<T> {
  const state = runtime() as Record<string, Memo<T> | undefined>;
  const hit = state[slot];
  if (hit && Date.now() - hit.at < MEMO_MS) return hit.value;
  const value = load();
  state[slot] = { at: Date.now(), value };
  value.catch(() => (state[slot] = undefined));
  return value;
}

const reservationView = () => memo("reservations", async () => (await client()).reservationView());
const reservations = async () => (await reservationView()).reservations;
const ownedKey = (r: Pick<Reservation, "mechanism" | "id" | "mac">) => `${r.mechanism} ${r.id} ${r.mac}`;
const owned = () => (runtime().owned ??= new Set());
const ipRanges = () => memo("ranges", async () => (await client()).listIpRanges());
const subnets = () => memo("subnets", async () => (await client()).listSubnets());
const wrote = () => { runtime().reservations = undefined; };
function remember(r: Reservation): void {
  const hit = runtime().reservations;
  if (hit) hit.value = hit.value.then((v) => ({ ...v, reservations: [...v.reservations, r] }));
}

function toInputs(s: Partial<MaasReservationState>): ReservationInputs {
  return { ip: s.ip ?? "", mac: s.mac ?? "", hostname: s.hostname ?? "", comment: s.comment ?? "", subnet: s.subnet ?? "" };
}

function refuseConflicts(conflicts: CheckFailure[], view?: ReservationView): void {
  if (conflicts.length)
    throw new Error(conflicts.map((c) => `${c.property}: ${c.reason}`).join("\n") + (view && !view.othersVisible ? HIDDEN_OTHERS_NOTE : ""));
}

/**
 * The MAAS version must be one this provider can place, and must not have gone below what made the reservation:
 * a `reservedips` reservation on a MAAS < 3.6 means a downgrade (or the wrong MAAS), and nothing can be read.
 */
async function versionGate(stateMechanism?: ReservationMechanism): Promise<void> {
  const maas = await client();
  const v = await maas.version();
  if (!isKnownVersion(v))
    throw new Error(
      `MAAS at ${maas.url} reports version "${v.raw}", which is not a MAAS release number (e.g. 3.5.7); without it the provider cannot tell which reservation API is authoritative. Check that the region controller is fully up (\`maas status\`) and run again.`,
    );
  if (stateMechanism === "reservedips" && mechanismForVersion(v) !== "reservedips")
    throw new Error(
      `MAAS at ${maas.url} reports ${v.raw}, but this stack's reservations were made with reservedips, which exists only from MAAS 3.6.0 on: MAAS was downgraded (or maas:url points at another MAAS). Downgrades are not supported; point maas:url at the MAAS 3.6+ region again.`,
    );
}

/** Claims the IP and the MAC for this hostname in this run; a second hostname claiming either is an error. */
function claim(inputs: ReservationInputs): CheckFailure[] {
  const claims = (runtime().claims ??= new Map());
  const failures: CheckFailure[] = [];
  for (const [property, value] of [["ip", inputs.ip], ["mac", inputs.mac]] as const) {
    const key = `${property} ${value}`;
    const other = claims.get(key);
    if (other && other !== inputs.hostname)
      failures.push({
        property,
        reason: `${value} is declared for both ${other} and ${inputs.hostname}${property === "mac" ? " (MACs compared after normalising, so bc-24-… and BC:24:… are the same)" : ""}; every node needs its own ${property === "ip" ? "address" : "MAC"}.`,
      });
    else claims.set(key, inputs.hostname);
  }
  return failures;
}

export const reservationProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req: pulumi.dynamic.ConfigureRequest) {
    // Assigned before any await: the host may route another call here before configure returns.
    runtime().settings = Promise.resolve({ url: req.config.get("maas:url"), apiKey: req.config.get("maas:apiKey") });
  },

  // The engine passes no old inputs here (olds is {} even for existing resources); `read` (refresh) records which
  // live reservations are ours, so a replacement is not taken for a conflict.
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = normalizeInputs(news);
    failures.push(...subnetFailures(inputs));
    const known = failures.length === 0 && inputs.ip !== UNKNOWN && inputs.mac !== UNKNOWN;
    if (known) {
      failures.push(...claim(inputs));
      await versionGate();
      const [ranges, nets, view] = await Promise.all([ipRanges(), subnets(), reservationView()]);
      const subnet = inputs.subnet ? nets.find((s) => s.cidr === inputs.subnet) : subnetFor(inputs.ip, nets);
      const existing = view.reservations.find((r) => r.ip === inputs.ip && r.mac === inputs.mac);
      if (!subnet)
        failures.push({
          property: inputs.subnet ? "subnet" : "ip",
          reason: inputs.subnet
            ? `MAAS has no subnet ${inputs.subnet}; create it in MAAS or fix the subnet.`
            : `MAAS has no subnet containing ${inputs.ip} (${inputs.hostname}); create the subnet in MAAS or fix the address.`,
        });
      else if (!existing) failures.push(...networkFailures(inputs, subnet, ranges));
      // A reservation MAAS already holds for this pair is adopted or kept; a range widened over it later is drift
      // (see read), not bad input.
      if (!existing) {
        // Ours: matched by `read` in this process, or labelled with this node's name (the comment on ≥ 3.6, a DNS
        // record of the IP on ≤ 3.5) — the engine may run the refresh in another provider process. A wrong guess here is
        // still safe: `diff` (which has the stored pair) and `create` refuse a holder that is not ours.
        const mine = owned();
        const labelled = (r: Reservation) =>
          r.comment === inputs.hostname || r.comment === inputs.comment || (r.dnsNames !== null && liveHostname(r, inputs.hostname) === inputs.hostname);
        // A legacy reservation's label is a DNS record anyone may rename or delete in MAAS (or absent: MAAS ≥ 3.6
        // does not read it), so a legacy reservation of this MAC on another IP — this node's own before an IP
        // change, the everyday case — is not refused here whatever its name, nor an unlabelled reserved IP. Both
        // are left to `diff`, which compares them with the stored pair, and to `create`, which refuses them before
        // any write.
        const sameMacNoComment = (r: Reservation) => r.mac === inputs.mac && r.ip !== inputs.ip && !r.comment;
        const conflicts = conflictsWith(inputs, view.reservations, (r) => mine.has(ownedKey(r)) || labelled(r) || sameMacNoComment(r));
        if (conflicts.length && !view.othersVisible) conflicts[conflicts.length - 1]!.reason += HIDDEN_OTHERS_NOTE;
        failures.push(...conflicts);
      }
    }
    return { inputs: { ...news, ...inputs, insideDynamicRange: "" }, failures };
  },

  async diff(_id: string, olds: MaasReservationState, news: Record<string, unknown>) {
    const inputs = toInputs(news as Partial<MaasReservationState>);
    const result = diffReservation(olds, inputs);
    // A replacement deletes first; refuse at preview, before anything is released, if the new
    // pair is already held by someone else.
    if (result.replaces.length && inputs.ip !== UNKNOWN && inputs.mac !== UNKNOWN) {
      const view = await reservationView();
      const mine = owned();
      const ours = (r: Reservation) => (r.ip === olds.ip && r.mac === olds.mac) || mine.has(ownedKey(r));
      refuseConflicts(conflictsWith(inputs, view.reservations, ours), view);
    }
    return result;
  },

  async create(news: Record<string, unknown>) {
    const inputs = toInputs(news as Partial<MaasReservationState>);
    const maas = await client();
    await versionGate();
    // A reservation made by hand during an incident, or through ipaddresses before MAAS was upgraded to 3.6, is
    // adopted, not duplicated: one reservation per MAC.
    const view = await reservationView();
    const live = view.reservations;
    const existing = live.find((r) => r.ip === inputs.ip && r.mac === inputs.mac);
    let created: Reservation;
    if (!existing) refuseConflicts(conflictsWith(inputs, live), view);
    if (existing) {
      created = existing;
      if (existing.mechanism === "reservedips" && (existing.comment ?? "") !== inputs.comment)
        created = await maas.updateComment(existing.id, inputs.comment);
    } else {
      try {
        created = await maas.createReservation({
          ip: inputs.ip,
          mac: inputs.mac,
          comment: inputs.comment,
          hostname: inputs.hostname,
          ...(inputs.subnet ? { subnet: `cidr:${inputs.subnet}` } : {}),
        });
      } catch (err) {
        wrote();
        // MAAS saw a holder this key could not list: say so, or the refusal looks like a MAAS bug.
        if (!view.othersVisible && err instanceof Error && /already|does not match/i.test(err.message)) err.message += HIDDEN_OTHERS_NOTE;
        throw err;
      }
      // Keep the shared list current instead of listing again: a create of N reservations costs N writes and
      // nothing else that grows with N.
      remember(created);
    }
    const outs = stateFrom(created, inputs);
    return { id: outs.reservationId, outs };
  },

  async read(id: string, props: MaasReservationState) {
    await versionGate(props.mechanism);
    const live = await reservations();
    const found =
      // MAAS never changes a reservation's MAC, so our id with another MAC is another host's reservation (on
      // MAAS <= 3.5 the IP is the id): ours is gone and that one is not ours to release.
      live.find((r) => r.mechanism === props.mechanism && r.id === id && r.mac === props.mac) ??
      // recreated by hand with a new id, or still the legacy one after an upgrade: same pair, adopt it
      live.find((r) => r.ip === props.ip && r.mac === props.mac) ??
      // moved to another IP: surface it as an IP change
      live.find((r) => r.mechanism === props.mechanism && r.mac !== "" && r.mac === props.mac);
    if (!found) return {}; // gone: refresh drops it and the preview shows a create (check names any holder of the IP)
    owned().add(ownedKey(found));
    const outs = stateFrom(found, toInputs(props));
    const range = dynamicRangeHolding(found.ip, await ipRanges());
    if (range) outs.insideDynamicRange = `${range.startIp}-${range.endIp}`;
    return { id: found.id, props: outs };
  },

  async update(id: string, olds: MaasReservationState, news: Record<string, unknown>) {
    const inputs = toInputs(news as Partial<MaasReservationState>);
    if (olds.insideDynamicRange)
      throw new Error(
        `${olds.hostname}: MAAS's dynamic range ${olds.insideDynamicRange} now covers the reserved ${olds.ip}, so DHCP can hand it to another host. ` +
          "Pulumi cannot fix this: shrink the dynamic range in MAAS (Subnets → the subnet → Reserved ranges) so it excludes the address, then run again.",
      );
    if (olds.mechanism !== "reservedips" || (olds.comment ?? "") === inputs.comment)
      return { outs: { ...olds, hostname: inputs.hostname, comment: inputs.comment, insideDynamicRange: "" } };
    try {
      const updated = await (await client()).updateComment(id, inputs.comment);
      return { outs: stateFrom(updated, inputs) };
    } finally {
      wrote();
    }
  },

  async delete(id: string, props: MaasReservationState) {
    const maas = await client();
    // Release only what is still ours: on MAAS <= 3.5 the IP is the id, and another host may hold it now.
    const ours = (await reservations()).find((r) => r.mechanism === props.mechanism && r.id === id);
    if (ours && props.mac && ours.mac !== props.mac) return;
    try {
      await maas.releaseReservation({ id, ip: props.ip, mechanism: props.mechanism });
    } finally {
      wrote();
    }
  },
};
