/**
 * MAAS 3.6's ReservedIPForm, step by step (ref §3.1, §8).
 *
 * The order matters because it decides which messages appear together:
 *   1. fields in Meta order ip, subnet, mac_address, comment; each field's own cleaning, then its clean_<field>;
 *   2. the form's clean(): on update the raw-string immutability check, otherwise the dynamic-range check;
 *   3. model validation, skipping every field that already has an error: blank/format of the stored MAC, comment
 *      length, the (mac_address, subnet) unique constraint under `__all__`, then the unique `ip` column.
 * Quirks kept on purpose: the MAC field skips its required check (a missing MAC is "cannot be blank"); clean_ip
 * compares the *raw* submitted MAC with the MACs of a legacy StaticIPAddress; a duplicate-IP error is dropped when
 * the IP already has another error; on update, fields left out are filled from the stored row and ip/mac/subnet
 * are then compared with the stored values as raw values (so any string `subnet` fails).
 */
import type { FieldErrors, RequestData } from "./http-io";
import { mustParseNetwork, parseIp, type ParsedIp } from "./ip-math";
import { invalidMacMessage, MAC_INPUT_PATTERN, MAC_STORAGE_PATTERN, normaliseMac } from "./mac";
import type { MaasStore, ReservedIpRow, SubnetRow } from "./store";
import { bestSubnetForIp, dynamicRangeFor, subnetObjectId, subnetsBySpecifier } from "./subnet-query";

export const IMMUTABLE_MESSAGE =
  "The ip, mac_address and the subnet of a reserved IP are immutable. Delete the entry and recreate it.";

const COMMENT_MAX_LENGTH = 255;

export interface ReservedIpValues {
  ip: string;
  subnetId: number;
  macAddress: string;
  comment: string;
}

export type ReservedIpFormResult = { ok: true; values: ReservedIpValues } | { ok: false; errors: FieldErrors };

/** Python's str() of a submitted value, as Django's CharField.to_python sees it. */
function pyStr(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The message Django's GenericIPAddressField gives for an unparsable value. */
export function invalidIpMessage(text: string): string {
  return text.includes(":") ? "This is not a valid IPv6 address." : "Enter a valid IPv4 or IPv6 address.";
}

class ErrorList {
  readonly errors: FieldErrors = {};
  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }
  has(field: string): boolean {
    return field in this.errors;
  }
  get empty(): boolean {
    return Object.keys(this.errors).length === 0;
  }
}

/** The submitted data with, on update, fields left out filled from the stored row (APIEditMixin). */
function mergedData(data: RequestData, instance: ReservedIpRow | null): (key: string) => unknown {
  return (key) => {
    if (data.has(key) || instance === null) return data.get(key);
    switch (key) {
      case "ip":
        return instance.ip;
      case "subnet":
        return instance.subnetId;
      case "mac_address":
        return instance.macAddress;
      case "comment":
        return instance.comment;
      default:
        return undefined;
    }
  };
}

/** SpecifierOrModelChoiceField: an id (int or digit string), else a specifier string. */
function resolveSubnetField(store: MaasStore, raw: unknown): { subnet: SubnetRow | null } | { error: string } {
  const invalidChoice = "Select a valid choice. That choice is not one of the available choices.";
  if (raw === undefined || raw === null || raw === "") return { subnet: null };
  if (typeof raw === "number") {
    const byPk = Number.isInteger(raw) ? store.subnet(raw) : undefined;
    return byPk ? { subnet: byPk } : { error: invalidChoice };
  }
  const text = pyStr(raw);
  if (/^\s*\d+\s*$/.test(text)) {
    const byPk = store.subnet(Number(text));
    if (byPk) return { subnet: byPk };
  }
  const id = subnetObjectId(text);
  if (id !== null) {
    const byId = store.subnet(id);
    return byId ? { subnet: byId } : { error: `None found with id=${text}.` };
  }
  const found = subnetsBySpecifier(store, text);
  return found.length === 1 ? { subnet: found[0] } : { error: invalidChoice };
}

/** Validate a create (instance null) or an update of `instance`. Pure: the store is only read. */
export function cleanReservedIpForm(store: MaasStore, data: RequestData, instance: ReservedIpRow | null): ReservedIpFormResult {
  const get = mergedData(data, instance);
  const errors = new ErrorList();

  // 1a. ip: GenericIPAddressField(required=True), then clean_ip.
  let ip: ParsedIp | null = null;
  const ipText = pyStr(get("ip")).trim();
  if (ipText === "") {
    errors.add("ip", "This field is required.");
  } else {
    ip = parseIp(ipText);
    if (ip === null) {
      errors.add("ip", invalidIpMessage(ipText));
    } else {
      // clean_ip: an existing StaticIPAddress at this IP must carry the *raw* submitted MAC.
      const rawMac = get("mac_address");
      const existing = store.state.staticIps.find((s) => s.ip === ip!.text);
      if (existing) {
        const macs = store.interfacesOf(existing.id).map((i) => i.macAddress);
        if (typeof rawMac !== "string" || !macs.includes(rawMac)) {
          errors.add("ip", `The ip ${pyStr(get("ip"))} is already in use by another machine.`);
        }
      }
    }
  }

  // 1b. subnet: SpecifierOrModelChoiceField(required=False), then clean_subnet (only when ip is clean).
  let subnet: SubnetRow | null = null;
  const resolved = resolveSubnetField(store, get("subnet"));
  if ("error" in resolved) {
    errors.add("subnet", resolved.error);
  } else if (ip !== null) {
    subnet = resolved.subnet ?? bestSubnetForIp(store, ip);
    if (subnet === null) {
      errors.add("subnet", `There is no subnet for ${ip.text}. Create the subnet and try again.`);
    } else {
      const net = mustParseNetwork(subnet.cidr);
      const sameFamily = net.family === ip.family;
      if (!sameFamily || ip.value < net.first || ip.value > net.last) errors.add("ip", `${ip.text} is not part of the subnet.`);
      if (sameFamily && ip.value === net.first) errors.add("ip", "The network address cannot be a reserved IP.");
      if (sameFamily && ip.value === net.last) errors.add("ip", "The broadcast address cannot be a reserved IP.");
    }
  }

  // 1c. mac_address: pattern check only when non-empty (the required check is skipped), then normalised.
  let mac: string | null = null;
  const macText = pyStr(get("mac_address")).trim();
  if (macText !== "" && !MAC_INPUT_PATTERN.test(macText)) errors.add("mac_address", invalidMacMessage(macText));
  else mac = normaliseMac(macText);

  // 1d. comment: CharField(required=False).
  const comment = pyStr(get("comment")).trim();

  // 2. form clean().
  if (instance !== null) {
    if (get("ip") !== instance.ip || get("mac_address") !== instance.macAddress || get("subnet") !== instance.subnetId) {
      errors.add("__all__", IMMUTABLE_MESSAGE);
    }
  } else if (ip !== null && subnet !== null) {
    const dynamic = dynamicRangeFor(store, subnet.id, ip);
    if (dynamic) {
      errors.add("ip", `The reserved IP ${ip.text} must be outside the dynamic range ${dynamic.startIp} - ${dynamic.endIp}.`);
    }
  }

  // 3. model validation, excluding fields that already failed.
  if (!errors.has("mac_address") && mac !== null) {
    if (mac === "") errors.add("mac_address", "This field cannot be blank.");
    else if (!MAC_STORAGE_PATTERN.test(mac)) errors.add("mac_address", invalidMacMessage(mac));
  }
  if (comment.length > COMMENT_MAX_LENGTH) {
    errors.add("comment", `Ensure this value has at most ${COMMENT_MAX_LENGTH} characters (it has ${comment.length}).`);
  }
  const others = store.state.reservedIps.filter((r) => r.id !== instance?.id);
  if (!errors.has("mac_address") && !errors.has("subnet") && subnet !== null && mac !== null) {
    if (others.some((r) => r.macAddress === mac && r.subnetId === subnet!.id)) {
      errors.add("__all__", "Reserved IP with this MAC address and Subnet already exists.");
    }
  }
  if (!errors.has("ip") && ip !== null && others.some((r) => r.ip === ip!.text)) {
    errors.add("ip", "Reserved IP with this IP address already exists.");
  }

  if (!errors.empty || ip === null || subnet === null || mac === null) return { ok: false, errors: errors.errors };
  return { ok: true, values: { ip: ip.text, subnetId: subnet.id, macAddress: mac, comment } };
}
