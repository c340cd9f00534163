/**
 * The CPU accounting the SSH benchmark reports (lab/node/cpu-time.ts): a reaped child's CPU shows
 * in its parent's cutime/cstime, and a lab machine counts what its SSH sessions ran.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuSecondsOf, startLabFleet, type LabFleet } from "../../../../lab/node";
import { SshSession } from "../../../../providers/ssh";

// A busy loop in sh: CPU time without a sleep that would count nothing.
const BURN = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done";

describe("cpuSecondsOf", () => {
  it("counts this process's own CPU and, once reaped, a child's", () => {
    const before = cpuSecondsOf("self");
    const end = Date.now() + 150;
    while (Date.now() < end); // busy for 150 ms
    spawnSync("sh", ["-c", BURN]);
    const after = cpuSecondsOf("self");
    expect(after.self - before.self).toBeGreaterThanOrEqual(0.1);
    expect(after.reaped - before.reaped).toBeGreaterThanOrEqual(0.05);
  });
});

describe("LabMachine.cpuSeconds", () => {
  let fleet: LabFleet;
  beforeAll(async () => {
    fleet = await startLabFleet({ nodes: [{ name: "cpu-1", role: "agent" }] });
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it("includes the commands an SSH session ran, after the session ended", async () => {
    const machine = fleet.machines.get("cpu-1")!;
    const before = await machine.cpuSeconds();
    const session = await SshSession.open(fleet.sshFor("cpu-1"), { privateKey: fleet.clientKey.privateKey });
    await session.runAsRoot(BURN, "burning CPU");
    session.close();
    const used = (await machine.cpuSeconds()) - before;
    // The login alone costs a few ms; the loop (≈ 0.1 s or more here) only counts through reaping.
    expect(used).toBeGreaterThanOrEqual(0.05);
  });
});
