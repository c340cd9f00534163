/**
 * Turns the configured MAAS URL into the API root every path is joined to. People paste the UI URL
 * ("http://maas:5240/MAAS/"), the same without the slash, or the API root itself; all mean the same server.
 */
import { MaasConfigError } from "./errors";

export interface MaasEndpoint {
  /** ".../MAAS/api/2.0/" — always ends with a slash; paths are appended to it. */
  apiRoot: string;
  /** The URL as shown in messages: no credentials, no "api/2.0/", ends with a slash. */
  displayUrl: string;
}

export function resolveMaasUrl(url: string): MaasEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MaasConfigError(
      `MAAS url ${JSON.stringify(String(url))} is not a URL; write it like http://maas.example:5240/MAAS/.`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new MaasConfigError(
      `MAAS url must use http or https, not ${parsed.protocol.replace(/:$/, "")}; write it like http://maas.example:5240/MAAS/.`,
    );
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    throw new MaasConfigError("MAAS url must not have a query string or fragment; write it like http://maas.example:5240/MAAS/.");
  }
  parsed.username = "";
  parsed.password = "";
  const path = parsed.pathname.replace(/\/+$/, "");
  const base = path.replace(/\/api\/2\.0$/, "");
  const origin = `${parsed.protocol}//${parsed.host}`;
  return { apiRoot: `${origin}${base}/api/2.0/`, displayUrl: `${origin}${base}/` };
}
