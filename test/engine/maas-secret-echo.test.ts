/**
 * The leak of ref/maas-api.md §1.3 through the whole tool chain: a stack whose `maas:apiKey` has one mistyped
 * character gets MAAS's 401 "Expected signature base string: &<the real token secret>" on every call. The real
 * secret (lab/maas echoes it exactly as MAAS does) must appear in none of: preview and up output, the exported
 * state, the drift report, the drift summary JSON, the drift command's own line.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runDriftOn } from "../../lab/drift-run";
import { startMaasSimulator, type MaasSimulator } from "../../lab/maas";
import { createTempStack, repoRoot, type TempStack } from "../harness/stack";

const program = path.join(repoRoot, "lab/programs/reservations");
const nodes = [
  { name: "k3s-vm-pve", ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" },
  { name: "k3s-vm-still-fawn", ip: "192.168.4.236", mac: "bc:24:11:a9:d5:8c" },
];

let sim: MaasSimulator | undefined;
let t: TempStack | undefined;
afterEach(async () => {
  await t?.dispose();
  await sim?.close();
  t = sim = undefined;
});

describe.each(["3.5.7", "3.6.0"])("MAAS %s answering a mistyped key", (version) => {
  it("never shows the real token secret MAAS echoes in its 401", async () => {
    sim = await startMaasSimulator({ version });
    const [ck, tk, secret] = sim.apiKey.split(":") as [string, string, string];
    const mistyped = `${ck}:${tk}:${secret.slice(0, -1)}${secret.endsWith("x") ? "y" : "x"}`;
    t = await createTempStack({
      main: program,
      project: "res",
      stack: "lab",
      config: { "maas:url": sim.url, "maas:apiKey": { value: sim.apiKey, secret: true }, "res:reservations": nodes },
    });
    await t.stack.up();
    await t.setConfig({ "maas:apiKey": { value: mistyped, secret: true } });

    const preview = await t.run(["preview", "--diff"]);
    const up = await t.run(["up", "--yes", "--skip-preview", "--refresh"]);
    const drift = await runDriftOn(t);
    const summaryFile = await readFile(path.join(t.baseDir, "drift-summary.json"), "utf8").catch(() => "");
    const state = await t.exportState();

    // The failure really happened, and it was the 401 path (so the test cannot pass by never calling MAAS).
    expect(preview.code).not.toBe(0);
    expect(up.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/rejected the API key/);
    expect(drift.exitCode).toBe(1);

    const outputs: Record<string, string> = {
      "preview output": preview.stdout + preview.stderr,
      "up output": up.stdout + up.stderr,
      "drift report": drift.markdown,
      "drift line": drift.line,
      "drift summary": JSON.stringify(drift.summary ?? null) + summaryFile,
      state,
    };
    for (const [where, text] of Object.entries(outputs)) {
      expect(text, where).not.toContain(secret);
      expect(text.toLowerCase(), where).not.toContain(secret.toLowerCase());
    }
  });
});
