import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Idempotent. */
  close(): Promise<void>;
}

/**
 * GET /metrics in the Prometheus text format, HEAD /metrics its headers
 * (probes and link checkers ask with HEAD); anything else: 404. Its own tiny
 * HTTP server so that every app, NestJS or not, exposes it the same way.
 */
export async function startMetricsServer(options: { registry: Registry; port: number; host: string }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': options.registry.contentType }).end();
      return;
    }
    options.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(body),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Scrapes must not keep a stopping process alive.
  server.unref();
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
