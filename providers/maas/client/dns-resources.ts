/**
 * MAAS ≤ 3.5 keeps a legacy reservation's hostname only as a DNS record, so reading it back takes `dnsresources/`.
 * From the MAAS source (canonical/maas, tag 3.5.7):
 * - `IPAddressesHandler.fields` (src/maasserver/api/ip_addresses.py) has no hostname: a `GET ipaddresses/` row is
 *   alloc_type, alloc_type_name, created, ip, owner, interface_set, subnet.
 * - `IPAddressesHandler._claim_ip` (same file) puts op=reserve's `hostname` into a DNSResource:
 *   `DNSResource.objects.get_or_create(name=<label>, domain=<its domain or the default>)`, then adds the address to
 *   its `ip_addresses` (many-to-many: a record may hold several addresses, an address may be in several records).
 * - `DNSResourcesHandler.read` (src/maasserver/api/dnsresources.py) lists every DNSResource to any authenticated
 *   user (`get_dnsresource_queryset` has no user filter without `all`; DNSResource is in UNRESTRICTED_READ_MODELS,
 *   src/maasserver/auth/local.py) with DISPLAYED_DNSRESOURCE_FIELDS: id, fqdn, address_ttl, ip_addresses (each
 *   rendered with IPAddressesHandler's fields, so `ip` is there: test_dnsresources.py reads ip_addresses[0]["ip"]),
 *   resource_records. There is no `name` field; `fqdn` is "<name>.<domain>".
 * - A rename in MAAS (UI, or `PUT dnsresources/{id}/`, `DNSResourceHandler.update`) changes this record, so this
 *   list shows it. Releasing the address deletes a record left without addresses
 *   (`post_delete_clean_up_dns`, src/maasserver/models/signals/staticipaddress.py).
 */
import { z } from "zod";
import { canonicalIp } from "./canonical-ip";

export const DNS_RESOURCES_PATH = "dnsresources/";

export const dnsResourceSchema = () =>
  z.object({
    fqdn: z.string().nullish(),
    // null for the synthetic records `all=true` adds; this client never asks for those.
    ip_addresses: z.array(z.object({ ip: z.string().nullish() })).nullish(),
  });
export type DnsResourceBody = z.infer<ReturnType<typeof dnsResourceSchema>>;

/** Canonical IP → the FQDNs of the DNS records holding it, sorted and without duplicates. */
export function namesByIp(rows: DnsResourceBody[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!row.fqdn) continue;
    for (const a of row.ip_addresses ?? []) {
      const ip = a.ip ? canonicalIp(a.ip) : null;
      if (ip === null) continue;
      let names = out.get(ip);
      if (!names) out.set(ip, (names = new Set()));
      names.add(row.fqdn);
    }
  }
  return new Map([...out].map(([ip, names]) => [ip, [...names].sort()]));
}
