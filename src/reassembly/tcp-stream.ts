import { TcpFlag, type TcpSegment } from '../wire/tcp.js';

export interface TcpEndpoint {
  addr: string;
  port: number;
}

export type TcpConnectionState = 'handshake' | 'established' | 'closing' | 'closed';

/** One direction of a connection. */
interface HalfStream {
  /** Next sequence number to deliver; -1 until the first segment from this side. */
  nextSeq: number;
  /** Out-of-order segments (copies), sorted by sequence relative to nextSeq. */
  pending: BufferedSegment[];
  pendingBytes: number;
  /** Sequence number of the FIN, -1 until seen. */
  finSeq: number;
  finished: boolean;
  /** Sequence number of this side's SYN, -1 if none seen. */
  synSeq: number;
  /** Bytes the first SYN seen from this side carried (TCP Fast Open), 0 for a plain SYN. */
  synData: number;
  /** The data of this side's SYN (without ACK: Fast Open, or junk a stack ignores), held until
   *  the peer's SYN/ACK says whether it took it (RFC 7413 §4.2: it acknowledges ISN + 1 + length;
   *  ISN + 1 when it ignored the data, which the client then sends again), or, where the capture
   *  has no SYN/ACK, any segment of the peer with ACK set does (before its own data is delivered),
   *  else this side's next segment (it starts past the data, or at ISN + 1 again); with nothing
   *  from the peer at all, the close delivers it. Null when none is held. */
  synHeld: BufferedSegment | null;
  /** Bytes of the held SYN data the snap length cut (its wire length is captured + this). */
  synCut: number;
  /** This side sent the RST that closed the connection. */
  sentRst: boolean;
  /** Time of this side's last segment (-Infinity before the first). */
  lastTime: number;
  /** The highest acknowledgement of this side's bytes the peer sent (a sequence number), valid
   *  once `acked`: how far the receiver says it got (a RST's is not counted). */
  ackedTo: number;
  acked: boolean;
}

interface BufferedSegment {
  seq: number;
  data: Uint8Array;
  frame: number;
  time: number;
  /** Bytes the snap length cut off its end (sent, not captured); absent when none. */
  cut?: number;
}

export interface TcpConnection {
  /** 1, 2, 3... in order of appearance. */
  readonly id: number;
  /** Direction-free key: both directions map to it. */
  readonly key: string;
  /** The SYN sender, else the sender of the first segment seen. */
  readonly client: TcpEndpoint;
  readonly server: TcpEndpoint;
  state: TcpConnectionState;
  /** True when the capture started after the handshake (no SYN seen). */
  readonly midstream: boolean;
  firstTime: number;
  /** Time and frame of the last segment seen on it (a late retransmission after the close moves
   *  `lastTime` only, which keeps the closed record a while longer). */
  lastTime: number;
  lastFrame: number;
  /** Time and frame of the last segment that moved it on: its SYN, new bytes or a FIN. Server
   *  retransmissions to a machine that rebooted, or that machine's RST, do not: what the
   *  connection carried ended here. */
  progressTime: number;
  progressFrame: number;
  /** Free slot for the consumer (e.g. its per-connection parser). */
  user: unknown;
}

export interface TcpStreamSink {
  /** In-order bytes, each byte exactly once. `data` may be a view into the capture record.
   *  `cut`: the snap length ended this segment's captured bytes here (a `cut` gap follows). */
  onData(conn: TcpConnection, fromClient: boolean, data: Uint8Array, frame: number, time: number, cut: boolean): void;
  /** Bytes we never saw and skipped. `cut`: the sender sent them in a segment the capture holds,
   *  whose end the snap length cut off (its IP length says how many); else the capture lost them. */
  onGap(conn: TcpConnection, fromClient: boolean, missingBytes: number, frame: number, time: number, cut: boolean): void;
  /** The connection ended at its last segment (`conn.lastFrame` / `conn.lastTime`; what it carried
   *  at `conn.progressFrame`, or at the closing segment when `endsAtClose`), whatever segment or
   *  sweep noticed it: an idle connection closes when it went quiet, not 120 s later. */
  onClose(conn: TcpConnection, reason: TcpCloseReason): void;
}

/** Why a connection ended: both FINs, a RST, idle past the timeout (or evicted), the end of the
 *  capture, or a new SYN on its ports that is no retransmission of its own (`restart`: a machine
 *  rebooted mid-transfer and reused the 4-tuple). */
export type TcpCloseReason = 'fin' | 'rst' | 'timeout' | 'flush' | 'restart';

export interface TcpReassemblyOptions {
  /** Out-of-order bytes buffered per direction before the gap is skipped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Out-of-order bytes buffered over all connections (default 32 MiB): beyond it, the direction
   *  that buffers skips its gaps at once. Bounds memory against a capture of endless gaps. */
  maxTotalBufferedBytes?: number;
  /** Connections tracked at once (default 32768): beyond it the least recently opened one is
   *  closed as if timed out. */
  maxConnections?: number;
  /** Seconds without a segment after which a connection is closed with 'timeout' (default 120). */
  idleTimeout?: number;
}

/** How often a memory limit made the reassembler give up on bytes or connections. */
export interface TcpLimitCounts {
  /** Gaps skipped early because all connections together held too many out-of-order bytes. */
  totalBufferSkips: number;
  /** Connections closed early because too many were open at once. */
  evictedConnections: number;
  /** Frame that first hit a limit (0: none). */
  firstFrame: number;
}

interface ConnectionRecord extends TcpConnection {
  toServer: HalfStream;
  toClient: HalfStream;
  /** Both SYNs seen and the client acknowledged the server's (a segment without SYN after it). */
  handshakeDone: boolean;
}

/**
 * What a closed connection keeps while it swallows late segments (until the idle timeout): who its
 * client is and what `synStartsOver` reads of each side, nothing else. The full record (two halves,
 * two endpoints, buffers, ~600 bytes with its boxed numbers) goes at the close: a capture of
 * 100,000 clients holds ~12,000 closed connections at a time, a sixth of its live heap.
 */
class ClosedConnection {
  readonly state = 'closed' as const;
  constructor(
    /** Time of its last segment, late ones included (the idle timeout counts from it). */
    public lastTime: number,
    readonly clientAddr: string,
    readonly clientPort: number,
    readonly handshakeDone: boolean,
    /** Either side sent the RST that closed it. */
    readonly rst: boolean,
    /** Per side (client's, then server's): its SYN's sequence number (-1: none), the time of its
     *  last segment, whether it sent data beyond its SYN and that SYN's own (Fast Open) bytes. */
    readonly clientSyn: number,
    readonly clientLast: number,
    readonly clientSent: boolean,
    readonly serverSyn: number,
    readonly serverLast: number,
    readonly serverSent: boolean,
  ) {}
}

function closedConnection(c: ConnectionRecord): ClosedConnection {
  const cs = c.toServer;
  const sc = c.toClient;
  return new ClosedConnection(
    c.lastTime, c.client.addr, c.client.port, c.handshakeDone, cs.sentRst || sc.sentRst,
    cs.synSeq, cs.lastTime, sentData(cs, cs.synData), sc.synSeq, sc.lastTime, sentData(sc, sc.synData),
  );
}

/** Signed distance a - b in 32-bit sequence space (RFC 9293 §3.4 modular comparison). */
/** The peer's acknowledgement `ack` took the held SYN data: it reaches ISN + 1 + length (RFC 7413
 *  §4.2; ISN + 1 when the data was ignored). A SYN the snap length cut was longer on the wire than
 *  held: any acknowledgement past ISN + 1 took it. */
function synDataTaken(ack: number, held: BufferedSegment, cutBytes: number): boolean {
  const d = seqDiff(ack, held.seq);
  return cutBytes > 0 ? d > 0 : d >= held.data.length;
}

export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** The direction-free key of a connection: both endpoints as text, the smaller first. */
function connectionKey(src: string, srcPort: number, dst: string, dstPort: number): string {
  const a = `${src}|${srcPort}`;
  const b = `${dst}|${dstPort}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

const KEY_SLOTS = 1 << 10;

/** connectionKey of IPv4 4-tuples, direct-mapped by the numbers: a segment of a known
 *  connection builds no string (and its key's hash is already computed for the Map). */
class ConnectionKeyCache {
  private readonly src = new Float64Array(KEY_SLOTS).fill(-1);
  private readonly dst = new Float64Array(KEY_SLOTS);
  private readonly texts: string[] = new Array<string>(KEY_SLOTS).fill('');

  key(src: string, srcPort: number, dst: string, dstPort: number, src4: number, dst4: number): string {
    const s = src4 * 65536 + srcPort;
    const d = dst4 * 65536 + dstPort;
    const slot = (Math.imul(src4 ^ dstPort, 0x9e3779b1) ^ Math.imul(dst4 ^ srcPort, 0x85ebca6b)) >>> 22;
    if (this.src[slot] === s && this.dst[slot] === d) return this.texts[slot]!;
    const text = connectionKey(src, srcPort, dst, dstPort);
    this.src[slot] = s;
    this.dst[slot] = d;
    this.texts[slot] = text;
    return text;
  }
}

/** This side has sent bytes beyond its SYN and the `synPayload` bytes that SYN carries (TCP Fast
 *  Open), delivered or held, not counting its FIN. */
function sentData(half: HalfStream, synPayload: number): boolean {
  if (half.pendingBytes > 0) return true;
  return seqDiff(half.nextSeq, (half.synSeq + 1 + synPayload) >>> 0) > (half.finished ? 1 : 0);
}

/** Seconds a side must have been silent before its SYN with its old ISN counts as a reboot: a
 *  copy of the SYN (two mirror sessions, merged taps, ERSPAN, `-i any`) lands milliseconds after
 *  the original, a rebooted machine's SYN seconds after its last segment. */
const RESTART_QUIET = 1;

/**
 * Seconds without progress after which a RST no longer belongs to what the connection carried.
 * A RST that answers the exchange comes within a round trip of the segment it refuses, or of its
 * retransmission when a copy was lost: RFC 6298 starts the RTO at 1 s (never below 1 s, §2.4;
 * Linux goes down to 200 ms) and doubles it (§5.5), so the first two retransmissions go within
 * 1 + 2 s. Later, the peer is answering the retransmissions of a connection it no longer has (a
 * machine rebooted: POST, firmware and DHCP take longer than that), or a stalled peer gave up.
 */
const RST_AFTER_QUIET_S = 3;

/** What the connection carried ended at its closing segment (`lastFrame`): both FINs, or a RST
 *  that came promptly (a server refusing, a client aborting mid-transfer). Else at its last
 *  progress (`progressFrame`): an idle close, the end of the capture, a restart, or a RST after
 *  the connection had gone quiet (a rebooted client refusing the server's retransmissions, minutes
 *  on, inside its next boot). */
export function endsAtClose(conn: TcpConnection, reason: TcpCloseReason): boolean {
  if (reason === 'fin') return true;
  return reason === 'rst' && conn.lastTime - conn.progressTime <= RST_AFTER_QUIET_S;
}

/** The sender closed this direction: its FIN came and every byte before it was delivered. */
export function finishedBySender(conn: TcpConnection, fromClient: boolean): boolean {
  const c = conn as ConnectionRecord;
  return (fromClient ? c.toServer : c.toClient).finished;
}

/** Bytes of this direction delivered so far (its FIN not counted) that the receiver's ACKs do not
 *  cover yet: 0 once it acknowledged them all; null while it acknowledged nothing of them. */
export function unacknowledged(conn: TcpConnection, fromClient: boolean): number | null {
  const half = (conn as ConnectionRecord)[fromClient ? 'toServer' : 'toClient'];
  if (!half.acked || half.nextSeq === -1) return null;
  const end = half.finished ? (half.nextSeq - 1) >>> 0 : half.nextSeq;
  return Math.max(0, seqDiff(end, half.ackedTo));
}

/** This direction's sender sent a RST. */
export function resetBy(conn: TcpConnection, fromClient: boolean): boolean {
  return (conn as ConnectionRecord)[fromClient ? 'toServer' : 'toClient'].sentRst;
}

/** The connection moved on at this segment (a held one delivered late keeps the later mark). */
function progress(c: TcpConnection, frame: number, time: number): void {
  if (frame < c.progressFrame) return;
  c.progressFrame = frame;
  c.progressTime = time;
}

/**
 * Does a SYN (or SYN/ACK) on a known connection open a new connection on the same 4-tuple? A
 * rebooted machine reuses its port, and a reset one re-seeded alike (iPXE) even its ISN, while the
 * old connection is still open to the server. Its own handshake again (a retransmitted or mirrored
 * SYN, each copy of which must not start a connection) does not. The connection as it stands:
 * still in its handshake, handshake done, closed by a RST; of the SYN's sender: its SYN's
 * sequence number (-1: none seen), its last segment's time, whether it sent data beyond its SYN.
 */
function synStartsOver(seg: TcpSegment, ackFlag: boolean, time: number, handshaking: boolean, handshakeDone: boolean, rst: boolean, synSeq: number, lastTime: number, sent: boolean): boolean {
  if (ackFlag) {
    // A SYN/ACK answers a SYN, it opens nothing (tshark splits only on a SYN without ACK): only
    // another ISN after a completed handshake says the server side started over. A SYN proxy or
    // SYN cookies answer a retransmitted SYN with another ISN before that; a connection picked
    // up mid-stream sees its late SYN/ACK.
    return handshakeDone && synSeq !== -1 && synSeq !== seg.seq;
  }
  // This side's first SYN: the answer to (or a simultaneous open of) the handshake under way,
  // else the start of another on a connection picked up mid-stream.
  if (synSeq === -1) return !handshaking;
  if (synSeq !== seg.seq) return true;
  // The old ISN: a reboot only by a SYN without data (a Fast Open SYN sent again is its own
  // retransmission) after this side went quiet, which a late copy of the SYN never is, and sent
  // bytes beyond its first SYN's own: Linux resends a Fast Open SYN whose SYN/ACK did not come
  // as a plain SYN, 1 s later, its data queued behind it.
  if (seg.payload.length > 0) return false;
  if (rst) return true;
  return time - lastTime >= RESTART_QUIET && sent;
}

/** `synStartsOver` for a closed connection's SYN (or SYN/ACK). */
function closedStartsOver(c: ClosedConnection, src: string, srcPort: number, seg: TcpSegment, ackFlag: boolean, time: number): boolean {
  const fromClient = c.clientAddr === src && c.clientPort === srcPort;
  return fromClient
    ? synStartsOver(seg, ackFlag, time, false, c.handshakeDone, c.rst, c.clientSyn, c.clientLast, c.clientSent)
    : synStartsOver(seg, ackFlag, time, false, c.handshakeDone, c.rst, c.serverSyn, c.serverLast, c.serverSent);
}

function newHalf(): HalfStream {
  return { nextSeq: -1, pending: [], pendingBytes: 0, finSeq: -1, finished: false, synSeq: -1, synData: 0, synHeld: null, synCut: 0, sentRst: false, lastTime: -Infinity, ackedTo: 0, acked: false };
}

/**
 * Both directions of a TCP connection turned into in-order byte streams (gopacket reassembly
 * style), reporting gaps rather than hiding them. Pure: time comes in with each segment.
 */
export class TcpStreamReassembler {
  private readonly conns = new Map<string, ConnectionRecord | ClosedConnection>();
  private nextId = 1;
  private lastSweep = -Infinity;
  readonly maxBufferedBytes: number;
  readonly maxTotalBufferedBytes: number;
  readonly maxConnections: number;
  readonly idleTimeout: number;
  /** Out-of-order bytes held over all connections. */
  private totalBuffered = 0;
  readonly limits: TcpLimitCounts = { totalBufferSkips: 0, evictedConnections: 0, firstFrame: 0 };
  private readonly keyCache = new ConnectionKeyCache();

  constructor(private readonly sink: TcpStreamSink, opts: TcpReassemblyOptions = {}) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 1 << 20;
    this.maxTotalBufferedBytes = opts.maxTotalBufferedBytes ?? 32 << 20;
    this.maxConnections = Math.max(1, opts.maxConnections ?? 32768);
    this.idleTimeout = opts.idleTimeout ?? 120;
  }

  /** Out-of-order bytes held now over all connections. */
  get bufferedBytes(): number {
    return this.totalBuffered;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** The open connections (`connectionCount` also counts the closed ones kept a while to swallow
   *  retransmissions: they keep no record a consumer could see). */
  *connections(): IterableIterator<TcpConnection> {
    for (const c of this.conns.values()) if (!(c instanceof ClosedConnection)) yield c;
  }

  /**
   * One segment. `src4`/`dst4` are the IPv4 addresses as numbers when the caller has them (else
   * -1): the connection key of a known 4-tuple then comes from a small cache instead of being
   * built and hashed anew per segment. `cutBytes`: payload bytes the snap length cut off `seg`.
   */
  push(src: string, srcPort: number, dst: string, dstPort: number, seg: TcpSegment, frame: number, time: number, src4 = -1, dst4 = -1, cutBytes = 0): void {
    if (time - this.lastSweep >= this.idleTimeout / 4) {
      this.lastSweep = time;
      this.expire(time);
    }
    const key = src4 >= 0 && dst4 >= 0 ? this.keyCache.key(src, srcPort, dst, dstPort, src4, dst4) : connectionKey(src, srcPort, dst, dstPort);
    const syn = (seg.flags & TcpFlag.SYN) !== 0;
    const ackFlag = (seg.flags & TcpFlag.ACK) !== 0;
    const known = this.conns.get(key);
    let c = known instanceof ClosedConnection ? undefined : known;
    if (known instanceof ClosedConnection) {
      // Late segments of a closed connection (retransmissions, its SYN again) are swallowed.
      if (!syn || !closedStartsOver(known, src, srcPort, seg, ackFlag, time)) {
        known.lastTime = time;
        return;
      }
      this.conns.delete(key);
    } else if (c !== undefined && syn && this.startsOver(c, src, srcPort, seg, ackFlag, time)) {
      // The old connection ends at its own last segment, not at this SYN.
      this.finish(c, 'restart');
      this.conns.delete(key);
      c = undefined;
    }
    if (!c) {
      // A bare ACK or FIN tells us nothing worth a connection record.
      if (!syn && seg.payload.length === 0 && cutBytes === 0) return;
      if (this.conns.size >= this.maxConnections) this.evictOldest(frame);
      const synAck = syn && ackFlag;
      const srcEp = { addr: src, port: srcPort };
      const dstEp = { addr: dst, port: dstPort };
      c = {
        id: this.nextId++,
        key,
        client: synAck ? dstEp : srcEp,
        server: synAck ? srcEp : dstEp,
        state: syn ? 'handshake' : 'established',
        midstream: !syn,
        firstTime: time,
        lastTime: time,
        lastFrame: frame,
        progressTime: time,
        progressFrame: frame,
        user: undefined,
        toServer: newHalf(),
        toClient: newHalf(),
        handshakeDone: false,
      };
      this.conns.set(key, c);
    }
    c.lastTime = time;
    c.lastFrame = frame;
    const fromClient = c.client.addr === src && c.client.port === srcPort;
    const half = fromClient ? c.toServer : c.toClient;
    half.lastTime = time;
    if (fromClient && !syn && ackFlag && c.toClient.synSeq !== -1 && c.toServer.synSeq !== -1) c.handshakeDone = true;
    const peer = fromClient ? c.toClient : c.toServer;
    // Any acknowledgement of the peer settles its SYN data before the peer's own data goes out
    // (a TFO server's early answer, the SYN/ACK lost: the request is delivered before it).
    if (peer.synHeld !== null && ackFlag) this.settleSynData(c, !fromClient, peer, synDataTaken(seg.ack, peer.synHeld, peer.synCut));
    if (half.synHeld !== null && !syn) this.settleSynData(c, fromClient, half, seqDiff(seg.seq, half.synHeld.seq) >= half.synHeld.data.length);
    if (ackFlag && (seg.flags & TcpFlag.RST) === 0 && (!peer.acked || seqDiff(seg.ack, peer.ackedTo) > 0)) {
      peer.ackedTo = seg.ack;
      peer.acked = true;
    }

    if ((seg.flags & TcpFlag.RST) !== 0) {
      half.sentRst = true;
      this.deliverInOrder(c, fromClient, half, seg, syn, frame, time);
      this.finish(c, 'rst');
      return;
    }
    if (syn && ackFlag && c.state === 'handshake') {
      c.state = 'established';
      // The SYN/ACK says where the server's stream begins, whatever bare ACK came before it (a
      // server's challenge ACK to a restarting SYN carries the old connection's numbers).
      if (half.synSeq === -1 && half.pendingBytes === 0) half.nextSeq = -1;
    }
    if (syn && half.synSeq === -1) progress(c, frame, time);
    if (syn && !ackFlag && half.synHeld === null) half.synCut = cutBytes;
    this.deliverInOrder(c, fromClient, half, seg, syn, frame, time, syn ? 0 : cutBytes);
    if ((seg.flags & TcpFlag.FIN) !== 0 && half.finSeq === -1) {
      progress(c, frame, time);
      half.finSeq = (seg.seq + (syn ? 1 : 0) + seg.payload.length + (syn ? 0 : cutBytes)) >>> 0;
      this.checkFin(c, half);
    }
  }

  /** `synStartsOver` for a SYN (or SYN/ACK) from `src` on the open connection `c`. */
  private startsOver(c: ConnectionRecord, src: string, srcPort: number, seg: TcpSegment, ackFlag: boolean, time: number): boolean {
    const fromClient = c.client.addr === src && c.client.port === srcPort;
    const half = fromClient ? c.toServer : c.toClient;
    const rst = c.toServer.sentRst || c.toClient.sentRst;
    return synStartsOver(seg, ackFlag, time, c.state === 'handshake', c.handshakeDone, rst, half.synSeq, half.lastTime, sentData(half, half.synData));
  }

  /** Delivers what `seg` adds at the in-order point, buffers it if it is ahead. */
  private deliverInOrder(c: ConnectionRecord, fromClient: boolean, half: HalfStream, seg: TcpSegment, syn: boolean, frame: number, time: number, cut = 0): void {
    const dataSeq = (seg.seq + (syn ? 1 : 0)) >>> 0;
    if (syn && half.synSeq === -1) {
      half.synSeq = seg.seq;
      half.synData = seg.payload.length;
    }
    if (half.nextSeq === -1) half.nextSeq = dataSeq; // first segment this way (SYN or mid-stream)
    const data = seg.payload;
    if ((data.length === 0 && cut === 0) || half.finished) return;
    if (syn && (seg.flags & TcpFlag.ACK) === 0) {
      // Stream data only once the server took it (`synHeld`): a SYN's data a server ignored,
      // delivered, would make the request the client sends after the handshake look resent.
      if (half.synHeld === null && dataSeq === half.nextSeq) half.synHeld = { seq: dataSeq, data: data.slice(), frame, time };
      return;
    }
    const rel = seqDiff(dataSeq, half.nextSeq);
    if (rel > 0) {
      this.buffer(c, fromClient, half, dataSeq, data, frame, time, cut);
      return;
    }
    if (-rel >= data.length + cut) return; // all retransmitted
    this.deliver(c, fromClient, half, data, -rel, cut, frame, time);
    this.drain(c, fromClient, half);
  }

  /** A segment's bytes from `from` on: the captured ones, then the ones the snap length cut (sent:
   *  a `cut` gap at once, in order, whether the segment came in order or was held). */
  private deliver(c: ConnectionRecord, fromClient: boolean, half: HalfStream, data: Uint8Array, from: number, cut: number, frame: number, time: number): void {
    if (from < data.length) this.emit(c, fromClient, half, data.subarray(from), frame, time, cut > 0);
    if (cut === 0) return;
    let bytes = Math.min(cut, data.length + cut - from);
    if (half.finSeq !== -1) bytes = Math.min(bytes, seqDiff(half.finSeq, half.nextSeq));
    if (bytes <= 0) return;
    half.nextSeq = (half.nextSeq + bytes) >>> 0;
    progress(c, frame, time);
    this.sink.onGap(c, fromClient, bytes, frame, time, true);
  }

  private emit(c: ConnectionRecord, fromClient: boolean, half: HalfStream, data: Uint8Array, frame: number, time: number, cut = false): void {
    if (half.finSeq !== -1) {
      // Nothing after the FIN belongs to the stream.
      const room = seqDiff(half.finSeq, half.nextSeq);
      if (room <= 0) return;
      if (data.length > room) data = data.subarray(0, room);
    }
    if (data.length === 0) return;
    half.nextSeq = (half.nextSeq + data.length) >>> 0;
    progress(c, frame, time);
    this.sink.onData(c, fromClient, data, frame, time, cut);
  }

  private buffer(c: ConnectionRecord, fromClient: boolean, half: HalfStream, seq: number, data: Uint8Array, frame: number, time: number, cut: number): void {
    const p = half.pending;
    const rel = seqDiff(seq, half.nextSeq);
    let i = p.length;
    while (i > 0 && seqDiff(p[i - 1]!.seq, half.nextSeq) > rel) i--;
    const prev = p[i - 1];
    // An exact retransmission of a buffered segment is not stored twice.
    if (prev && prev.seq === seq && prev.data.length >= data.length && (prev.cut ?? 0) + prev.data.length >= data.length + cut) return;
    const seg: BufferedSegment = cut > 0 ? { seq, data: data.slice(), frame, time, cut } : { seq, data: data.slice(), frame, time };
    // A first held segment gets an array of its own size: splice and push reserve 17 slots
    // (128 spare bytes on each of 100,000 open streams holding one segment).
    if (p.length === 0) half.pending = [seg];
    else p.splice(i, 0, seg);
    half.pendingBytes += data.length;
    this.totalBuffered += data.length;
    while (half.pendingBytes > this.maxBufferedBytes && half.pending.length > 0) this.skipGap(c, fromClient, half);
    if (this.totalBuffered > this.maxTotalBufferedBytes && half.pending.length > 0) {
      this.hitLimit(frame);
      this.limits.totalBufferSkips++;
      while (half.pending.length > 0) this.skipGap(c, fromClient, half);
    }
  }

  /** The held SYN data: delivered (at its SYN's frame) when the peer took it, else dropped. */
  private settleSynData(c: ConnectionRecord, fromClient: boolean, half: HalfStream, taken: boolean): void {
    const held = half.synHeld!;
    half.synHeld = null;
    if (!taken || half.finished || seqDiff(held.seq, half.nextSeq) !== 0) return;
    this.emit(c, fromClient, half, held.data, held.frame, held.time, false);
    this.drain(c, fromClient, half);
  }

  /** Delivers buffered segments that the in-order point has reached. */
  private drain(c: ConnectionRecord, fromClient: boolean, half: HalfStream): void {
    const p = half.pending;
    while (p.length > 0) {
      const s = p[0]!;
      const rel = seqDiff(s.seq, half.nextSeq);
      if (rel > 0) break;
      p.shift();
      half.pendingBytes -= s.data.length;
      this.totalBuffered -= s.data.length;
      // Emptied: its spare room goes too (the next held segment gets a new array).
      if (p.length === 0) half.pending = [];
      if (-rel < s.data.length + (s.cut ?? 0)) this.deliver(c, fromClient, half, s.data, -rel, s.cut ?? 0, s.frame, s.time);
    }
    this.checkFin(c, half);
  }

  /** Gives up on the bytes before the first buffered segment. */
  private skipGap(c: ConnectionRecord, fromClient: boolean, half: HalfStream): void {
    const s = half.pending[0]!;
    const missing = seqDiff(s.seq, half.nextSeq);
    if (missing > 0) {
      this.sink.onGap(c, fromClient, missing, s.frame, s.time, false);
      half.nextSeq = s.seq;
    }
    this.drain(c, fromClient, half);
  }

  private checkFin(c: ConnectionRecord, half: HalfStream): void {
    if (half.finished || half.finSeq === -1 || half.nextSeq !== half.finSeq) return;
    half.finished = true;
    half.nextSeq = (half.nextSeq + 1) >>> 0; // the FIN occupies one sequence number
    half.pending.length = 0;
    this.totalBuffered -= half.pendingBytes;
    half.pendingBytes = 0;
    if (c.toServer.finished && c.toClient.finished) this.finish(c, 'fin');
    else c.state = 'closing';
  }

  /** Delivers buffered data (reporting gaps) in both directions and closes. */
  private finish(c: ConnectionRecord, reason: TcpCloseReason): void {
    if (c.state === 'closed') return;
    // SYN data nothing settled: with nothing at all from the peer it was sent (a server that never
    // answered, or one the capture does not see), and is delivered; else dropped.
    if (c.toServer.synHeld !== null) this.settleSynData(c, true, c.toServer, c.toClient.lastTime === -Infinity);
    if (c.toClient.synHeld !== null) this.settleSynData(c, false, c.toClient, c.toServer.lastTime === -Infinity);
    if (reason !== 'fin') {
      while (c.toServer.pending.length > 0) this.skipGap(c, true, c.toServer);
      while (c.toClient.pending.length > 0) this.skipGap(c, false, c.toClient);
    }
    c.state = 'closed';
    this.sink.onClose(c, reason);
    // Kept until the idle timeout as what it needs to swallow late segments, unless it is leaving.
    if (this.conns.get(c.key) === c) this.conns.set(c.key, closedConnection(c));
  }

  private hitLimit(frame: number): void {
    if (this.limits.firstFrame === 0) this.limits.firstFrame = frame;
  }

  /** Closes the connections opened longest ago (Map order) to make room: a batch at a time, so a
   *  flood of new connections costs one pass over the Map per batch, not one per connection. */
  private evictOldest(frame: number): void {
    let n = Math.max(1, this.maxConnections >> 6);
    for (const [key, c] of this.conns) {
      this.conns.delete(key);
      if (!(c instanceof ClosedConnection)) {
        this.hitLimit(frame);
        this.limits.evictedConnections++;
        this.finish(c, 'timeout');
      }
      if (--n === 0) break;
    }
  }

  /** Closes connections idle for longer than the timeout at `now`; forgets closed ones. */
  expire(now: number): void {
    for (const [key, c] of this.conns) {
      if (now - c.lastTime <= this.idleTimeout) continue;
      this.conns.delete(key);
      if (!(c instanceof ClosedConnection)) this.finish(c, 'timeout');
    }
  }

  /** End of capture: deliver what is buffered, reporting gaps, and close every open connection. */
  flush(): void {
    for (const [key, c] of this.conns) {
      this.conns.delete(key);
      if (!(c instanceof ClosedConnection)) this.finish(c, 'flush');
    }
  }
}
