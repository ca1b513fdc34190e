/**
 * A minimal userspace TCP client (RFC 9293) over raw frames, enough for HTTP/1.x downloads:
 * active open with MSS and window-scale options (up to a 16 MiB receive window when the server scales too,
 * RFC 7323 §2: 64 KiB per round trip capped downloads at ~20 MB/s on a busy host), cumulative ACK per receive
 * batch (one wake-up's segments), an in-order buffer for reordered/duplicate segments, SACK blocks
 * for what it holds beyond a gap (RFC 2018, when the server permits it) with D-SACK for duplicates
 * (RFC 2883), FIN/RST handling and bounded
 * retransmission of our SYN, data and FIN. No congestion control or timestamps: requests are small
 * and the server does the sending.
 */
import type { WireIssue } from '../../../wire/issues.js';
import { decodeTcpOptions, emitTcpOptions, TcpFlag, TcpOptionKind, type TcpOption, type TcpSegment } from '../../../wire/tcp.js';
import type { ByteStream } from '../types.js';

/** Signed distance a - b in sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export const TCP_RECEIVE_WINDOW = 65535;

/** A settled promise: `then` on it queues a microtask without queueMicrotask's AsyncResource (an
 *  async id and before/after hooks per receive batch, cold code in a download's first frames). */
const RESOLVED = Promise.resolve();

const bySeq = (a: { seq: number }, b: { seq: number }): number => seqDiff(a.seq, b.seq);
/** Our window-scale shift: the 16-bit window field counts 256-byte units once both sides scale
 *  (16 MiB at most: room for a ring full of 64 KiB super-segments, see widenForSuperSegments). */
export const TCP_WINDOW_SHIFT = 8;
const DEFAULT_MSS = 1460;
/** SACK blocks per ACK: 4 fit the 40 option bytes without timestamps (RFC 2018 §3). */
const MAX_SACK_BLOCKS = 4;

export type TcpState = 'syn-sent' | 'established' | 'fin-wait' | 'close-wait' | 'last-ack' | 'closed';

export interface TcpSegmentOut {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options?: Uint8Array;
  payload: Uint8Array;
}

export interface RawTcpOptions {
  localPort: number;
  remotePort: number;
  /** Initial send sequence number. */
  iss: number;
  /** Segments out (the transport adds IP/Ethernet). */
  emit(seg: TcpSegmentOut): void;
  now(): number;
  /** First retransmission timeout, ms (default 1000), doubled each time. */
  rtoMs?: number;
  /** Sends of one segment before the connection is given up (default 6). */
  maxTransmits?: number;
  /** Our MSS (default 1460). */
  mss?: number;
  /** Bytes we accept ahead once window scaling is in effect (default 16 MiB): the raw transport
   *  keeps it below what its capture ring holds, or a burst overflows the ring and stalls on RTOs. */
  scaledWindow?: number;
  /** After our FIN, how long to wait for the peer's (default 10 s). */
  lingerMs?: number;
  /** Called once when the connection is over (to free the port). */
  onClosed(): void;
}

/** A contiguous run of sequence space held beyond rcvNxt. */
interface HeldRange {
  start: number;
  end: number;
  /** Order of the last segment that fell in it: the newest range is reported first (RFC 2018 §4). */
  touched: number;
}

interface Unacked {
  seq: number;
  flags: number;
  payload: Uint8Array;
  options?: Uint8Array;
}

export class RawTcpConnection implements ByteStream {
  state: TcpState = 'syn-sent';
  private sndUna: number;
  private sndNxt: number;
  private rcvNxt = 0;
  private peerMss = 536;
  /** Bytes we accept beyond rcvNxt: 64 KiB, or up to 16 MiB once the SYN-ACK carried window scale. */
  private rcvWindow = TCP_RECEIVE_WINDOW;
  private readonly queue: Unacked[] = [];
  private timer: NodeJS.Timeout | null = null;
  private linger: NodeJS.Timeout | null = null;
  private transmits = 0;
  private rto: number;
  /** Out-of-order data waiting for the gap before it: copies (a segment's payload is a view into
   *  the capture's batch buffer, overwritten by the next batch). */
  private readonly ooo: { seq: number; data: Uint8Array }[] = [];
  private oooBytes = 0;
  private peerFinSeq = -1;
  private peerClosed = false;
  private dataHandlers: ((d: Uint8Array, t: number) => void)[] = [];
  private endHandlers: ((t: number, e?: string) => void)[] = [];
  private readonly early: Uint8Array[] = [];
  private ended: { time: number; error?: string } | null = null;
  private connectWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  /** Counters for the run report. */
  readonly counters = { retransmits: 0, duplicates: 0, outOfOrder: 0 };

  constructor(private readonly o: RawTcpOptions) {
    this.sndUna = o.iss >>> 0;
    this.sndNxt = o.iss >>> 0;
    this.rto = o.rtoMs ?? 1000;
  }

  /** Sends the SYN; resolves on the SYN-ACK, rejects on RST or when the retries run out. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      const mss = this.o.mss ?? DEFAULT_MSS;
      // MSS, window scale (RFC 7323 §2.2; the SYN's own window is never scaled), SACK permitted
      // (RFC 2018 §2).
      const K = TcpOptionKind;
      this.sendReliable(TcpFlag.SYN, new Uint8Array(0), emitTcpOptions([{ kind: K.MSS, mss }, { kind: K.WINDOW_SCALE, shift: TCP_WINDOW_SHIFT }, { kind: K.SACK_PERMITTED }]));
    });
  }

  // ---- ByteStream ----

  write(data: Uint8Array): void {
    if (this.state !== 'established' && this.state !== 'close-wait') return;
    const mss = Math.max(1, this.peerMss);
    for (let i = 0; i < data.length; i += mss) {
      this.sendReliable(TcpFlag.ACK | TcpFlag.PSH, data.slice(i, i + mss));
    }
  }

  onData(handler: (data: Uint8Array, time: number) => void): void {
    this.dataHandlers.push(handler);
    for (const d of this.early.splice(0)) handler(d, this.o.now());
  }

  onEnd(handler: (time: number, error?: string) => void): void {
    this.endHandlers.push(handler);
    if (this.ended) handler(this.ended.time, this.ended.error);
  }

  close(): void {
    if (this.state === 'established' || this.state === 'close-wait') {
      this.state = this.state === 'established' ? 'fin-wait' : 'last-ack';
      this.sendReliable(TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
      // A peer that ACKs our FIN but never sends its own must not keep the port forever.
      this.linger = setTimeout(() => this.abort('peer did not close', true), this.o.lingerMs ?? 10_000);
    } else if (this.state === 'syn-sent') {
      this.abort('closed before connected', false);
    }
  }

  /** Drops the connection at once (transport shutdown): RST when it was open. */
  abort(reason: string, sendRst = true): void {
    if (this.state === 'closed') return;
    if (sendRst && this.state !== 'syn-sent') {
      this.o.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TcpFlag.RST | TcpFlag.ACK, window: 0, payload: new Uint8Array(0) });
    }
    this.finish(reason);
  }

  // ---- input ----

  /** One segment from the peer (already matched to our ports). */
  handle(seg: TcpSegment): void {
    if (this.state === 'closed') return;
    const f = seg.flags;
    if (f & TcpFlag.RST) {
      // RFC 5961-style check: only a RST in the window (or answering our SYN) counts.
      const ok = this.state === 'syn-sent' ? (f & TcpFlag.ACK) !== 0 && seg.ack === this.sndNxt : seqDiff(seg.seq, this.rcvNxt) >= 0 && seqDiff(seg.seq, this.rcvNxt) < this.rcvWindow;
      if (ok) this.finish(this.state === 'syn-sent' ? 'connection refused (RST)' : 'connection reset by peer');
      return;
    }
    if (this.state === 'syn-sent') {
      if ((f & (TcpFlag.SYN | TcpFlag.ACK)) !== (TcpFlag.SYN | TcpFlag.ACK) || seg.ack !== ((this.o.iss + 1) >>> 0)) return;
      this.rcvNxt = (seg.seq + 1) >>> 0;
      for (const opt of decodeTcpOptions(seg.options, [] as WireIssue[])) {
        if (opt.kind === 2 && 'mss' in opt) this.peerMss = Math.min(opt.mss, this.o.mss ?? DEFAULT_MSS);
        if (opt.kind === 3) this.scaling = true;
        if (opt.kind === TcpOptionKind.SACK_PERMITTED) this.sackPermitted = true;
        if (opt.kind === 3) this.rcvWindow = Math.max(TCP_RECEIVE_WINDOW, Math.min(TCP_RECEIVE_WINDOW * 2 ** TCP_WINDOW_SHIFT, this.o.scaledWindow ?? Infinity)); // both sides scale
      }
      this.ackUpTo(seg.ack);
      this.state = 'established';
      this.sendAck();
      const w = this.connectWaiter;
      this.connectWaiter = null;
      w?.resolve();
      if (seg.payload.length === 0 && !(f & TcpFlag.FIN)) return;
    }
    if (f & TcpFlag.SYN) { this.sendAck(); return; } // a retransmitted SYN-ACK: our ACK was lost
    if (f & TcpFlag.ACK) this.ackUpTo(seg.ack);
    const dataSeq = seg.seq;
    if (f & TcpFlag.FIN && this.peerFinSeq === -1) this.peerFinSeq = (dataSeq + seg.payload.length) >>> 0;
    let inOrder = true;
    if (seg.payload.length > 0) { this.widenForSuperSegments(seg.payload.length); inOrder = this.receive(dataSeq, seg.payload); }
    this.checkPeerFin();
    // RFC 5681 §4.2: out-of-order, duplicate and gap-filling segments are ACKed at once (the
    // sender's fast retransmit counts duplicate ACKs); in-order data once per receive batch.
    if (f & TcpFlag.FIN || (seg.payload.length > 0 && !inOrder)) this.sendAck();
    else if (seg.payload.length > 0) this.ackSoon();
    this.maybeDone();
  }

  /** A segment above our MSS is a GSO/GRO super-segment (a veth or an offloading NIC hands them
   *  over whole): `scaledWindow` is sized in MSS-sized frames of the capture ring, and such frames
   *  carry more each, so the window grows by the same factor (never shrinks, RFC 9293 §3.8.6). */
  private widenForSuperSegments(length: number): void {
    const mss = this.o.mss ?? DEFAULT_MSS;
    if (!this.scaling || length <= mss || length <= this.biggest || this.o.scaledWindow === undefined) return;
    this.biggest = length;
    const max = TCP_RECEIVE_WINDOW * 2 ** TCP_WINDOW_SHIFT;
    this.rcvWindow = Math.max(this.rcvWindow, Math.min(max, Math.floor((this.o.scaledWindow * length) / mss)));
  }

  private biggest = 0;
  /** Both sides sent window scale (RFC 7323 §2.2). */
  private scaling = false;
  /** The SYN-ACK permitted SACK: our ACKs name what we hold beyond a gap, so a server recovers
   *  every loss of a window in one round trip, not one per round trip (a dup-ACK storm at 9 MB/s
   *  with 3 % loss on the lab link without it). */
  private sackPermitted = false;
  /** What `ooo` covers, sorted, disjoint and not touching: kept up to date as segments arrive. */
  private readonly held: HeldRange[] = [];
  private touches = 0;
  /** A duplicate to report once, in the next ACK's first block (D-SACK, RFC 2883 §4); -1: none. */
  private dsackStart = -1;
  private dsackEnd = -1;

  /** Takes a data segment; true when it simply extended the in-order data (no gap before or
   *  filled, not a duplicate). */
  private receive(seq: number, data: Uint8Array): boolean {
    const end = (seq + data.length) >>> 0;
    if (this.peerClosed) { this.counters.duplicates++; this.reportDuplicate(seq, end); return false; }
    const rel = seqDiff(seq, this.rcvNxt);
    if (rel > 0) {
      // Ahead of the in-order point: keep it (once) if it fits the window.
      if (rel + data.length > this.rcvWindow || this.oooBytes + data.length > this.rcvWindow) return false;
      this.counters.outOfOrder++;
      const within = this.heldRangeCovering(seq, end);
      if (within) {
        // Held already: D-SACK it, and its range is the one this ACK is about (RFC 2018 §4).
        this.counters.duplicates++;
        this.reportDuplicate(seq, end);
        within.touched = ++this.touches;
        return false;
      }
      this.ooo.push({ seq, data: data.slice() });
      this.ooo.sort(bySeq);
      this.oooBytes += data.length;
      this.hold(seq, end);
      return false;
    }
    if (-rel >= data.length) { this.counters.duplicates++; this.reportDuplicate(seq, end); return false; }
    if (rel < 0) this.reportDuplicate(seq, this.rcvNxt); // the part we had (RFC 2883 §4.1.1)
    this.deliver(data.subarray(-rel));
    if (this.ooo.length === 0) return true;
    while (this.ooo.length) {
      const s = this.ooo[0]!;
      const r = seqDiff(s.seq, this.rcvNxt);
      if (r > 0) break;
      this.ooo.shift();
      this.oooBytes -= s.data.length;
      if (-r < s.data.length) this.deliver(s.data.subarray(-r));
    }
    while (this.held.length && seqDiff(this.held[0]!.start, this.rcvNxt) <= 0) this.held.shift();
    return false;
  }

  /** The held range that contains [start, end) whole, if any. */
  private heldRangeCovering(start: number, end: number): HeldRange | undefined {
    for (const r of this.held) if (seqDiff(start, r.start) >= 0 && seqDiff(end, r.end) <= 0) return r;
    return undefined;
  }

  /** Adds [start, end) to the held ranges, merging the ones it overlaps or touches; the result is
   *  the newest range. */
  private hold(start: number, end: number): void {
    const held = this.held;
    let i = 0;
    while (i < held.length && seqDiff(held[i]!.end, start) < 0) i++;
    let j = i;
    while (j < held.length && seqDiff(held[j]!.start, end) <= 0) {
      if (seqDiff(held[j]!.start, start) < 0) start = held[j]!.start;
      if (seqDiff(held[j]!.end, end) > 0) end = held[j]!.end;
      j++;
    }
    const touched = ++this.touches;
    if (j > i) {
      const r = held[i]!;
      r.start = start;
      r.end = end;
      r.touched = touched;
      held.splice(i + 1, j - i - 1);
    } else held.splice(i, 0, { start, end, touched });
  }

  private reportDuplicate(start: number, end: number): void {
    if (!this.sackPermitted) return;
    this.dsackStart = start >>> 0;
    this.dsackEnd = end >>> 0;
  }

  private deliver(data: Uint8Array): void {
    if (this.peerFinSeq !== -1) {
      const room = seqDiff(this.peerFinSeq, this.rcvNxt);
      if (room <= 0) return;
      if (data.length > room) data = data.subarray(0, room);
    }
    this.rcvNxt = (this.rcvNxt + data.length) >>> 0;
    const t = this.o.now();
    if (this.dataHandlers.length === 0) this.early.push(data.slice()); // kept past this frame: a copy
    for (const h of this.dataHandlers) h(data, t);
  }

  private checkPeerFin(): void {
    if (this.peerClosed || this.peerFinSeq === -1 || this.rcvNxt !== this.peerFinSeq) return;
    this.peerClosed = true;
    this.rcvNxt = (this.rcvNxt + 1) >>> 0;
    this.ooo.length = 0;
    this.oooBytes = 0;
    this.held.length = 0;
    if (this.state === 'established') this.state = 'close-wait';
    this.emitEnd(undefined);
  }

  private ackUpTo(ack: number): void {
    if (seqDiff(ack, this.sndUna) <= 0 || seqDiff(ack, this.sndNxt) > 0) return;
    this.sndUna = ack >>> 0;
    while (this.queue.length) {
      const u = this.queue[0]!;
      const end = (u.seq + u.payload.length + (u.flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
      if (seqDiff(end, this.sndUna) > 0) break;
      this.queue.shift();
    }
    this.transmits = 0;
    this.rto = this.o.rtoMs ?? 1000;
    this.armTimer();
  }

  private maybeDone(): void {
    const ourFinAcked = (this.state === 'fin-wait' || this.state === 'last-ack') && this.queue.length === 0;
    if (ourFinAcked && this.peerClosed) this.finish(undefined);
  }

  // ---- output ----

  /** One ACK for all the data segments of one receive batch (a stretch ACK, as Linux sends per
   *  GRO super-segment): the raw transport hands a wake-up's frames over in one callback scope and
   *  microtasks run after it, so a burst of segments costs one injected frame, not one each. */
  private ackSoon(): void {
    if (this.ackQueued) return;
    this.ackQueued = true;
    void RESOLVED.then(this.flushAck);
  }

  private ackQueued = false;
  private readonly flushAck = (): void => {
    if (!this.ackQueued) return;
    this.ackQueued = false;
    if (this.state !== 'closed') this.sendAck();
  };

  private sendAck(): void {
    this.ackQueued = false;
    const sack = this.sackOption();
    this.o.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TcpFlag.ACK, window: this.windowField(), payload: new Uint8Array(0), ...(sack ? { options: sack } : {}) });
  }

  /** SACK blocks (RFC 2018 §3-4, RFC 2883 §4): a pending D-SACK first, then the held ranges
   *  newest first, four blocks at most; null when there is nothing to say. */
  private sackOption(): Uint8Array | null {
    if (!this.sackPermitted || (this.held.length === 0 && this.dsackStart === -1)) return null;
    const blocks: [number, number][] = [];
    if (this.dsackStart !== -1) { blocks.push([this.dsackStart, this.dsackEnd]); this.dsackStart = this.dsackEnd = -1; }
    // Newest first: a selection over the (few) ranges, no sort.
    let after = Infinity;
    while (blocks.length < MAX_SACK_BLOCKS) {
      let next: HeldRange | undefined;
      for (const r of this.held) if (r.touched < after && (!next || r.touched > next.touched)) next = r;
      if (!next) break;
      blocks.push([next.start, next.end]);
      after = next.touched;
    }
    const option: TcpOption = { kind: TcpOptionKind.SACK, blocks };
    return emitTcpOptions([option]);
  }

  /** The 16-bit window field: bytes, or 64-byte units once scaling is in effect. */
  private windowField(): number {
    return this.rcvWindow > TCP_RECEIVE_WINDOW ? Math.min(0xffff, Math.floor(this.rcvWindow / 2 ** TCP_WINDOW_SHIFT)) : TCP_RECEIVE_WINDOW;
  }

  private sendReliable(flags: number, payload: Uint8Array, options?: Uint8Array): void {
    const u: Unacked = { seq: this.sndNxt, flags, payload, ...(options ? { options } : {}) };
    this.queue.push(u);
    this.sndNxt = (this.sndNxt + payload.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
    this.transmit(u);
    if (this.queue.length === 1) { this.transmits = 1; this.armTimer(); }
  }

  private transmit(u: Unacked): void {
    const ack = u.flags & TcpFlag.SYN ? 0 : this.rcvNxt;
    this.o.emit({ seq: u.seq, ack, flags: u.flags, window: u.flags & TcpFlag.SYN ? TCP_RECEIVE_WINDOW : this.windowField(), payload: u.payload, ...(u.options ? { options: u.options } : {}) });
  }

  private armTimer(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.queue.length === 0 || this.state === 'closed') return;
    this.timer = setTimeout(() => this.onTimeout(), this.rto);
  }

  private onTimeout(): void {
    this.timer = null;
    if (this.queue.length === 0 || this.state === 'closed') return;
    if (this.transmits >= (this.o.maxTransmits ?? 6)) {
      const what = this.state === 'syn-sent' ? 'SYN' : this.queue[0]!.flags & TcpFlag.FIN ? 'FIN' : 'data';
      // Our FIN unanswered after the peer already closed: nothing is lost, just end.
      if (what === 'FIN' && this.peerClosed) this.finish(undefined);
      else this.abort(`no ACK for our ${what} after ${this.transmits} sends`, this.state !== 'syn-sent');
      return;
    }
    this.transmits++;
    this.counters.retransmits++;
    this.rto = Math.min(this.rto * 2, 30_000);
    for (const u of this.queue) this.transmit(u); // go-back-N: requests are a segment or two
    this.armTimer();
  }

  private emitEnd(error: string | undefined): void {
    if (this.ended) return;
    const t = this.o.now();
    this.ended = error === undefined ? { time: t } : { time: t, error };
    for (const h of this.endHandlers) h(t, error);
  }

  private finish(error: string | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.linger) { clearTimeout(this.linger); this.linger = null; }
    this.queue.length = 0;
    const w = this.connectWaiter;
    this.connectWaiter = null;
    if (w) w.reject(new Error(error ?? 'connection closed'));
    else this.emitEnd(error);
    this.o.onClosed();
  }
}
