/**
 * The dynamic provider behind `MaasReservation`.
 *
 * - check:  normalises inputs and gathers every failure at once; read-only MAAS lookups reject an
 *           IP inside a dynamic range (the RCA-2025-07-27 root cause) or already held by another
 *           MAC before anything is written.
 * - create: adopts an identical reservation made by hand, else reserves; a holder of the IP or MAC
 *           is named in the error.
 * - read:   returns the live object, `{}` when MAAS dropped it (refresh then shows a create), and a
 *           changed MAC/IP as a difference against the declaration (found by id, then by MAC).
 * - diff:   explicit; ip/mac/subnet replace (delete first), comment updates in place.
 * - delete: releases; already gone is success.
 *
 * Serialization (ref/pulumi.md §1.4–1.5): this object is stored in state as code. Methods build
 * the client at run time; the URL and secret API key come from `configure` (stack config
 * `maas:url`, `maas:apiKey`) or MAAS_URL / MAAS_API_KEY, never from a captured value. Per-process
 * state lives on globalThis because each serialized function gets its own copy of captured
 * variables. One list of reservations, ranges and subnets is shared by all resources in a run, so
 * a refresh costs a few requests whatever the number of nodes.
 */
import type * as pulumi from "@pulumi/pulumi";
import { MaasClient } from "../client";
import type { IpRange, Reservation, Subnet } from "../client/types";
import type { MaasReservationState } from "./args";
import {
  conflictsWith,
  diffReservation,
  dynamicRangeHolding,
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
  reservations?: Memo<Reservation[]>;
  ranges?: Memo<IpRange[]>;
  subnets?: Memo<Subnet[]>;
  /** IP → hostname claimed by `check` in this run, to catch the same IP declared twice. */
  claims?: Map<string, string>;
}

/** Lists are shared for this long within one engine run; any write clears them. */
const MEMO_MS = 30_000;

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

const reservations = () => memo("reservations", async () => (await client()).listReservations());
const ipRanges = () => memo("ranges", async () => (await client()).listIpRanges());
const subnets = () => memo("subnets", async () => (await client()).listSubnets());
const wrote = () => { runtime().reservations = undefined; };

function toInputs(s: Partial<MaasReservationState>): ReservationInputs {
  return { ip: s.ip ?? "", mac: s.mac ?? "", hostname: s.hostname ?? "", comment: s.comment ?? "", subnet: s.subnet ?? "" };
}

function refuseConflicts(conflicts: CheckFailure[]): void {
  if (conflicts.length) throw new Error(conflicts.map((c) => `${c.property}: ${c.reason}`).join("\n"));
}

export const reservationProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req: pulumi.dynamic.ConfigureRequest) {
    // Assigned before any await: the host may route another call here before configure returns.
    runtime().settings = Promise.resolve({ url: req.config.get("maas:url"), apiKey: req.config.get("maas:apiKey") });
  },

  // The engine passes no old inputs here (olds is {} even for existing resources), so checks
  // against live reservations wait for diff and create, which know which one is ours.
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = normalizeInputs(news);
    failures.push(...subnetFailures(inputs));
    const known = failures.length === 0 && inputs.ip !== UNKNOWN && inputs.mac !== UNKNOWN;
    if (known) {
      const claims = (runtime().claims ??= new Map());
      const other = claims.get(inputs.ip);
      if (other && other !== inputs.hostname)
        failures.push({ property: "ip", reason: `${inputs.ip} is declared for both ${other} and ${inputs.hostname}; every node needs its own address.` });
      else claims.set(inputs.ip, inputs.hostname);

      const [ranges, nets] = await Promise.all([ipRanges(), subnets()]);
      const range = dynamicRangeHolding(inputs.ip, ranges);
      if (range)
        failures.push({
          property: "ip",
          reason: `${inputs.ip} (${inputs.hostname}) is inside the MAAS dynamic range ${range.startIp}-${range.endIp}, so DHCP can hand it to another host (the RCA-2025-07-27 outage); choose an address outside that range.`,
        });
      const subnet = inputs.subnet ? nets.find((s) => s.cidr === inputs.subnet) : subnetFor(inputs.ip, nets);
      if (!subnet)
        failures.push({
          property: inputs.subnet ? "subnet" : "ip",
          reason: inputs.subnet
            ? `MAAS has no subnet ${inputs.subnet}; create it in MAAS or fix the subnet.`
            : `MAAS has no subnet containing ${inputs.ip} (${inputs.hostname}); create the subnet in MAAS or fix the address.`,
        });
    }
    return { inputs: { ...news, ...inputs }, failures };
  },

  async diff(_id: string, olds: MaasReservationState, news: Record<string, unknown>) {
    const inputs = toInputs(news as Partial<MaasReservationState>);
    const result = diffReservation(olds, inputs);
    // A replacement deletes first; refuse at preview, before anything is released, if the new
    // pair is already held by someone else.
    if (result.replaces.length && inputs.ip !== UNKNOWN && inputs.mac !== UNKNOWN)
      refuseConflicts(conflictsWith(inputs, await reservations(), { ip: olds.ip, mac: olds.mac }));
    return result;
  },

  async create(news: Record<string, unknown>) {
    const inputs = toInputs(news as Partial<MaasReservationState>);
    const maas = await client();
    // A reservation made by hand during an incident is adopted, not duplicated.
    const live = await maas.listReservations();
    const existing = live.find((r) => r.ip === inputs.ip && r.mac === inputs.mac);
    let created: Reservation;
    if (!existing) refuseConflicts(conflictsWith(inputs, live));
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
      } finally {
        wrote();
      }
    }
    const outs = stateFrom(created, inputs);
    return { id: outs.reservationId, outs };
  },

  async read(id: string, props: MaasReservationState) {
    const live = await reservations();
    const found =
      live.find((r) => r.mechanism === props.mechanism && r.id === id) ??
      // recreated by hand with a new id: same pair, adopt it
      live.find((r) => r.ip === props.ip && r.mac === props.mac) ??
      // moved to another IP (on MAAS <= 3.5 the IP is the id): surface it as an IP change
      live.find((r) => r.mechanism === props.mechanism && r.mac !== "" && r.mac === props.mac);
    if (!found) return {}; // gone: refresh drops it and the preview shows a create
    const outs = stateFrom(found, toInputs(props));
    return { id: found.id, props: outs };
  },

  async update(id: string, olds: MaasReservationState, news: Record<string, unknown>) {
    const inputs = toInputs(news as Partial<MaasReservationState>);
    if (olds.mechanism !== "reservedips" || (olds.comment ?? "") === inputs.comment)
      return { outs: { ...olds, hostname: inputs.hostname, comment: inputs.comment } };
    try {
      const updated = await (await client()).updateComment(id, inputs.comment);
      return { outs: stateFrom(updated, inputs) };
    } finally {
      wrote();
    }
  },

  async delete(id: string, props: MaasReservationState) {
    try {
      await (await client()).releaseReservation({ id, ip: props.ip, mechanism: props.mechanism });
    } finally {
      wrote();
    }
  },
};
