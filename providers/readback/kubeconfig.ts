/**
 * Turns kubeconfig text into the one thing the read-back needs: where the cluster API is and how to
 * authenticate (bearer token, or client certificate + key), plus the CA to trust. K3s writes exactly
 * this shape to /etc/rancher/k3s/k3s.yaml (client-certificate-data + client-key-data +
 * certificate-authority-data); a service-account kubeconfig uses `token`.
 *
 * The text is a secret. Errors name the config key and the kubeconfig field, never a value from it.
 * The zod schema is built inside the function on purpose: a schema object captured by a dynamic
 * provider would be copied by value into the serialized code (ref/pulumi.md §1.4).
 */
import { parse } from "yaml";
import { z } from "zod";

/** Where and how to reach the cluster API. */
export interface KubeTarget {
  /** API server base URL without a trailing slash, e.g. "https://192.168.4.238:6443". */
  server: string;
  token?: string;
  /** PEM client certificate and key (decoded from the *-data fields). */
  cert?: string;
  key?: string;
  /** PEM CA bundle to trust for the server certificate. */
  ca?: string;
  /** kubeconfig's insecure-skip-tls-verify. */
  insecure: boolean;
}

export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
  readonly code = "KUBECONFIG_INVALID";
}

function kubeconfigSchema() {
  return z.object({
    "current-context": z.string().optional(),
    clusters: z.array(
      z.object({
        name: z.string(),
        cluster: z.object({
          server: z.string(),
          "certificate-authority-data": z.string().optional(),
          "insecure-skip-tls-verify": z.boolean().optional(),
        }),
      }),
    ),
    users: z
      .array(
        z.object({
          name: z.string(),
          user: z.object({
            token: z.string().optional(),
            "client-certificate-data": z.string().optional(),
            "client-key-data": z.string().optional(),
          }),
        }),
      )
      .optional(),
    contexts: z
      .array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string().optional() }) }))
      .optional(),
  });
}

function decodeBase64Pem(data: string): string {
  return Buffer.from(data, "base64").toString("utf8");
}

/**
 * Parses kubeconfig YAML. `source` names where the text came from (a config key or a file path) and
 * appears in every error. Uses `current-context`, or the only context, or the only cluster/user.
 */
export function parseKubeconfig(text: string, source: string): KubeTarget {
  const fail = (problem: string): never => {
    throw new KubeconfigError(`${source}: ${problem}`);
  };
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    // The YAML parser's message quotes the offending line, which may hold a key or token.
    return fail("is not valid YAML; paste the whole kubeconfig file (e.g. /etc/rancher/k3s/k3s.yaml).");
  }
  const result = kubeconfigSchema().safeParse(doc);
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join(".") || "(top level)").join(", ");
    return fail(`is not a kubeconfig (wrong or missing fields: ${where}); expected clusters[].cluster.server and users[].user.`);
  }
  const cfg = result.data;
  const contexts = cfg.contexts ?? [];
  const users = cfg.users ?? [];
  let clusterName: string | undefined;
  let userName: string | undefined;
  const contextName = cfg["current-context"] ?? (contexts.length === 1 ? contexts[0]!.name : undefined);
  if (contextName !== undefined) {
    const ctx = contexts.find((c) => c.name === contextName);
    if (!ctx) return fail(`current-context "${contextName}" is not listed under contexts; fix current-context or add the context.`);
    clusterName = ctx.context.cluster;
    userName = ctx.context.user;
  }
  const cluster =
    clusterName !== undefined
      ? cfg.clusters.find((c) => c.name === clusterName)
      : cfg.clusters.length === 1
        ? cfg.clusters[0]
        : undefined;
  if (!cluster) {
    return fail(
      clusterName !== undefined
        ? `cluster "${clusterName}" named by the context is not listed under clusters.`
        : "has several clusters and no current-context; set current-context.",
    );
  }
  const user =
    userName !== undefined ? users.find((u) => u.name === userName) : users.length === 1 ? users[0] : undefined;
  if (userName !== undefined && !user) return fail(`user "${userName}" named by the context is not listed under users.`);

  let server: URL;
  try {
    server = new URL(cluster.cluster.server);
  } catch {
    return fail(`clusters["${cluster.name}"].cluster.server is not a URL; write e.g. https://192.168.4.238:6443.`);
  }
  if (server.protocol !== "https:" && server.protocol !== "http:") {
    return fail(`clusters["${cluster.name}"].cluster.server must be an http or https URL, not ${server.protocol}.`);
  }
  const target: KubeTarget = {
    server: server.toString().replace(/\/+$/, ""),
    insecure: cluster.cluster["insecure-skip-tls-verify"] === true,
  };
  const caData = cluster.cluster["certificate-authority-data"];
  if (caData) target.ca = decodeBase64Pem(caData);
  const u = user?.user;
  if (u?.token) target.token = u.token;
  const certData = u?.["client-certificate-data"];
  const keyData = u?.["client-key-data"];
  if (certData || keyData) {
    if (!certData || !keyData) {
      return fail(`users["${user!.name}"].user needs both client-certificate-data and client-key-data (only one is set).`);
    }
    target.cert = decodeBase64Pem(certData);
    target.key = decodeBase64Pem(keyData);
  }
  if (!target.token && !target.cert) {
    return fail("has no credentials for the selected user: set users[].user.token or client-certificate-data + client-key-data.");
  }
  return target;
}
