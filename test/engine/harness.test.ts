import { readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CommandError } from "@pulumi/pulumi/automation";
import { afterEach, describe, expect, it } from "vitest";
import { incompatibility } from "../../drift/pulumi-cli";
import { createTempStack, repoRoot, type TempStack } from "../harness/stack";

const program = path.join(repoRoot, "lab/programs/local-store");

describe("engine harness", () => {
  let t: TempStack | undefined;
  afterEach(async () => t?.dispose());

  it("runs a compatible Pulumi CLI (PULUMI_BIN, PATH or the project's build)", async () => {
    t = await createTempStack({ main: program, project: "store", config: { "store:value": "hello" } });
    const r = await t.run(["version"], { stackFlags: false });
    expect(r.stdout.trim()).toBe(`v${t.cli.version}`);
    expect(incompatibility(r.stdout)).toBeNull();
  });

  it("shows an out-of-band change in the refresh preview and fails the drift gate", async () => {
    const storeFile = path.join(os.tmpdir(), `homelab-store-${process.pid}-${Date.now()}.json`);
    // STORE_FILE reaches the dynamic provider process through the CLI's environment.
    t = await createTempStack({ main: program, project: "store", config: { "store:value": "hello" }, env: { STORE_FILE: storeFile } });

    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ create: 2 });
    expect(JSON.parse(await readFile(storeFile, "utf8"))).toEqual({ greeting: "hello" });

    const quiet = await t.stack.preview({ expectNoChanges: true });
    expect(quiet.changeSummary).toEqual({ same: 2 });

    await writeFile(storeFile, JSON.stringify({ greeting: "edited by hand" }));
    const drift = await t.stack.previewRefresh();
    expect(drift.changeSummary.update).toBe(1);

    const gate = await t.stack.previewRefresh({ expectNoChanges: true }).catch((e: unknown) => e);
    expect(gate).toBeInstanceOf(CommandError);
    expect((gate as CommandError).message).toMatch(/no changes were expected/i);

    await t.stack.destroy();
    expect(JSON.parse(await readFile(storeFile, "utf8"))).toEqual({});
    await rm(storeFile, { force: true });
  });
});
