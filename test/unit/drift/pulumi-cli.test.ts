import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compatibleRange, incompatibility, locatePulumiCli, sdkVersion } from "../../../drift/pulumi-cli";
import { ensureBuilt } from "../../harness/ensure-built";

const sdk = sdkVersion();
const [major, minor] = sdk.split(".").map(Number) as [number, number];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pulumi-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A `pulumi` that prints `version` for `pulumi version`. */
async function fake(sub: string, version: string): Promise<string> {
  await mkdir(path.join(dir, sub), { recursive: true });
  const bin = path.join(dir, sub, "pulumi");
  await writeFile(bin, `#!/bin/sh\n[ "$1" = version ] && echo '${version}'\n`);
  await chmod(bin, 0o755);
  return bin;
}

describe("the compatible Pulumi CLI range", () => {
  it(`is >= the lockfile's @pulumi/pulumi (${sdk}) and < 4.0.0`, () => {
    expect(compatibleRange().text).toBe(`>=${sdk} <4.0.0`);
    expect(incompatibility(`v${sdk}`)).toBeNull();
    expect(incompatibility(`v${major}.${minor + 30}.2`)).toBeNull();
    expect(incompatibility(`v${major}.${minor + 1}.0-alpha.1700000000`)).toBeNull();
    expect(incompatibility(`v${major}.${minor - 1}.9`)).toMatch(/older than this project's @pulumi\/pulumi/);
    expect(incompatibility("v4.0.0")).toMatch(/a new major version/);
    expect(incompatibility("pulumi: command not found")).toMatch(/not a version/);
  });
});

describe("locatePulumiCli", () => {
  const env = (extra: Record<string, string>) => ({ PATH: "/nonexistent", HOMELAB_PULUMI_CACHE: path.join(dir, "cache"), ...extra });

  it("takes a compatible pulumi on PATH", async () => {
    const bin = await fake("path", `v${major}.${minor + 5}.0`);
    expect(locatePulumiCli(env({ PATH: path.dirname(bin) }))).toEqual({ bin, version: `${major}.${minor + 5}.0`, origin: "PATH" });
  });

  it("skips an incompatible pulumi on PATH for the project's build, and says why when there is none", async () => {
    const old = await fake("path", "v3.100.0");
    expect(() => locatePulumiCli(env({ PATH: path.dirname(old) }))).toThrow(/No compatible Pulumi CLI .*the pulumi on PATH .* is not used: it is v3\.100\.0, older.*PULUMI_BIN.*scripts\/pulumi-cli\.sh/);
    const built = await fake(`cache/pulumi-v${sdk}/bin`, `v${sdk}`);
    expect(locatePulumiCli(env({ PATH: path.dirname(old) }))).toMatchObject({ bin: built, origin: "project build" });
  });

  it("prefers PULUMI_BIN, and refuses an incompatible one instead of falling back", async () => {
    const onPath = await fake("path", `v${sdk}`);
    const chosen = await fake("chosen", `v${major}.${minor + 1}.0`);
    expect(locatePulumiCli(env({ PATH: path.dirname(onPath), PULUMI_BIN: chosen }))).toMatchObject({ bin: chosen, origin: "PULUMI_BIN" });
    const v4 = await fake("v4", "v4.1.0");
    expect(() => locatePulumiCli(env({ PATH: path.dirname(onPath), PULUMI_BIN: v4 }))).toThrow(/PULUMI_BIN=.* cannot be used: it is v4\.1\.0, a new major version/);
  });

  it("gives scripts/pulumi-cli.sh the same check through the compiled module", async () => {
    const cli = await ensureBuilt("dist/drift/pulumi-cli.js", ["drift"]);
    const check = (bin: string) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, [cli, "check", bin], (err, _out, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr })),
      );
    expect((await check(await fake("ok", `v${sdk}`))).code).toBe(0);
    const bad = await check(await fake("old", "v3.1.0"));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/older than this project's/);
  }, 60_000);
});
