/** `--metrics [ADDR:]PORT`: where the metrics endpoint listens (pure parsing). */
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  /** 0: any free port (the one chosen is printed). */
  port: number;
}

/** The default address: only this machine can scrape unless told otherwise. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/** `9464`, `127.0.0.1:9464`, `0.0.0.0:9464`, `[::1]:9464`, `localhost:9464`; null when it is none of these. */
export function parseListenAddress(text: string): ListenAddress | null {
  const t = text.trim();
  let host = DEFAULT_METRICS_HOST;
  let port: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  const v4 = /^([^:[\]]+):(\d+)$/.exec(t);
  if (/^\d+$/.test(t)) port = t;
  else if (v6) {
    if (isIP(v6[1]!) !== 6) return null;
    host = v6[1]!;
    port = v6[2]!;
  } else if (v4) {
    if (isIP(v4[1]!) !== 4 && v4[1] !== 'localhost') return null;
    host = v4[1]!;
    port = v4[2]!;
  } else return null;
  const n = Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return null;
  return { host, port: n };
}

/** `127.0.0.1:9464`, `[::1]:9464`. */
export function formatListenAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
