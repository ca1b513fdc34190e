import type { Ipv6Packet } from '../wire/ipv6.js';
import { pushIssue, type WireIssue } from '../wire/issues.js';
import { FragmentTable, type ExpiredDatagram, type FragmentLimitCounts, type FragmentReassemblyOptions, type ReassembledDatagram } from './ipv4-fragments.js';

export interface Ipv6FragmentKey {
  src: string;
  dst: string;
  identification: number;
}

export interface ReassembledIpv6 extends ReassembledDatagram {
  /** Next header of the first fragment: the protocol (or extension header) the payload starts with. */
  nextHeader: number;
}

/** RFC 8200 §4.5 reassembly keyed by (src, dst, identification). */
export class Ipv6FragmentReassembler {
  private readonly table: FragmentTable<Ipv6FragmentKey>;
  readonly issues: WireIssue[] = [];

  constructor(opts: FragmentReassemblyOptions = {}) {
    this.table = new FragmentTable('ipv6-reassembly', opts);
  }

  get inFlight(): number {
    return this.table.inFlight;
  }

  get limits(): FragmentLimitCounts {
    return this.table.limits;
  }

  get heldBytes(): number {
    return this.table.heldBytes;
  }

  /** As Ipv4FragmentReassembler.push; a packet without a Fragment header (or an atomic fragment,
   *  RFC 6946) comes straight back. */
  push(pkt: Ipv6Packet, time: number, frame: number, issues: WireIssue[] = this.issues): ReassembledIpv6 | null {
    const f = pkt.fragment;
    if (!f || (f.offset === 0 && !f.more)) return { payload: pkt.payload, frames: [frame], nextHeader: pkt.nextHeader };
    const expected = pkt.payloadLength - pkt.extensionBytes.length;
    if (pkt.payload.length < expected) {
      pushIssue(issues, 'truncated', 'ipv6-reassembly', pkt.payloadOffset + pkt.payload.length, 'truncated fragment cannot be reassembled: ignored');
      return null;
    }
    const r = this.table.push(
      {
        id: `${pkt.src}|${pkt.dst}|${f.identification}`,
        key: { src: pkt.src, dst: pkt.dst, identification: f.identification },
        offset: f.offset,
        more: f.more,
        data: pkt.payload,
        nextHeader: pkt.nextHeader,
        dataOffset: pkt.payloadOffset,
      },
      time,
      frame,
      issues,
    );
    if (r && r.nextHeader < 0) {
      // Cannot happen: completion needs the offset-0 fragment.
      return null;
    }
    return r;
  }

  expire(now: number): ExpiredDatagram<Ipv6FragmentKey>[] {
    return this.table.expire(now);
  }
}
