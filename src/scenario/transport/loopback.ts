/**
 * An in-process ClientTransport for driver tests: UDP goes to fake servers (the `FakeServer`
 * callbacks of memory.ts), TCP to fake stream servers, and every delivery is a timer on the
 * FakeClock's VirtualTimers, so a scenario against fake servers is deterministic and instant.
 */
import type { FakeClock } from '../clock.js';
import { timersFor, type VirtualTimers } from '../run/timers.js';
import { reachesServer, type FakeServer } from './memory.js';
import type {
  ByteStream, ClientAddress, ClientAddress6, ClientTransport, Endpoint, RouterAdvertHandler, RouterAdvertSeen, UdpDatagram, UdpHandler,
} from './types.js';

/** A router advertisement to deliver (its `time` is the delivery time). */
export type LoopbackRouterAdvert = Omit<RouterAdvertSeen, 'time'>;

/** A fake TCP server: gets the request bytes so far; returns the whole response (then closes) or null to wait. */
export interface LoopbackStreamServer {
  addr: string;
  port: number;
  handle: (request: Uint8Array, now: number) => { response: Uint8Array; delay?: number } | null;
}

export interface LoopbackOptions {
  /** One-way delay in seconds (default 0.001). */
  latency?: number;
  udp?: FakeServer[];
  tcp?: LoopbackStreamServer[];
  /** Answer every router solicitation with this RA (after the latency); none when absent. */
  routerAdvert?: LoopbackRouterAdvert;
}

export interface LoopbackSent {
  mac: string;
  time: number;
  datagram: UdpDatagram;
}

export class LoopbackTransport implements ClientTransport {
  readonly kind = 'memory' as const;
  readonly sent: LoopbackSent[] = [];
  readonly clients = new Set<string>();
  readonly addresses = new Map<string, ClientAddress | null>();
  readonly addresses6 = new Map<string, ClientAddress6 | null>();
  /** Router solicitations sent, per client. */
  readonly solicitations: { mac: string; time: number }[] = [];
  private readonly raHandlers: RouterAdvertHandler[] = [];
  closed = false;
  private readonly timers: VirtualTimers;
  /** Replaced, never spliced, on unsubscribe: a handler may unsubscribe while the list is iterated. */
  private handlers: readonly UdpHandler[] = [];
  private readonly latency: number;

  constructor(readonly clock: FakeClock, private readonly opts: LoopbackOptions = {}) {
    this.timers = timersFor(clock) as VirtualTimers;
    this.latency = opts.latency ?? 0.001;
  }

  addClient(mac: string): void {
    this.clients.add(mac);
  }

  setClientAddress(mac: string, lease: ClientAddress | null): void {
    this.addresses.set(mac, lease);
  }

  setClientAddress6(mac: string, lease: ClientAddress6 | null): void {
    this.addresses6.set(mac, lease);
  }

  onRouterAdvert(handler: RouterAdvertHandler): void {
    this.raHandlers.push(handler);
  }

  solicitRouters(mac: string): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.solicitations.push({ mac, time: now });
    if (this.opts.routerAdvert) this.advertise(this.opts.routerAdvert, now + this.latency);
  }

  /** Delivers `ra` to the RA handlers at `at` (default now + latency): unsolicited RAs in tests. */
  advertise(ra: LoopbackRouterAdvert, at = this.clock.now() + this.latency): void {
    this.timers.schedule(at, () => {
      if (this.closed) return;
      const seen: RouterAdvertSeen = { ...ra, prefixes: ra.prefixes.map((p) => ({ ...p })), time: this.clock.now() };
      for (const h of this.raHandlers) h(seen);
    });
  }

  sendUdp(mac: string, d: UdpDatagram): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.sent.push({ mac, time: now, datagram: d });
    for (const s of this.opts.udp ?? []) {
      if (!reachesServer(d, s)) continue;
      for (const r of s.handle(d, now)) {
        const reply = 'datagram' in r ? r : { datagram: r, delay: undefined };
        const at = now + (reply.delay ?? this.latency);
        this.timers.schedule(at, () => {
          if (this.closed) return;
          for (const h of this.handlers) h(mac, reply.datagram, this.clock.now());
        });
      }
    }
  }

  onUdp(handler: UdpHandler): () => void {
    this.handlers = [...this.handlers, handler];
    return () => { this.handlers = this.handlers.filter((h) => h !== handler); };
  }

  /** Handlers subscribed now (tests: nothing is left behind). */
  get udpHandlerCount(): number {
    return this.handlers.length;
  }

  connectTcp(_mac: string, dst: Endpoint, _timeoutMs: number): Promise<ByteStream> {
    const server = (this.opts.tcp ?? []).find((s) => s.addr === dst.addr && s.port === dst.port);
    return new Promise((resolve, reject) => {
      this.timers.schedule(this.clock.now() + this.latency, () => {
        if (server === undefined) reject(new Error(`connection refused by ${dst.addr}:${dst.port}`));
        else resolve(new LoopbackStream(server, this.timers, this.latency));
      });
    });
  }

  now(): number {
    return this.clock.now();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

class LoopbackStream implements ByteStream {
  private request = new Uint8Array(0);
  private dataHandler: ((data: Uint8Array, time: number) => void) | null = null;
  private endHandler: ((time: number, error?: string) => void) | null = null;
  private closed = false;
  private answered = false;

  constructor(private readonly server: LoopbackStreamServer, private readonly timers: VirtualTimers, private readonly latency: number) {}

  write(data: Uint8Array): void {
    if (this.closed || this.answered) return;
    const joined = new Uint8Array(this.request.length + data.length);
    joined.set(this.request);
    joined.set(data, this.request.length);
    this.request = joined;
    const now = this.timers.now();
    const r = this.server.handle(this.request, now);
    if (r === null) return;
    this.answered = true;
    const at = now + (r.delay ?? this.latency);
    this.timers.schedule(at, () => {
      if (!this.closed) this.dataHandler?.(r.response, this.timers.now());
    });
    this.timers.schedule(at, () => {
      if (!this.closed) this.endHandler?.(this.timers.now());
    });
  }

  onData(handler: (data: Uint8Array, time: number) => void): void {
    this.dataHandler = handler;
  }

  onEnd(handler: (time: number, error?: string) => void): void {
    this.endHandler = handler;
  }

  close(): void {
    this.closed = true;
  }
}
