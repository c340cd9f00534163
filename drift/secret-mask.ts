/**
 * Last line of defence for the drift report: `preview --json` already blinds secrets as
 * "[secret]", but a credential can still slip into plain text (a token pasted into a non-secret
 * config value, a provider error quoting a header). Everything the report or the JSON summary
 * prints passes through `maskSecrets`, which replaces anything shaped like one of the credentials
 * this project handles:
 * - a MAAS API key `consumer:token:secret` (18:18:32 characters, ref/maas-api.md),
 * - a Proxmox API token `USER@REALM!TOKENID=SECRET` (ref/proxmox.md §1.2),
 * - `Authorization:` header values, `Bearer …`, `PVEAPIToken=…`, `OAuth …`,
 * - kubeconfig credential fields (`token:`, `client-key-data:`, …) and PEM private keys,
 * - MAAS's echo forms (a signature base string with the real token secret a 401 sends back, `&…` after an OAuth
 *   word, `oauth_*` values, keys in any spelling), by the MAAS client's own redactor (ref/maas-api.md §1.3).
 */
import { redactMaasEchoes } from "../providers/maas/client/redaction";

export const MASK = "[masked]";

const PATTERNS: ReadonlyArray<[RegExp, string | ((match: string, ...groups: string[]) => string)]> = [
  // PEM private key blocks, whole.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, MASK],
  // MAAS API key: three base62 parts of 18, 18 and 32 characters.
  [/(?<![A-Za-z0-9])[A-Za-z0-9]{18}:[A-Za-z0-9]{18}:[A-Za-z0-9]{32}(?![A-Za-z0-9])/g, MASK],
  // Proxmox API token: keep who it belongs to, drop the secret after "=".
  [/([\w.+-]+@[\w.-]+![\w.-]+)=[A-Za-z0-9-]+/g, (_m, owner: string) => `${owner}=${MASK}`],
  // An Authorization header: everything after it on the line (OAuth headers carry several fields).
  [/\b(authorization\s*[:=]\s*)[^\r\n]*/gi, (_m, head: string) => `${head}${MASK}`],
  // OAuth fields quoted anywhere else.
  [/(oauth_(?:signature|token|consumer_key|nonce)\s*=\s*)("[^"]*"|[^,\s&"]+)/gi, (_m, head: string) => `${head}${MASK}`],
  [/\b(Bearer|PVEAPIToken=?|OAuth)\s*[^\s",;]+/g, (_m, scheme: string) => `${scheme}${scheme.endsWith("=") ? "" : " "}${MASK}`],
  // kubeconfig / YAML / JSON credential fields.
  [
    /(["']?(?:token|client-key-data|client-certificate-data|password|apiKey|api_key|secret)["']?\s*[:=]\s*)(["']?)[^\s"',}]+\2/gi,
    (_m, head: string, q: string) => `${head}${q}${MASK}${q}`,
  ],
];

/** `text` with every credential-shaped substring replaced by "[masked]". "[secret]" is left alone. */
export function maskSecrets(text: string): string {
  let out = redactMaasEchoes(text, MASK);
  for (const [pattern, replacement] of PATTERNS) {
    out = out.replace(pattern, replacement as never);
  }
  return out;
}

/**
 * Pulumi's secret signature: `{ [SECRET_SIG_KEY]: SECRET_SIG, ciphertext | value }` is a secret value
 * (the SDK's `runtime/rpc` `specialSigKey` / `specialSecretSig`; not imported from there, as that
 * module loads the SDK's gRPC runtime into the drift command).
 */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True for a secret in the state file's envelope form. */
function isSecretEnvelope(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/**
 * Deep copy of a JSON value with every string masked, and every secret envelope as "[secret]":
 * the CLI blinds secrets in steps as "[secret]" (ref/pulumi.md §2.3), but a refresh preview's
 * `oldState.inputs` (state-file form) keeps the envelope with `ciphertext: "[secret]"` (seen with
 * 3.246.0), so without this the same secret compares unequal between the two runs.
 */
export function maskValue<T>(value: T): T {
  if (typeof value === "string") return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskValue(v)) as T;
  if (isSecretEnvelope(value)) return "[secret]" as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskValue(v)])) as T;
  }
  return value;
}
