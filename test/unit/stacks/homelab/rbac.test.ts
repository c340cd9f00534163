import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../../../harness/stack";

const file = readFileSync(path.join(repoRoot, "stacks/homelab/rbac.yaml"), "utf8");

describe("stacks/homelab/rbac.yaml", () => {
  it("is what README shows users, object for object", () => {
    const body = file.replace(/^#.*\n/gm, "").trim();
    expect(readFileSync(path.join(repoRoot, "README.md"), "utf8")).toContain("```yaml\n" + body + "\n```");
  });

  it("grants the read-back only get/list on nodes", () => {
    const objects = parseAllDocuments(file).map((d) => d.toJS() as { kind: string; metadata: { name: string }; rules?: unknown[] });
    const readback = objects.find((o) => o.kind === "ClusterRole" && o.metadata.name === "homelab-ipam-readback");
    expect(readback?.rules).toEqual([{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list"] }]);
    expect(objects.filter((o) => o.kind === "ClusterRole")).toHaveLength(1);
  });
});
