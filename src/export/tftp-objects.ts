/**
 * TFTP transfers → objects. Blocks are taken in order, as the receiving peer does: the block it
 * waits for is written, a repeat (retransmission, windowsize resend) is skipped, a block ahead of
 * it means one is missing from the capture (the transfer then cannot complete). Block numbers
 * roll over past 65535 to 0 (tftpd-hpa, RFC 1350 reading) or to 1 (some servers): the first
 * rollover decides which.
 */
import { tftpNegotiation } from '../wire/tftp.js';
import type { TftpDecoded } from '../decode/messages.js';
import { ObjectBuilder } from './object-builder.js';
import type { ObjectSink } from './objects.js';

const DEFAULT_BLKSIZE = 512;

interface Transfer {
  obj: ObjectBuilder;
  kind: 'RRQ' | 'WRQ';
  blksize: number;
  /** Largest block seen: the real block size when the OACK is missing from the capture. */
  largest: number;
  /** Wire number of the block the receiver waits for. */
  expect: number;
  /** Where block numbers went after 65535: undecided until the first rollover. */
  rollTo: 0 | 1 | null;
  blocks: number;
  /** A block ahead of `expect` was seen: one is missing from the capture. */
  skippedAhead: number | null;
  lastTime: number;
  oack: boolean;
}

export class TftpObjects {
  /** By TFTP session id (the decode pipeline's tracker). */
  private readonly transfers = new Map<number, Transfer>();

  constructor(private readonly sink: ObjectSink, private readonly nextId: () => number) {}

  message(m: TftpDecoded): void {
    const s = m.session;
    if (!s) return;
    const pkt = m.msg;
    let t = this.transfers.get(s.id);
    if (!t) {
      if (pkt.opcode !== 'RRQ' && pkt.opcode !== 'WRQ') return; // the transfer started before the capture
      const obj = new ObjectBuilder(this.sink, {
        protocol: 'tftp',
        name: s.file ?? pkt.file ?? '',
        direction: pkt.opcode === 'RRQ' ? 'download' : 'upload',
        clientMac: m.srcMac,
        clientAddr: s.clientAddr,
        clientPort: s.clientPort,
        serverAddr: s.serverAddr,
        serverPort: m.dstPort,
      }, this.nextId, m.frame, m.time);
      // WRQ: tsize in the request is the file's size (RFC 2349).
      if (pkt.opcode === 'WRQ') obj.expectedSize = tftpNegotiation(pkt).tsize ?? null;
      t = {
        obj, kind: pkt.opcode, blksize: DEFAULT_BLKSIZE, largest: 0, expect: 1, rollTo: null,
        blocks: 0, skippedAhead: null, lastTime: m.time, oack: false,
      };
      this.transfers.set(s.id, t);
      return;
    }
    t.lastTime = m.time;
    switch (pkt.opcode) {
      case 'OACK': {
        t.obj.touch(m.frame, m.time);
        t.oack = true;
        const n = tftpNegotiation(pkt);
        if (n.blksize !== undefined) t.blksize = n.blksize;
        if (n.tsize !== undefined && t.kind === 'RRQ') t.obj.expectedSize = n.tsize;
        return;
      }
      case 'DATA':
        this.data(s.id, t, m);
        return;
      case 'ERROR':
        t.obj.touch(m.frame, m.time);
        if (t.oack && t.blocks === 0 && m.srcAddr === s.clientAddr && m.srcPort === s.clientPort) {
          // The client read the OACK (tsize) and stopped: a size probe (UEFI does it before the
          // real download), not a transfer.
          this.transfers.delete(s.id);
          t.obj.drop();
          return;
        }
        this.end(s.id, t, false, `ERROR ${pkt.errorCode ?? '?'}${pkt.errorMessage ? ` "${pkt.errorMessage}"` : ''} after ${t.blocks} blocks`);
        return;
      default:
        t.obj.touch(m.frame, m.time); // ACKs, repeated requests
    }
  }

  private data(id: number, t: Transfer, m: TftpDecoded): void {
    const block = m.msg.block;
    const data = m.msg.data;
    if (block === undefined || data === undefined) {
      t.obj.touch(m.frame, m.time);
      return;
    }
    if (block !== t.expect && !(t.expect === 0 && t.rollTo === null && block === 1)) {
      t.obj.touch(m.frame, m.time);
      if (isAhead(block, t.expect) && t.skippedAhead === null) t.skippedAhead = t.expect;
      return;
    }
    if (t.expect === 0) t.rollTo = block === 1 ? 1 : 0;
    t.skippedAhead = null;
    t.blocks++;
    t.obj.write(data, m.frame, m.time);
    if (data.length > t.largest) t.largest = data.length;
    t.expect = block === 65535 ? (t.rollTo ?? 0) : block + 1;
    if (data.length < Math.max(t.blksize, t.largest)) this.end(id, t, true, null);
  }

  private end(id: number, t: Transfer, complete: boolean, problem: string | null): void {
    this.transfers.delete(id);
    t.obj.finish(complete, problem);
  }

  /** Transfers idle since before `cutoff` (epoch s) end as incomplete. */
  expire(cutoff: number, why: string): void {
    for (const [id, t] of this.transfers) {
      if (t.lastTime < cutoff) this.end(id, t, false, this.unfinished(t, why));
    }
  }

  /** End of input: every open transfer is incomplete. */
  finish(): void {
    for (const [id, t] of this.transfers) this.end(id, t, false, this.unfinished(t, 'the capture ends'));
  }

  private unfinished(t: Transfer, why: string): string {
    if (t.skippedAhead !== null) return `block ${t.skippedAhead} is missing from the capture (${t.blocks} blocks in order before it)`;
    if (t.blocks === 0) return `${why} before any DATA block`;
    return `${why} after ${t.blocks} blocks, before the last (short) block`;
  }
}

/** Is wire block `b` ahead of `expect` (within half the 16-bit space)? */
function isAhead(b: number, expect: number): boolean {
  const d = (b - expect) & 0xffff;
  return d !== 0 && d < 0x8000;
}
