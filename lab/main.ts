/**
 * `npm run lab [-- --maas 3.6.0] [--no-proxmox]`: the incident story on an embedded lab (see story.ts).
 * Ctrl-C aborts the Pulumi operation in flight, stops the simulators and deletes the temp
 * directory before exiting 130; nothing is left running or on disk.
 */
import { existsSync } from "node:fs";
import { IncidentStory } from "./story";

function parseArgs(argv: string[]): { maasVersion: string; proxmox: boolean } {
  let maasVersion = "3.5.7";
  let proxmox = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--maas") maasVersion = argv[++i] ?? "";
    else if (a.startsWith("--maas=")) maasVersion = a.slice("--maas=".length);
    else if (a === "--no-proxmox") proxmox = false;
    else if (a === "--help" || a === "-h") {
      console.log(
        "usage: npm run lab [-- --maas <version>] [--no-proxmox]   (MAAS default 3.5.7, the incident's; 3.6.0+ uses /reservedips/;\n" +
          "       --no-proxmox: without the Proxmox VMs and the lab stand-in of the proxmoxve plugin)",
      );
      process.exit(0);
    } else {
      console.error(`lab: unknown argument ${a}; try --help`);
      process.exit(2);
    }
  }
  if (!/^\d+\.\d+\.\d+/.test(maasVersion)) {
    console.error(`lab: --maas needs a version like 3.5.7 or 3.6.0, got "${maasVersion}"`);
    process.exit(2);
  }
  return { maasVersion, proxmox };
}

async function main(): Promise<void> {
  const { maasVersion, proxmox } = parseArgs(process.argv.slice(2));
  const abort = new AbortController();
  const story = new IncidentStory({ maasVersion, proxmox, log: (l) => console.log(l), signal: abort.signal });

  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return; // a second Ctrl-C while cleaning up changes nothing
    interrupted = true;
    console.error(`\nlab: ${sig}: stopping the Pulumi operation, the simulators and removing ${story.tempDir ?? "the temp directory"}…`);
    abort.abort();
    void story.close().then(() => {
      const left = story.tempDir && existsSync(story.tempDir);
      console.error(left ? `lab: could not remove ${story.tempDir}` : "lab: cleaned up");
      process.exit(130);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  console.log("Homelab IPAM lab: RCA-2025-07-27 and seed 004 replayed on loopback simulators and lab machines with the real Pulumi engine.");
  try {
    const result = await story.run();
    const s4 = result.seed004;
    const ok =
      result.before.exitCode === 0 && result.incident.exitCode === 2 && result.after.exitCode === 0 &&
      s4.drift.exitCode === 2 && s4.restarts === 1 && s4.after.exitCode === 0;
    console.log(
      `\nDone: drift check ${result.before.exitCode} → ${result.incident.exitCode} (incident) → ${result.after.exitCode} (repaired). ` +
        `MAAS ${result.maasVersion} via ${result.mechanism}; reservations: ${result.finalReservations.join(", ")}`,
    );
    console.log(
      `Seed 004: drift check ${s4.drift.exitCode} → ${s4.after.exitCode} after one \`pulumi up\` (K3s restarted ${s4.restarts}×, ` +
        `Node on ${s4.internalIp}, flannel public-ip ${s4.flannelPublicIp}).`,
    );
    process.exitCode = ok ? 0 : 1;
  } catch (err) {
    if (interrupted) return; // the signal handler exits
    console.error(`lab: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    if (!interrupted) await story.close();
  }
}

void main();
