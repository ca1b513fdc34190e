import { describe, expect, it } from 'vitest';
import { seededRandom } from '../gen/rng.js';
import { bytesEqual } from '../wire/bytes.js';
import { TcpFlag, type TcpSegment } from '../wire/tcp.js';
import { endsAtClose, seqDiff, TcpStreamReassembler, type TcpCloseReason, type TcpConnection, type TcpStreamSink } from './tcp-stream.js';

const C = '198.51.100.1';
const S = '203.0.113.2';

type Event =
  | { t: 'data'; conn: number; fromClient: boolean; data: Uint8Array; frame: number }
  | { t: 'gap'; conn: number; fromClient: boolean; missing: number; frame: number }
  | { t: 'close'; conn: number; reason: string; lastFrame: number; lastTime: number; progressFrame?: number };

class Recorder implements TcpStreamSink {
  events: Event[] = [];
  /** progressFrame of each closed connection. */
  progress = new Map<number, number>();
  /** endsAtClose of each closed connection, as the sink is told it. */
  atClose = new Map<number, boolean>();
  conns: TcpConnection[] = [];
  onData(conn: TcpConnection, fromClient: boolean, data: Uint8Array, frame: number): void {
    if (!this.conns.includes(conn)) this.conns.push(conn);
    if (data.length === 0) throw new Error('empty onData');
    // Copy here, as a consumer that keeps bytes must (views die after the callback).
    this.events.push({ t: 'data', conn: conn.id, fromClient, data: data.slice(), frame });
  }
  onGap(conn: TcpConnection, fromClient: boolean, missing: number, frame: number): void {
    this.events.push({ t: 'gap', conn: conn.id, fromClient, missing, frame });
  }
  onClose(conn: TcpConnection, reason: TcpCloseReason): void {
    this.events.push({ t: 'close', conn: conn.id, reason, lastFrame: conn.lastFrame, lastTime: conn.lastTime });
    this.progress.set(conn.id, conn.progressFrame);
    this.atClose.set(conn.id, endsAtClose(conn, reason));
  }
  stream(fromClient: boolean): Uint8Array {
    const parts = this.events.filter((e): e is Extract<Event, { t: 'data' }> => e.t === 'data' && e.fromClient === fromClient);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.data.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p.data, o); o += p.data.length; }
    return out;
  }
  closes(): string[] {
    return this.events.filter((e) => e.t === 'close').map((e) => (e as { reason: string }).reason);
  }
  gaps(): number[] {
    return this.events.filter((e) => e.t === 'gap').map((e) => (e as { missing: number }).missing);
  }
}

function seg(seq: number, flags: number, payload: Uint8Array = new Uint8Array(0), ack = 0): TcpSegment {
  return {
    srcPort: 0, dstPort: 0, seq: seq >>> 0, ack, flags, window: 65535, urgent: 0, dataOffset: 5, headerLength: 20,
    checksum: 0, options: new Uint8Array(0), payload, payloadOffset: 54,
  };
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

/** Deterministic shuffle (mulberry32). */
function shuffle<T>(xs: T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Cuts `data` into segments of irregular sizes starting at sequence `isn + 1`. */
function cut(data: Uint8Array, isn: number, seed: number): { seq: number; payload: Uint8Array }[] {
  const out = [];
  let o = 0;
  let k = seed;
  while (o < data.length) {
    k = (k * 7 + 3) % 11;
    const n = Math.min(data.length - o, 17 + k * 23);
    out.push({ seq: (isn + 1 + o) >>> 0, payload: data.subarray(o, o + n) });
    o += n;
  }
  return out;
}

const CLIENT_ISN = 0x1000;
const SERVER_ISN = 0x80000000;

function handshake(r: TcpStreamReassembler, cisn = CLIENT_ISN, sisn = SERVER_ISN): number {
  r.push(C, 40000, S, 80, seg(cisn, TcpFlag.SYN), 1, 0);
  r.push(S, 80, C, 40000, seg(sisn, TcpFlag.SYN | TcpFlag.ACK, undefined, cisn + 1), 2, 0);
  r.push(C, 40000, S, 80, seg(cisn + 1, TcpFlag.ACK, undefined, sisn + 1), 3, 0);
  return 4;
}

describe('TcpStreamReassembler', () => {
  it('delivers both directions of one connection in order, then closes on FIN', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    let f = handshake(r);
    const req = bytes(300, 1);
    const resp = bytes(5000, 2);
    for (const s of cut(req, CLIENT_ISN, 1)) r.push(C, 40000, S, 80, seg(s.seq, TcpFlag.ACK | TcpFlag.PSH, s.payload), f++, 1);
    for (const s of cut(resp, SERVER_ISN, 2)) r.push(S, 80, C, 40000, seg(s.seq, TcpFlag.ACK, s.payload), f++, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1 + 5000, TcpFlag.FIN | TcpFlag.ACK), f++, 2);
    expect(rec.closes()).toEqual([]);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1 + 300, TcpFlag.FIN | TcpFlag.ACK), f++, 2);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 5002, TcpFlag.ACK), f++, 2); // last ACK: swallowed
    expect(rec.stream(true)).toEqual(req);
    expect(rec.stream(false)).toEqual(resp);
    expect(rec.closes()).toEqual(['fin']);
    expect(rec.conns.length).toBe(1);
    const conn = rec.conns[0]!;
    expect(conn.client).toEqual({ addr: C, port: 40000 });
    expect(conn.server).toEqual({ addr: S, port: 80 });
    expect(conn.state).toBe('closed');
    expect(conn.midstream).toBe(false);
    r.flush();
    expect(rec.closes()).toEqual(['fin']);
  });

  it('delivers in-order data as the segment view and copies out-of-order data', () => {
    const seen: Uint8Array[] = [];
    const sink: TcpStreamSink = { onData: (_c, _d, data) => { seen.push(data); }, onGap: () => {}, onClose: () => {} };
    const r = new TcpStreamReassembler(sink);
    handshake(r);
    const a = bytes(10, 3);
    const b = bytes(10, 4);
    const bCopy = b.slice();
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.ACK, b), 5, 1); // ahead: buffered
    b.fill(0); // the capture buffer gets reused
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, a), 6, 1);
    expect(seen[0]!.buffer).toBe(a.buffer);
    expect(seen[0]!.byteOffset).toBe(a.byteOffset);
    expect(seen[1]).toEqual(bCopy);
  });

  for (const [name, cisn] of [['normal', CLIENT_ISN], ['sequence wrap at 2^32', 0xfffff000]] as const) {
    it(`survives shuffling, duplicates and overlapping retransmissions (${name})`, () => {
      const data = bytes(20000, 5);
      const segs = cut(data, cisn, 3);
      // Retransmissions that straddle two original segments.
      const extra = [];
      for (let i = 0; i + 1 < segs.length; i += 5) {
        const s0 = segs[i]!;
        const start = seqDiff(s0.seq, cisn + 1) + (s0.payload.length >> 1);
        const len = s0.payload.length + 10;
        extra.push({ seq: (cisn + 1 + start) >>> 0, payload: data.subarray(start, Math.min(data.length, start + len)) });
      }
      for (let seed = 1; seed <= 25; seed++) {
        const all = shuffle([...segs, ...segs.filter((_, i) => i % 3 === 0), ...extra], seed);
        const rec = new Recorder();
        const r = new TcpStreamReassembler(rec);
        let f = handshake(r, cisn);
        for (const s of all) r.push(C, 40000, S, 80, seg(s.seq, TcpFlag.ACK, s.payload), f++, 1);
        expect(rec.gaps()).toEqual([]);
        r.flush();
        expect(rec.gaps()).toEqual([]);
        const got = rec.stream(true);
        expect(got.length).toBe(data.length);
        expect(bytesEqual(got, data)).toBe(true);
        expect(rec.closes()).toEqual(['flush']);
      }
    });
  }

  it('reports a dropped segment as a gap of the right size at flush, then delivers the rest', () => {
    const data = bytes(3000, 6);
    const segs = cut(data, CLIENT_ISN, 4);
    const dropped = 3;
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    let f = handshake(r);
    segs.forEach((s, i) => { if (i !== dropped) r.push(C, 40000, S, 80, seg(s.seq, TcpFlag.ACK, s.payload), f++, 1); });
    const missing = segs[dropped]!.payload.length;
    expect(rec.stream(true).length).toBe(seqDiff(segs[dropped]!.seq, CLIENT_ISN + 1));
    r.flush();
    expect(rec.gaps()).toEqual([missing]);
    const gapAt = rec.events.findIndex((e) => e.t === 'gap');
    expect(rec.events[gapAt + 1]).toMatchObject({ t: 'data', frame: 4 + dropped }); // the segment after the hole
    const want = new Uint8Array([...data.subarray(0, seqDiff(segs[dropped]!.seq, CLIENT_ISN + 1)), ...data.subarray(seqDiff(segs[dropped]!.seq, CLIENT_ISN + 1) + missing)]);
    expect(rec.stream(true)).toEqual(want);
  });

  it('skips the gap without waiting for flush once the out-of-order buffer is over its bound', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec, { maxBufferedBytes: 1000 });
    let f = handshake(r);
    const data = bytes(4000, 7);
    // Lose [0, 500); then 3500 bytes arrive in 500-byte segments.
    for (let o = 500; o < 4000; o += 500) r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1 + o, TcpFlag.ACK, data.subarray(o, o + 500)), f++, 1);
    expect(rec.gaps()).toEqual([500]);
    expect(rec.stream(true)).toEqual(data.subarray(500));
  });

  it('starts mid-stream without a SYN, the first sender being the client', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(S, 80, C, 40000, seg(0x12345678, TcpFlag.ACK), 1, 0); // bare ACK: no connection yet
    expect(r.connectionCount).toBe(0);
    const a = bytes(100, 8);
    const b = bytes(50, 9);
    r.push(C, 40000, S, 80, seg(777, TcpFlag.ACK, a.subarray(0, 60)), 2, 0);
    r.push(S, 80, C, 40000, seg(0x12345678, TcpFlag.ACK, b), 3, 0);
    r.push(C, 40000, S, 80, seg(777 + 60, TcpFlag.ACK, a.subarray(60)), 4, 0);
    r.push(C, 40000, S, 80, seg(777 + 30, TcpFlag.ACK, a.subarray(30, 90)), 5, 0); // retransmission
    expect(rec.stream(true)).toEqual(a);
    expect(rec.stream(false)).toEqual(b);
    const conn = rec.conns[0]!;
    expect(conn.midstream).toBe(true);
    expect(conn.client).toEqual({ addr: C, port: 40000 });
    expect(r.connectionCount).toBe(1);
  });

  it('takes the SYN-ACK receiver as the client when the SYN was missed', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK), 1, 0);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10)), 2, 0);
    expect(rec.conns[0]!.client).toEqual({ addr: C, port: 40000 });
    expect(rec.events[0]).toMatchObject({ t: 'data', fromClient: true });
  });

  it('splits a small stream at every point, delivered in either order', () => {
    const msg = new TextEncoder().encode('GET /boot.ipxe HTTP/1.1\r\nHost: 198.51.100.1\r\n\r\n');
    for (let cut1 = 1; cut1 < msg.length; cut1++) {
      for (const reversed of [false, true]) {
        const rec = new Recorder();
        const r = new TcpStreamReassembler(rec);
        handshake(r);
        const parts = [seg(CLIENT_ISN + 1, TcpFlag.ACK, msg.subarray(0, cut1)), seg(CLIENT_ISN + 1 + cut1, TcpFlag.ACK, msg.subarray(cut1))];
        if (reversed) parts.reverse();
        parts.forEach((p, i) => r.push(C, 40000, S, 80, p, 10 + i, 1));
        expect(rec.stream(true)).toEqual(msg);
        expect(rec.events.filter((e) => e.t === 'data').length).toBe(2);
      }
    }
  });

  it('closes on RST, flushing buffered data after reporting the gap', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 4, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 31, TcpFlag.ACK, bytes(10, 2)), 5, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.RST), 6, 1);
    expect(rec.gaps()).toEqual([20]);
    expect(rec.closes()).toEqual(['rst']);
    expect(rec.stream(true).length).toBe(20);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 41, TcpFlag.ACK, bytes(10, 3)), 7, 1); // after close: ignored
    r.flush();
    expect(rec.closes()).toEqual(['rst']);
    expect(rec.stream(true).length).toBe(20);
  });

  it('closes idle connections with timeout by the capture clock, and a new SYN opens a new connection', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec, { idleTimeout: 60 });
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10)), 4, 1);
    r.push(C, 40001, S, 80, seg(5, TcpFlag.ACK, bytes(10)), 5, 50);
    r.expire(100);
    expect(rec.closes()).toEqual(['timeout']);
    expect(rec.events.at(-1)).toMatchObject({ t: 'close', conn: 1 });
    // Sweeps also run from push as capture time advances.
    r.push(S, 80, C, 40000, seg(1, TcpFlag.SYN), 6, 200);
    expect(rec.closes()).toEqual(['timeout', 'timeout']);
    expect(r.connectionCount).toBe(1);
  });

  it('reopens a closed connection on a new SYN (port reuse) but ignores a retransmitted old SYN', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.FIN | TcpFlag.ACK), 4, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.FIN | TcpFlag.ACK), 5, 1);
    expect(rec.closes()).toEqual(['fin']);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 6, 1);
    r.push(C, 40000, S, 80, seg(0x5000, TcpFlag.SYN), 7, 2);
    r.push(C, 40000, S, 80, seg(0x5001, TcpFlag.ACK, bytes(5)), 8, 2);
    expect(rec.events.at(-1)).toMatchObject({ t: 'data', conn: 2, fromClient: true });
  });

  it('keeps a closed connection only as what swallows its late segments: no record a consumer sees, dropped at the idle timeout', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec, { idleTimeout: 60 });
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10)), 4, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.FIN | TcpFlag.ACK), 5, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.FIN | TcpFlag.ACK), 6, 1);
    expect(rec.closes()).toEqual(['fin']);
    expect([...r.connections()]).toEqual([]);
    expect(r.connectionCount).toBe(1);
    const events = rec.events.length;
    // Late copies from either side (the client's SYN, the server's SYN/ACK, data) are swallowed.
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 7, 1.5);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 8, 1.5);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10)), 9, 30);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(4)), 10, 31);
    expect(rec.events.length).toBe(events);
    expect(r.connectionCount).toBe(1);
    // 60 s after the last late segment (not after the close) the record goes.
    r.push(C, 40001, S, 80, seg(0x9000, TcpFlag.SYN), 11, 85);
    expect(r.connectionCount).toBe(2);
    r.push(C, 40001, S, 80, seg(0x9000, TcpFlag.SYN), 12, 101);
    expect(r.connectionCount).toBe(1);
    // A server SYN/ACK with another ISN after the completed handshake still starts over (kept fact).
    const rec2 = new Recorder();
    const r2 = new TcpStreamReassembler(rec2);
    handshake(r2);
    r2.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.RST | TcpFlag.ACK), 4, 1);
    r2.push(S, 80, C, 40000, seg(0x4000, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 5, 2);
    r2.push(S, 80, C, 40000, seg(0x4001, TcpFlag.ACK, bytes(3)), 6, 2);
    expect(rec2.events.at(-1)).toMatchObject({ t: 'data', conn: 2, fromClient: false });
  });

  it('opens a new connection on a SYN with the old ISN after the same side reset the old one (a rebooted iPXE)', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10)), 4, 1);
    // The machine reboots: its RST answers the server's retransmission before it connects again.
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.RST | TcpFlag.ACK), 5, 30);
    expect(rec.closes()).toEqual(['rst']);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 7, 30);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 99, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 8, 30);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(7)), 9, 30);
    expect(rec.events.at(-1)).toMatchObject({ t: 'data', conn: 2, fromClient: true });
    expect(r.connectionCount).toBe(1);
  });

  for (const [name, isn] of [['the old ISN (re-seeded alike)', CLIENT_ISN], ['another ISN', 0x7000]] as const) {
    it(`a client SYN with ${name} on a connection still open starts a new one; the old ends at its own last segment`, () => {
      const rec = new Recorder();
      const r = new TcpStreamReassembler(rec);
      handshake(r);
      r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 4, 1);
      r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(20, 2)), 5, 2);
      // Power-cycled 40 s later (inside the idle timeout): same port, a new handshake.
      r.push(C, 40000, S, 80, seg(isn, TcpFlag.SYN), 6, 42);
      expect(rec.events.at(-1)).toEqual({ t: 'close', conn: 1, reason: 'restart', lastFrame: 5, lastTime: 2 });
      r.push(S, 80, C, 40000, seg(0x9000, TcpFlag.SYN | TcpFlag.ACK, undefined, isn + 1), 7, 42);
      r.push(C, 40000, S, 80, seg(isn + 1, TcpFlag.ACK, undefined, 0x9001), 8, 42);
      const req = bytes(30, 3);
      const resp = bytes(40, 4);
      r.push(C, 40000, S, 80, seg(isn + 1, TcpFlag.ACK | TcpFlag.PSH, req), 9, 42);
      r.push(S, 80, C, 40000, seg(0x9001, TcpFlag.ACK | TcpFlag.PSH, resp), 10, 42);
      const second = rec.events.filter((e): e is Extract<Event, { t: 'data' }> => e.t === 'data' && e.conn === 2);
      expect(second.map((e) => [e.fromClient, e.data])).toEqual([[true, req], [false, resp]]);
      expect(rec.gaps()).toEqual([]);
      expect(r.connectionCount).toBe(1);
    });
  }

  it('a rebooted iPXE\'s SYN on the open connection, its RST to the server\'s challenge ACK, its SYN again: the data is a new connection\'s', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10)), 4, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 5, 30);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, undefined, CLIENT_ISN + 11), 6, 30);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.RST), 7, 30);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 8, 31);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 99, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 9, 31);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(7, 2)), 10, 31);
    expect(rec.events.find((e) => e.t === 'close')).toEqual({ t: 'close', conn: 1, reason: 'restart', lastFrame: 4, lastTime: 1 });
    const last = rec.events.at(-1)!;
    expect(last).toMatchObject({ t: 'data', fromClient: true, frame: 10 });
    expect(last.conn).toBeGreaterThan(1);
    expect(r.connectionCount).toBe(1);
  });

  it('a SYN on a connection whose server already sent its FIN (closing) starts a new one', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 4, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK | TcpFlag.FIN), 5, 12);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 6, 40);
    expect(rec.events.at(-1)).toMatchObject({ t: 'close', conn: 1, reason: 'restart', lastFrame: 5, lastTime: 12 });
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(5, 2)), 7, 40);
    expect(rec.events.at(-1)).toMatchObject({ t: 'data', conn: 2, fromClient: true });
  });

  it('retransmitted SYNs and SYN/ACKs of one handshake stay one connection', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 1, 0);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 2, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 3, 1);
    // The SYN/ACK was lost on its way: the client sends its SYN again, the server its SYN/ACK.
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 4, 3);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 5, 3);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 6, 3);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 7, 4);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(10, 2)), 8, 4);
    expect(rec.closes()).toEqual([]);
    expect(new Set(rec.events.map((e) => e.conn))).toEqual(new Set([1]));
    expect(rec.stream(true)).toEqual(bytes(10, 1));
    expect(rec.stream(false)).toEqual(bytes(10, 2));
  });

  it('the new connection\'s server stream starts at its SYN/ACK, not at a challenge ACK with the old numbers', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 4, 1);
    r.push(C, 40000, S, 80, seg(0x7000, TcpFlag.SYN), 5, 30);
    // RFC 5961 §4: the server answers a SYN on its open connection with an ACK of the old numbers.
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, undefined, CLIENT_ISN + 11), 6, 30);
    r.push(S, 80, C, 40000, seg(0x9000, TcpFlag.SYN | TcpFlag.ACK, undefined, 0x7001), 7, 31);
    r.push(S, 80, C, 40000, seg(0x9001, TcpFlag.ACK, bytes(12, 5)), 8, 31);
    expect(rec.events.at(-1)).toMatchObject({ t: 'data', conn: 2, fromClient: false, frame: 8 });
    expect(rec.gaps()).toEqual([]);
  });

  it('a SYN after a connection picked up mid-stream starts a new one', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(777, TcpFlag.ACK, bytes(10, 1)), 1, 0);
    r.push(C, 40000, S, 80, seg(0x5000, TcpFlag.SYN), 2, 5);
    expect(rec.events.at(-1)).toMatchObject({ t: 'close', conn: 1, reason: 'restart', lastFrame: 1, lastTime: 0 });
    r.push(C, 40000, S, 80, seg(0x5001, TcpFlag.ACK, bytes(5, 2)), 3, 5);
    expect(rec.events.at(-1)).toMatchObject({ t: 'data', conn: 2 });
  });

  it('an idle or flushed connection ends at its last segment, not when that is noticed', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec, { idleTimeout: 60 });
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10)), 4, 7);
    r.push(C, 40001, S, 80, seg(5, TcpFlag.ACK, bytes(10)), 5, 100); // its sweep closes the first
    r.push(C, 40001, S, 80, seg(15, TcpFlag.ACK, bytes(10)), 6, 101);
    r.flush();
    expect(rec.events.filter((e) => e.t === 'close')).toEqual([
      { t: 'close', conn: 1, reason: 'timeout', lastFrame: 4, lastTime: 7 },
      { t: 'close', conn: 2, reason: 'flush', lastFrame: 6, lastTime: 101 },
    ]);
  });

  it('a copy of the client SYN landing after its data (merged taps, a second mirror session) is no restart', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK | TcpFlag.PSH, bytes(10, 1)), 4, 0.001);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 5, 0.002);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK | TcpFlag.PSH, bytes(20, 2)), 6, 0.003);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.ACK | TcpFlag.PSH, bytes(10, 3)), 7, 0.004);
    expect(rec.closes()).toEqual([]);
    expect(new Set(rec.events.map((e) => e.conn))).toEqual(new Set([1]));
    expect(rec.stream(true)).toEqual(new Uint8Array([...bytes(10, 1), ...bytes(10, 3)]));
  });

  it('SYN data with no SYN/ACK in the capture: the client\'s next segment says whether it was taken', () => {
    const junk = bytes(12, 9);
    // Sent again at ISN + 1 (not taken): the junk is no stream data.
    const a = new Recorder();
    const ra = new TcpStreamReassembler(a);
    ra.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, junk), 1, 0);
    ra.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK | TcpFlag.PSH, bytes(20, 1), SERVER_ISN + 1), 2, 0.01);
    expect(a.stream(true)).toEqual(bytes(20, 1));
    // Went on past it (taken): the SYN's data first, at the SYN's frame.
    const b = new Recorder();
    const rb = new TcpStreamReassembler(b);
    rb.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, junk), 1, 0);
    rb.push(C, 40000, S, 80, seg(CLIENT_ISN + 13, TcpFlag.ACK | TcpFlag.PSH, bytes(20, 1), SERVER_ISN + 1), 2, 0.01);
    expect(b.stream(true)).toEqual(new Uint8Array([...junk, ...bytes(20, 1)]));
    expect(b.events[0]).toMatchObject({ t: 'data', frame: 1 });
  });

  it('SYN data the snap length cut (12 of 30 bytes held): a SYN/ACK acknowledging the 30 on the wire took it', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, bytes(12, 9)), 1, 0, -1, -1, 18);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, new Uint8Array(0), CLIENT_ISN + 1 + 30), 2, 0.01);
    expect(rec.stream(true)).toEqual(bytes(12, 9));
    // Acknowledging ISN + 1 only: ignored, cut or not.
    const b = new Recorder();
    const rb = new TcpStreamReassembler(b);
    rb.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, bytes(12, 9)), 1, 0, -1, -1, 18);
    rb.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, new Uint8Array(0), CLIENT_ISN + 1), 2, 0.01);
    expect(b.stream(true)).toEqual(new Uint8Array(0));
  });

  it('SYN data, no SYN/ACK in the capture, the server answering first: its ACK settles the data before its answer', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, bytes(12, 9)), 1, 0);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK | TcpFlag.PSH, bytes(20, 1), CLIENT_ISN + 13), 2, 0.01);
    expect(rec.events.flatMap((e) => (e.t === 'data' ? [e.frame] : []))).toEqual([1, 2]);
    expect(rec.stream(true)).toEqual(bytes(12, 9));
  });

  it('SYN data and nothing from the peer before the capture ends: delivered at the close', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, bytes(12, 9)), 1, 0);
    r.flush();
    expect(rec.stream(true)).toEqual(bytes(12, 9));
  });

  it('a TCP Fast Open SYN with data, sent again after its SYN/ACK was lost: one request, one connection', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    const req = bytes(16, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, req), 1, 0);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 17), 2, 0);
    // The client never saw the SYN/ACK: its SYN (with the same data) again after 1 s, then 3 s.
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, req), 3, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, req), 4, 3);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 17), 5, 3);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 17, TcpFlag.ACK, bytes(4, 2), SERVER_ISN + 1), 6, 3);
    expect(rec.closes()).toEqual([]);
    expect(rec.stream(true)).toEqual(new Uint8Array([...req, ...bytes(4, 2)]));
    expect(new Set(rec.events.map((e) => e.conn))).toEqual(new Set([1]));
  });

  it('a TCP Fast Open SYN with data whose SYN/ACK did not come, sent again as plain SYNs 1 s and 3 s later (Linux): one request, one connection', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    const req = bytes(16, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, req), 1, 0);
    // Linux resends the SYN without its data (queued behind it), RTO 1 s doubling.
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 2, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 3, 3);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 4, 3.001);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK | TcpFlag.PSH, req, SERVER_ISN + 1), 5, 3.002);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK | TcpFlag.PSH, bytes(20, 2), CLIENT_ISN + 17), 6, 3.003);
    expect(rec.closes()).toEqual([]);
    expect(new Set(rec.events.map((e) => e.conn))).toEqual(new Set([1]));
    expect(rec.stream(true)).toEqual(req);
    expect(rec.stream(false)).toEqual(bytes(20, 2));
  });

  it('a Fast Open connection that carried bytes beyond its SYN\'s, then a plain SYN with its ISN 40 s later (a re-seeded reboot): a new connection', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN, bytes(16, 1)), 1, 0);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 17), 2, 0.001);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 17, TcpFlag.ACK | TcpFlag.PSH, bytes(8, 2), SERVER_ISN + 1), 3, 0.002);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 4, 40);
    expect(rec.events.find((e) => e.t === 'close')).toMatchObject({ conn: 1, reason: 'restart', lastFrame: 3 });
  });

  it('a SYN/ACK with another ISN before the handshake completed (SYN proxy, SYN cookies) is no restart', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 1, 0);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 2, 0);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 3, 5);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 5000, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 4, 5);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(8, 1), SERVER_ISN + 5001), 5, 5);
    expect(rec.closes()).toEqual([]);
    expect(rec.stream(true)).toEqual(bytes(8, 1));
  });

  it('a late SYN/ACK on a connection picked up mid-stream is no restart', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 1, 0);
    r.push(S, 80, C, 40000, seg(SERVER_ISN, TcpFlag.SYN | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 2, 3);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.ACK, bytes(10, 2)), 3, 3);
    expect(rec.closes()).toEqual([]);
    expect(rec.stream(true)).toEqual(new Uint8Array([...bytes(10, 1), ...bytes(10, 2)]));
  });

  it('a SYN/ACK with another ISN after a completed handshake starts a new connection (its client SYN missed)', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 4, 1);
    r.push(S, 80, C, 40000, seg(0x9000, TcpFlag.SYN | TcpFlag.ACK, undefined, 0x7001), 5, 40);
    expect(rec.events.at(-1)).toMatchObject({ t: 'close', conn: 1, reason: 'restart', lastFrame: 4 });
  });

  it('what a connection carried ends at its last new bytes, not at the server\'s retransmissions to a rebooted client', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 4, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(20, 2)), 5, 2);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 21, TcpFlag.ACK, bytes(20, 3)), 6, 2.1);
    // The client rebooted: the server retransmits its last segment with backoff.
    for (let i = 0; i < 4; i++) r.push(S, 80, C, 40000, seg(SERVER_ISN + 21, TcpFlag.ACK, bytes(20, 3)), 7 + i, 3 + 2 ** i);
    r.push(C, 40000, S, 80, seg(0x7000, TcpFlag.SYN), 11, 40);
    expect(rec.events.find((e) => e.t === 'close')).toMatchObject({ conn: 1, reason: 'restart', lastFrame: 10 });
    expect(rec.progress.get(1)).toBe(6);
  });

  it('a prompt RST ends what the connection carried at the RST: a server refusing, a client aborting mid-transfer', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN, TcpFlag.SYN), 1, 0);
    r.push(S, 80, C, 40000, seg(0, TcpFlag.RST | TcpFlag.ACK, undefined, CLIENT_ISN + 1), 2, 0.0004);
    handshake(r, 0x5000);
    r.push(C, 40000, S, 80, seg(0x5001, TcpFlag.ACK | TcpFlag.PSH, bytes(10, 1)), 4, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(20, 2)), 5, 1.001);
    // One segment lost, resent after a 1 s RTO, then the client's abort.
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(20, 2)), 6, 2.001);
    r.push(C, 40000, S, 80, seg(0x500b, TcpFlag.RST | TcpFlag.ACK), 7, 2.002);
    expect(rec.closes()).toEqual(['rst', 'rst']);
    expect([rec.atClose.get(1), rec.atClose.get(2)]).toEqual([true, true]);
  });

  it('a RST after the connection went quiet (a rebooted client refusing the server\'s retransmissions) ends it at its last progress', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(10, 1)), 4, 1);
    r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(20, 2)), 5, 1.001);
    // Linux's retransmissions to the machine that rebooted: 200 ms RTO doubling; the rebooted
    // machine answers the one that finds it up again.
    for (let i = 0; i < 8; i++) r.push(S, 80, C, 40000, seg(SERVER_ISN + 1, TcpFlag.ACK, bytes(20, 2)), 6 + i, 1.001 + 0.2 * (2 ** (i + 1) - 1));
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.RST), 14, 52.2);
    expect(rec.events.find((e) => e.t === 'close')).toMatchObject({ conn: 1, reason: 'rst', lastFrame: 14 });
    expect(rec.progress.get(1)).toBe(5);
    expect(rec.atClose.get(1)).toBe(false);
  });

  it('drops a buffered segment that a later in-order segment covered exactly', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    const data = bytes(20, 4);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 11, TcpFlag.ACK, data.subarray(10)), 4, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, data), 5, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 21, TcpFlag.ACK, bytes(3, 5)), 6, 1);
    expect(rec.events.map((e) => (e.t === 'data' ? [e.frame, e.data.length] : e.t))).toEqual([[5, 20], [6, 3]]);
  });

  it('does not deliver data past a FIN', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec);
    handshake(r);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK | TcpFlag.FIN, bytes(10)), 4, 1);
    r.push(C, 40000, S, 80, seg(CLIENT_ISN + 1, TcpFlag.ACK, bytes(30)), 5, 1);
    expect(rec.stream(true).length).toBe(10);
  });
});

describe('TcpStreamReassembler limits over all connections', () => {
  /** Opens `n` connections (SYN from port 1000+i) that each buffer `held` bytes behind a gap. */
  function gappy(r: TcpStreamReassembler, n: number, held: number, t0 = 0): void {
    for (let i = 0; i < n; i++) {
      r.push(C, 1000 + i, S, 80, seg(100, TcpFlag.SYN), i * 2 + 1, t0);
      r.push(C, 1000 + i, S, 80, seg(101 + 500, TcpFlag.ACK, bytes(held, i)), i * 2 + 2, t0);
    }
  }

  it('out-of-order bytes over all connections stay under the cap; the skips are counted', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec, { maxTotalBufferedBytes: 10_000 });
    gappy(r, 50, 1000);
    expect(r.bufferedBytes).toBeLessThanOrEqual(10_000 + 1000);
    expect(r.limits.totalBufferSkips).toBe(50 - 10);
    expect(r.limits.firstFrame).toBeGreaterThan(0);
    // Skipped early is reported as a gap of the missing 500 bytes, then the held bytes come.
    expect(rec.gaps().slice(0, 3)).toEqual([500, 500, 500]);
    r.flush();
    expect(r.bufferedBytes).toBe(0);
  });

  it('connections beyond the cap close the oldest as timed out, counted', () => {
    const rec = new Recorder();
    const r = new TcpStreamReassembler(rec, { maxConnections: 64 });
    gappy(r, 200, 10);
    expect(r.connectionCount).toBeLessThanOrEqual(64);
    expect(r.limits.evictedConnections).toBeGreaterThanOrEqual(200 - 64);
    expect(rec.closes().every((c) => c === 'timeout')).toBe(true);
    // The bytes of an evicted connection were delivered (gap first), not lost silently.
    expect(rec.gaps().length).toBe(r.limits.evictedConnections);
  });

  it('within the limits nothing is counted', () => {
    const r = new TcpStreamReassembler(new Recorder());
    gappy(r, 100, 100);
    expect(r.limits).toEqual({ totalBufferSkips: 0, evictedConnections: 0, firstFrame: 0 });
    expect(r.bufferedBytes).toBe(100 * 100);
  });
});

describe('segments the snap length cut', () => {
  /** Events as text: "data <len> cut", "gap <bytes> cut|lost". */
  class CutRecorder implements TcpStreamSink {
    log: string[] = [];
    onData(_c: TcpConnection, _fromClient: boolean, data: Uint8Array, frame: number, _time: number, cut: boolean): void {
      this.log.push(`data ${data.length}${cut ? ' cut' : ''} @${frame}`);
    }
    onGap(_c: TcpConnection, _fromClient: boolean, missing: number, frame: number, _time: number, cut: boolean): void {
      this.log.push(`gap ${missing} ${cut ? 'cut' : 'lost'} @${frame}`);
    }
    onClose(): void {}
  }

  it('the bytes a cut took are a cut gap at once, in order; a held cut segment says so when delivered; a segment with no captured byte too', () => {
    const rec = new CutRecorder();
    const r = new TcpStreamReassembler(rec);
    r.push(C, 40000, S, 80, seg(100, TcpFlag.SYN), 1, 1);
    r.push(C, 40000, S, 80, seg(101, TcpFlag.ACK, bytes(10)), 2, 2, -1, -1, 90); // 100 bytes sent
    r.push(C, 40000, S, 80, seg(301, TcpFlag.ACK, bytes(10)), 3, 3, -1, -1, 90); // ahead: held
    r.push(C, 40000, S, 80, seg(201, TcpFlag.ACK, bytes(0)), 4, 4, -1, -1, 100); // nothing captured
    r.push(C, 40000, S, 80, seg(451, TcpFlag.ACK, bytes(10)), 5, 5); // 50 bytes lost before it
    r.flush();
    expect(rec.log).toEqual([
      'data 10 cut @2', 'gap 90 cut @2',
      'gap 100 cut @4',
      'data 10 cut @3', 'gap 90 cut @3',
      'gap 50 lost @5', 'data 10 @5',
    ]);
  });
});
