/**
 * Link-layer address resolution shared by ARP (arp.ts) and IPv6 neighbour discovery (ndp.ts): a
 * cache of address → MAC, one pending resolution per address with bounded requests at a fixed
 * interval, and waiters told the MAC (or null once the requests run out or the table closes).
 * Only how a request looks (ARP request or neighbour solicitation) and which addresses may be
 * cached differ, and the protocol tables pass those in.
 */
import { BROADCAST_MAC, ZERO_MAC } from './frames.js';

/** Told the MAC of the address asked for, or null when it could not be resolved. */
export type MacWaiter = (mac: string | null) => void;

export interface LinkResolverOptions {
  /** Requests sent before giving up (at least 1 is sent whatever this says). */
  retries: number;
  /** Wait between requests, ms. */
  intervalMs: number;
  /** Sends one request for `ip`, asking as `asMac`/`asIp`. */
  request(ip: string, asMac: string, asIp: string): void;
  /** False for protocol addresses that must never be cached (unspecified, multicast). */
  cacheable(ip: string): boolean;
}

interface Pending {
  waiters: MacWaiter[];
  attempts: number;
  timer: NodeJS.Timeout | null;
}

export class LinkResolver {
  private readonly cache = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  private readonly retries: number;
  private readonly intervalMs: number;
  private readonly request: LinkResolverOptions['request'];
  private readonly cacheable: LinkResolverOptions['cacheable'];
  /** Resolutions that ran out of requests. */
  failures = 0;

  constructor(opts: LinkResolverOptions) {
    this.retries = Math.max(1, opts.retries);
    this.intervalMs = opts.intervalMs;
    this.request = opts.request;
    this.cacheable = opts.cacheable;
  }

  lookup(ip: string): string | undefined {
    return this.cache.get(ip);
  }

  /** Caches `ip` → `mac` and wakes whoever waits for `ip`. */
  learn(ip: string, mac: string): void {
    if (mac === BROADCAST_MAC || mac === ZERO_MAC || !this.cacheable(ip)) return;
    this.cache.set(ip, mac);
    const p = this.pending.get(ip);
    if (!p) return;
    this.pending.delete(ip);
    if (p.timer) clearTimeout(p.timer);
    for (const w of p.waiters) w(mac);
  }

  /** Calls `done` with the MAC of `ip` (null after the retries), asking as `asMac`/`asIp`. */
  resolve(ip: string, asMac: string, asIp: string, done: MacWaiter): void {
    const known = this.cache.get(ip);
    if (known) { done(known); return; }
    const p = this.pending.get(ip);
    if (p) { p.waiters.push(done); return; }
    const entry: Pending = { waiters: [done], attempts: 0, timer: null };
    this.pending.set(ip, entry);
    const ask = (): void => {
      if (entry.attempts >= this.retries) {
        this.pending.delete(ip);
        this.failures++;
        for (const w of entry.waiters) w(null);
        return;
      }
      entry.attempts++;
      this.request(ip, asMac, asIp);
      entry.timer = setTimeout(ask, this.intervalMs);
    };
    ask();
  }

  /** Stops every pending resolution; its waiters get null. */
  close(): void {
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      for (const w of p.waiters) w(null);
    }
    this.pending.clear();
  }
}
