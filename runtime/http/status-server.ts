/**
 * An optional small HTTP server for operators and probes: `/status` (pool.status() as JSON), `/metrics`
 * (Prometheus text of the pool's own registry), `/healthz` (200 while the pool is open and at least one
 * endpoint is ready, else 503). Binds 127.0.0.1 by default: it tells a lot about the fleet, so exposing it
 * further is a deliberate choice.
 */
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Pool } from "../pool/pool";

export interface StatusServerOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
}

export interface StatusServer {
  readonly port: number;
  readonly host: string;
  readonly url: string;
  close(): Promise<void>;
}

export async function startStatusServer(pool: Pool, options: StatusServerOptions = {}): Promise<StatusServer> {
  const host = options.host ?? "127.0.0.1";
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed\n");
    if (path === "/status") return send(200, "application/json", JSON.stringify(pool.status(), null, 2) + "\n");
    if (path === "/healthz") {
      const s = pool.status();
      const ok = !s.closed && s.health !== "down";
      return send(ok ? 200 : 503, "text/plain", `${ok ? "ok" : s.closed ? "closed" : "no endpoint ready"}\n`);
    }
    if (path === "/metrics") {
      pool.metrics.registry.metrics().then(
        (text) => send(200, pool.metrics.registry.contentType, text),
        (err: Error) => send(500, "text/plain", `${err.message}\n`),
      );
      return;
    }
    send(404, "text/plain", "not found; try /status, /metrics or /healthz\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
