/**
 * The metrics endpoint: `GET /metrics` and nothing else on that port (404 for any other path, 405
 * for any other method). The edge of the monitor: the only module here that opens a socket.
 */
import { createServer, type Server } from 'node:http';
import { formatListenAddress, type ListenAddress } from './listen.js';
import type { Rendered } from './prom.js';
import { MetricsServerError } from '../errors.js';
export { MetricsServerError } from '../errors.js';

export interface MetricsServer {
  /** Where it listens, with the port actually bound (`http://127.0.0.1:9464/metrics`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(at: ListenAddress, render: (accept: string | undefined) => Promise<Rendered>): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('pxecheck serves only /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET /metrics\n');
      return;
    }
    render(req.headers.accept).then(
      (r) => res.writeHead(200, { 'content-type': r.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : r.body),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(e as Error).message}\n`),
    );
  });
  // A scraper's keep-alive connection must not hold the process open after the capture.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new MetricsServerError(listenError(at, e))));
    server.listen(at.port, at.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : at.port;
  return {
    url: `http://${formatListenAddress({ host: at.host, port })}/metrics`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function listenError(at: ListenAddress, e: NodeJS.ErrnoException): string {
  const where = formatListenAddress(at);
  if (e.code === 'EADDRINUSE') return `--metrics ${where}: the port is in use (another exporter, or another pxecheck); choose another port`;
  if (e.code === 'EADDRNOTAVAIL') return `--metrics ${where}: ${at.host} is not an address of this machine`;
  if (e.code === 'EACCES') return `--metrics ${where}: ports below 1024 need root; choose another port (9464 is the usual one)`;
  return `--metrics ${where}: cannot listen: ${e.code ?? e.message}`;
}
