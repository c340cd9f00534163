/**
 * A tiny HTTP server on 127.0.0.1:0 for tests of the HTTP layer: each test scripts the answers and the
 * server records what arrived (method, url, headers, body). Binds loopback only.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What a handler does with one request: answer, or destroy the socket (a reset). */
export type CannedAnswer =
  | { status: number; body?: string; contentType?: string; headers?: Record<string, string>; delayMs?: number }
  | { reset: true; afterBody?: boolean }
  | { hang: true };

export interface CannedServer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startCannedServer(answer: (req: SeenRequest, index: number) => CannedAnswer): Promise<CannedServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry: SeenRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const index = seen.push(entry) - 1;
      const a = answer(entry, index);
      if ("reset" in a) {
        req.socket.destroy();
        return;
      }
      if ("hang" in a) return; // never answer; the client's timeout must fire
      const send = () => {
        res.writeHead(a.status, { "content-type": a.contentType ?? "application/json; charset=utf-8", ...(a.headers ?? {}) });
        res.end(a.body ?? "");
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/MAAS/`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening (bound, then closed), for connection-refused tests. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Parses the `name="value"` pairs of an OAuth Authorization header. */
export function oauthParams(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const m of header.replace(/^OAuth /, "").matchAll(/([a-z_]+)="([^"]*)"/g)) out[m[1]!] = decodeURIComponent(m[2]!);
  return out;
}
