/**
 * In-memory network for tests: runs one client machine against fake servers (callbacks) on a
 * FakeClock, with per-datagram latency and loss injection. Deterministic: no real timers.
 */
import type { FakeClock } from '../clock.js';
import { isIpv6, isMulticast6 } from '../../wire/ipv6-address.js';
import { BROADCAST_ADDR, type ClientMachine, type UdpDatagram } from '../clients/types.js';

export interface ServerReply {
  datagram: UdpDatagram;
  /** Seconds after the request (default: the network's latency). */
  delay?: number;
}

export type FakeServerHandler = (d: UdpDatagram, now: number) => Array<UdpDatagram | ServerReply>;

export interface FakeServer {
  /** IPv4 or IPv6 address. IPv6 servers also get datagrams to IPv6 multicast groups (ff02::1:2). */
  addr: string;
  /** Ports it listens on (default any). */
  ports?: number[];
  handle: FakeServerHandler;
}

export interface WireLogEntry {
  time: number;
  dir: 'toServer' | 'toClient';
  datagram: UdpDatagram;
  dropped: boolean;
}

export interface MemoryNetworkOptions {
  /** One-way delay in seconds (default 0.001). */
  latency?: number;
  /** Return true to lose a datagram; `n` counts datagrams per direction (0-based). */
  drop?: (d: UdpDatagram, dir: 'toServer' | 'toClient', n: number) => boolean;
}

interface Pending {
  at: number;
  seq: number;
  datagram: UdpDatagram;
}

export class MemoryNetwork {
  readonly log: WireLogEntry[] = [];
  private readonly servers: FakeServer[] = [];
  private queue: Pending[] = [];
  private seq = 0;
  private readonly counts = { toServer: 0, toClient: 0 };

  constructor(readonly clock: FakeClock, private readonly opts: MemoryNetworkOptions = {}) {}

  addServer(s: FakeServer): this {
    this.servers.push(s);
    return this;
  }

  /** A datagram for the client at absolute time `at` (unsolicited packets, wrong TIDs). */
  inject(d: UdpDatagram, at: number): void {
    this.enqueue(d, at);
  }

  /** Datagrams the client sent, in order (dropped ones included). */
  sentByClient(): UdpDatagram[] {
    return this.log.filter((e) => e.dir === 'toServer').map((e) => e.datagram);
  }

  /** Drive `client` until it is done, stalls, or the limits hit; returns its result (or null). */
  run<R>(client: ClientMachine<R>, limits: { maxTime?: number; maxSteps?: number } = {}): R | null {
    const end = this.clock.now() + (limits.maxTime ?? 3600);
    const maxSteps = limits.maxSteps ?? 1_000_000;
    for (let step = 0; step < maxSteps; step++) {
      const now = this.clock.now();
      while (this.queue.length && this.queue[0]!.at <= now) {
        const p = this.queue.shift()!;
        client.process(p.datagram, now);
      }
      for (const d of client.dispatch(now)) this.toServers(d, now);
      const result = client.done();
      if (result !== null) return result;
      const poll = client.pollAt();
      const next = Math.min(poll ?? Infinity, this.queue[0]?.at ?? Infinity);
      if (next === Infinity || next > end) return null;
      this.clock.set(next);
    }
    return null;
  }

  private toServers(d: UdpDatagram, now: number): void {
    const dropped = this.opts.drop?.(d, 'toServer', this.counts.toServer++) ?? false;
    this.log.push({ time: now, dir: 'toServer', datagram: d, dropped });
    if (dropped) return;
    for (const s of this.servers) {
      if (!reachesServer(d, s)) continue;
      for (const r of s.handle(d, now)) {
        const reply = 'datagram' in r ? r : { datagram: r };
        this.enqueue(reply.datagram, now + (reply.delay ?? this.opts.latency ?? 0.001));
      }
    }
  }

  private enqueue(d: UdpDatagram, at: number): void {
    const dropped = this.opts.drop?.(d, 'toClient', this.counts.toClient++) ?? false;
    this.log.push({ time: at, dir: 'toClient', datagram: d, dropped });
    if (dropped) return;
    this.queue.push({ at, seq: this.seq++, datagram: d });
    this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}

/** Whether a client's datagram reaches fake server `s`: its address, IPv4 broadcast, or (IPv6
 *  servers only) an IPv6 multicast group such as All_DHCP_Relay_Agents_and_Servers. */
export function reachesServer(d: UdpDatagram, s: FakeServer): boolean {
  if (s.ports && !s.ports.includes(d.dst.port)) return false;
  if (s.addr === d.dst.addr || d.broadcast || d.dst.addr === BROADCAST_ADDR) return true;
  return isIpv6(d.dst.addr) && isMulticast6(d.dst.addr) && isIpv6(s.addr);
}
