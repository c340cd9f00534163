/**
 * CLI: run the MAAS simulator in its own process.
 *
 *   node dist/lab/maas/main.js [--version 3.5.7] [--port 0] [--state <file>] [--seed <seed.json>]
 *
 * Prints one JSON line `{"url":…,"apiKey":…,"userApiKey":…,"version":…}` on stdout once it listens (the keys are
 * for the parent process that launched it; nothing else is printed), then serves until SIGINT/SIGTERM and exits 0
 * after closing. Drive it out of band through `/_sim/` (see admin-routes.ts).
 */
import { readFileSync } from "node:fs";
import { startMaasSimulator } from "./server";
import type { MaasSimOptions, MaasSimSeed } from "./types";

const USAGE = "usage: node dist/lab/maas/main.js [--version <maas version>] [--port <n>] [--state <file>] [--seed <seed.json>]";

export function parseArgs(argv: string[]): MaasSimOptions {
  const opts: MaasSimOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const need = (): string => {
      if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value. ${USAGE}`);
      i++;
      return value;
    };
    switch (flag) {
      case "--version":
        opts.version = need();
        break;
      case "--port": {
        const text = need();
        if (!/^\d+$/.test(text)) throw new Error(`--port must be a number 0–65535, got "${text}". ${USAGE}`);
        opts.port = Number(text);
        break;
      }
      case "--state":
        opts.stateFile = need();
        break;
      case "--seed": {
        const file = need();
        opts.seed = JSON.parse(readFileSync(file, "utf8")) as MaasSimSeed;
        break;
      }
      default:
        throw new Error(`unknown argument "${flag}". ${USAGE}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const sim = await startMaasSimulator(parseArgs(process.argv.slice(2)));
  process.stdout.write(`${JSON.stringify({ url: sim.url, apiKey: sim.apiKey, userApiKey: sim.userApiKey, version: sim.version })}\n`);
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`maas simulator: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
