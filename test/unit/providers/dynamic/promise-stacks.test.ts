/**
 * Our resource classes register with stack capture paused (promise-stacks.ts): the limit must come
 * back whatever happens, an error raised meanwhile must still carry the caller's frames, and
 * PULUMI_DEBUG_PROMISE_LEAKS must keep the SDK's traces. The resource cases run the compiled dist/
 * under Pulumi mocks in plain node (vitest's transform breaks dynamic-provider serialization).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { pausePromiseStacks } from "../../../../providers/dynamic/promise-stacks";
import { ensureBuilt } from "../../../harness/ensure-built";

const root = path.resolve(__dirname, "../../../..");
const limit = Error.stackTraceLimit;

afterEach(() => {
  Error.stackTraceLimit = limit;
  delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
});

describe("pausePromiseStacks", () => {
  it("turns stack capture off until resumed, then restores the limit", () => {
    const resume = pausePromiseStacks();
    expect(new Error("x").stack).toBe("Error: x");
    resume();
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("x").stack).toMatch(/promise-stacks\.test\.ts/);
  });

  it("gives an error raised while paused the frames of the caller's caller", () => {
    function Registering() {
      const resume = pausePromiseStacks();
      try {
        throw new Error("bad name");
      } catch (err) {
        throw resume(err, Registering);
      } finally {
        resume();
      }
    }
    let caught: Error | undefined;
    try {
      Registering();
    } catch (err) {
      caught = err as Error;
    }
    expect(caught?.stack).toMatch(/^Error: bad name\n\s+at .*promise-stacks\.test\.ts/);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("leaves capture on when PULUMI_DEBUG_PROMISE_LEAKS asks for the SDK's traces", () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    const resume = pausePromiseStacks();
    expect(new Error("x").stack).toMatch(/promise-stacks\.test\.ts/);
    resume();
  });
});

const script = `
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(root)}] }));
const { MaasReservation } = require(${JSON.stringify(path.join(root, "dist/providers/maas/index.js"))});
pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "p", "s", false);
const r = new MaasReservation("n1", { ip: "192.168.4.10", mac: "bc:24:11:00:00:01", hostname: "n1" });
const limitAfter = Error.stackTraceLimit;
let badName = "";
try { new MaasReservation("", { ip: "192.168.4.11", mac: "bc:24:11:00:00:02", hostname: "n2" }); } catch (e) { badName = e.stack; }
r.ip.apply(() => console.log(JSON.stringify({ limitAfter, badName })));
`;

function registerInNode() {
  const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { limitAfter: number; badName: string };
}

describe("a resource registering", () => {
  beforeAll(() => ensureBuilt("dist/providers/maas/index.js", ["providers"]), 180_000);

  it("restores the limit, and a registration error points at the program line", () => {
    const out = registerInNode();
    expect(out.limitAfter).toBe(10);
    expect(out.badName).toMatch(/Missing resource name[\s\S]*\n\s+at .*\[eval\]/);
  });
});
