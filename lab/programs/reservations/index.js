// Program for the MAAS reservation resource alone (engine tests, benchmark): one MaasReservation per entry of
// the `res:reservations` config list. Uses the compiled provider from dist/, as users do.
"use strict";
const pulumi = require("@pulumi/pulumi");
const { MaasReservation } = require("../../../dist/providers/maas");

const config = new pulumi.Config("res");
// `res:reservationsFile` (a JSON file) instead of the list itself: the benchmark's 2000 entries do not fit in
// the environment variable that carries a program's config (Linux limits one string to 128 KiB).
const file = config.get("reservationsFile");
const entries = file ? JSON.parse(require("node:fs").readFileSync(file, "utf8")) : config.requireObject("reservations");
const out = {};
for (const e of entries) {
  const r = new MaasReservation(e.name, { ip: e.ip, mac: e.mac, hostname: e.hostname ?? e.name, ...(e.subnet ? { subnet: e.subnet } : {}), ...(e.comment ? { comment: e.comment } : {}) });
  out[e.name] = { ip: r.ip, mac: r.mac, reservationId: r.reservationId, mechanism: r.mechanism };
}
// `res:exportOutputs: false` (the benchmark): its floor program exports nothing, and 4 × 2000 stack
// outputs are work for the SDK that creating reservations does not need.
if (config.getBoolean("exportOutputs") !== false) exports.reservations = out;
