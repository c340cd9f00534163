/**
 * K3sNodeConfig with the ssh-agent instead of a private key in stack config (`ssh.privateKeyConfigKey`
 * left out, README "SSH setup"): a real OpenSSH `ssh-agent` holds the lab operator's key, the stack's
 * processes get only `$SSH_AUTH_SOCK`. `up` writes the node over SSH; with the key gone from the
 * agent the next write fails naming the node and the ssh-agent, and nothing on the node changes.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLabFleet, type LabFleet } from "../../lab/node";
import { changedSteps, createTempStack, repoRoot, type TempStack } from "../harness/stack";

const run = promisify(execFile);
const TOKEN = "K10SENTINEL-agent-token::server:SENTINEL";
const CONFIG = "/etc/rancher/k3s/config.yaml";
let fleet: LabFleet;
let agent: ChildProcess | undefined;
let agentDir: string;
let socket: string;
let programDir: string;
let t: TempStack;

function programText(): string {
  const abs = (p: string) => JSON.stringify(path.join(repoRoot, p));
  return `"use strict";
const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }))});
const { K3sNodeConfig } = require(${abs("dist/providers/k3s/index.js")});
const config = new pulumi.Config("agent");
new K3sNodeConfig("n1-k3s", {
  nodeName: "n1", role: "server", nodeIp: config.require("nodeIp"), flannelIface: "eth0", tokenFile: "/etc/rancher/k3s/token",
  tokenSha256: "${createHash("sha256").update(TOKEN).digest("hex")}", nodeLabels: [], tokenConfigKey: "agent:k3sToken",
  ssh: config.requireObject("ssh"), readiness: { timeoutSeconds: 20 },
});
`;
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(file)) throw new Error(`ssh-agent did not create ${file}`);
}

beforeAll(async () => {
  fleet = await startLabFleet({ nodes: [{ name: "n1", role: "server" }] });
  agentDir = await mkdtemp(path.join(os.tmpdir(), "lab-agent-"));
  socket = path.join(agentDir, "agent.sock");
  agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
  await waitFor(socket);
  const keyFile = path.join(agentDir, "id_ed25519");
  await writeFile(keyFile, fleet.clientKey.privateKey, { mode: 0o600 });
  await run("ssh-add", ["-q", keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  await rm(keyFile);

  await mkdir(path.join(repoRoot, "test/.tmp"), { recursive: true });
  programDir = await mkdtemp(path.join(repoRoot, "test/.tmp", "k3s-agent-"));
  await writeFile(path.join(programDir, "index.js"), programText());
  t = await createTempStack({
    main: programDir,
    project: "agent",
    env: { SSH_AUTH_SOCK: socket },
    config: { "agent:nodeIp": "192.168.4.238", "agent:ssh": fleet.sshFor("n1"), "agent:k3sToken": { value: TOKEN, secret: true } },
  });
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  agent?.kill();
  await fleet?.close();
  if (agentDir) await rm(agentDir, { recursive: true, force: true });
  if (programDir) await rm(programDir, { recursive: true, force: true });
});

describe("K3sNodeConfig through the ssh-agent", () => {
  it("writes the node with the agent's key; no key is in stack config or state", async () => {
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ create: 2 }); // stack, n1-k3s
    expect(fleet.machine("n1").read(CONFIG)).toMatch(/^node-ip: 192\.168\.4\.238$/m);
    const state = await t.exportState();
    expect(state).not.toContain("privateKeyConfigKey");
    expect(state).not.toContain(fleet.clientKey.privateKey.split("\n")[1]!);
    expect(changedSteps((await t.previewJson()).doc)).toEqual([]);
  });

  it("fails naming the node and the ssh-agent when the agent no longer holds the key, and writes nothing", async () => {
    await run("ssh-add", ["-D"], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
    const before = fleet.machine("n1").read(CONFIG);
    await t.setConfig({ "agent:nodeIp": "192.168.4.239" });
    const r = await t.run(["up", "--yes", "--skip-preview"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/K3sNodeConfig n1: .*ssh-agent/);
    expect(fleet.machine("n1").read(CONFIG)).toBe(before);
  });
});
