/**
 * Diagnostics from inside a dynamic provider, as real engine diagnostics (severity, URN) rather
 * than plain stderr text. `pulumi.log` cannot be used there: the provider host never sets up the
 * SDK's engine connection. The host is started as `<node> …/cmd/dynamic-provider <engine address>`
 * like every provider plugin, so this module opens its own client to that address and sends the
 * Engine service's `Log` request (the one `pulumi.log.warn` sends from a program). The message
 * then appears in `pulumi preview`/`up` output under the resource, in `--json` diagnostics and in
 * engine events with `severity: "warning"` and the URN.
 *
 * Outside a provider host (unit tests, plain node) it falls back to `console.warn`.
 */
import * as path from "node:path";

type Severity = "info" | "warning";

interface EngineClient {
  log(request: unknown, callback: (err: Error | null) => void): void;
}

interface EngineModules {
  client: EngineClient;
  proto: {
    LogRequest: new () => {
      setSeverity(s: number): void;
      setMessage(m: string): void;
      setUrn(u: string): void;
      setEphemeral(e: boolean): void;
    };
    LogSeverity: Record<"INFO" | "WARNING", number>;
  };
}

/**
 * Per-process state, on globalThis rather than in module variables: a provider that uses this
 * module may itself be serialized into state (ref/pulumi.md §1.4), and a captured Set or client
 * would be copied by value and break.
 */
const STATE_KEY = "__homelabIpamEngineLog";
function processState(): { engine?: EngineModules | null; sent: Set<string> } {
  const g = globalThis as unknown as Record<string, { engine?: EngineModules | null; sent: Set<string> } | undefined>;
  return (g[STATE_KEY] ??= { sent: new Set<string>() });
}

/** The engine address this process was started with, when it is a dynamic provider host. */
export function providerHostEngineAddress(argv: readonly string[] = process.argv): string | undefined {
  const script = argv[1] ?? "";
  const address = argv[2] ?? "";
  const isHost = path.basename(script) === "dynamic-provider" || script.endsWith(`${path.sep}dynamic-provider${path.sep}index.js`);
  return isHost && /^[\w.[\]:-]+:\d+$/.test(address) ? address : undefined;
}

function connect(): EngineModules | null {
  const state = processState();
  if (state.engine !== undefined) return state.engine;
  const address = providerHostEngineAddress();
  if (!address) return (state.engine = null);
  try {
    // The SDK's own generated stubs and its gRPC library, so the wire format is the engine's.
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
    const rpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
    const proto = require("@pulumi/pulumi/proto/engine_pb");
    const client = new rpc.EngineClient(address, grpc.credentials.createInsecure()) as EngineClient;
    state.engine = { client, proto };
  } catch {
    state.engine = null;
  }
  return state.engine;
}

/**
 * Sends `message` as an engine diagnostic attached to `urn` (optional). The same message for the
 * same URN is sent once per process: refresh and update of one resource in one run warn once.
 * Never throws; resolves when the engine acknowledged (or the fallback printed) it.
 */
export function engineLog(severity: Severity, message: string, urn?: string): Promise<void> {
  const key = `${severity}\u0000${urn ?? ""}\u0000${message}`;
  const { sent } = processState();
  if (sent.has(key)) return Promise.resolve();
  sent.add(key);
  const e = connect();
  if (!e) {
    (severity === "warning" ? console.warn : console.log)(`${severity}: ${message}`);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    try {
      const req = new e.proto.LogRequest();
      req.setSeverity(severity === "warning" ? e.proto.LogSeverity.WARNING : e.proto.LogSeverity.INFO);
      req.setMessage(message);
      req.setUrn(urn ?? "");
      req.setEphemeral(false);
      e.client.log(req, (err) => {
        if (err) console.warn(`${severity}: ${message}`);
        resolve();
      });
    } catch {
      console.warn(`${severity}: ${message}`);
      resolve();
    }
  });
}
