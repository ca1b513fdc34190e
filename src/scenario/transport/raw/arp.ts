/**
 * ARP for the raw transport: a cache of server/router MACs, resolution with bounded retries, and
 * the responder that answers for every simulated client's leased address (servers ARP before they
 * unicast an OFFER to yiaddr or TFTP DATA to the client).
 */
import { ArpOperation, ethernetIpv4Arp, type ArpPacket } from '../../../wire/arp.js';
import { ANY_ADDR } from '../../clients/types.js';
import { arpFrame, BROADCAST_MAC, ZERO_MAC } from './frames.js';

export interface ArpTableOptions {
  /** Requests sent before giving up (default 4). */
  retries?: number;
  /** Wait between requests, ms (default 500). */
  intervalMs?: number;
  send(frame: Uint8Array): void;
}

type Waiter = (mac: string | null) => void;

interface Pending {
  waiters: Waiter[];
  attempts: number;
  timer: NodeJS.Timeout | null;
}

export class ArpTable {
  private readonly cache = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  private readonly retries: number;
  private readonly intervalMs: number;
  /** Requests that ran out of retries. */
  failures = 0;

  constructor(private readonly opts: ArpTableOptions) {
    this.retries = Math.max(1, opts.retries ?? 4);
    this.intervalMs = opts.intervalMs ?? 500;
  }

  lookup(ip: string): string | undefined {
    return this.cache.get(ip);
  }

  learn(ip: string, mac: string): void {
    if (ip === ANY_ADDR || mac === BROADCAST_MAC || mac === ZERO_MAC) return;
    this.cache.set(ip, mac);
    const p = this.pending.get(ip);
    if (!p) return;
    this.pending.delete(ip);
    if (p.timer) clearTimeout(p.timer);
    for (const w of p.waiters) w(mac);
  }

  /** Calls `done` with the MAC of `ip` (null after the retries), asking as `asMac`/`asIp`. */
  resolve(ip: string, asMac: string, asIp: string, done: Waiter): void {
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
      // Without a lease this is an ARP probe (sender 0.0.0.0, RFC 5227), which is what a client does.
      this.opts.send(arpFrame(BROADCAST_MAC, ethernetIpv4Arp(ArpOperation.REQUEST, asMac, asIp, ZERO_MAC, ip)));
      entry.timer = setTimeout(ask, this.intervalMs);
    };
    ask();
  }

  /**
   * Learns from any ARP packet and answers requests for an address one of our clients holds
   * (`ownerOf` gives its MAC). Returns true when a reply was sent.
   */
  handle(arp: ArpPacket, ownerOf: (ip: string) => string | undefined): boolean {
    if (arp.hlen !== 6 || arp.plen !== 4) return false;
    if (ownerOf(arp.senderIp) === undefined) this.learn(arp.senderIp, arp.senderMac);
    if (arp.operation !== ArpOperation.REQUEST) return false;
    const mac = ownerOf(arp.targetIp);
    if (mac === undefined || arp.senderMac === mac) return false;
    const reply = ethernetIpv4Arp(ArpOperation.REPLY, mac, arp.targetIp, arp.senderMac, arp.senderIp);
    this.opts.send(arpFrame(arp.senderMac, reply));
    return true;
  }

  close(): void {
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      for (const w of p.waiters) w(null);
    }
    this.pending.clear();
  }
}
