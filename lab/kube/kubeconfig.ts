/**
 * kubeconfig text for a simulated cluster, rendered with the `yaml` library: what a user would
 * paste into `pulumi config set --secret homelab:kubeconfig`. Bearer-token auth over plain http,
 * since the simulator only serves loopback.
 */
import { stringify } from "yaml";

export function renderKubeconfig(server: string, token: string, name = "homelab-sim"): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
  });
}
