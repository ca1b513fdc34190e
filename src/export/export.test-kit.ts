/**
 * Synthetic transfers for the export tests: TFTP and HTTP conversations built with the real
 * encoders (FrameFactory, wire emitters), run through the real decode pipeline and assembler
 * into an in-memory sink.
 */
import { createHash } from 'node:crypto';
import { readCaptureBuffer } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import { addr, FrameFactory, type FrameHeads } from '../gen/frames.js';
import { buildAck, buildData, buildError, buildOack, buildRrq, emitTftp, TFTP_OPCODES } from '../wire/tftp.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import { pcapOf } from '../../test/helpers/pcap.js';
import { ObjectAssembler } from './assembler.js';
import type { ObjectResult, ObjectSink, ObjectStart } from './objects.js';

export const CLIENT_MAC = '02:00:00:00:00:01';
const SERVER_MAC = '02:00:00:00:00:02';
export const CLIENT_IP = '198.51.100.10';
export const SERVER_IP = '198.51.100.1';

const up: FrameHeads = { srcMac: CLIENT_MAC, dstMac: SERVER_MAC, src: addr(CLIENT_IP), dst: addr(SERVER_IP), ttl: 64 };
const down: FrameHeads = { srcMac: SERVER_MAC, dstMac: CLIENT_MAC, src: addr(SERVER_IP), dst: addr(CLIENT_IP), ttl: 64 };

/** Deterministic file content. */
export function content(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A TFTP conversation: each step is a packet from the client or the server TID. */
export class TftpConvo {
  readonly frames: Uint8Array[] = [];
  private readonly f = new FrameFactory();
  constructor(private readonly clientPort = 2000, private readonly serverTid = 3000) {}
  rrq(file: string, options?: Record<string, string | number>): this {
    this.frames.push(this.f.udp(up, this.clientPort, 69, buildRrq(file, 'octet', options)));
    return this;
  }
  wrq(file: string, options?: Record<string, string | number>): this {
    this.frames.push(this.f.udp(up, this.clientPort, 69, emitTftp({ opcode: 'WRQ', code: TFTP_OPCODES.WRQ, file, mode: 'octet', options: Object.entries(options ?? {}).map(([name, v]) => ({ name, value: String(v) })) })));
    return this;
  }
  oack(options: Record<string, string | number>): this {
    this.frames.push(this.f.udp(down, this.serverTid, this.clientPort, buildOack(options)));
    return this;
  }
  /** DATA from the server (RRQ) or, with `fromClient`, from the client (WRQ). */
  data(block: number, bytes: Uint8Array, fromClient = false): this {
    const pkt = buildData(block, bytes);
    this.frames.push(fromClient ? this.f.udp(up, this.clientPort, this.serverTid, pkt) : this.f.udp(down, this.serverTid, this.clientPort, pkt));
    return this;
  }
  ack(block: number, fromServer = false): this {
    const pkt = buildAck(block);
    this.frames.push(fromServer ? this.f.udp(down, this.serverTid, this.clientPort, pkt) : this.f.udp(up, this.clientPort, this.serverTid, pkt));
    return this;
  }
  error(code: number, msg: string, fromClient = false): this {
    const pkt = buildError(code, msg);
    this.frames.push(fromClient ? this.f.udp(up, this.clientPort, this.serverTid, pkt) : this.f.udp(down, this.serverTid, this.clientPort, pkt));
    return this;
  }
  /** A whole file in blocks of `blksize`, block numbers wrapping at 65536 to `rollTo`, each ACKed unless `acks` is false. */
  file(bytes: Uint8Array, blksize: number, rollTo: 0 | 1 = 0, fromClient = false, acks = true): this {
    let block = 1;
    for (let off = 0; ; off += blksize) {
      this.data(block, bytes.subarray(off, off + blksize), fromClient);
      if (acks) this.ack(block, fromClient);
      if (bytes.length - off < blksize) break;
      block = block === 65535 ? rollTo : block + 1;
    }
    return this;
  }
}

/** An HTTP/1.1 exchange over one TCP connection (handshake, request, response segments, close). */
export class HttpConvo {
  readonly frames: Uint8Array[] = [];
  private readonly f = new FrameFactory();
  private cseq = 1000;
  private sseq = 5000;
  constructor(private readonly clientPort = 40000) {
    this.seg(true, TcpFlag.SYN, new Uint8Array(0));
    this.cseq++;
    this.seg(false, TcpFlag.SYN | TcpFlag.ACK, new Uint8Array(0));
    this.sseq++;
    this.seg(true, TcpFlag.ACK, new Uint8Array(0));
  }
  request(text: string): this {
    return this.send(true, new TextEncoder().encode(text));
  }
  /** Server bytes, cut into segments of at most `mss`. */
  respond(bytes: Uint8Array, mss = 1000): this {
    for (let o = 0; o < bytes.length; o += mss) this.send(false, bytes.subarray(o, o + mss));
    return this;
  }
  /** Server bytes the capture lost (the sequence space moves on). */
  lose(n: number): this {
    this.sseq += n;
    return this;
  }
  close(): this {
    this.seg(false, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
    this.sseq++;
    this.seg(true, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
    this.cseq++;
    this.seg(false, TcpFlag.ACK, new Uint8Array(0));
    return this;
  }
  private send(fromClient: boolean, data: Uint8Array): this {
    this.seg(fromClient, TcpFlag.PSH | TcpFlag.ACK, data);
    if (fromClient) this.cseq += data.length;
    else this.sseq += data.length;
    this.seg(!fromClient, TcpFlag.ACK, new Uint8Array(0));
    return this;
  }
  private seg(fromClient: boolean, flags: number, data: Uint8Array): void {
    const repr: TcpRepr = {
      srcPort: fromClient ? this.clientPort : 80, dstPort: fromClient ? 80 : this.clientPort,
      seq: fromClient ? this.cseq : this.sseq, ack: fromClient ? this.sseq : this.cseq,
      flags, window: 65535, urgent: 0,
    };
    this.frames.push(this.f.tcp(fromClient ? up : down, repr, data));
  }
}

export function bytesOf(...parts: Array<string | Uint8Array>): Uint8Array {
  const bs = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p));
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bs) { out.set(b, o); o += b.length; }
  return out;
}

export interface MemoryObject { start: ObjectStart; chunks: Uint8Array[]; result: ObjectResult | null; bytes(): Uint8Array }

/** The sink tests read back: every write copied, every close kept. */
export class MemorySink implements ObjectSink {
  readonly objects = new Map<number, MemoryObject>();
  open(obj: ObjectStart): void {
    const chunks: Uint8Array[] = [];
    this.objects.set(obj.id, { start: obj, chunks, result: null, bytes: () => bytesOf(...chunks) });
  }
  write(id: number, data: Uint8Array): void {
    this.objects.get(id)!.chunks.push(data.slice());
  }
  close(result: ObjectResult): void {
    this.objects.get(result.id)!.result = result;
  }
  list(): MemoryObject[] {
    return [...this.objects.values()];
  }
}

/** Frames → pcap → reader → decode pipeline → assembler → memory. */
export function exportFrames(frames: readonly Uint8Array[]): MemoryObject[] {
  const sink = new MemorySink();
  const asm = new ObjectAssembler(sink);
  const pipe = new DecodePipeline(asm, { protos: new Set(['tftp', 'http']) });
  readCaptureBuffer(pcapOf(frames), (r) => pipe.push(r));
  pipe.finish();
  asm.finish();
  return sink.list();
}
