/**
 * `npm run lab` end to end: the incident story through the real engine, and the promise that an
 * interrupted lab leaves no process and no temp state behind.
 */
import { spawn, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IncidentStory } from "../../lab/story";
import { repoRoot } from "../harness/stack";

describe("the lab", () => {
  it("replays RCA-2025-07-27: clean → drift with the pool addresses .220-.222 → repaired and clean", async () => {
    const lines: string[] = [];
    const story = new IncidentStory({ maasVersion: "3.5.7", log: (l) => lines.push(l) });
    try {
      const r = await story.run();
      expect(r.mechanism).toBe("ipaddresses");
      expect(r.before.exitCode).toBe(0);
      expect(r.poolAddresses).toEqual({
        "k3s-vm-chief-horse": "192.168.4.220",
        "k3s-vm-still-fawn": "192.168.4.221",
        "k3s-vm-pve": "192.168.4.222",
      });
      expect(r.incident.exitCode).toBe(2);
      expect(r.incident.markdown).toMatch(/MAAS no longer pins 192\.168\.4\.237 to bc:24:11:1a:38:07/);
      expect(r.incident.markdown).toMatch(/reports 192\.168\.4\.220 instead of 192\.168\.4\.237/);
      expect(r.after.exitCode).toBe(0);
      expect(r.finalReservations).toEqual(["192.168.4.186 a8:a1:59:3c:00:4e", "192.168.4.236 bc:24:11:a9:d5:8c", "192.168.4.237 bc:24:11:1a:38:07", "192.168.4.238 bc:24:11:3b:7a:a7"]);
      expect(lines.join("\n")).toMatch(/k3s-vm-chief-horse → 192\.168\.4\.237 \(reservation\)/);
      // After the bootstrap, the first server joins like the others, on the machine and in its VM's snippet.
      expect(lines.join("\n")).toContain("k3s-vm-pve: config.yaml server: https://k3s.homelab.lan:6443; its snippet (a replaced VM boots with it) server: https://k3s.homelab.lan:6443");
      // Seed 004: the bare-metal node is repaired by `pulumi up` alone.
      expect(r.seed004.drift.exitCode).toBe(2);
      expect(r.seed004.drift.summary?.pullRequest?.nodes["leveling-pc"]?.map((c) => `${c.resource} ${c.op}`)).toContain("leveling-pc-k3s create");
      expect(r.seed004.restarts).toBe(1);
      expect(r.seed004.internalIp).toBe("192.168.4.186");
      expect(r.seed004.flannelPublicIp).toBe("192.168.4.186");
      expect(r.seed004.after.exitCode).toBe(0);
    } finally {
      await story.close();
    }
    expect(story.tempDir && existsSync(story.tempDir)).toBe(false);
  });

  it("leaves no process or temp directory behind when interrupted with Ctrl-C", async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, "dist/lab/main.js")], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    // Interrupt in the middle of the first `pulumi up`, when the engine and providers are running.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the lab never reached pulumi up:\n${out}`)), 120_000);
      child.stdout.on("data", () => {
        if (/3\. pulumi up/.test(out)) {
          clearTimeout(timer);
          setTimeout(resolve, 1500);
        }
      });
    });
    const tempDir = /\n\s+(\/\S+)\/project\n/.exec(out)?.[1];
    expect(tempDir, out).toBeDefined();
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code, out).toBe(130);
    expect(out).toContain("lab: cleaned up");
    expect(existsSync(tempDir!)).toBe(false);
    // Give the engine's children a moment to exit, then look for any process still using the lab's directory.
    await new Promise((r) => setTimeout(r, 3000));
    const ps = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
    expect(ps.split("\n").filter((l) => l.includes(tempDir!))).toEqual([]);
  });
});
