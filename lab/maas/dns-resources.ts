/**
 * DNS records (DNSResource) as far as legacy reservations touch them, from canonical/maas 3.5.7:
 * - op=reserve with `hostname` does `DNSResource.objects.get_or_create(name, domain)` and adds the new address to the
 *   record (`IPAddressesHandler._claim_ip`, src/maasserver/api/ip_addresses.py): the name lives here, never on the
 *   address, and `GET ipaddresses/` does not show it (`IPAddressesHandler.fields`).
 * - Deleting an address (op=release) deletes each record it was in that is left without addresses
 *   (`post_delete_clean_up_dns`, src/maasserver/models/signals/staticipaddress.py); records that still hold other
 *   addresses stay.
 * - `GET dnsresources/` (`DNSResourcesHandler.read`, src/maasserver/api/dnsresources.py) lists every record to any
 *   user, ordered by domain and name, with `id, fqdn, address_ttl, ip_addresses, resource_records`
 *   (DISPLAYED_DNSRESOURCE_FIELDS; addresses rendered like `GET ipaddresses/` rows). Filters: `domain` (unknown → 404
 *   "No Domain matches the given query."), `name`, `rrtype` (matches DNSData rows only, which the simulator has none
 *   of, so any rrtype lists nothing), `fqdn` (split into name and domain when neither is given). `all=true` adds
 *   synthetic records for MAAS's own nodes; the simulator has no nodes, so it adds nothing.
 * - A rename (UI, or `PUT dnsresources/{id}/`, admin only) goes through `DNSResource.clean`: a record holding
 *   addresses must keep a valid label (`validate_dnsresource_name`, NAMESPEC), and the "Labels must be unique within
 *   their zone" check runs only for new records, so a rename may duplicate a label. The simulator offers the rename
 *   out of band only (`renameDnsRecord`), with the same rules; PUT itself is not simulated.
 */
import { requireUser, type ApiContext, type Resource } from "./api-context";
import { badRequest, jsonReply, notFound, parseLenientBool, type Reply } from "./http-io";
import { renderStaticIp } from "./render";
import type { DnsResourceRow, MaasStore, StaticIpRow } from "./store";
import type { MaasFeatures } from "./version";

/** The only DNS domain the simulator knows (MAAS's default domain). */
export const DEFAULT_DOMAIN = "maas";

const NO_DOMAIN = "No Domain matches the given query.";
/** LABEL in src/maasserver/models/dnsresource.py (NAMESPEC for A/AAAA records). */
const LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,62}[a-zA-Z0-9])?$/;

export const fqdnOf = (r: DnsResourceRow): string => (r.name === "@" ? r.domain : `${r.name}.${r.domain}`);

/** op=reserve's `get_or_create(name=…, domain=…)` + `ip_addresses.add(sip)`. */
export function fileAddress(store: MaasStore, name: string, domain: string, sip: StaticIpRow): DnsResourceRow {
  let rr = store.state.dnsResources.find((r) => r.name === name && r.domain === domain);
  if (rr === undefined) {
    rr = { id: store.nextId("dnsresource"), name, domain, staticIpIds: [] };
    store.state.dnsResources.push(rr);
  }
  if (!rr.staticIpIds.includes(sip.id)) rr.staticIpIds.push(sip.id);
  return rr;
}

/** `post_delete_clean_up_dns`: drop the deleted address from its records, and the records it leaves empty. */
export function forgetAddress(state: { dnsResources: DnsResourceRow[] }, sipId: number): void {
  const held = state.dnsResources.filter((r) => r.staticIpIds.includes(sipId));
  for (const r of held) r.staticIpIds = r.staticIpIds.filter((id) => id !== sipId);
  state.dnsResources = state.dnsResources.filter((r) => !held.includes(r) || r.staticIpIds.length > 0);
}

/** FQDNs of the records holding a static IP, sorted. */
export function namesOf(store: MaasStore, sipId: number): string[] {
  return store.state.dnsResources.filter((r) => r.staticIpIds.includes(sipId)).map(fqdnOf).sort();
}

/**
 * An admin renames a DNS record in MAAS (Domains → the domain → the record → Edit, or `PUT dnsresources/{id}/`
 * name=…). `from` is the record's FQDN or bare label in the default domain. Throws what MAAS would refuse.
 */
export function renameDnsRecord(store: MaasStore, from: string, to: string): void {
  const what = "renameDnsRecord";
  const wanted = from.includes(".") ? from : `${from}.${DEFAULT_DOMAIN}`;
  const rr = store.state.dnsResources.find((r) => fqdnOf(r) === wanted);
  if (rr === undefined) {
    const names = store.state.dnsResources.map(fqdnOf).join(", ") || "none";
    throw new Error(`${what}(from): no DNS record ${wanted} (records: ${names}).`);
  }
  // DNSResourceForm.name is a required CharField; DNSResource.clean validates the label of a record with addresses.
  if (to === "") throw new Error(`${what}(to): MAAS refuses an empty name ("This field is required.").`);
  if (rr.staticIpIds.length > 0 && !LABEL.test(to)) throw new Error(`${what}(to): MAAS refuses it: "Invalid dnsresource name: ${to}."`);
  rr.name = to;
  store.save();
}

function renderDnsResource(store: MaasStore, r: DnsResourceRow, features: MaasFeatures): Record<string, unknown> {
  const addresses = r.staticIpIds
    .map((id) => store.state.staticIps.find((s) => s.id === id))
    .filter((s): s is StaticIpRow => s !== undefined)
    .map((s) => renderStaticIp(store, s, features));
  return { id: r.id, fqdn: fqdnOf(r), address_ttl: null, ip_addresses: addresses, resource_records: [], resource_uri: `/MAAS/api/2.0/dnsresources/${r.id}/` };
}

function read(ctx: ApiContext): Reply {
  requireUser(ctx);
  // Django's QueryDict.get: the last value.
  const q = (key: string): string | undefined => ctx.query.getAll(key).at(-1);
  let name = q("name");
  let domain = q("domain");
  const rrtype = q("rrtype");
  const all = q("all");
  if (all !== undefined && parseLenientBool(all) === null) throw badRequest("Invalid all: Value should be 'true' or 'false'");
  const fqdn = q("fqdn");
  if (domain === undefined && name === undefined && fqdn !== undefined) {
    if (fqdn === DEFAULT_DOMAIN) [name, domain] = ["@", fqdn];
    else {
      const dot = fqdn.indexOf(".");
      if (dot > 0) [name, domain] = [fqdn.slice(0, dot), fqdn.slice(dot + 1)];
    }
  }
  // Domain.objects.get_domain_or_404 by id or "name:<domain>"; the simulator's one domain has id 0.
  if (domain !== undefined && domain !== DEFAULT_DOMAIN && domain !== "0") throw notFound(NO_DOMAIN);
  const rows = ctx.store.state.dnsResources
    .filter((r) => name === undefined || r.name === name)
    .filter(() => rrtype === undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return jsonReply(200, rows.map((r) => renderDnsResource(ctx.store, r, ctx.features)));
}

export const dnsResourceResources: Resource[] = [{ name: "dnsresources", pattern: /^dnsresources\/$/, exports: { "GET ": read } }];
