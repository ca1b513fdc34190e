/**
 * A response whose head (or chunked framing) the snap length cut: delivered only where the TCP
 * sequence space reaches its end and the client acknowledged it, with no server RST before.
 * Synthetic connections through the decode pipeline, cut as `tcpdump -s N` cuts them.
 */
import { describe, expect, it } from 'vitest';
import { ipv4FromString } from '../wire/bytes.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { emitEthernet, EtherType } from '../wire/ethernet.js';
import { emitIpv4 } from '../wire/ipv4.js';
import { emitTcp, TcpFlag } from '../wire/tcp.js';
import { LinkType } from '../wire/link-type.js';
import type { HttpRequestHead } from '../wire/http/index.js';
import { BootChainBuilder } from '../flow/builder.js';
import { analyzeFacts } from '../analysis/engine.js';
import { DecodePipeline } from './pipeline.js';
import type { DecodeSink } from './messages.js';

const CLIENT = '198.51.100.150';
const SERVER = '198.51.100.1';
/** Ethernet + IPv4 + TCP without options. */
const HEADERS = 54;
const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** One TCP connection as a capture holds it: each frame cut to `snap` bytes. */
class Conversation {
  readonly frames: { data: Uint8Array; origLen: number; time: number }[] = [];
  cseq = 1000;
  sseq = 90000;
  private time = 100;
  constructor(private readonly snap: number, private readonly cport = 40001) {}

  segment(fromClient: boolean, flags: number, payload: Uint8Array, at?: { seq?: number; ack?: number }): void {
    const seq = at?.seq ?? (fromClient ? this.cseq : this.sseq);
    const ack = at?.ack ?? (fromClient ? this.sseq : this.cseq);
    const [src, dst, sport, dport] = fromClient ? [CLIENT, SERVER, this.cport, 80] : [SERVER, CLIENT, 80, this.cport];
    const tcp = emitTcp({ srcPort: sport, dstPort: dport, seq, ack, flags, window: 65535, urgent: 0 }, payload, { src: ipv4FromString(src), dst: ipv4FromString(dst) });
    const ip = emitIpv4({ dscp: 0, ecn: 0, identification: 1, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.TCP, src, dst }, tcp);
    const frame = emitEthernet({ dst: '52:54:00:00:00:02', src: '52:54:00:00:00:01', vlans: [], etherType: EtherType.IPV4 }, ip);
    this.frames.push({ data: frame.subarray(0, Math.min(frame.length, this.snap)), origLen: frame.length, time: (this.time += 0.001) });
    if (at?.seq !== undefined) return; // a retransmission: the stream's next byte stays
    const used = payload.length + ((flags & (TcpFlag.SYN | TcpFlag.FIN)) !== 0 ? 1 : 0);
    if (fromClient) this.cseq = (this.cseq + used) >>> 0;
    else this.sseq = (this.sseq + used) >>> 0;
  }

  handshake(): void {
    this.segment(true, TcpFlag.SYN, new Uint8Array(0), { ack: 0 });
    this.segment(false, TcpFlag.SYN | TcpFlag.ACK, new Uint8Array(0));
    this.segment(true, TcpFlag.ACK, new Uint8Array(0));
  }

  /** A request whose ACK leaves the server's last `fewer` bytes unacknowledged. */
  get(path: string, fewer = 0): void {
    this.segment(true, TcpFlag.ACK | TcpFlag.PSH, text(`GET ${path} HTTP/1.1\r\nHost: ${SERVER}\r\nUser-Agent: iPXE/1.21.1\r\n\r\n`), { ack: (this.sseq - fewer) >>> 0 });
  }

  /** The server's answer in segments of `mss` bytes, `send` of them sent (all by default). */
  answer(head: string, bodyBytes: number, send = head.length + bodyBytes, mss = 1000): void {
    const all = new Uint8Array(head.length + bodyBytes).fill(0x61);
    all.set(text(head));
    for (let o = 0; o < send; o += mss) this.segment(false, TcpFlag.ACK, all.subarray(o, Math.min(send, o + mss)));
  }

  /** The client's ACK of every server byte so far (or up to `upTo` bytes fewer). */
  ack(fewer = 0): void {
    this.segment(true, TcpFlag.ACK, new Uint8Array(0), { ack: (this.sseq - fewer) >>> 0 });
  }
}

/** Content-Length 3000; the head runs past a 100-byte payload cut (its length line whole). */
const HEAD = 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 3000\r\nContent-Type: application/octet-stream\r\nLast-Modified: Sun, 22 Nov 2026 05:49:09 GMT\r\nConnection: keep-alive\r\n\r\n';
const BODY = 3000;
/** Keeps 100 payload bytes: the status line and the Content-Length line. */
const SNAP_CL = HEADERS + 100;
/** Keeps 30 payload bytes: the status line only. */
const SNAP_STATUS = HEADERS + 30;

interface Verdict { delivered: boolean; bytes: number | null; request: string }

function judge(c: Conversation): Verdict[] {
  const seen: Verdict[] = [];
  const sink: DecodeSink = {
    message: () => {},
    httpCutDelivery: (_conn, request: HttpRequestHead | null, delivered, bytes) => seen.push({ delivered, bytes, request: request?.uri ?? '?' }),
  };
  const pipe = new DecodePipeline(sink);
  c.frames.forEach((f, i) => pipe.push({ frame: i + 1, time: f.time, linkType: LinkType.ETHERNET, interfaceId: 0, data: f.data, origLen: f.origLen }));
  pipe.finish();
  return seen;
}

/** GET /a answered by HEAD + BODY (cut), the client's ACK of it all, then `after`. */
function fetched(snap: number, after: (c: Conversation) => void, send?: number): Conversation {
  const c = new Conversation(snap);
  c.handshake();
  c.get('/a');
  c.answer(HEAD, BODY, send);
  after(c);
  return c;
}

describe('a response cut by the snap length: delivered by the sequence space and the client\'s ACKs', () => {
  it('its Content-Length reached and acknowledged: delivered, with its length as the bytes (capture ends, FIN, client RST)', () => {
    expect(judge(fetched(SNAP_CL, (c) => c.ack()))).toEqual([{ delivered: true, bytes: BODY, request: '/a' }]);
    expect(judge(fetched(SNAP_CL, (c) => { c.ack(); c.segment(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0)); c.ack(); }))).toEqual([{ delivered: true, bytes: BODY, request: '/a' }]);
    // iPXE resets its connections as it boots what it fetched.
    expect(judge(fetched(SNAP_CL, (c) => { c.ack(); c.segment(true, TcpFlag.RST | TcpFlag.ACK, new Uint8Array(0)); }))).toEqual([{ delivered: true, bytes: BODY, request: '/a' }]);
  });

  it('short of its Content-Length, reset by the server, or not acknowledged (stalled): not delivered', () => {
    // The server stops 100 bytes short and closes.
    expect(judge(fetched(SNAP_CL, (c) => { c.ack(); c.segment(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0)); }, HEAD.length + BODY - 100))).toEqual([{ delivered: false, bytes: null, request: '/a' }]);
    // Every byte sent and acknowledged, then the server's RST.
    expect(judge(fetched(SNAP_CL, (c) => { c.ack(); c.segment(false, TcpFlag.RST | TcpFlag.ACK, new Uint8Array(0)); }))).toEqual([{ delivered: false, bytes: null, request: '/a' }]);
    // The client's ACKs stop 1000 bytes short: it never got the rest before the capture ends.
    expect(judge(fetched(SNAP_CL, (c) => c.ack(1000)))).toEqual([{ delivered: false, bytes: null, request: '/a' }]);
    // No ACK at all.
    expect(judge(fetched(SNAP_CL, () => {}))).toEqual([{ delivered: false, bytes: null, request: '/a' }]);
  });

  it('a retransmitted, overlapping segment is not counted twice', () => {
    // 100 bytes short; the second segment sent again (and once more, shifted by 500 bytes).
    const c = fetched(SNAP_CL, (x) => {
      const all = new Uint8Array(HEAD.length + BODY).fill(0x61);
      const start = (x.sseq - (HEAD.length + BODY - 100)) >>> 0;
      x.segment(false, TcpFlag.ACK, all.subarray(1000, 2000), { seq: (start + 1000) >>> 0 });
      x.segment(false, TcpFlag.ACK, all.subarray(1500, 2500), { seq: (start + 1500) >>> 0 });
      x.ack();
    }, HEAD.length + BODY - 100);
    expect(judge(c)).toEqual([{ delivered: false, bytes: null, request: '/a' }]);
  });

  it('its Content-Length cut off: not judged at the close; judged where the next response begins', () => {
    expect(judge(fetched(SNAP_STATUS, (c) => { c.ack(); c.segment(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0)); c.ack(); }))).toEqual([{ delivered: false, bytes: null, request: '/a' }]);
    const next = (short: number) => fetched(SNAP_STATUS, (c) => {
      c.ack(short);
      c.get('/b', short);
      c.answer(HEAD, BODY);
      c.ack();
    });
    // The next response starts where this one ended: acknowledged up to there, delivered.
    expect(judge(next(0))[0]).toEqual({ delivered: true, bytes: null, request: '/a' });
    // Its last 10 bytes never acknowledged when the next one began (a pipelining client): not shown.
    expect(judge(next(10))[0]).toEqual({ delivered: false, bytes: null, request: '/a' });
  });

  it('chunked: a whole head whose chunk framing the cut took is delivered where the next response begins, not at a close', () => {
    const chunkedHead = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunks = `bb8\r\n${'a'.repeat(3000)}\r\n0\r\n\r\n`;
    const serve = (c: Conversation): void => {
      c.get('/c');
      const all = text(chunkedHead + chunks);
      for (let o = 0; o < all.length; o += 1000) c.segment(false, TcpFlag.ACK, all.subarray(o, Math.min(all.length, o + 1000)));
    };
    // Each segment cut to 60 payload bytes: the head whole, the chunk's data and framing cut.
    const snap = HEADERS + chunkedHead.length + 10;
    const closing = new Conversation(snap);
    closing.handshake();
    serve(closing);
    closing.ack();
    closing.segment(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
    expect(judge(closing)).toEqual([{ delivered: false, bytes: null, request: '/c' }]);
    const next = new Conversation(snap);
    next.handshake();
    serve(next);
    next.ack();
    next.get('/d');
    next.answer(HEAD, BODY);
    next.ack();
    expect(judge(next)[0]).toEqual({ delivered: true, bytes: null, request: '/c' });
  });

  it('close-delimited: a cut head with no length is never judged delivered (its end is the close, whatever came before)', () => {
    const head = 'HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\nDate: Sun, 22 Nov 2026 05:49:34 GMT\r\nContent-Type: application/octet-stream\r\n\r\n';
    expect(head.length).toBeGreaterThan(SNAP_CL - HEADERS);
    const c = new Conversation(SNAP_CL);
    c.handshake();
    c.get('/e');
    c.answer(head, BODY);
    c.segment(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
    c.ack();
    expect(judge(c)).toEqual([{ delivered: false, bytes: null, request: '/e' }]);
  });

  it('a capture that starts mid-download claims nothing of the body it joined', () => {
    const c = new Conversation(SNAP_CL);
    // The tail of a body, no SYN, no head, then the client's ACK and the server's FIN.
    for (let i = 0; i < 3; i++) c.segment(false, TcpFlag.ACK, new Uint8Array(1000).fill(0x62));
    c.ack();
    c.segment(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
    expect(judge(c)).toEqual([]);
  });

  it('a capture that starts mid-connection (an earlier exchange not in it): the next response is judged on its own offsets', () => {
    const run = (short: number): Verdict[] => {
      const c = new Conversation(SNAP_CL);
      c.cseq = 5000; // the earlier request and answer were before the capture began
      c.sseq = 777777;
      c.get('/f');
      c.answer(HEAD, BODY, HEAD.length + BODY - short);
      c.ack();
      c.segment(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
      return judge(c);
    };
    expect(run(0)).toEqual([{ delivered: true, bytes: BODY, request: '/f' }]);
    // Short by more than the head bytes the cut took (within them it would read delivered: the
    // head's length is not known, see http-cut-delivery.ts).
    expect(run(100)).toEqual([{ delivered: false, bytes: null, request: '/f' }]);
  });

  it('reaches the step: a cut 200 shown delivered is ok and complete, its bytes the Content-Length; one not shown stays cut', () => {
    const steps = (c: Conversation) => {
      const builder = new BootChainBuilder();
      const pipe = new DecodePipeline(builder, { dropDuplicates: true });
      c.frames.forEach((f, i) => pipe.push({ frame: i + 1, time: f.time, linkType: LinkType.ETHERNET, interfaceId: 0, data: f.data, origLen: f.origLen }));
      pipe.finish();
      const facts = analyzeFacts(builder.facts({ file: 'x', packets: c.frames.length, warnings: [], truncated: false }));
      return facts.clients.flatMap((d) => d.steps).flatMap((s) => (s.kind === 'http' ? [[s.status, s.cut, s.ok, s.complete, s.bytes]] : []));
    };
    expect(steps(fetched(SNAP_CL, (c) => c.ack()))).toEqual([[200, true, true, true, BODY]]);
    expect(steps(fetched(SNAP_CL, (c) => c.ack(1000)))).toEqual([[200, true, false, false, 0]]);
  });
});
