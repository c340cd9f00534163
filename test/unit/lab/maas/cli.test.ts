/**
 * The CLI (lab/maas/main.ts) in a real, plain `node` process: it prints one JSON line, serves, and exits 0 on
 * SIGTERM. The sources are transpiled with the project's own TypeScript into a temp dir first, so the test always
 * runs the current code without depending on a prior `npm run build`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "../../../../lab/maas/main";
import { oauthHeader } from "./maas-http";

const ROOT = resolve(__dirname, "../../../..");

function transpileLabMaas(outDir: string): string {
  const srcDir = join(ROOT, "lab/maas");
  const target = join(outDir, "lab/maas");
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(srcDir).filter((f) => f.endsWith(".ts"))) {
    const out = ts.transpileModule(readFileSync(join(srcDir, file), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    writeFileSync(join(target, file.replace(/\.ts$/, ".js")), out.outputText);
  }
  return join(target, "main.js");
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buf = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolveLine(buf.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code} before printing its address`)));
  });
}

describe("MAAS simulator CLI", () => {
  let dir: string;
  let mainJs: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "maas-sim-cli-"));
    mainJs = transpileLabMaas(dir);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints its URL, key and version as one JSON line, serves the API, and exits 0 on SIGTERM", async () => {
    const stateFile = join(dir, "state.json");
    const child = spawn(process.execPath, [mainJs, "--version", "3.6.0", "--port", "0", "--state", stateFile], {
      env: { ...process.env, NODE_PATH: join(ROOT, "node_modules") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const info = JSON.parse(await firstLine(child));
      expect(info).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/MAAS\/$/), version: "3.6.0" });
      expect(info.apiKey).toMatch(/^[A-Za-z0-9]{18}:[A-Za-z0-9]{18}:[A-Za-z0-9]{32}$/);
      const res = await request(`${info.url}api/2.0/reservedips/`, { headers: { authorization: oauthHeader(info.apiKey) } });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual([]);
      const renew = await request(`${new URL(info.url).origin}/_sim/dhcp/renew?mac=bc:24:11:3b:7a:a7`, { method: "POST" });
      expect(await renew.body.json()).toEqual({ ip: "192.168.4.200", source: "pool" });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(existsSync(stateFile)).toBe(true);
  });

  it("parses its flags and names a bad one", () => {
    expect(parseArgs(["--version", "3.6.1", "--port", "5240", "--state", "/tmp/s.json"])).toEqual({ version: "3.6.1", port: 5240, stateFile: "/tmp/s.json" });
    expect(() => parseArgs(["--port", "abc"])).toThrow('--port must be a number 0–65535, got "abc".');
    expect(() => parseArgs(["--host", "0.0.0.0"])).toThrow('unknown argument "--host".');
    expect(() => parseArgs(["--version"])).toThrow("--version needs a value.");
  });
});
