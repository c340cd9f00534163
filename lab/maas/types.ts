/**
 * Public types of the MAAS 2.0 REST API simulator.
 *
 * Other modules (the MAAS client's tests, engine tests, the lab story) code against exactly these names, so they
 * live apart from the implementation and change only on purpose.
 */

/** Options for {@link startMaasSimulator}. */
export interface MaasSimOptions {
  /**
   * MAAS version reported by `GET /MAAS/api/2.0/version/`. Default "3.5.7" (the incident's MAAS).
   * "3.6.0" and later (including "3.6.0~rc1") enable `/reservedips/` (ref §0, §5).
   */
  version?: string;
  /** TCP port on 127.0.0.1; default 0 (ephemeral). The host is always 127.0.0.1. */
  port?: number;
  /**
   * JSON persistence. If given, state is loaded from this file at start (when it exists) and written after every
   * change, so a restart keeps reservations, leases, ids and API keys. When the file exists it wins over `seed`.
   */
  stateFile?: string;
  /** Initial subnets and IP ranges; default is the incident's network (192.168.4.0/24, dynamic pool .200–.230). */
  seed?: MaasSimSeed;
}

/** Initial network layout. Subnet ids default to 1, 2, … in order. */
export interface MaasSimSeed {
  subnets: Array<{
    id?: number;
    cidr: string;
    name?: string;
    gatewayIp?: string | null;
    dnsServers?: string[];
    ranges?: Array<{ type: "dynamic" | "reserved"; startIp: string; endIp: string; comment?: string }>;
  }>;
}

/** One reservation as seen out of band, whichever API generation created it. */
export interface SimReservation {
  /** reservedips: the numeric id as a string; ipaddresses (no id in MAAS): the IP itself. */
  id: string;
  ip: string;
  mac: string;
  subnetId: number;
  comment: string | null;
  /** ipaddresses: the DNS records holding the IP (label only in the default domain "maas"), ", "-joined; else null. */
  hostname: string | null;
  mechanism: "reservedips" | "ipaddresses";
}

/** What the simulator does to API requests on purpose. */
export interface FaultPlan {
  /** 0..1 probability that a request is faulted (drawn from a PRNG seeded by `seed`). */
  rate?: number;
  /**
   * What a fault is; default ["503", "reset"]. Successive faults take the kinds in turn (round robin), so a plan is
   * deterministic. 503 carries `Retry-After: 1` unless `retryAfter` is set.
   */
  kinds?: Array<"503" | "502" | "504" | "reset">;
  /** Seconds for Retry-After on 503 (can be 0). */
  retryAfter?: number;
  /** The next N API requests are faulted (deterministic), then `rate` applies. */
  burst?: number;
  /** Added latency, in milliseconds, on every API request. */
  delayMs?: number;
  /** Seed for the PRNG behind `rate`; default 1. */
  seed?: number;
  /**
   * If true a faulted *write* (POST/PUT/DELETE) is applied and then answered with the fault (a reset, or a
   * 502/503/504): the "ambiguous failure" where the client cannot know whether its write happened. Faulted reads
   * are always served (authenticated, nonce spent) before the fault is answered.
   */
  writesApplyBeforeFault?: boolean;
}

/** Request counters of one simulator process (not persisted). */
export interface SimCounters {
  total: number;
  reads: number;
  writes: number;
  faults: number;
  /** Keys like "GET reservedips", "GET reservedips/{id}", "POST ipaddresses op=reserve". */
  byRoute: Record<string, number>;
}

/** A running simulator. */
export interface MaasSimulator {
  /** "http://127.0.0.1:<port>/MAAS/" */
  readonly url: string;
  /** Admin API key "consumer:token:secret" (18/18/32 alphanumeric characters). */
  readonly apiKey: string;
  /** A non-admin user's key; writes on reservedips answer 403. */
  readonly userApiKey: string;
  readonly version: string;

  /** Delete the reservation holding `ip` (either generation); true if one existed. */
  dropReservation(ip: string): boolean;
  /**
   * Delete the reservation holding `ip` and reserve the address for another host's `mac` (a new reservation: MAAS
   * cannot change a MAC in place, ref §3.1, §7.7). On ≤ 3.5 the new legacy row belongs to the non-admin user.
   * Throws if none holds `ip`.
   */
  reassignReservation(ip: string, mac: string, comment?: string): SimReservation;
  /** Move a reservation to another IP. Throws if none holds `oldIp` or `newIp` is taken. */
  setReservationIp(oldIp: string, newIp: string): void;
  /**
   * Add a reservation "by hand", bypassing the API's validation: a reserved IP on MAAS ≥ 3.6, otherwise a legacy
   * USER_RESERVED address owned by the admin. Throws if no subnet contains `ip` or the IP is already reserved.
   */
  addReservation(r: { ip: string; mac: string; comment?: string; hostname?: string }): void;
  /**
   * An admin renames a DNS record in MAAS (UI, or `PUT dnsresources/{id}/` name=…): `from` is its FQDN or its label
   * in the default domain "maas". On MAAS ≤ 3.5 this is how a legacy reservation's hostname changes. Throws what MAAS
   * refuses (an invalid label for a record holding addresses).
   */
  renameDnsRecord(from: string, to: string): void;
  /** Change IP range `id` (1 = the seed's dynamic pool) out of band, as an admin does in the UI. */
  setIpRange(id: number, r: { startIp: string; endIp: string }): void;
  /** Every MAC→IP reservation of both generations. */
  reservations(): SimReservation[];

  /** A DHCP client with this MAC renews its lease (reservation, else its pool lease, else the lowest free pool IP). */
  dhcpRenew(mac: string): { ip: string; source: "reservation" | "lease" | "pool" };
  /** Current dynamic-pool leases. */
  leases(): Array<{ mac: string; ip: string }>;

  /** Fault injection for API requests (not for these out-of-band methods, nor for `/_sim/`). */
  setFaults(f: FaultPlan): void;
  clearFaults(): void;

  counters(): SimCounters;
  resetCounters(): void;
  close(): Promise<void>;
}
