import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { HomelabConfigError, parseHomelabConfig } from "../../../../../stacks/homelab/config/load";
import { expectedMessage, rawConfigFrom, readStackFile, SECRET_PLACEHOLDERS, type StackValues } from "./stack-file";

const root = resolve(__dirname, "../../../../..");
const fixtures = join(root, "test/fixtures/config");
const invalidFixtures = readdirSync(join(fixtures, "invalid"))
  .filter((file) => file.endsWith(".yaml"))
  .sort();

function configError(values: StackValues): HomelabConfigError {
  try {
    parseHomelabConfig(rawConfigFrom(values));
  } catch (error) {
    if (error instanceof HomelabConfigError) return error;
    throw error;
  }
  throw new Error("expected a HomelabConfigError, but the config was accepted");
}

function validValues(): StackValues {
  return structuredClone(readStackFile(join(fixtures, "valid/homelab.yaml")).values);
}

describe("parseHomelabConfig", () => {
  it("accepts the incident cluster (valid/homelab.yaml) and resolves the defaults", () => {
    const settings = parseHomelabConfig(rawConfigFrom(validValues()));
    expect(settings.nodes.map((node) => [node.name, node.ip, node.mac, node.reserveInMaas])).toEqual([
      ["k3s-vm-pve", "192.168.4.238", "bc:24:11:3b:7a:a7", true],
      ["k3s-vm-still-fawn", "192.168.4.236", "bc:24:11:a9:d5:8c", true],
      ["k3s-vm-chief-horse", "192.168.4.237", "bc:24:11:1a:38:07", true],
    ]);
    expect(settings.initServer).toBe("k3s-vm-pve");
    expect(settings.proxmox?.bridge).toBe("vmbr0");
    expect(settings.nodes[0]?.proxmox).toEqual({ node: "pve", vmId: 107, cores: 2, memoryMb: 4096, diskGb: 32 });
    expect(settings.alerts).toEqual({ enabled: true, namespace: "monitoring", labels: {} });
  });

  it("has one invalid fixture per rule, each with an expect header", () => {
    expect(invalidFixtures.length).toBeGreaterThanOrEqual(40);
    for (const file of invalidFixtures) {
      expect(expectedMessage(readStackFile(join(fixtures, "invalid", file)).text), file).toBeTruthy();
    }
  });

  it.each(invalidFixtures)("rejects invalid/%s with the message its header names", (file) => {
    const { text, values } = readStackFile(join(fixtures, "invalid", file));
    const expected = expectedMessage(text) ?? "";
    const error = configError(values);
    expect(error.message).toContain(expected);
    // Every issue line reads "<path>: <what is wrong>; <how to fix>".
    for (const line of error.message.split("\n").slice(1)) {
      expect(line).toMatch(/^\S+: .+; .+$/);
    }
    expect(error.message).not.toContain("fixture-k3s-token");
    expect(error.message).not.toContain("00000000-0000-4000-8000-000000000000");
  });

  it("reports several problems at once, one per line, after a header", () => {
    const values = validValues();
    const nodes = values["homelab:nodes"] as Array<Record<string, unknown>>;
    nodes[0]!.ip = "192.168.4.220"; // in the dynamic range
    nodes[1]!.mac = "bc:24:11:1a:38:0g"; // not hex
    nodes[2]!.ip = "192.168.4.220"; // duplicate of nodes[0] (and in the range)
    delete nodes[2]!.interface;
    (values["homelab:k3s"] as Record<string, unknown>).flannelBackend = "vxlam";
    delete values["homelab:k3sToken"];

    const error = configError(values);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe(`homelab stack config has ${error.issues.length} problems (nothing was created):`);
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('nodes["k3s-vm-pve"].ip: 192.168.4.220 is inside the MAAS dynamic range 192.168.4.200-192.168.4.229'),
        expect.stringContaining('nodes["k3s-vm-still-fawn"].mac: "bc:24:11:1a:38:0g" is not a MAC address (group 6 "0g" is not hex)'),
        expect.stringContaining('nodes["k3s-vm-chief-horse"].interface: is missing'),
        expect.stringContaining('k3s.flannelBackend: "vxlam" is not one of vxlan, host-gw, wireguard-native, none'),
        expect.stringContaining("homelab:k3sToken: not set"),
      ]),
    );
    expect(lines).toHaveLength(error.issues.length + 1);
  });

  it("still checks the other nodes when one node fails the schema", () => {
    const values = validValues();
    const nodes = values["homelab:nodes"] as Array<Record<string, unknown>>;
    nodes[0]!.role = "master";
    nodes[2]!.ip = nodes[1]!.ip;
    const error = configError(values);
    expect(error.message).toContain('nodes["k3s-vm-pve"].role: "master" is not one of server, agent');
    expect(error.message).toContain('nodes["k3s-vm-chief-horse"].ip: 192.168.4.236 is already used by nodes["k3s-vm-still-fawn"]');
    // With a node unparsed the server count is unknown, so no even-count complaint.
    expect(error.message).not.toContain("is an even number");
  });

  it("is a RunError, so Pulumi prints it without a stack trace", async () => {
    const pulumi = await import("@pulumi/pulumi");
    expect(pulumi.RunError.isInstance(configError({}))).toBe(true);
  });
});

describe("the shipped Pulumi.homelab.yaml", () => {
  const shipped = readStackFile(join(root, "Pulumi.homelab.yaml"));
  const documentedSecrets = [...shipped.text.matchAll(/^#\s+pulumi config set --secret (\S+)/gm)].map((match) => match[1] ?? "");

  it("holds no secret in plain text", () => {
    expect(Object.keys(shipped.values).filter((key) => /token|key|kubeconfig|password/i.test(key))).toEqual([]);
  });

  it("documents a `pulumi config set --secret` command for every secret the stack uses", () => {
    expect(documentedSecrets).toEqual(
      expect.arrayContaining(["maas:apiKey", "homelab:proxmoxApiToken", "homelab:k3sToken", "homelab:kubeconfig"]),
    );
  });

  it("validates once the documented secrets are set", () => {
    const values: StackValues = { ...shipped.values };
    for (const key of documentedSecrets) values[key] = SECRET_PLACEHOLDERS[key];
    const settings = parseHomelabConfig(rawConfigFrom(values));
    expect(settings.nodes.map((node) => `${node.name}=${node.ip}/${node.mac}`)).toEqual([
      "k3s-vm-pve=192.168.4.238/bc:24:11:3b:7a:a7",
      "k3s-vm-still-fawn=192.168.4.236/bc:24:11:a9:d5:8c",
      "k3s-vm-chief-horse=192.168.4.237/bc:24:11:1a:38:07",
    ]);
    expect(settings.nodes.every((node) => node.addressing === "dhcp-reserved" && node.role === "server")).toBe(true);
    expect(settings.nodes.map((node) => node.proxmox?.node)).toEqual(["pve", "still-fawn", "chief-horse"]);
    expect(settings.network.dynamicRange).toBeDefined();
  });

  it("puts the incident's pool addresses .220-.222 inside the declared dynamic range", () => {
    const values: StackValues = { ...shipped.values, "homelab:k3sToken": "x" };
    const nodes = structuredClone(values["homelab:nodes"]) as Array<Record<string, unknown>>;
    nodes[0]!.ip = "192.168.4.222";
    nodes[1]!.ip = "192.168.4.221";
    nodes[2]!.ip = "192.168.4.220";
    values["homelab:nodes"] = nodes;
    const error = configError(values);
    expect(error.issues.filter((issue) => issue.problem.includes("inside the MAAS dynamic range"))).toHaveLength(3);
  });

  it("fails without the secrets, naming the commands to run", () => {
    const error = configError(shipped.values);
    expect(error.message).toContain("homelab:k3sToken: not set");
    expect(error.message).toContain("pulumi config set --secret homelab:k3sToken");
    expect(error.message).toContain("homelab:proxmoxApiToken: not set");
  });
});
