import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KubeBinariesMissing, kubeBinDir } from "../../../../lab/kube-cluster";
import { repoRoot } from "../../../harness/stack";

describe("kube binaries", () => {
  let empty: string | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    if (empty) await rm(empty, { recursive: true, force: true });
  });

  it("fails with the command that builds them when they are missing, and builds nothing", async () => {
    empty = await mkdtemp(path.join(os.tmpdir(), "homelab-kube-cache-"));
    vi.stubEnv("HOMELAB_PULUMI_CACHE", empty);
    const err = await kubeBinDir(["etcd", "kube-apiserver"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeBinariesMissing);
    expect((err as Error).message).toMatch(/not built .*etcd kube-apiserver.*Build them with: bash scripts\/kube-binaries\.sh/);
  });

  it("builds the provider plugin at the version @pulumi/kubernetes asks the engine for", () => {
    const pins = readFileSync(path.join(repoRoot, "scripts/kube-binaries.pins"), "utf8");
    const pinned = /^PULUMI_KUBERNETES_VERSION=(\S+)$/m.exec(pins)?.[1];
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "node_modules/@pulumi/kubernetes/package.json"), "utf8")) as { version: string };
    expect(pinned).toBe(pkg.version);
  });
});
