/**
 * The lean DORA engine of load mode, for client groups whose chain is DHCPv4 only (lean-chain.ts
 * says which). Clients are rows in typed arrays (state, xid, times, offer, lease) up to the
 * concurrency cap; one receive handler for all of them finds a reply's row from its xid (the row
 * number sits in the xid's low bits, random bits above) and reads it at fixed offsets plus one
 * option walk (scanReply); every deadline (retransmission, offer window, the step's hard
 * deadline) is an entry in one heap under ONE timer. Messages are copies of templates the wire
 * codec encoded once per group, patched in place.
 *
 * The client behaves as Dhcp4Client does (RFC 2131), with its defaults and rules from
 * clients/dhcp4-message.ts (DHCP4_RETRY, prefersOffer, noAnswerError): retransmission at 4, 8, 16… s
 * ±1 s, 4 sends of a message; the offer window of the persona or the step, a PXE client preferring the first
 * offer with a boot file; a NAK restarts DORA (new xid, after nakRestartDelay) up to 3 times; ACK/NAK from a server other
 * than the chosen offer's ignored. Step outcomes, durations (offer window left out), budgets and
 * failure texts follow runStep's, so a storm reports the same counts on either engine.
 */
import { ipv4FromString, ipv4ToString, macToString, putU16, putU32, u32 } from '../../wire/bytes.js';
import { DhcpV4MessageType, F, isReplyFor, newReplyScan, scanReply } from '../../wire/dhcpv4/index.js';
import { UdpPort } from '../../wire/ports.js';
import { backoff, DHCP4_RETRY, nakRestartDelay, noAnswerError, prefersOffer } from '../clients/dhcp4-message.js';
import type { RandomSource, UdpDatagram } from '../clients/types.js';
import type { StatKind } from '../load-schema.js';
import { macToNumber } from '../schema/index.js';
import { seconds, type StepResult } from '../run/result.js';
import type { Timer, Timers } from '../run/timers.js';
import type { ClientTransport } from '../transport/types.js';
import { DeadlineHeap } from './deadline-heap.js';
import { MAX_LEAN_STEPS, offerWindowOf, type LeanGroup, type LeanStep, type LeanTemplate } from './lean-chain.js';

export type LeanOutcome = 'ok' | 'failed' | 'timed-out';

/** Where the engine's results go (the load runner's tally). */
export interface LeanSink {
  /** One measured exchange: `us` null when it got no answer. */
  exchange(group: number, kind: StatKind, outcome: LeanOutcome, us: number | null, server: string | undefined): void;
  /** A client's end. `failure`: the failed step's kind and message; `steps` renders its step results. */
  ended(group: number, mac: string, index: number, outcome: LeanOutcome, t0: number, t1: number,
    failure: { kind: StatKind; message: string } | null, steps: () => StepResult[]): void;
}

export interface LeanOptions {
  transport: ClientTransport;
  timers: Timers;
  random: RandomSource;
  scenarioDeadline: number;
  /** The scenario's server (`--server`): where a lease without a server identifier is renewed/released. */
  server: string;
  /** Per scenario client group: its lean chain, or null (the general runner plays it). */
  groups: ReadonlyArray<LeanGroup | null>;
  /** Clients in flight at most (rows). */
  capacity: number;
  sink: LeanSink;
}

const FREE = 0;
const SELECTING = 1;
const REQUESTING = 2;
const RENEWING = 3;

const { maxAttempts: MAX_ATTEMPTS, initialTimeout: INITIAL_TIMEOUT, maxTimeout: MAX_TIMEOUT, maxRestarts: MAX_RESTARTS } = DHCP4_RETRY;
/** A step may run past its budget (to report the real time) up to this many budgets (runStep's). */
const OVERRUN_FACTOR = 2;

const CLIENT_ANY = { addr: '0.0.0.0', port: UdpPort.DHCP_CLIENT };
const BROADCAST_SERVER = { addr: '255.255.255.255', port: UdpPort.DHCP_SERVER };

/** Offer flags. */
const HAVE = 1;
const HAS_SID = 2;
const HAS_BOOT = 4;

export class LeanDoraEngine {
  private readonly cap: number;
  private readonly bits: number;
  private readonly state: Uint8Array;
  private readonly group: Int32Array;
  private readonly index: Int32Array;
  private readonly stepIx: Uint8Array;
  private readonly xid: Uint32Array;
  private readonly gen: Uint32Array;
  private readonly macBytes: Uint8Array;
  private readonly macs: string[];
  private readonly t0: Float64Array;
  private readonly stepT0: Float64Array;
  private readonly firstOffer: Float64Array;
  private readonly requestAt: Float64Array;
  private readonly windowEnd: Float64Array;
  private readonly nextSend: Float64Array;
  private readonly hard: Float64Array;
  private readonly attempts: Uint8Array;
  private readonly restarts: Uint8Array;
  private readonly offAddr: Uint32Array;
  private readonly offSid: Uint32Array;
  private readonly offFlags: Uint8Array;
  private readonly leaseAddr: Uint32Array;
  private readonly leaseSid: Uint32Array;
  private readonly leaseHasSid: Uint8Array;
  /** Each step's duration (ms) per row, for the few failed clients reported in full. */
  private readonly stepMs: Float64Array;
  private readonly free: Int32Array;
  private freeTop: number;
  private readonly heap = new DeadlineHeap();
  private timer: Timer | null = null;
  private armedAt = Infinity;
  private armToken = 0;
  private readonly scan = newReplyScan();
  private readonly serverNames = new Map<number, string>();
  private closed = false;
  /** Unsubscribes `receive` from the transport (several load runs may share one transport). */
  private readonly stopReceiving: () => void;
  /** Clients in flight. */
  active = 0;
  private readonly targetServer: number;
  /** Each group's first MAC as a number (client i's is this + i). */
  private readonly macBase: number[];

  constructor(private readonly o: LeanOptions) {
    const cap = (this.cap = Math.max(1, o.capacity));
    this.bits = Math.max(1, Math.ceil(Math.log2(cap)));
    this.state = new Uint8Array(cap);
    this.group = new Int32Array(cap);
    this.index = new Int32Array(cap);
    this.stepIx = new Uint8Array(cap);
    this.xid = new Uint32Array(cap);
    this.gen = new Uint32Array(cap);
    this.macBytes = new Uint8Array(cap * 6);
    this.macs = new Array<string>(cap).fill('');
    this.t0 = new Float64Array(cap);
    this.stepT0 = new Float64Array(cap);
    this.firstOffer = new Float64Array(cap);
    this.requestAt = new Float64Array(cap);
    this.windowEnd = new Float64Array(cap);
    this.nextSend = new Float64Array(cap);
    this.hard = new Float64Array(cap);
    this.attempts = new Uint8Array(cap);
    this.restarts = new Uint8Array(cap);
    this.offAddr = new Uint32Array(cap);
    this.offSid = new Uint32Array(cap);
    this.offFlags = new Uint8Array(cap);
    this.leaseAddr = new Uint32Array(cap);
    this.leaseSid = new Uint32Array(cap);
    this.leaseHasSid = new Uint8Array(cap);
    this.stepMs = new Float64Array(cap * MAX_LEAN_STEPS);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i;
    this.freeTop = cap;
    this.macBase = o.groups.map((g) => (g == null ? 0 : macToNumber(g.client.mac.first)));
    this.targetServer = /^\d+\.\d+\.\d+\.\d+$/.test(o.server) ? u32(ipv4FromString(o.server), 0) : 0;
    this.stopReceiving = o.transport.onUdp(this.receive);
  }

  /** Does this engine play client group `g`? */
  takes(g: number): boolean {
    return this.o.groups[g] != null;
  }

  /** A client of group `g` (MAC index `index` of its range) arrives now. */
  start(g: number, index: number): void {
    if (this.freeTop === 0) throw new Error('lean DORA engine: more clients than rows (the concurrency cap was not kept)');
    const r = this.free[--this.freeTop]!;
    // macAt's MAC, as bytes from the range's number (no text parsed), its text from bytes.ts's cache:
    // the same string object the transport makes of a reply's chaddr.
    let n = this.macBase[g]! + index;
    const o = r * 6;
    for (let i = 5; i >= 0; i--) { this.macBytes[o + i] = n % 256; n = Math.floor(n / 256); }
    const mac = macToString(this.macBytes, o);
    this.macs[r] = mac;
    this.group[r] = g;
    this.index[r] = index;
    this.t0[r] = this.o.timers.now();
    this.leaseAddr[r] = 0;
    this.active++;
    this.o.transport.addClient(mac);
    this.beginStep(r, 0, this.t0[r]!);
  }

  /** Ends every client in flight as failed ("interrupted"); the engine takes no more. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    const now = this.o.timers.now();
    for (let r = 0; r < this.cap; r++) {
      if (this.state[r] === FREE) continue;
      const s = this.stepOf(r);
      this.endClient(r, now, 'failed', { kind: s.stat, message: 'interrupted' }, this.stepIx[r]!, 'interrupted', now - this.stepT0[r]!);
    }
    this.finish();
  }

  /** No more arrivals: once nobody is in flight the timer (it must not hold the process) and the receive handler go. */
  close(): void {
    this.closed = true;
    if (this.active === 0) this.finish();
  }

  // ---- steps ----

  private stepOf(r: number): LeanStep {
    return this.o.groups[this.group[r]!]!.steps[this.stepIx[r]!]!;
  }

  private beginStep(r: number, ix: number, now: number): void {
    const s = this.o.groups[this.group[r]!]!.steps[ix]!;
    this.stepIx[r] = ix;
    this.stepT0[r] = now;
    this.hard[r] = Math.min(this.o.scenarioDeadline, s.budgetMs === null ? Infinity : now + (OVERRUN_FACTOR * s.budgetMs) / 1000);
    this.attempts[r] = 0;
    this.restarts[r] = 0;
    this.firstOffer[r] = NaN;
    this.requestAt[r] = NaN;
    this.windowEnd[r] = Infinity;
    this.offFlags[r] = 0;
    this.newXid(r);
    if (now >= this.hard[r]!) { this.stepTimedOut(r, now); return; }
    // No address-bearing ACK yet (its yiaddr was 0): the general runner has no lease either (dhcp-step.ts needLease).
    if (s.kind !== 'dora' && this.leaseAddr[r] === 0) { this.stepDone(r, now, 'failed', undefined, `${s.kind} needs a lease: run a dhcp step first`, 0); return; }
    switch (s.kind) {
      case 'dora':
        this.state[r] = SELECTING;
        this.send(r, now);
        break;
      case 'renew':
        this.state[r] = RENEWING;
        this.send(r, now);
        break;
      case 'release':
        // One shot, no answer expected (RFC 2131 §4.4.6): the lease is gone once it is sent.
        this.state[r] = RENEWING; // (in flight while it sends; no answer is read)
        this.sendRelease(r, now);
        this.leaseAddr[r] = 0;
        this.o.transport.setClientAddress(this.macs[r]!, null);
        this.stepDone(r, now, 'ok', undefined, null, 0);
        break;
    }
  }

  /**
   * The xid: the row number in the low `bits` = ceil(log2(concurrency)) bits, random above, so
   * 32 - bits random bits (concurrency 64: 26; 1000: 22; 65536: 16) where Dhcp4Client has 32. A
   * reply to an earlier transaction of the row (its previous client, or this client before a NAK
   * restart) passes the xid check with odds 2^-(32 - bits); even then `receive` drops it unless
   * chaddr is the row's current MAC (a previous client of the row has another MAC), and a reply
   * of the wrong kind for the row's state (an ACK while SELECTING) is ignored.
   */
  private newXid(r: number): void {
    const high = Math.floor(this.o.random() * 2 ** (32 - this.bits));
    this.xid[r] = (high * 2 ** this.bits + r) >>> 0;
  }

  /** Sends (or resends) the current message and arms the back-off. */
  private send(r: number, now: number): void {
    this.attempts[r]!++;
    const g = this.o.groups[this.group[r]!]!;
    const st = this.state[r]!;
    const tpl = st === SELECTING ? g.discover : st === RENEWING ? g.renew : (this.offFlags[r]! & HAS_SID) !== 0 ? g.request : g.requestNoServerId;
    const b = this.patched(r, tpl, now);
    let d: UdpDatagram;
    if (st === RENEWING) {
      putU32(b, tpl.t.ciaddr, this.leaseAddr[r]!);
      d = { src: { addr: ipv4ToString(this.leaseAddrBytes(r)), port: UdpPort.DHCP_CLIENT }, dst: { addr: this.renewServer(r), port: UdpPort.DHCP_SERVER }, payload: b, broadcast: false };
    } else {
      if (st === REQUESTING) {
        putU32(b, tpl.requestedIp, this.offAddr[r]!);
        if (tpl.serverId >= 0) putU32(b, tpl.serverId, this.offSid[r]!);
      }
      d = { src: CLIENT_ANY, dst: BROADCAST_SERVER, payload: b, broadcast: true };
    }
    this.nextSend[r] = now + backoff(this.attempts[r]!, INITIAL_TIMEOUT, MAX_TIMEOUT, this.o.random);
    this.o.transport.sendUdp(this.macs[r]!, d);
    this.schedule(r);
  }

  private sendRelease(r: number, now: number): void {
    const tpl = this.o.groups[this.group[r]!]!.release;
    const b = this.patched(r, tpl, now);
    putU32(b, tpl.t.ciaddr, this.leaseAddr[r]!);
    putU32(b, tpl.serverId, this.leaseHasSid[r] ? this.leaseSid[r]! : this.targetServer);
    const to = this.renewServer(r);
    this.o.transport.sendUdp(this.macs[r]!, { src: { addr: ipv4ToString(this.leaseAddrBytes(r)), port: UdpPort.DHCP_CLIENT }, dst: { addr: to, port: UdpPort.DHCP_SERVER }, payload: b, broadcast: false });
  }

  /** A copy of `tpl` with this row's xid, secs, MAC. */
  private patched(r: number, tpl: LeanTemplate, now: number): Uint8Array {
    const b = tpl.t.bytes.slice();
    putU32(b, tpl.t.xid, this.xid[r]!);
    putU16(b, tpl.t.secs, Math.min(0xffff, Math.max(0, Math.floor(now - this.stepT0[r]!))));
    const mac = this.macBytes.subarray(r * 6, r * 6 + 6);
    b.set(mac, tpl.t.chaddr);
    if (tpl.clientIdMac >= 0) b.set(mac, tpl.clientIdMac);
    return b;
  }

  private leaseAddrBytes(r: number): Uint8Array {
    const b = new Uint8Array(4);
    putU32(b, 0, this.leaseAddr[r]!);
    return b;
  }

  /** Where RENEW/RELEASE go: the lease's server identifier, else the scenario's server. */
  private renewServer(r: number): string {
    return this.leaseHasSid[r] ? this.serverName(this.leaseSid[r]!) : this.o.server;
  }

  private serverName(a: number): string {
    let s = this.serverNames.get(a);
    if (s === undefined) {
      const b = new Uint8Array(4);
      putU32(b, 0, a);
      s = ipv4ToString(b);
      if (this.serverNames.size < 256) this.serverNames.set(a, s);
    }
    return s;
  }

  // ---- receiving ----

  private readonly receive = (_mac: string, d: UdpDatagram): void => {
    const b = d.payload;
    if (this.active === 0 || b.length < F.OPTIONS) return;
    // The row sits in the xid's low bits (newXid).
    const r = u32(b, F.XID) & ((1 << this.bits) - 1);
    if (r >= this.cap || this.state[r] === FREE || !isReplyFor(b, this.xid[r]!, this.macBytes, r * 6, 6)) return;
    const sc = this.scan;
    if (!scanReply(b, sc)) return;
    const now = this.o.timers.now();
    const st = this.state[r]!;
    if (st === SELECTING) {
      if (sc.type !== DhcpV4MessageType.OFFER) return;
      if (Number.isNaN(this.firstOffer[r]!)) this.firstOffer[r] = now;
      const f = this.offFlags[r]!;
      const g = this.o.groups[this.group[r]!]!;
      if (prefersOffer(g.pxe, (f & HAVE) !== 0, (f & HAS_BOOT) !== 0, sc.yiaddr !== 0, sc.hasBootFile)) {
        this.offAddr[r] = sc.yiaddr;
        this.offSid[r] = sc.serverId;
        this.offFlags[r] = HAVE | (sc.hasServerId ? HAS_SID : 0) | (sc.hasBootFile ? HAS_BOOT : 0);
      }
      if (this.windowEnd[r] === Infinity) this.windowEnd[r] = now + offerWindowOf(g, this.stepOf(r));
      if (now >= this.windowEnd[r]!) this.select(r, now);
      else this.schedule(r);
      return;
    }
    if (sc.type !== DhcpV4MessageType.ACK && sc.type !== DhcpV4MessageType.NAK) return;
    // Another server's answer (the offer named its server): not ours.
    if (st === REQUESTING && (this.offFlags[r]! & HAS_SID) !== 0 && sc.hasServerId && sc.serverId !== this.offSid[r]) return;
    const server = sc.hasServerId ? this.serverName(sc.serverId) : undefined;
    if (sc.type === DhcpV4MessageType.ACK) {
      // Only an address-bearing ACK is a lease; yiaddr 0 keeps the previous one (the general runner's learn()).
      if (sc.yiaddr !== 0) {
        this.leaseAddr[r] = sc.yiaddr;
        this.leaseSid[r] = sc.serverId;
        this.leaseHasSid[r] = sc.hasServerId ? 1 : 0;
      }
      if (this.stepIx[r]! + 1 < this.o.groups[this.group[r]!]!.steps.length && sc.yiaddr !== 0) {
        this.o.transport.setClientAddress(this.macs[r]!, {
          addr: this.serverName(sc.yiaddr), prefix: prefixOf(sc.subnetMask), ...(sc.router !== 0 ? { router: this.serverName(sc.router) } : {}),
        });
      }
      const s = this.stepOf(r);
      const miss = s.subnet !== null && ((sc.yiaddr & s.subnet.mask) >>> 0) !== s.subnet.network
        ? `yiaddr: expected an address in ${s.subnet.text}, found ${this.serverName(sc.yiaddr)}` : null;
      this.stepDone(r, now, miss === null ? 'ok' : 'failed', server, miss, this.clientWait(r));
      return;
    }
    // NAK: a DORA client starts over (RFC 2131 §3.1 step 5), a bounded number of times.
    if (st === REQUESTING && this.restarts[r]! < MAX_RESTARTS) {
      this.restarts[r]!++;
      this.newXid(r);
      this.offFlags[r] = 0;
      this.windowEnd[r] = Infinity;
      this.attempts[r] = 0;
      this.state[r] = SELECTING;
      // The fresh DISCOVER after a random wait (nakRestartDelay): `due` sends it.
      this.nextSend[r] = now + nakRestartDelay(this.restarts[r]!, this.o.random);
      this.schedule(r);
      return;
    }
    this.stepDone(r, now, 'failed', server, 'message type: expected ack, found nak', this.clientWait(r));
  };

  /** The offer window is over: REQUEST the chosen offer (or keep asking when only proxies offered). */
  private select(r: number, now: number): void {
    this.windowEnd[r] = Infinity;
    if ((this.offFlags[r]! & HAVE) === 0) { this.schedule(r); return; }
    this.requestAt[r] = now;
    this.state[r] = REQUESTING;
    this.attempts[r] = 0;
    this.send(r, now);
  }

  private clientWait(r: number): number {
    const f = this.firstOffer[r]!;
    const q = this.requestAt[r]!;
    return Number.isNaN(f) || Number.isNaN(q) ? 0 : Math.max(0, q - f);
  }

  // ---- deadlines ----

  private schedule(r: number): void {
    const t = Math.min(this.nextSend[r]!, this.windowEnd[r]!, this.hard[r]!);
    const gen = ++this.gen[r]!;
    this.heap.push(t, r, gen);
    if (t < this.armedAt) this.arm(t);
  }

  private arm(t: number): void {
    if (this.closed && this.active === 0) return;
    const token = ++this.armToken;
    this.timer?.cancel();
    this.armedAt = t;
    const timer = (this.timer = this.o.timers.at(t));
    void timer.fired.then(() => {
      if (token !== this.armToken) return;
      this.timer = null;
      this.armedAt = Infinity;
      this.tick();
    });
  }

  /** The engine's end: no timer, no receive handler (nothing keeps the engine and its rows alive). */
  private finish(): void {
    this.disarm();
    this.stopReceiving();
  }

  private disarm(): void {
    this.armToken++;
    this.timer?.cancel();
    this.timer = null;
    this.armedAt = Infinity;
  }

  /** Every row whose deadline passed; then the timer for the next. */
  private tick(): void {
    const now = this.o.timers.now();
    const h = this.heap;
    while (h.size > 0 && h.peekTime() <= now) {
      const r = h.peekRow();
      const gen = h.peekGen();
      h.pop();
      if (gen !== this.gen[r] || this.state[r] === FREE) continue;
      this.due(r, now);
    }
    while (h.size > 0 && h.peekGen() !== this.gen[h.peekRow()]) h.pop();
    if (h.size > 0) this.arm(h.peekTime());
  }

  private due(r: number, now: number): void {
    if (now >= this.hard[r]!) { this.stepTimedOut(r, now); return; }
    const st = this.state[r]!;
    if (st === SELECTING && now >= this.windowEnd[r]!) { this.select(r, now); return; }
    if (now < this.nextSend[r]!) { this.schedule(r); return; }
    if (this.attempts[r]! < MAX_ATTEMPTS) { this.send(r, now); return; }
    this.stepDone(r, now, 'failed', undefined, noAnswerError(st === SELECTING ? 'DISCOVER' : 'REQUEST', this.attempts[r]!, now - this.stepT0[r]!), 0);
  }

  private stepTimedOut(r: number, now: number): void {
    const s = this.stepOf(r);
    const ms = Math.round((now - this.stepT0[r]!) * 1e6) / 1e3;
    const lines = [`${s.kind === 'dora' ? 'DORA' : s.kind.toUpperCase()}: no answer by the deadline`];
    if (s.budgetMs !== null && ms > s.budgetMs) lines.unshift(`${s.label} did not finish in ${seconds(ms)}, budget ${seconds(s.budgetMs)}`);
    this.o.sink.exchange(this.group[r]!, s.stat, 'timed-out', null, undefined);
    this.endClient(r, now, 'timed-out', { kind: s.stat, message: lines.join('\n') }, this.stepIx[r]!, lines.join('\n'), ms / 1000);
  }

  /** The current step ended with an answer (or, for a release, none expected). */
  private stepDone(r: number, now: number, outcome: 'ok' | 'failed', server: string | undefined, problem: string | null, clientWait: number): void {
    const s = this.stepOf(r);
    const ms = Math.round((now - this.stepT0[r]! - clientWait) * 1e6) / 1e3;
    let error = problem;
    if (s.budgetMs !== null && ms > s.budgetMs) {
      outcome = 'failed';
      error = `${s.label} took ${seconds(ms)}, budget ${seconds(s.budgetMs)}${error === null ? '' : `\n${error}`}`;
    }
    const ix = this.stepIx[r]!;
    this.stepMs[r * MAX_LEAN_STEPS + ix] = ms;
    this.o.sink.exchange(this.group[r]!, s.stat, outcome, ms * 1000, server);
    if (outcome !== 'ok') { this.endClient(r, now, 'failed', { kind: s.stat, message: error ?? 'failed' }, ix, error ?? 'failed', ms / 1000); return; }
    const steps = this.o.groups[this.group[r]!]!.steps;
    if (ix + 1 < steps.length) { this.beginStep(r, ix + 1, now); return; }
    this.endClient(r, now, 'ok', null, ix, null, 0);
  }

  private endClient(r: number, now: number, outcome: LeanOutcome, failure: { kind: StatKind; message: string } | null, failedAt: number, error: string | null, failedSeconds: number): void {
    const g = this.group[r]!;
    const mac = this.macs[r]!;
    const grp = this.o.groups[g]!;
    const durations = outcome === 'ok' ? null : Array.from(this.stepMs.subarray(r * MAX_LEAN_STEPS, r * MAX_LEAN_STEPS + failedAt));
    const xid = this.xid[r]!;
    this.state[r] = FREE;
    this.gen[r]!++;
    this.free[this.freeTop++] = r;
    this.active--;
    const t = this.o.transport;
    t.setClientAddress(mac, null);
    t.setClientAddress6?.(mac, null);
    t.removeClient?.(mac);
    this.o.sink.ended(g, mac, this.index[r]!, outcome, this.t0[r]!, now, failure, () => grp.steps.slice(0, failedAt + 1).map((s, i) => ({
      name: s.label, kind: s.step.kind, budget: s.budgetMs,
      ok: i < failedAt, duration: i < failedAt ? durations![i]! : Math.round(failedSeconds * 1e6) / 1e3,
      error: i < failedAt ? null : error, details: i < failedAt ? {} : { xid, engine: 'lean' },
    })));
    if (this.active === 0 && this.closed) this.finish();
  }
}

function prefixOf(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) n++;
  return mask === 0 ? 24 : n;
}
