/**
 * TFTP read client (RFC 1350, 2347-2349 options, 7440 windowsize), I/O-free. Optional UEFI-style
 * tsize probe (RRQ tsize=0 → OACK → ERROR 8 → a second RRQ from a new port). Data is counted,
 * streamed into a SHA-256 unless `digest: false`, and kept only when asked.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  buildAck, buildError, buildRrq, parseTftp, TFTP_OPCODES, tftpDataBlock, tftpNegotiation, writeAck, tftpErrorName, type TftpOption, type TftpPacket,
} from '../../wire/tftp.js';
import type { ClientMachine, Endpoint, ExchangeEntry, UdpDatagram } from './types.js';
import { UdpPort } from '../../wire/ports.js';

export interface TftpRequestOptions {
  blksize?: number;
  windowsize?: number;
  /** Seconds (RFC 2349). */
  timeout?: number;
  /** Ask the size: true sends tsize=0. */
  tsize?: boolean;
  /** Anything else, sent as is. */
  extra?: Record<string, string>;
}

export interface TftpClientConfig {
  server: string;
  serverPort?: number;
  clientAddr: string;
  /** Our TID (source port). */
  clientPort: number;
  file: string;
  mode?: string;
  options?: TftpRequestOptions;
  /** UEFI behaviour: first RRQ with tsize=0, abort the OACK with ERROR 8, then the real RRQ. */
  tsizeProbe?: boolean;
  /** Source port of the real RRQ after a probe (default clientPort + 1). */
  secondPort?: number;
  /** Seconds without progress before resending the last packet (default: timeout option or 2). */
  retransmitAfter?: number;
  /** Resends of one packet before giving up (default 5). */
  maxRetransmits?: number;
  /** Keep the file's bytes in the result. */
  keepData?: boolean;
  /** The driver sends (or copies) every datagram `dispatch` returns and keeps none, then calls
   *  `idle()`, before the next `process` (offload/drive-blocking.ts): the ACKs of a transfer are
   *  written into one buffer, not a new one per block (an allocation per block costs the worker more
   *  in GC than the rest of the block). A driver that breaks this gets an Error, not a wrong ACK. */
  reuseAck?: boolean;
  /** SHA-256 of the file (default true). false: `sha256` is null — a step that neither checks nor
   *  saves it skips the hash (8 KB of SHA-256 costs more than receiving the block here). */
  digest?: boolean;
  /** Log every DATA/ACK too (default: only requests, OACK, ERROR). */
  logAll?: boolean;
}

export interface TftpResult {
  ok: boolean;
  error: string | null;
  /** ERROR code received from the server (or sent by us when we aborted). */
  errorCode: number | null;
  file: string;
  bytes: number;
  blocks: number;
  /** null when the config said `digest: false`. */
  sha256: string | null;
  data: Uint8Array | null;
  /** tsize the server announced (probe or real OACK). */
  tsize: number | null;
  negotiated: { blksize: number; windowsize: number; timeout: number | null };
  oack: TftpOption[] | null;
  /** OACK options we never asked for (RFC 2347 forbids them). */
  unrequestedOptions: string[];
  retransmits: number;
  duplicates: number;
  /** Packets from a wrong TID (answered with ERROR 5). */
  wrongTid: number;
  messages: ExchangeEntry<TftpPacket>[];
  timings: { firstResponse?: number; firstData?: number; end: number; bytesPerSecond: number | null };
}

type Phase = 'start' | 'probing' | 'requesting' | 'transfer' | 'done';

const DEFAULT_BLKSIZE = 512;
/** What dispatch returns when nothing is due: no new array per block (frozen: drivers only read it). */
const NOTHING = Object.freeze([]) as unknown as UdpDatagram[];

function opcodeName(p: TftpPacket): string {
  return typeof p.opcode === 'string' ? p.opcode : `opcode-${p.opcode}`;
}

export class TftpClient implements ClientMachine<TftpResult> {
  private phase: Phase = 'start';
  private port: number;
  private serverTid: number | null = null;
  private start = -1;
  private lastProgress = 0;
  private retries = 0;
  private last: UdpDatagram | null = null;
  private out: UdpDatagram[] = [];
  /** The server's and our endpoint, reused while they stay the same (not a new object per ACK). */
  private serverEndpoint: Endpoint | null = null;
  private ownEndpoint: Endpoint | null = null;
  /** `reuseAck`: the one ACK buffer (the remembered datagram for a retransmission is the last ACK). */
  private readonly ackBuffer: Uint8Array | null;
  /** `reuseAck`: an ACK is in `ackBuffer` and the driver has not said (by `idle()`) it has left. */
  private ackHeld = false;
  private readonly hash: Hash | null;
  /** The last block, hashed in `idle()` (after its ACK left, while the server sends the next). */
  private unhashed: Uint8Array | null = null;
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  private blocks = 0;
  private inWindow = 0;
  /** A gap ACK was sent and nothing in order came since: do not answer every later block. */
  private gapAcked = false;
  private blksize = DEFAULT_BLKSIZE;
  private windowsize = 1;
  private negotiatedTimeout: number | null = null;
  private tsize: number | null = null;
  private oack: TftpOption[] | null = null;
  private unrequested: string[] = [];
  private retransmits = 0;
  private duplicates = 0;
  private wrongTid = 0;
  private readonly messages: ExchangeEntry<TftpPacket>[] = [];
  private readonly timings: TftpResult['timings'] = { end: 0, bytesPerSecond: null };
  private result: TftpResult | null = null;

  constructor(private readonly cfg: TftpClientConfig) {
    this.port = cfg.clientPort;
    this.hash = cfg.digest === false ? null : createHash('sha256');
    this.ackBuffer = cfg.reuseAck === true ? new Uint8Array(4) : null;
  }

  pollAt(): number | null {
    if (this.out.length || this.phase === 'start') return 0;
    if (this.phase === 'done') return null;
    return this.lastProgress + this.retransmitAfter();
  }

  done(): TftpResult | null {
    return this.result;
  }

  /**
   * Work that waits for the driver to have sent what `dispatch` returned: the SHA-256 of the last
   * block (~14 µs for 8 KB here), so it overlaps the server's turnaround instead of delaying the
   * ACK. Drivers call it after sending; the next `process` does it anyway (the payload view
   * must stay valid until one of them: a driver that reuses its receive buffer calls `idle`).
   * With `reuseAck` it is also the driver's word that the ACK it was handed has left.
   */
  idle(): void {
    this.hashLast();
    this.ackHeld = false;
  }

  private hashLast(): void {
    if (this.unhashed !== null) { this.hash?.update(this.unhashed); this.unhashed = null; }
  }

  dispatch(now: number): UdpDatagram[] {
    if (this.phase === 'start') {
      this.start = now;
      this.phase = this.cfg.tsizeProbe ? 'probing' : 'requesting';
      this.sendRrq(now, this.cfg.tsizeProbe ? { ...this.cfg.options, tsize: true } : this.cfg.options);
    } else if (this.phase !== 'done' && !this.out.length && now >= this.lastProgress + this.retransmitAfter()) {
      if (this.retries >= (this.cfg.maxRetransmits ?? 5) || !this.last) {
        this.fail(now, `timeout: nothing from ${this.cfg.server} after ${this.retries} retransmission(s)`, null);
      } else {
        this.retries++;
        this.retransmits++;
        this.lastProgress = now;
        this.out.push(this.last);
      }
    }
    if (this.out.length === 0) return NOTHING;
    const out = this.out;
    this.out = [];
    return out;
  }

  process(d: UdpDatagram, now: number): void {
    this.hashLast();
    if (this.phase === 'done' || this.phase === 'start' || d.dst.port !== this.port) return;
    if (d.src.addr !== this.cfg.server) return;
    if (this.serverTid === null) this.serverTid = d.src.port;
    else if (d.src.port !== this.serverTid) {
      // RFC 1350 §4: a packet from a wrong TID gets ERROR 5 and does not disturb the transfer.
      this.wrongTid++;
      this.emit(now, d.src, buildError(5, 'Unknown transfer ID'), false);
      return;
    }
    // The next block in order during a transfer: taken without building a packet or logging it
    // (nearly every datagram of a download). Anything else takes the general path below.
    if (this.phase === 'transfer' && !this.cfg.logAll && tftpDataBlock(d.payload) === ((this.blocks + 1) & 0xffff)) {
      this.accept(this.cfg.keepData ? d.payload.slice() : d.payload, now);
      return;
    }
    // Logged or kept packets outlive the driver's buffer: own their bytes (not plain DATA: hot path).
    const isData = d.payload[0] === 0 && d.payload[1] === TFTP_OPCODES.DATA;
    const payload = !isData || this.cfg.logAll || this.cfg.keepData ? d.payload.slice() : d.payload;
    const pkt = parseTftp(payload, []);
    if (this.timings.firstResponse === undefined) this.timings.firstResponse = now - this.start;
    if (this.cfg.logAll || pkt.code !== TFTP_OPCODES.DATA) this.log('received', pkt, now, d.src, d.dst);
    switch (pkt.code) {
      case TFTP_OPCODES.OACK: this.onOack(pkt, now); break;
      case TFTP_OPCODES.DATA: this.onData(pkt, payload, now); break;
      case TFTP_OPCODES.ERROR:
        this.fail(now, `ERROR ${pkt.errorCode ?? '?'} (${tftpErrorName(pkt.errorCode ?? 0)}): ${pkt.errorMessage ?? ''}`,
          pkt.errorCode ?? null);
        break;
      default:
        this.emit(now, this.serverEnd(), buildError(4, 'Illegal TFTP operation'), false);
        this.fail(now, `unexpected ${opcodeName(pkt)} from server`, 4);
    }
  }

  private retransmitAfter(): number {
    return this.cfg.retransmitAfter ?? this.negotiatedTimeout ?? this.cfg.options?.timeout ?? 2;
  }

  private serverEnd(): Endpoint {
    const port = this.serverTid ?? this.cfg.serverPort ?? UdpPort.TFTP;
    if (this.serverEndpoint?.port !== port) this.serverEndpoint = { addr: this.cfg.server, port };
    return this.serverEndpoint;
  }

  private ownEnd(): Endpoint {
    if (this.ownEndpoint?.port !== this.port) this.ownEndpoint = { addr: this.cfg.clientAddr, port: this.port };
    return this.ownEndpoint;
  }

  private requestOptions(o: TftpRequestOptions | undefined): Record<string, string | number> {
    const r: Record<string, string | number> = {};
    if (!o) return r;
    if (o.tsize) r['tsize'] = 0;
    if (o.blksize !== undefined) r['blksize'] = o.blksize;
    if (o.windowsize !== undefined) r['windowsize'] = o.windowsize;
    if (o.timeout !== undefined) r['timeout'] = o.timeout;
    Object.assign(r, o.extra ?? {});
    return r;
  }

  private sendRrq(now: number, o: TftpRequestOptions | undefined): void {
    this.serverTid = null;
    const rrq = buildRrq(this.cfg.file, this.cfg.mode ?? 'octet', this.requestOptions(o));
    this.emit(now, { addr: this.cfg.server, port: this.cfg.serverPort ?? UdpPort.TFTP }, rrq, true);
  }

  /** Queue a packet; `remember` makes it the one a timeout resends. */
  private emit(now: number, to: Endpoint, payload: Uint8Array, remember: boolean): void {
    const d: UdpDatagram = { src: this.ownEnd(), dst: to, payload };
    this.out.push(d);
    // Plain ACKs are not logged (nor parsed) unless asked: hot path on big files.
    const plainAck = payload[1] === 4 && remember && this.blocks > 0;
    if (this.cfg.logAll || !plainAck) this.log('sent', parseTftp(payload, []), now, d.src, d.dst);
    if (remember) {
      this.last = d;
      this.lastProgress = now;
      this.retries = 0;
    }
  }

  private onOack(pkt: TftpPacket, now: number): void {
    const n = tftpNegotiation(pkt);
    if (n.tsize !== undefined) this.tsize = n.tsize;
    if (this.phase === 'probing') {
      // EDK2: abort the probe with ERROR 8, then ask again without tsize from a new port.
      this.emit(now, this.serverEnd(), buildError(8, 'User aborted the transfer'), false);
      this.port = this.cfg.secondPort ?? this.cfg.clientPort + 1;
      this.phase = 'requesting';
      this.sendRrq(now, { ...this.cfg.options, tsize: false });
      return;
    }
    if (this.phase !== 'requesting') return; // a late duplicate OACK: our ACK 0 stands
    const asked = new Set(Object.keys(this.requestOptions(this.cfg.options)).map((k) => k.toLowerCase()));
    this.oack = pkt.options ?? [];
    this.unrequested = this.oack.map((o) => o.name).filter((name) => !asked.has(name.toLowerCase()));
    // A value beyond what was asked (RFC 2348/7440: the server may only lower it) or beyond the
    // protocol's range is refused as iPXE and EDK2 do: ERROR 8 and the transfer ends.
    const o = this.cfg.options;
    const outOfRange = n.invalid.find((name) => asked.has(name.toLowerCase()));
    const bad = outOfRange !== undefined
      ? `${outOfRange} ${JSON.stringify(this.oack.find((x) => x.name === outOfRange)?.value?.slice(0, 40))}`
      : n.blksize !== undefined && asked.has('blksize') && !(n.blksize >= 8 && n.blksize <= (o?.blksize ?? 65464))
      ? `blksize ${n.blksize} (asked ${o?.blksize})`
      : n.windowsize !== undefined && asked.has('windowsize') && !(n.windowsize >= 1 && n.windowsize <= (o?.windowsize ?? 65535))
        ? `windowsize ${n.windowsize} (asked ${o?.windowsize})`
        : n.timeout !== undefined && asked.has('timeout') && !(n.timeout >= 1 && n.timeout <= 255) ? `timeout ${n.timeout}` : null;
    if (bad !== null) {
      this.emit(now, this.serverEnd(), buildError(8, 'Bad option value'), false);
      this.fail(now, `OACK with an option value the client cannot accept: ${bad}`, 8);
      return;
    }
    // Options the server did not acknowledge fall back to the RFC 1350 defaults.
    if (n.blksize !== undefined && asked.has('blksize')) this.blksize = n.blksize;
    if (n.windowsize !== undefined && asked.has('windowsize')) this.windowsize = n.windowsize;
    if (n.timeout !== undefined && asked.has('timeout')) this.negotiatedTimeout = n.timeout;
    this.phase = 'transfer';
    this.emit(now, this.serverEnd(), buildAck(0), true);
  }

  /** `payload`: the whole DATA packet (pkt.data is its bytes from offset 4). */
  private onData(pkt: TftpPacket, payload: Uint8Array, now: number): void {
    if (this.phase === 'probing') {
      // The server ignored our options and started sending: take it as the real transfer.
      this.phase = 'requesting';
    }
    if (this.phase === 'requesting') this.phase = 'transfer';
    const expected = (this.blocks + 1) & 0xffff;
    const ahead = ((pkt.block ?? 0) - expected) & 0xffff;
    if (ahead !== 0) {
      if (ahead > 0x8000) {
        this.duplicates++; // already have it
        if (this.windowsize === 1) this.emit(now, this.serverEnd(), buildAck(this.blocks), true);
      } else {
        // RFC 7440: a gap in the window → ACK the last block received in order (once).
        if (!this.gapAcked) this.emit(now, this.serverEnd(), buildAck(this.blocks), true);
        this.gapAcked = true;
        this.inWindow = 0;
      }
      return;
    }
    this.accept(payload, now);
  }

  /** The next block in order, `payload` the whole DATA packet (a view valid until `idle`, or owned
   *  when kept): counted, hashed (in `idle`), kept if asked, ACKed at a window's end. No view or
   *  buffer is made per block unless the bytes are hashed or kept. */
  private accept(payload: Uint8Array, now: number): void {
    if (this.timings.firstData === undefined) this.timings.firstData = now - this.start;
    this.gapAcked = false;
    this.blocks++;
    const length = Math.max(0, payload.length - 4); // a 2–3 byte DATA carries no data
    this.bytes += length;
    if (this.hash !== null) this.unhashed = payload.subarray(4);
    if (this.cfg.keepData) this.chunks.push(payload.subarray(4));
    this.inWindow++;
    const last = length < this.blksize;
    if (last || this.inWindow >= this.windowsize) {
      this.inWindow = 0;
      this.emit(now, this.serverEnd(), this.ackBuffer === null ? buildAck(this.blocks) : this.reusedAck(this.ackBuffer), true);
    } else {
      this.lastProgress = now;
      this.retries = 0;
    }
    if (last) this.finish(now, null, null);
  }

  /** The next ACK in the one buffer; a throw when the last one may not have left (not a wrong ACK on the wire). */
  private reusedAck(buf: Uint8Array): Uint8Array {
    if (this.ackHeld) {
      throw new Error('TftpClient reuseAck: a new ACK would overwrite one not yet sent (the driver must send or copy each datagram dispatch() returns, then call idle(), before the next process(); driveBlocking does)');
    }
    this.ackHeld = true;
    return writeAck(buf, this.blocks);
  }

  private log(dir: 'sent' | 'received', msg: TftpPacket, now: number, from: Endpoint, to: Endpoint): void {
    this.messages.push({ dir, type: opcodeName(msg), time: now, index: this.messages.length, from, to, msg });
  }

  private fail(now: number, error: string, code: number | null): void {
    this.finish(now, error, code);
  }

  private finish(now: number, error: string | null, code: number | null): void {
    this.hashLast();
    this.phase = 'done';
    this.timings.end = now - this.start;
    const dt = this.timings.firstData === undefined ? 0 : this.timings.end - this.timings.firstData;
    this.timings.bytesPerSecond = dt > 0 ? this.bytes / dt : null;
    let data: Uint8Array | null = null;
    if (this.cfg.keepData) {
      data = new Uint8Array(this.bytes);
      let o = 0;
      for (const c of this.chunks) { data.set(c, o); o += c.length; }
    }
    this.result = {
      ok: error === null, error, errorCode: code, file: this.cfg.file, bytes: this.bytes, blocks: this.blocks,
      sha256: this.hash?.digest('hex') ?? null, data, tsize: this.tsize,
      negotiated: { blksize: this.blksize, windowsize: this.windowsize, timeout: this.negotiatedTimeout },
      oack: this.oack, unrequestedOptions: this.unrequested, retransmits: this.retransmits,
      duplicates: this.duplicates, wrongTid: this.wrongTid, messages: this.messages, timings: this.timings,
    };
  }
}
