/**
 * K3sNodeConfig logging in as `deploy`, not root (README "SSH setup"): the lab machines refuse
 * root logins and run Debian's real `sudo` against their own /etc/sudoers.d/homelab, which holds
 * the README's sudoers line, taken from README.md itself. No cluster API: readiness after a restart
 * is `systemctl is-active` over SSH, through sudo too. Then the same machine with the line removed
 * (preview: "could not check", a warning, no change; up: fails with the line, writes nothing), and
 * a second machine whose `deploy` never had it.
 * The tests run in order: each starts from the state the previous one left.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUDOERS_FILE as LAB_SUDOERS_FILE, startLabFleet, type LabFleet } from "../../lab/node";
import { SshAuthError, SshSession, SUDOERS_FILE, sudoersLine } from "../../providers/ssh";
import { changedSteps, createTempStack, repoRoot, type PreviewDocument, type TempStack } from "../harness/stack";

const TOKEN = "K10SENTINEL-sudo-token::server:SENTINEL";
const CONFIG = "/etc/rancher/k3s/config.yaml";
const TOKEN_FILE = "/etc/rancher/k3s/token";

/** The README's sudoers line and file, verbatim: what the operator is told is what the test grants. */
const [, README_LINE, README_FILE] = /give it\s+`([^`]+)` in `([^`]+)`/.exec(readFileSync(path.join(repoRoot, "README.md"), "utf8")) ?? [];

let fleet: LabFleet;
let programDir: string;
let t: TempStack;
const output: string[] = [];

function programText(): string {
  const abs = (p: string) => JSON.stringify(path.join(repoRoot, p));
  return `"use strict";
const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [repoRoot] }))});
const { K3sNodeConfig } = require(${abs("dist/providers/k3s/index.js")});
const config = new pulumi.Config("sudo");
for (const n of config.requireObject("nodes")) {
  new K3sNodeConfig(n.name + "-k3s", {
    nodeName: n.name, role: "server", nodeIp: n.nodeIp, flannelIface: "eth0", tokenFile: "/etc/rancher/k3s/token",
    tokenSha256: "${createHash("sha256").update(TOKEN).digest("hex")}", nodeLabels: [], tokenConfigKey: "sudo:k3sToken",
    ssh: { ...n.ssh, privateKeyConfigKey: "sudo:sshPrivateKey" }, readiness: { timeoutSeconds: 20 },
  });
}
`;
}

function nodes(decl: Record<string, string>) {
  return { "sudo:nodes": Object.entries(decl).map(([name, nodeIp]) => ({ name, nodeIp, ssh: fleet.sshFor(name) })) };
}

async function preview(): Promise<{ doc: PreviewDocument; text: string }> {
  const { doc, stderr } = await t.previewJson();
  const text = JSON.stringify(doc.diagnostics ?? []) + stderr;
  output.push(JSON.stringify(doc), stderr);
  return { doc, text };
}

async function failingUp(): Promise<string> {
  const r = await t.run(["up", "--yes", "--skip-preview"]);
  output.push(r.stdout, r.stderr);
  expect(r.code).not.toBe(0);
  return r.stdout + r.stderr;
}

/** Every file under the machine's /etc/rancher with its content and mtime: "nothing written" means this is unchanged. */
function rancherTree(name: string): Record<string, string> {
  const root = fleet.machine(name).file("/etc/rancher");
  const entries = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    entries.map((e) => {
      const p = path.join(e.parentPath, e.name);
      return [path.relative(root, p), `${statSync(p).mtimeMs} ${readFileSync(p, "utf8")}`];
    }),
  );
}

beforeAll(async () => {
  expect(README_LINE).toBe(sudoersLine("deploy"));
  expect(README_FILE).toBe(SUDOERS_FILE);
  expect(LAB_SUDOERS_FILE).toBe(SUDOERS_FILE);
  fleet = await startLabFleet({
    nodes: [
      { name: "n1", role: "server", loginUser: { name: "deploy", sudoers: [README_LINE!] } },
      { name: "n2", role: "server", loginUser: { name: "deploy" } }, // no sudoers entry at all
    ],
  });
  await mkdir(path.join(repoRoot, "test/.tmp"), { recursive: true });
  programDir = await mkdtemp(path.join(repoRoot, "test/.tmp", "k3s-sudo-"));
  await writeFile(path.join(programDir, "index.js"), programText());
  t = await createTempStack({
    main: programDir,
    project: "sudo",
    config: {
      ...nodes({ n1: "192.168.4.238" }),
      "sudo:k3sToken": { value: TOKEN, secret: true },
      "sudo:sshPrivateKey": { value: fleet.clientKey.privateKey, secret: true },
    },
  });
}, 300_000);

afterAll(async () => {
  await t?.dispose({ destroy: false });
  await fleet?.close();
  if (programDir) await rm(programDir, { recursive: true, force: true });
});

describe("K3s settings delivered as a non-root user through sudo -n", () => {
  it("up as deploy writes config.yaml and the token root-owned, 0600, restarts K3s and waits for it through sudo; preview is clean", async () => {
    const m = fleet.machine("n1");
    expect(fleet.sshFor("n1").user).toBe("deploy");
    // Root cannot log in on this machine, so whatever was written as root went through sudo.
    await expect(SshSession.open({ ...fleet.sshFor("n1"), user: "root" }, { privateKey: fleet.clientKey.privateKey })).rejects.toBeInstanceOf(SshAuthError);

    const r = await t.stack.up({ onOutput: (s) => output.push(s) });
    expect(r.summary.result).toBe("succeeded");
    expect(m.read(CONFIG)).toMatch(/^node-ip: 192\.168\.4\.238$/m);
    expect(m.read(TOKEN_FILE)).toBe(`${TOKEN}\n`);
    for (const file of [CONFIG, TOKEN_FILE]) {
      const st = statSync(m.file(file));
      expect({ file, uid: st.uid, gid: st.gid, mode: (st.mode & 0o777).toString(8) }).toEqual({ file, uid: 0, gid: 0, mode: "600" });
    }
    const spans = fleet.timeline();
    expect(spans.map((s) => [s.node, s.unit, s.settings["node-ip"]])).toEqual([["n1", "k3s", "192.168.4.238"]]);
    expect(spans[0]!.readyAt).toBeDefined();
    expect(output.join("\n")).toContain("K3sNodeConfig n1: back, Ready on 192.168.4.238");

    const { doc, text } = await preview();
    expect(changedSteps(doc)).toEqual([]);
    expect(text).not.toContain("not active");
  });

  it("a hand edit shows as drift and up repairs it through sudo, with one restart", async () => {
    const m = fleet.machine("n1");
    await m.write(CONFIG, m.read(CONFIG)!.replace("node-ip: 192.168.4.238", "node-ip: 192.168.4.99"));
    const { doc } = await preview();
    const step = doc.steps?.find((s) => s.urn.endsWith("::n1-k3s") && s.op !== "refresh");
    expect(step?.op).toBe("update");
    expect(step?.oldState?.outputs?.nodeIp).toBe("192.168.4.99");
    expect(step?.newState?.inputs?.nodeIp).toBe("192.168.4.238");

    const before = fleet.timeline().length;
    await t.stack.up({ onOutput: (s) => output.push(s) });
    expect(m.read(CONFIG)).toMatch(/^node-ip: 192\.168\.4\.238$/m);
    expect(statSync(m.file(CONFIG)).uid).toBe(0);
    expect(fleet.timeline().slice(before).map((s) => s.settings["node-ip"])).toEqual(["192.168.4.238"]);
    expect(changedSteps((await preview()).doc)).toEqual([]);
  });

  it("with the sudoers line removed: preview warns that it could not check (no change); up fails with the line and writes nothing", async () => {
    const m = fleet.machine("n1");
    await m.setSudoers(undefined);
    try {
      const { doc, text } = await preview();
      expect(changedSteps(doc)).toEqual([]);
      expect(text).toMatch(/K3sNodeConfig n1: could not read the node's files \(deploy@127\.0\.0\.1:\d+: .*sudo: a password is required/);
      expect(text).toContain(`put \`${README_LINE}\` in ${README_FILE}`);

      await t.setConfig(nodes({ n1: "192.168.4.239" }));
      const tree = rancherTree("n1");
      const restarts = fleet.timeline().length;
      const out = await failingUp();
      expect(out).toMatch(/K3sNodeConfig n1: deploy@127\.0\.0\.1:\d+: .* failed \(exit 1\): sudo: a password is required\. deploy may not run sh as root without a password/);
      expect(out).toContain(`put \`${README_LINE}\` in ${README_FILE} (README, SSH setup)`);
      expect(rancherTree("n1")).toEqual(tree);
      expect(fleet.timeline().length).toBe(restarts);
    } finally {
      await m.setSudoers([README_LINE!]);
    }
    // The operator puts the line back: the pending change goes through.
    await t.stack.up({ onOutput: (s) => output.push(s) });
    expect(m.read(CONFIG)).toMatch(/^node-ip: 192\.168\.4\.239$/m);
    expect(changedSteps((await preview()).doc)).toEqual([]);
  });

  it("a user without the sudoers entry: up fails naming the node and the README's line; nothing is written on it", async () => {
    const tree = rancherTree("n2");
    expect(tree).toEqual({});
    await t.setConfig(nodes({ n1: "192.168.4.239", n2: "192.168.4.240" }));
    const out = await failingUp();
    expect(out).toMatch(/K3sNodeConfig n2: deploy@127\.0\.0\.1:\d+: .* failed \(exit 1\): sudo: a password is required/);
    expect(out).toContain(`put \`${README_LINE}\` in ${README_FILE} (README, SSH setup)`);
    expect(rancherTree("n2")).toEqual(tree);
    expect(fleet.timeline().filter((s) => s.node === "n2")).toEqual([]);
    expect(fleet.machine("n2").logins()).toBeGreaterThan(0); // it got in, and sudo refused
    expect(fleet.machine("n1").read(CONFIG)).toMatch(/^node-ip: 192\.168\.4\.239$/m);
  });

  it("the token and the private key appear nowhere: state, engine output", async () => {
    const state = await t.exportState();
    const keyBody = fleet.clientKey.privateKey.split("\n").filter((l) => l && !l.startsWith("-----"))[1]!;
    for (const needle of [TOKEN, "SENTINEL", keyBody]) {
      expect(state).not.toContain(needle);
      expect(output.join("\n")).not.toContain(needle);
    }
  });
});
