/**
 * Wiring of the compiled program (dist/stacks/homelab/index.js) under Pulumi mocks, one fresh
 * node process per config (see mock-program.cjs). Run `npx tsc -p tsconfig.json` first.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackFile, type StackValues } from "./config/stack-file";

const root = resolve(__dirname, "../../../..");
const runner = join(__dirname, "mock-program.cjs");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const K3S_TOKEN = "SENTINEL-K3S-TOKEN-3f9a";
const PVE_TOKEN = "pulumi@pve!homelab=SENTINEL-PVE-TOKEN-77c1";
const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters:\n  - name: SENTINEL-KUBECONFIG-cluster\n    cluster: { server: https://127.0.0.1:6443 }\n";
const SECRET_KEYS = ["homelab:k3sToken", "homelab:proxmoxApiToken", "homelab:kubeconfig"];

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider: string | null;
  /** Set for a read (a resource registered with an id). */
  id: string | null;
}
interface Run {
  error?: { name: string; message: string };
  errors: string[];
  nodes?: Record<string, Record<string, unknown>>;
  resources: Registered[];
  stdout: string;
  stderr: string;
}

function baseValues(): StackValues {
  const values = structuredClone(readStackFile(join(root, "test/fixtures/config/valid/homelab.yaml")).values);
  values["homelab:k3sToken"] = K3S_TOKEN;
  values["homelab:proxmoxApiToken"] = PVE_TOKEN;
  return values;
}

const tmp = mkdtempSync(join(tmpdir(), "homelab-mocks-"));
let runCount = 0;

async function runProgram(values: StackValues, env: Record<string, string> = {}): Promise<Run> {
  const config = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
  const resultFile = join(tmp, `run-${runCount++}.json`);
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [runner], {
    cwd: root,
    env: {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(SECRET_KEYS.filter((key) => key in values)),
      MOCK_RESULT_FILE: resultFile,
      ...env,
    },
  });
  return { ...(JSON.parse(readFileSync(resultFile, "utf8")) as Omit<Run, "stdout" | "stderr">), stdout, stderr };
}

function withNodes(values: StackValues, edit: (nodes: Array<Record<string, unknown>>) => void): StackValues {
  const copy = structuredClone(values);
  edit(copy["homelab:nodes"] as Array<Record<string, unknown>>);
  return copy;
}

/** Unwraps Pulumi's secret envelopes (for reading values, not for judging secrecy). */
function reveal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reveal);
  if (typeof value === "object" && value !== null) {
    if (SECRET_SIG in value) return reveal((value as unknown as { value: unknown }).value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  }
  return value;
}

function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && SECRET_SIG in value;
}

/** Paths of plain (non-secret) strings that contain `needle`. */
function plaintextOccurrences(value: unknown, needle: string, path = "", insideSecret = false): string[] {
  if (typeof value === "string") return !insideSecret && value.includes(needle) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plaintextOccurrences(v, needle, `${path}[${i}]`, insideSecret));
  if (typeof value === "object" && value !== null) {
    if (SECRET_SIG in value) return plaintextOccurrences((value as unknown as { value: unknown }).value, needle, path, true);
    return Object.entries(value).flatMap(([k, v]) => plaintextOccurrences(v, needle, `${path}.${k}`, insideSecret));
  }
  return [];
}

function find(run: Run, type: string, name: string): Registered {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; registered: ${run.resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
  return found;
}

const T = {
  node: "homelab:index:Node",
  reservation: "pulumi-nodejs:dynamic/maas:Reservation",
  k3s: "pulumi-nodejs:dynamic/k3s:NodeConfig",
  readback: "pulumi-nodejs:dynamic/readback:Node",
  vm: "proxmoxve:index/vmLegacy:VmLegacy",
  file: "proxmoxve:index/fileLegacy:FileLegacy",
  proxmoxProvider: "pulumi:providers:proxmoxve",
  k8sProvider: "pulumi:providers:kubernetes",
  rule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  datastores: "pulumi-nodejs:dynamic/k3s:DatastoreCheck",
};

function k3sConfigFromUserData(file: Registered): Record<string, unknown> {
  const userData = parse((reveal(file.inputs.sourceRaw) as { data: string }).data) as { write_files: Array<{ path: string; content: string }> };
  const config = userData.write_files.find((f) => f.path === "/etc/rancher/k3s/config.yaml");
  return parse(config?.content ?? "") as Record<string, unknown>;
}

const runs: Record<string, Run> = {};

beforeAll(async () => {
  const program = join(root, "dist/stacks/homelab/index.js");
  if (!existsSync(program)) throw new Error("dist/ is missing: run `npx tsc -p tsconfig.json` before these tests");
  for (const source of ["index.ts", "bootstrap.ts", "node.ts", "vm.ts", "alerts.ts", "config/load.ts", "config/rules.ts", "config/validate.ts"]) {
    const compiled = join(root, "dist/stacks/homelab", source.replace(/\.ts$/, ".js"));
    if (statSync(join(root, "stacks/homelab", source)).mtimeMs > statSync(compiled).mtimeMs) {
      throw new Error(`dist/ is older than stacks/homelab/${source}: run \`npx tsc -p tsconfig.json\` before these tests`);
    }
  }
  const base = baseValues();
  const scenarios: Record<string, StackValues | { values: StackValues; env: Record<string, string> }> = {
    // The datastore check's answers (mock-program.cjs): in base no server has one (a fresh cluster);
    // in clusterExists a joined server has one; in every other scenario the check gives no answer.
    base: { values: base, env: { MOCK_DATASTORES: "" } },
    clusterExists: { values: base, env: { MOCK_DATASTORES: "k3s-vm-chief-horse" } },
    movedIp: withNodes(base, (nodes) => {
      nodes[1]!.ip = "192.168.4.235";
    }),
    static: withNodes(base, (nodes) => {
      for (const node of nodes) node.addressing = "static";
    }),
    staticMovedIp: withNodes(base, (nodes) => {
      for (const node of nodes) node.addressing = "static";
      nodes[1]!.ip = "192.168.4.235";
    }),
    noProxmox: Object.fromEntries(Object.entries(base).filter(([key]) => key !== "homelab:proxmox" && key !== "homelab:proxmoxApiToken")),
    proxmoxDisabled: { ...base, "homelab:proxmox": { ...(base["homelab:proxmox"] as object), enabled: false } },
    bareMetalAgent: withNodes(base, (nodes) => {
      nodes.push({ name: "leveling-pc", ip: "192.168.4.186", mac: "a8:a1:59:00:11:22", addressing: "static", interface: "enp6s0", role: "agent", reserveInMaas: false, ssh: { hostKey: `SHA256:${"b".repeat(43)}`, user: "deploy" } });
    }),
    noSsh: withNodes(base, (nodes) => {
      delete nodes[1]!.ssh;
    }),
    withKubeconfig: { ...base, "homelab:kubeconfig": KUBECONFIG },
    invalid: withNodes(base, (nodes) => {
      nodes[0]!.ip = "192.168.4.220";
    }),
  };
  // Three processes at a time: each one loads the SDK and serializes the dynamic providers.
  const queue = Object.keys(scenarios);
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const scenario = scenarios[name]!;
      runs[name] = "env" in scenario ? await runProgram(scenario.values as StackValues, scenario.env as Record<string, string>) : await runProgram(scenario);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}, 120_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const nodeNames = ["k3s-vm-pve", "k3s-vm-still-fawn", "k3s-vm-chief-horse"];
const declared: Record<string, { ip: string; mac: string }> = {
  "k3s-vm-pve": { ip: "192.168.4.238", mac: "bc:24:11:3b:7a:a7" },
  "k3s-vm-still-fawn": { ip: "192.168.4.236", mac: "bc:24:11:a9:d5:8c" },
  "k3s-vm-chief-horse": { ip: "192.168.4.237", mac: "bc:24:11:1a:38:07" },
};

describe("the homelab program under mocks", () => {
  it("runs the incident cluster without errors", () => {
    const run = runs.base!;
    expect(run.error).toBeUndefined();
    expect(run.errors).toEqual([]);
    expect(run.resources.filter((r) => r.type === T.node).map((r) => r.name)).toEqual(nodeNames);
  });

  it.each(nodeNames)("pins %s to one IP in MAAS, Proxmox ipconfig0 and K3s node-ip", (name) => {
    for (const [scenario, expectedIpConfig] of [
      ["base", { address: "dhcp" }],
      ["static", { address: `${declared[name]!.ip}/24`, gateway: "192.168.4.1" }],
    ] as const) {
      const run = runs[scenario]!;
      const ip = declared[name]!.ip;
      expect(find(run, T.reservation, `${name}-reservation`).inputs).toMatchObject({ ip, hostname: name, subnet: "192.168.4.0/24" });
      const vm = find(run, T.vm, `${name}-vm`).inputs as { initialization: { ipConfigs: Array<{ ipv4: unknown }> } };
      expect(vm.initialization.ipConfigs).toEqual([{ ipv4: expectedIpConfig }]);
      expect(find(run, T.k3s, `${name}-k3s`).inputs).toMatchObject({ nodeIp: ip, flannelIface: "eth0" });
      expect(k3sConfigFromUserData(find(run, T.file, `${name}-userdata`))).toMatchObject({ "node-ip": ip, "flannel-iface": "eth0" });
    }
  });

  it.each(nodeNames)("gives %s one MAC in the MAAS reservation and on the VM's net0 (which cloud-init matches)", (name) => {
    const run = runs.base!;
    const reservationMac = find(run, T.reservation, `${name}-reservation`).inputs.mac;
    const vm = find(run, T.vm, `${name}-vm`).inputs as { networkDevices: Array<{ macAddress: string }> };
    expect(vm.networkDevices).toHaveLength(1);
    expect(vm.networkDevices[0]!.macAddress).toBe(declared[name]!.mac.toUpperCase());
    expect(reservationMac).toBe(declared[name]!.mac);
    expect(vm.networkDevices[0]!.macAddress.toLowerCase()).toBe(reservationMac);
  });

  it("creates the VM only after the MAAS reservation and the snippet, and points it at the snippet's volume id", () => {
    const vm = find(runs.base!, T.vm, "k3s-vm-pve-vm").inputs as { initialization: { userDataFileId: string }; clone: { vmId: number }; agent: { timeout: string } };
    expect(vm.initialization.userDataFileId).toBe("local:snippets/k3s-vm-pve-user-data.yaml");
    expect(vm.clone.vmId).toBe(9000);
    expect(vm.agent.timeout).toBe("2m");
    const file = find(runs.base!, T.file, "k3s-vm-pve-userdata").inputs;
    expect(file).toMatchObject({ contentType: "snippets", datastoreId: "local", nodeName: "pve" });
    // dependsOn is not visible to mocks; the registration order shows the VM comes after both.
    const order = runs.base!.resources.map((r) => r.name);
    expect(order.indexOf("k3s-vm-pve-vm")).toBeGreaterThan(order.indexOf("k3s-vm-pve-reservation"));
    expect(order.indexOf("k3s-vm-pve-vm")).toBeGreaterThan(order.indexOf("k3s-vm-pve-userdata"));
  });

  it("uses the explicit Proxmox provider for every VM and snippet", () => {
    const run = runs.base!;
    const providers = run.resources.filter((r) => r.type === T.proxmoxProvider);
    expect(providers.map((p) => p.name)).toEqual(["proxmox"]);
    for (const r of run.resources.filter((r) => r.type === T.vm || r.type === T.file)) {
      expect(r.provider).toMatch(/::pulumi:providers:proxmoxve::proxmox::/);
    }
    expect(reveal(providers[0]!.inputs)).toMatchObject({ endpoint: "https://pve.homelab.lan:8006/", apiToken: PVE_TOKEN });
    expect(JSON.parse(String(reveal(providers[0]!.inputs.ssh)))).toEqual({ username: "root", agent: true });
  });

  it.each([
    ["the node's IP changes (dhcp-reserved)", "movedIp", "base"],
    ["the node's IP changes (static)", "staticMovedIp", "static"],
  ])("touches only that node's children when %s", (_what, changed, baseline) => {
    const strip = (r: Registered): string => JSON.stringify(reveal({ ...r.inputs, __provider: undefined }));
    const before = new Map(runs[baseline]!.resources.map((r) => [`${r.type}/${r.name}`, strip(r)]));
    const after = new Map(runs[changed]!.resources.map((r) => [`${r.type}/${r.name}`, strip(r)]));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const differing = [...after.keys()].filter((key) => after.get(key) !== before.get(key)).sort();
    expect(differing).toEqual(
      [
        `${T.k3s}/k3s-vm-still-fawn-k3s`,
        `${T.reservation}/k3s-vm-still-fawn-reservation`,
        `${T.file}/k3s-vm-still-fawn-userdata`,
        `${T.vm}/k3s-vm-still-fawn-vm`,
        // the read-back's expected address moves with the declaration
        `${T.readback}/k3s-vm-still-fawn-readback`,
        // the datastore check reaches the node at its address (ssh.host defaults to ip): a read, never a change
        `${T.datastores}/k3s-datastores`,
      ].sort(),
    );
    const moved = runs[changed]!;
    expect(find(moved, T.reservation, "k3s-vm-still-fawn-reservation").inputs.ip).toBe("192.168.4.235");
    expect(find(moved, T.k3s, "k3s-vm-still-fawn-k3s").inputs.nodeIp).toBe("192.168.4.235");
    expect(find(moved, T.readback, "k3s-vm-still-fawn-readback").inputs.ip).toBe("192.168.4.235");
    expect(k3sConfigFromUserData(find(moved, T.file, "k3s-vm-still-fawn-userdata"))["node-ip"]).toBe("192.168.4.235");
  });

  it("changes the static VM's ipconfig0 with its IP, and keeps a DHCP VM on dhcp", () => {
    const ipConfig = (run: Run): unknown => (find(run, T.vm, "k3s-vm-still-fawn-vm").inputs as { initialization: { ipConfigs: unknown[] } }).initialization.ipConfigs;
    expect(ipConfig(runs.staticMovedIp!)).toEqual([{ ipv4: { address: "192.168.4.235/24", gateway: "192.168.4.1" } }]);
    expect(ipConfig(runs.movedIp!)).toEqual([{ ipv4: { address: "dhcp" } }]);
  });

  it.each(["noProxmox", "proxmoxDisabled"])("registers no Proxmox resource at all when Proxmox is off (%s)", (scenario) => {
    const run = runs[scenario]!;
    expect(run.error).toBeUndefined();
    expect(run.resources.filter((r) => r.type.startsWith("proxmoxve:") || r.type === T.proxmoxProvider)).toEqual([]);
    expect(run.resources.filter((r) => r.type === T.reservation)).toHaveLength(3);
    expect(run.resources.filter((r) => r.type === T.k3s)).toHaveLength(3);
    expect(run.stdout).toContain("homelab:proxmox is absent or disabled");
    expect(Object.values(run.nodes ?? {}).map((node) => node.vmId)).toEqual([undefined, undefined, undefined]);
  });

  it("gives a bare-metal node (no proxmox block) its K3s config but no VM, and no reservation when it opts out", () => {
    const run = runs.bareMetalAgent!;
    expect(run.resources.filter((r) => r.name.startsWith("leveling-pc")).map((r) => r.type)).toEqual([T.node, T.k3s]);
    expect(find(run, T.k3s, "leveling-pc-k3s").inputs).toMatchObject({
      nodeIp: "192.168.4.186",
      flannelIface: "enp6s0",
      role: "agent",
      server: "https://k3s.homelab.lan:6443",
      // SSH goes to the declared IP unless ssh.host says otherwise; the key and token are named, never passed.
      ssh: { host: "192.168.4.186", port: 22, user: "deploy", hostKey: `SHA256:${"b".repeat(43)}` },
      tokenConfigKey: "homelab:k3sToken",
      restart: "changed",
    });
  });

  it("delivers no K3s settings to a node without an ssh block, and says so", () => {
    const run = runs.noSsh!;
    expect(run.error).toBeUndefined();
    expect(run.resources.filter((r) => r.type === T.k3s).map((r) => r.name)).toEqual(["k3s-vm-pve-k3s", "k3s-vm-chief-horse-k3s"]);
    expect(run.stdout + run.stderr).toContain('k3s-vm-still-fawn: K3s settings are not delivered (no ssh block)');
  });

  it("asks every server with an ssh block for its datastore, through a read (registered with an id), with the K3s delivery's SSH target", () => {
    const checks = runs.noSsh!.resources.filter((r) => r.type === T.datastores);
    expect(checks.map((r) => [r.name, r.id])).toEqual([["k3s-datastores", "k3s-datastores"]]);
    const servers = checks[0]!.inputs.servers as Array<{ name: string; ssh?: Record<string, unknown> }>;
    expect(servers.map((s) => [s.name, Boolean(s.ssh)])).toEqual([
      ["k3s-vm-pve", true],
      ["k3s-vm-still-fawn", false],
      ["k3s-vm-chief-horse", true],
    ]);
    expect(servers[0]!.ssh).toEqual(find(runs.noSsh!, T.k3s, "k3s-vm-pve-k3s").inputs.ssh);
  });

  it.each([
    ["no server has a datastore: the first server bootstraps", "base", { "cluster-init": true }],
    ["a server has a datastore: the first server joins like the others (a rebuilt or replaced VM too)", "clusterExists", { server: "https://k3s.homelab.lan:6443" }],
  ] as const)("%s, in its SSH delivery and its VM's snippet alike", (_what, scenario, expected) => {
    const run = runs[scenario]!;
    expect(run.errors).toEqual([]);
    const k3s = find(run, T.k3s, "k3s-vm-pve-k3s").inputs;
    const snippet = k3sConfigFromUserData(find(run, T.file, "k3s-vm-pve-userdata"));
    if ("server" in expected) {
      expect(k3s).toMatchObject({ server: expected.server });
      expect(k3s.clusterInit).toBeUndefined();
      expect(snippet["cluster-init"]).toBeUndefined();
    } else {
      expect(k3s).toMatchObject({ clusterInit: true });
      expect(k3s.server).toBeUndefined();
      expect(snippet.server).toBeUndefined();
    }
    expect(snippet).toMatchObject(expected);
    // The other servers join in every case.
    for (const name of ["k3s-vm-still-fawn", "k3s-vm-chief-horse"]) {
      expect(find(run, T.k3s, `${name}-k3s`).inputs).toMatchObject({ server: "https://k3s.homelab.lan:6443" });
      expect(k3sConfigFromUserData(find(run, T.file, `${name}-userdata`))["cluster-init"]).toBeUndefined();
    }
    expect(run.stdout + run.stderr).not.toContain("could not check for a datastore");
  });

  it("keeps cluster-init on the first server when no server could be checked, and warns naming each one", () => {
    const run = runs.noSsh!;
    expect(find(run, T.k3s, "k3s-vm-pve-k3s").inputs).toMatchObject({ clusterInit: true });
    expect(k3sConfigFromUserData(find(run, T.file, "k3s-vm-pve-userdata"))).toMatchObject({ "cluster-init": true });
    const text = run.stdout + run.stderr;
    expect(text).toContain("could not check for a datastore on k3s-vm-pve (no answer from the check), k3s-vm-still-fawn (no answer from the check), k3s-vm-chief-horse (no answer from the check)");
    expect(text).toContain("K3s on k3s-vm-pve would start a second cluster");
  });

  it("keeps the K3s and Proxmox tokens secret wherever they are registered", () => {
    for (const scenario of ["base", "withKubeconfig"]) {
      const run = runs[scenario]!;
      const hash = createHash("sha256").update(K3S_TOKEN).digest("hex");
      for (const needle of [K3S_TOKEN, PVE_TOKEN, hash, "SENTINEL-KUBECONFIG"]) {
        expect(run.resources.flatMap((r) => plaintextOccurrences(r.inputs, needle, `${r.type}/${r.name}`))).toEqual([]);
      }
      expect(JSON.stringify(run.nodes)).not.toMatch(/SENTINEL/);
      expect(run.stdout).not.toMatch(/SENTINEL/);
    }
    const base = runs.base!;
    expect(isSecret(find(base, T.file, "k3s-vm-pve-userdata").inputs.sourceRaw)).toBe(true);
    expect(isSecret(find(base, T.k3s, "k3s-vm-pve-k3s").inputs.tokenSha256)).toBe(true);
    expect(isSecret(find(base, T.proxmoxProvider, "proxmox").inputs.apiToken)).toBe(true);
    // The token really is in the (secret) snippet: the check above is not vacuous.
    expect(JSON.stringify(reveal(find(base, T.file, "k3s-vm-pve-userdata").inputs))).toContain(K3S_TOKEN);
  });

  it("skips the alerts with a log line when homelab:kubeconfig is not set", () => {
    expect(runs.base!.resources.filter((r) => r.type === T.rule || r.type === T.k8sProvider)).toEqual([]);
    expect(runs.base!.stdout).toContain("homelab:kubeconfig is not set: skipping the PrometheusRule alerts");
  });

  it("deploys the PrometheusRule through a provider built from homelab:kubeconfig, one declared-IP rule per node", () => {
    const run = runs.withKubeconfig!;
    const provider = find(run, T.k8sProvider, "homelab-k8s");
    expect(isSecret(provider.inputs.kubeconfig)).toBe(true);
    const rule = find(run, T.rule, "homelab-node-addresses");
    expect(rule.provider).toMatch(/::pulumi:providers:kubernetes::homelab-k8s::/);
    const spec = reveal(rule.inputs.spec) as { groups: Array<{ rules: Array<{ alert: string; labels: Record<string, string> }> }> };
    const declaredRules = spec.groups.flatMap((g) => g.rules).filter((r) => r.alert === "K3sNodeInternalIPNotDeclared");
    expect(declaredRules.map((r) => r.labels.declared_ip)).toEqual(nodeNames.map((name) => declared[name]!.ip));
    expect(run.stdout).not.toContain("skipping the PrometheusRule");
  });

  it("exports a nodes map keyed by node name with the pinned values", () => {
    expect(runs.base!.nodes).toEqual(
      Object.fromEntries(
        nodeNames.map((name, i) => [
          name,
          {
            ip: declared[name]!.ip,
            mac: declared[name]!.mac,
            addressing: "dhcp-reserved",
            reservationId: `rid-${name}`,
            mechanism: "reservedips",
            nodeIp: declared[name]!.ip,
            flannelIface: "eth0",
            vmId: 107 + i,
          },
        ]),
      ),
    );
  });

  it("creates nothing when the config is invalid", () => {
    const run = runs.invalid!;
    expect(run.error?.name).toBe("HomelabConfigError");
    expect(run.error?.message).toContain('nodes["k3s-vm-pve"].ip: 192.168.4.220 is inside the MAAS dynamic range');
    expect(run.resources).toEqual([]);
  });
});
