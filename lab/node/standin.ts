/**
 * The `systemctl` and `k3s` of a lab machine (installed in its private /usr/local/bin, which
 * comes first on sshd's and sudo's PATH). `systemctl restart k3s|k3s-agent` behaves like systemd
 * with a Type=notify unit: it fails for a unit that is not installed, otherwise records the
 * restart with the settings K3s would start with (k3s-startup.ts) and waits until the machine's
 * lab side has "started" it (see machine.ts). `is-active` answers from the same state. A server
 * start creates the datastore directory, as K3s does (`${data-dir}/server/db`, ref/k3s.md §1.4),
 * and the event says whether it existed before (a start without one bootstraps or joins).
 * Run as: node standin.js <systemctl|k3s> args…, with LAB_NODE_DIR naming the machine's directory.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { startupSettings, unitFile } from "./k3s-startup";

const dir = process.env.LAB_NODE_DIR ?? "";
const root = path.join(dir, "root");
const [tool, ...args] = process.argv.slice(2);

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function unitName(arg: string | undefined): string {
  if (!arg) fail("Too few arguments.", 1);
  return arg.replace(/\.service$/, "");
}

async function restart(unit: string): Promise<void> {
  if (!existsSync(unitFile(root, unit))) fail(`Failed to restart ${unit}.service: Unit ${unit}.service not found.`, 5);
  const seq = `${Date.now()}-${process.pid}`;
  const datastore = path.join(root, "var/lib/rancher/k3s/server/db");
  const datastoreExisted = existsSync(datastore);
  const event = { seq, unit, at: Date.now(), settings: startupSettings(root, unit), datastoreExisted };
  if (unit === "k3s") mkdirSync(datastore, { recursive: true, mode: 0o700 });
  appendFileSync(path.join(dir, "state/events.log"), `${JSON.stringify(event)}\n`);
  const ack = path.join(dir, "state/acks", seq);
  for (let waited = 0; waited < 20_000; waited += 25) {
    if (existsSync(ack)) {
      const code = Number(readFileSync(ack, "utf8").trim() || "0");
      if (code !== 0) fail(`Job for ${unit}.service failed because the control process exited with error code.`, 1);
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  fail(`Job for ${unit}.service timed out (the lab machine did not answer).`, 1);
}

function activeState(unit: string): string {
  if (!existsSync(unitFile(root, unit))) return "inactive";
  const file = path.join(dir, "state", `active-${unit}`);
  return existsSync(file) ? readFileSync(file, "utf8").trim() : "active";
}

async function systemctl(argv: string[]): Promise<void> {
  const words = argv.filter((a) => !a.startsWith("-"));
  const quiet = argv.includes("--quiet") || argv.includes("-q");
  const [verb, unit] = words;
  switch (verb) {
    case "restart":
    case "start":
      return restart(unitName(unit));
    case "daemon-reload":
      appendFileSync(path.join(dir, "state/events.log"), `${JSON.stringify({ seq: `${Date.now()}-${process.pid}`, unit: "daemon-reload", at: Date.now() })}\n`);
      return;
    case "is-active": {
      const state = activeState(unitName(unit));
      if (!quiet) process.stdout.write(`${state}\n`);
      process.exit(state === "active" ? 0 : 3);
    }
    // falls through (process.exit never returns)
    default:
      fail(`lab systemctl stand-in: "${verb ?? ""}" is not simulated (restart, start, is-active, daemon-reload are)`, 1);
  }
}

async function main(): Promise<void> {
  if (!dir) fail("LAB_NODE_DIR is not set", 1);
  if (tool === "systemctl") return systemctl(args);
  if (tool === "k3s") {
    if (args[0] === "--version" || args[0] === "-v") return void process.stdout.write("k3s version v1.30.5+k3s1 (lab stand-in)\n");
    fail(`lab k3s stand-in: "${args.join(" ")}" is not simulated (only --version)`, 1);
  }
  fail(`lab stand-in: unknown tool ${tool ?? ""}`, 1);
}

void main();
