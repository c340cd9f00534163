/**
 * A throwaway Pulumi project + stack driven by the real CLI through the Automation API, with a
 * file:// backend and PULUMI_HOME in a temp directory, a passphrase, no plugin downloads and no
 * network. The engine tests, the lab and the benchmark each get their own; `dispose()` removes the
 * directories (state included) without a `pulumi destroy`: the simulators and lab machines the
 * stack managed are thrown away too, and tests that are about deleting call `destroy` themselves.
 *
 * The temp project is a copy of the repository's Pulumi.yaml (so `options.refresh: always` and
 * the runtime settings are exactly what users run) with `dist/` and `node_modules/` linked in.
 */
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, symlink, writeFile, readFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, type EngineEvent, type OpMap, type UpOptions } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { locatePulumiCli, type PulumiCli } from "../drift/pulumi-cli";
import { installLabProxmoxPlugin } from "./proxmox/plugin";

/** The repository root, from the source file (lab/) or its compiled copy (dist/lab/). */
export const repoRoot = path.basename(path.resolve(__dirname, "..")) === "dist" ? path.resolve(__dirname, "../..") : path.resolve(__dirname, "..");

export type ConfigInput = string | number | boolean | object | { value: unknown; secret: true };

export interface TempStackOptions {
  /** Directory of the program relative to the repository (default: Pulumi.yaml's `main`,
   *  i.e. the compiled homelab stack), or an absolute path to a CommonJS program directory. */
  main?: string;
  /** Project name; config keys without a namespace belong to it. Default: Pulumi.yaml's name. */
  project?: string;
  stack?: string;
  /** Stack config: `"ns:key": value`; objects are stored as JSON like structured YAML config;
   *  `{ value, secret: true }` becomes an encrypted secret. */
  config?: Record<string, ConfigInput>;
  /** Extra environment for every CLI run (and so for the program and dynamic providers). */
  env?: Record<string, string>;
  /** Install the lab stand-in of the proxmoxve plugin into this stack's PULUMI_HOME (lab/proxmox/plugin.ts). */
  proxmoxPlugin?: boolean;
  /** Provider plugins to install into the stack's PULUMI_HOME (linked, not copied); nothing is
   *  downloaded, so a program that needs a plugin not listed here fails. */
  plugins?: TempStackPlugin[];
}

/** A locally built plugin binary, installed as `plugins/resource-<name>-v<version>/pulumi-resource-<name>`. */
export interface TempStackPlugin {
  name: string;
  version: string;
  binary: string;
}

export interface CliResult { code: number; stdout: string; stderr: string }

export interface TempStack {
  stack: TempStackHandle;
  workDir: string;
  env: Record<string, string>;
  cli: PulumiCli;
  /** Runs the pulumi binary in the project directory with the stack's environment; adds
   *  `--stack <name> --non-interactive --color never` unless `stackFlags` is false. */
  run(args: string[], opts?: { stackFlags?: boolean }): Promise<CliResult>;
  /** `pulumi preview --json` (the project's normal preview, refresh included), parsed. */
  previewJson(extra?: string[]): Promise<{ code: number; doc: PreviewDocument; stderr: string }>;
  /** `pulumi stack export` as text (secrets stay encrypted), for leak checks. */
  exportState(): Promise<string>;
  setConfig(config: Record<string, ConfigInput>): Promise<void>;
  /** The temp directory holding the project, the state and PULUMI_HOME. */
  baseDir: string;
  /** Deletes the temp directory; with `destroy: true`, runs `pulumi destroy` first (errors ignored). */
  dispose(opts?: { destroy?: boolean }): Promise<void>;
}

/** The parts of `pulumi preview --json` the tests read (ref/pulumi.md §2.3). */
export interface PreviewDocument {
  steps?: Array<{
    op: string;
    urn: string;
    oldState?: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
    newState?: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
    replaceReasons?: string[];
    diffReasons?: string[];
  }>;
  diagnostics?: Array<{ urn?: string; message: string; severity: string }>;
  changeSummary?: Record<string, number>;
}

const passphrase = "temp-stack-passphrase"; // guards only throwaway state in a temp directory

// One `pulumi version` per CLI and process, not two per stack (each costs ≈ 0.3 s of CPU).
const located = new Map<string, PulumiCli>();
function cachedCli(): PulumiCli {
  const key = [process.env.PULUMI_BIN, process.env.PATH, process.env.HOMELAB_PULUMI_CACHE].join("\0");
  let cli = located.get(key);
  if (!cli) located.set(key, (cli = locatePulumiCli()));
  return cli;
}
const commands = new Map<string, Promise<PulumiCommand>>();

/** What `TempStack.stack.up()` returns: the update's output and the engine's summary of it. */
export interface LeanUpResult {
  stdout: string;
  stderr: string;
  summary: { result: "succeeded"; resourceChanges?: OpMap };
}

/** The Automation API stack, with `up` returning a {@link LeanUpResult}. */
export type TempStackHandle = Omit<Stack, "up"> & { up(opts?: UpOptions): Promise<LeanUpResult> };

/**
 * `Stack.up` of the Automation API follows every update with two `pulumi stack output` runs and a
 * `pulumi stack history` (≈ 2 s of CPU per `up` together). This `up` is the same call into the
 * CLI without those three: the summary is the engine's own summary event (a failed update throws,
 * as before), and outputs are not collected — a test that needs them calls `stack.outputs()`.
 */
function withLeanUp(real: Stack): TempStackHandle {
  const stack = Object.create(real) as TempStackHandle;
  stack.up = async (opts?: UpOptions): Promise<LeanUpResult> => {
    let resourceChanges: OpMap | undefined;
    const onEvent = (e: EngineEvent) => {
      if (e.summaryEvent) resourceChanges = e.summaryEvent.resourceChanges;
      opts?.onEvent?.(e);
    };
    // Stack.prototype.up on a view of the stack whose outputs() and info() skip the CLI.
    const view = Object.create(real, { outputs: { value: async () => ({}) }, info: { value: async () => undefined } }) as Stack;
    const { stdout, stderr } = await Stack.prototype.up.call(view, { ...opts, onEvent });
    return { stdout, stderr, summary: { result: "succeeded", resourceChanges } };
  };
  return stack;
}

export async function createTempStack(opts: TempStackOptions = {}): Promise<TempStack> {
  const cli = cachedCli();
  const base = await mkdtemp(path.join(os.tmpdir(), "homelab-stack-"));
  const workDir = path.join(base, "project");
  const home = path.join(base, "pulumi-home");
  const state = path.join(base, "state");
  await Promise.all([mkdir(workDir), mkdir(home), mkdir(state)]);
  if (opts.proxmoxPlugin) await installLabProxmoxPlugin(home, repoRoot);
  for (const plugin of opts.plugins ?? []) {
    const dir = path.join(home, "plugins", `resource-${plugin.name}-v${plugin.version}`);
    await mkdir(dir, { recursive: true });
    await symlink(plugin.binary, path.join(dir, `pulumi-resource-${plugin.name}`));
  }

  const project = parse(await readFile(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  if (opts.project) project.name = opts.project;
  if (opts.main) project.main = path.isAbsolute(opts.main) ? "program/" : opts.main;
  await writeFile(path.join(workDir, "Pulumi.yaml"), stringify(project));
  // package.json too: the Node SDK looks for it above the program to find the project root.
  await symlink(path.join(repoRoot, "package.json"), path.join(workDir, "package.json"));
  await symlink(path.join(repoRoot, "node_modules"), path.join(workDir, "node_modules"));
  await symlink(path.join(repoRoot, "dist"), path.join(workDir, "dist"));
  if (opts.main && path.isAbsolute(opts.main)) await symlink(opts.main, path.join(workDir, "program"));

  const env: Record<string, string> = {
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // With plugins listed, exactly those: never a pulumi-resource-<name> that happens to be on PATH.
    ...(opts.plugins?.length ? { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" } : {}),
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "false",
    ...opts.env,
  };
  // PulumiCommand wants `<root>/bin/pulumi`. A CLI laid out that way (the project build, a normal
  // install) is shared by every stack of the process; one elsewhere (PULUMI_BIN) is linked per stack.
  let pulumiCommand: Promise<PulumiCommand>;
  if (path.basename(cli.bin) === "pulumi" && path.basename(path.dirname(cli.bin)) === "bin") {
    const root = path.dirname(path.dirname(cli.bin));
    pulumiCommand = commands.get(root) ?? PulumiCommand.get({ root });
    commands.set(root, pulumiCommand);
  } else {
    const cliRoot = path.join(base, "cli");
    await mkdir(path.join(cliRoot, "bin"), { recursive: true });
    await symlink(cli.bin, path.join(cliRoot, "bin", "pulumi"));
    pulumiCommand = PulumiCommand.get({ root: cliRoot });
  }
  const stackName = opts.stack ?? "test";
  const stack = withLeanUp(
    await LocalWorkspace.createStack({ stackName, workDir }, { workDir, pulumiHome: home, envVars: env, pulumiCommand: await pulumiCommand }),
  );

  const run = (args: string[], { stackFlags = true } = {}): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        cli.bin,
        stackFlags ? [...args, "--stack", stackName, "--non-interactive", "--color", "never"] : args,
        { cwd: workDir, env: { ...process.env, ...env, PATH: `${path.dirname(cli.bin)}:${process.env.PATH}` }, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  const setConfig = async (config: Record<string, ConfigInput>) => {
    const entries = Object.entries(config).map(([key, v]) => {
      const secret = typeof v === "object" && v !== null && (v as { secret?: unknown }).secret === true && "value" in v;
      const raw = secret ? (v as { value: unknown }).value : v;
      const value = typeof raw === "string" ? raw : JSON.stringify(raw);
      return [key, { value, secret }] as const;
    });
    if (entries.length) await stack.setAllConfig(Object.fromEntries(entries));
  };
  await setConfig(opts.config ?? {});

  let disposed = false;
  return {
    stack,
    workDir,
    baseDir: base,
    env,
    cli,
    run,
    setConfig,
    async previewJson(extra = []) {
      const r = await run(["preview", "--json", ...extra]);
      let doc: PreviewDocument;
      try {
        doc = JSON.parse(r.stdout) as PreviewDocument;
      } catch {
        throw new Error(`pulumi preview --json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
      }
      return { code: r.code, doc, stderr: r.stderr };
    },
    async exportState() {
      const r = await run(["stack", "export"]);
      if (r.code !== 0) throw new Error(`pulumi stack export failed: ${r.stderr}`);
      return r.stdout;
    },
    async dispose({ destroy = false } = {}) {
      if (disposed) return;
      disposed = true;
      if (destroy) {
        try {
          await stack.destroy({ refresh: false });
        } catch {
          // the simulator may already be gone; the state directory is deleted below either way
        }
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** Counts of logical changes in a preview document, ignoring the root stack. */
export function changedSteps(doc: PreviewDocument): Array<{ op: string; name: string; type: string }> {
  return (doc.steps ?? [])
    .filter((s) => !["same", "read", "refresh"].includes(s.op) && !s.urn.endsWith("pulumi:pulumi:Stack::" + s.urn.split("::").pop()))
    .map((s) => {
      const parts = s.urn.split("::");
      const type = parts[parts.length - 2].split("$").pop() ?? "";
      return { op: s.op, name: parts[parts.length - 1], type };
    })
    .filter((s) => s.type !== "pulumi:pulumi:Stack");
}
