/**
 * The simulator's database: plain JSON-serialisable tables, optionally persisted to a file.
 *
 * MAAS keeps reservations in PostgreSQL, so they survive a region restart and ids keep increasing. The lab needs
 * the same (a restart must not "fix" a drift), hence every change is written to the state file at once, atomically
 * (write a temporary file, then rename). A file on disk is validated with zod before use, so a hand-edited or
 * truncated state fails loudly with the path of the bad field instead of corrupting the simulation.
 */
import { randomInt } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { mustParseIp, networkContains, parseIp, parseNetwork } from "./ip-math";
import type { MaasSimSeed } from "./types";

/** IPADDRESS_TYPE values used by the simulator (ref §3.2). */
export const ALLOC_TYPE = { AUTO: 0, STICKY: 1, USER_RESERVED: 4, DHCP: 5, DISCOVERED: 6 } as const;

export const ALLOC_TYPE_NAMES: Record<number, string> = {
  0: "Automatic",
  1: "Static",
  4: "User reserved",
  5: "DHCP",
  6: "Observed",
};

const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  isSuperuser: z.boolean(),
  consumerKey: z.string(),
  tokenKey: z.string(),
  tokenSecret: z.string(),
});

const vlanSchema = z.object({
  id: z.number().int(),
  vid: z.number().int(),
  name: z.string(),
  fabricId: z.number().int(),
  fabric: z.string(),
  mtu: z.number().int(),
  dhcpOn: z.boolean(),
  primaryRack: z.string().nullable(),
  secondaryRack: z.string().nullable(),
});

const subnetSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  cidr: z.string(),
  vlanId: z.number().int(),
  gatewayIp: z.string().nullable(),
  dnsServers: z.array(z.string()),
  managed: z.boolean(),
});

const ipRangeSchema = z.object({
  id: z.number().int(),
  subnetId: z.number().int(),
  type: z.enum(["dynamic", "reserved"]),
  startIp: z.string(),
  endIp: z.string(),
  comment: z.string(),
  userId: z.number().int().nullable(),
});

const reservedIpSchema = z.object({
  id: z.number().int(),
  ip: z.string(),
  subnetId: z.number().int(),
  macAddress: z.string(),
  comment: z.string().nullable(),
  created: z.string(),
  updated: z.string(),
});

const staticIpSchema = z.object({
  id: z.number().int(),
  ip: z.string(),
  subnetId: z.number().int(),
  allocType: z.number().int(),
  userId: z.number().int().nullable(),
  created: z.string(),
  updated: z.string(),
});

/**
 * A DNSResource (src/maasserver/models/dnsresource.py): a label in a domain holding static IPs, many-to-many. op=reserve
 * files its `hostname` here, not on the address (`IPAddressesHandler._claim_ip`, src/maasserver/api/ip_addresses.py).
 */
const dnsResourceSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  domain: z.string(),
  staticIpIds: z.array(z.number().int()),
});

const interfaceSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  type: z.literal("unknown"),
  macAddress: z.string(),
  vlanId: z.number().int().nullable(),
  staticIpIds: z.array(z.number().int()),
});

const leaseSchema = z.object({ mac: z.string(), ip: z.string(), subnetId: z.number().int() });

const tables = ["user", "vlan", "subnet", "iprange", "reservedip", "staticip", "interface", "dnsresource"] as const;
export type TableName = (typeof tables)[number];

const stateSchema = z.object({
  schema: z.literal(1),
  nextIds: z.object(Object.fromEntries(tables.map((t) => [t, t === "dnsresource" ? z.number().int().default(1) : z.number().int()])) as Record<TableName, z.ZodNumber>),
  users: z.array(userSchema),
  vlans: z.array(vlanSchema),
  subnets: z.array(subnetSchema),
  ipRanges: z.array(ipRangeSchema),
  reservedIps: z.array(reservedIpSchema),
  staticIps: z.array(staticIpSchema),
  interfaces: z.array(interfaceSchema),
  dnsResources: z.array(dnsResourceSchema).default([]),
  leases: z.array(leaseSchema),
});

export type UserRow = z.infer<typeof userSchema>;
export type VlanRow = z.infer<typeof vlanSchema>;
export type SubnetRow = z.infer<typeof subnetSchema>;
export type IpRangeRow = z.infer<typeof ipRangeSchema>;
export type ReservedIpRow = z.infer<typeof reservedIpSchema>;
export type StaticIpRow = z.infer<typeof staticIpSchema>;
export type InterfaceRow = z.infer<typeof interfaceSchema>;
export type DnsResourceRow = z.infer<typeof dnsResourceSchema>;
export type LeaseRow = z.infer<typeof leaseSchema>;
export type SimState = z.infer<typeof stateSchema>;

/**
 * The incident's network (seeds/000): one /24 with MAAS running DHCP. The dynamic pool holds the addresses the
 * VMs fell back to (.220–.222) and ends at .230, so the nodes' pinned .236–.238 are outside it: MAAS refuses a
 * reservation inside a dynamic range (ref §3.1, §3.2).
 */
export const INCIDENT_SEED: MaasSimSeed = {
  subnets: [
    {
      id: 1,
      cidr: "192.168.4.0/24",
      name: "192.168.4.0/24",
      gatewayIp: "192.168.4.1",
      dnsServers: ["192.168.4.53"],
      // As MAAS ships a subnet (ref/maas-api.md §4.1, §4.2): a gateway, and a reserved range at the bottom kept for
      // the router and other hosts MAAS does not manage, besides the dynamic pool.
      ranges: [
        { type: "dynamic", startIp: "192.168.4.200", endIp: "192.168.4.230", comment: "MAAS dynamic pool (holds the incident's .220-.222; the nodes' .236-.238 lie outside it)" },
        { type: "reserved", startIp: "192.168.4.1", endIp: "192.168.4.9", comment: "network gear (gateway .1)" },
      ],
    },
  ],
};

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random alphanumeric text, as Django-piston generates key and secret fields (ref §1.1). */
export function randomAlnum(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

function makeUser(id: number, username: string, isSuperuser: boolean): UserRow {
  return {
    id,
    username,
    email: `${username}@example.com`,
    isSuperuser,
    consumerKey: randomAlnum(18),
    tokenKey: randomAlnum(18),
    tokenSecret: randomAlnum(32),
  };
}

/** Build a fresh state from a seed; throws with the offending field when the seed is not a usable network. */
export function stateFromSeed(seed: MaasSimSeed): SimState {
  const vlan: VlanRow = {
    id: 5001,
    vid: 0,
    name: "untagged",
    fabricId: 0,
    fabric: "fabric-0",
    mtu: 1500,
    dhcpOn: true,
    primaryRack: "4y3h7n",
    secondaryRack: null,
  };
  const state: SimState = {
    schema: 1,
    nextIds: { user: 3, vlan: 5002, subnet: 1, iprange: 1, reservedip: 1, staticip: 1, interface: 1, dnsresource: 1 },
    users: [makeUser(1, "admin", true), makeUser(2, "user", false)],
    vlans: [vlan],
    subnets: [],
    ipRanges: [],
    reservedIps: [],
    staticIps: [],
    interfaces: [],
    dnsResources: [],
    leases: [],
  };
  const usedIds = new Set<number>();
  seed.subnets.forEach((s, i) => {
    const where = `seed.subnets[${i}]`;
    const net = parseNetwork(s.cidr);
    if (net === null) throw new Error(`${where}.cidr: "${s.cidr}" is not a CIDR; write e.g. "192.168.4.0/24".`);
    const id = s.id ?? Math.max(0, ...usedIds) + 1;
    if (usedIds.has(id)) throw new Error(`${where}.id: ${id} is used by another subnet; give each subnet its own id.`);
    usedIds.add(id);
    const inside = (ip: string, field: string): string => {
      const parsed = parseIp(ip);
      if (parsed === null || !networkContains(net, parsed)) {
        throw new Error(`${where}.${field}: "${ip}" is not an address inside ${net.cidr}.`);
      }
      return parsed.text;
    };
    const gatewayIp = s.gatewayIp === undefined || s.gatewayIp === null ? null : inside(s.gatewayIp, "gatewayIp");
    state.subnets.push({
      id,
      name: s.name ?? net.cidr,
      description: "",
      cidr: net.cidr,
      vlanId: vlan.id,
      gatewayIp,
      dnsServers: [...(s.dnsServers ?? [])],
      managed: true,
    });
    (s.ranges ?? []).forEach((r, j) => {
      const start = inside(r.startIp, `ranges[${j}].startIp`);
      const end = inside(r.endIp, `ranges[${j}].endIp`);
      if (mustParseIp(end).value < mustParseIp(start).value) {
        throw new Error(`${where}.ranges[${j}]: endIp ${end} is below startIp ${start}; swap them.`);
      }
      state.ipRanges.push({
        id: state.nextIds.iprange++,
        subnetId: id,
        type: r.type,
        startIp: start,
        endIp: end,
        comment: r.comment ?? "",
        userId: 1,
      });
    });
  });
  state.nextIds.subnet = Math.max(0, ...usedIds) + 1;
  return state;
}

/** Holds the state and writes it to `file` (if any) after each change. */
export class MaasStore {
  constructor(
    readonly state: SimState,
    private readonly file?: string,
  ) {}

  /** Load `file` when it exists, otherwise start from `seed` (and write it when a file is configured). */
  static open(seed: MaasSimSeed, file?: string): MaasStore {
    if (file !== undefined && existsSync(file)) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, "utf8"));
      } catch (err) {
        throw new Error(`MAAS simulator state file ${file} is not valid JSON (${(err as Error).message}); delete it to start fresh.`);
      }
      const parsed = stateSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(
          `MAAS simulator state file ${file} is not a simulator state: ${issue.path.join(".") || "(root)"}: ${issue.message}; delete it to start fresh.`,
        );
      }
      return new MaasStore(parsed.data, file);
    }
    const store = new MaasStore(stateFromSeed(seed), file);
    store.save();
    return store;
  }

  nextId(table: TableName): number {
    return this.state.nextIds[table]++;
  }

  /** Persist now (no-op without a state file). */
  save(): void {
    if (this.file === undefined) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2));
    renameSync(tmp, this.file);
  }

  user(id: number | null): UserRow | undefined {
    return id === null ? undefined : this.state.users.find((u) => u.id === id);
  }

  subnet(id: number): SubnetRow | undefined {
    return this.state.subnets.find((s) => s.id === id);
  }

  vlan(id: number | null): VlanRow | undefined {
    return id === null ? undefined : this.state.vlans.find((v) => v.id === id);
  }

  /** Interfaces linked to a static IP. */
  interfacesOf(staticIpId: number): InterfaceRow[] {
    return this.state.interfaces.filter((i) => i.staticIpIds.includes(staticIpId));
  }
}
