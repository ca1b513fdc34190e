/**
 * The one frame composer: Ethernet II + IPv4 or IPv6 (the family follows the address text) +
 * UDP / TCP from the wire encoders, each frame written in place into one buffer (the
 * `write*Header` forms: no copy per layer). UDP bigger than the MTU goes out as IP fragments
 * (RFC 791 §2.3 / RFC 8200 §4.5: 8-byte aligned pieces cut from one buffer holding the datagram).
 *
 * Used by the generator (src/gen/frames.ts: deterministic IP ids from 1, frames unpadded) and the
 * raw transport (src/scenario/transport/raw/frames.ts: random ids, padded to the 60-byte minimum).
 * A composer keeps the IP identification counters and reuses its header reprs, so one per stream.
 */
import { ipv4FromString, ipv6FromString } from '../bytes.js';
import type { PseudoHeader } from '../checksum.js';
import { IpProtocol } from '../ip-protocol.js';
import { emitEthernetInto, ETHERNET_HEADER_LENGTH, EtherType, type EthernetRepr } from '../ethernet.js';
import { IPV4_MIN_HEADER, writeIpv4Header, type Ipv4Repr } from '../ipv4.js';
import { IPV6_FRAGMENT_HEADER, IPV6_HEADER, writeIpv6Header, type Ipv6Repr } from '../ipv6.js';
import { TcpFlag, tcpHeaderLength, writeTcpHeader, type TcpRepr } from '../tcp.js';
import { UDP_HEADER, writeUdpHeader } from '../udp.js';
import { TcpAckTemplate, UdpFrameTemplate } from './template.js';

const EMPTY = new Uint8Array(0);

/** Link and network fields of one frame. */
export interface FrameAddresses {
  srcMac: string;
  dstMac: string;
  /** IPv4 dotted quad or IPv6 text (any ':' means IPv6). */
  srcIp: string;
  dstIp: string;
  /** IPv4 TTL or IPv6 hop limit. */
  hopLimit: number;
  /** The addresses as bytes, when the caller has them already (else parsed from the text per frame). */
  pseudo?: PseudoHeader;
}

export interface FrameComposerOptions {
  /** Frames shorter than this are zero-padded to it (60: the Ethernet minimum without FCS). Default 0. */
  minFrameLength?: number;
  /** The IPv4 identification counter (incremented before each datagram) and IPv6 fragment id. Default 0. */
  ipId?: number;
  ipId6?: number;
}

export class FrameComposer {
  private readonly minFrame: number;
  private ipId: number;
  private ipId6: number;
  private readonly eth: EthernetRepr = { dst: '', src: '', vlans: [], etherType: EtherType.IPV4 };
  private readonly ip4: Ipv4Repr = {
    dscp: 0, ecn: 0, identification: 0, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.UDP, src: '', dst: '',
  };
  private readonly ports = { srcPort: 0, dstPort: 0 };

  constructor(opts: FrameComposerOptions = {}) {
    this.minFrame = opts.minFrameLength ?? 0;
    this.ipId = opts.ipId ?? 0;
    this.ipId6 = opts.ipId6 ?? 0;
  }

  /** UDP in one frame, or in IP fragments when the IP datagram is bigger than `mtu`. */
  udpFrames(a: FrameAddresses, srcPort: number, dstPort: number, payload: Uint8Array, mtu = Infinity): Uint8Array[] {
    const v6 = isV6(a);
    const upper = UDP_HEADER + payload.length;
    if (upper + (v6 ? IPV6_HEADER : IPV4_MIN_HEADER) <= mtu) return [this.udp(a, srcPort, dstPort, payload)];
    this.ports.srcPort = srcPort;
    this.ports.dstPort = dstPort;
    const whole = new Uint8Array(upper);
    writeUdpHeader(this.ports, payload, pseudoOf(a), whole, 0);
    whole.set(payload, UDP_HEADER);
    return this.fragments(a, v6, IpProtocol.UDP, whole, mtu);
  }

  /** One UDP frame, never fragmented. */
  udp(a: FrameAddresses, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
    const v6 = isV6(a);
    const out = this.head(a, v6, IpProtocol.UDP, UDP_HEADER + payload.length);
    const l4 = transportOffset(v6);
    this.ports.srcPort = srcPort;
    this.ports.dstPort = dstPort;
    writeUdpHeader(this.ports, payload, pseudoOf(a), out, l4);
    out.set(payload, l4 + UDP_HEADER);
    return out;
  }

  /** A frame for UDP datagrams of `payloadLength` bytes between fixed ends, composed once here
   *  (an IP id taken, zero payload) and filled per datagram (template.ts). It must fit one frame. */
  udpTemplate(a: FrameAddresses, srcPort: number, dstPort: number, payloadLength: number): UdpFrameTemplate {
    const v6 = isV6(a);
    const built = this.udp(a, srcPort, dstPort, new Uint8Array(payloadLength));
    // Off V8's heap from the start: native code is handed the same buffer every time.
    const frame = new Uint8Array(new ArrayBuffer(built.length));
    frame.set(built);
    return new UdpFrameTemplate(frame, v6 ? -1 : ETHERNET_HEADER_LENGTH, transportOffset(v6), srcPort, dstPort, payloadLength);
  }

  /** One TCP segment in one frame (TCP sizes its segments to the MSS: never fragmented). */
  tcp(a: FrameAddresses, seg: TcpRepr, payload: Uint8Array): Uint8Array {
    const v6 = isV6(a);
    const tcpLen = tcpHeaderLength(seg);
    const out = this.head(a, v6, IpProtocol.TCP, tcpLen + payload.length);
    const l4 = transportOffset(v6);
    writeTcpHeader(seg, payload, pseudoOf(a), out, l4);
    out.set(payload, l4 + tcpLen);
    return out;
  }

  /** The bare ACKs (flags ACK only, no options) of one connection: composed here (an IP id taken)
   *  and patched per ACK (template.ts). */
  tcpAckTemplate(a: FrameAddresses, srcPort: number, dstPort: number): TcpAckTemplate {
    const v6 = isV6(a);
    const frame = this.tcp(a, { srcPort, dstPort, seq: 0, ack: 0, flags: TcpFlag.ACK, window: 0, urgent: 0 }, EMPTY);
    return new TcpAckTemplate(frame, v6 ? -1 : ETHERNET_HEADER_LENGTH, transportOffset(v6));
  }

  /** A frame for an unfragmented datagram of `upper` transport bytes, Ethernet and IP headers written. */
  private head(a: FrameAddresses, v6: boolean, protocol: number, upper: number): Uint8Array {
    const out = this.frame(a, v6, (v6 ? IPV6_HEADER : IPV4_MIN_HEADER) + upper);
    if (v6) writeIpv6Header(v6Repr(a, protocol), upper, out, ETHERNET_HEADER_LENGTH);
    else writeIpv4Header(this.v4Repr(a, protocol, (this.ipId = (this.ipId + 1) & 0xffff), false, 0), upper, out, ETHERNET_HEADER_LENGTH);
    return out;
  }

  /** One frame per MTU-sized piece of `whole` (the transport header and payload). */
  private fragments(a: FrameAddresses, v6: boolean, protocol: number, whole: Uint8Array, mtu: number): Uint8Array[] {
    const fragHeader = v6 ? IPV6_HEADER + IPV6_FRAGMENT_HEADER : IPV4_MIN_HEADER;
    const step = Math.max(8, (mtu - fragHeader) & ~7);
    const id = v6 ? (this.ipId6 = (this.ipId6 + 1) >>> 0) : (this.ipId = (this.ipId + 1) & 0xffff);
    const frames: Uint8Array[] = [];
    for (let off = 0; off < whole.length; off += step) {
      const piece = whole.subarray(off, Math.min(whole.length, off + step));
      const more = off + step < whole.length;
      const out = this.frame(a, v6, fragHeader + piece.length);
      const o = ETHERNET_HEADER_LENGTH;
      if (v6) writeIpv6Header(v6Repr(a, protocol, { offset: off, more, identification: id }), piece.length, out, o);
      else writeIpv4Header(this.v4Repr(a, protocol, id, more, off), piece.length, out, o);
      out.set(piece, o + fragHeader);
      frames.push(out);
    }
    return frames;
  }

  /** A zeroed frame of Ethernet header + `ipBytes` (padded to the minimum), the Ethernet header written. */
  private frame(a: FrameAddresses, v6: boolean, ipBytes: number): Uint8Array {
    const out = new Uint8Array(Math.max(this.minFrame, ETHERNET_HEADER_LENGTH + ipBytes));
    const eth = this.eth;
    eth.dst = a.dstMac;
    eth.src = a.srcMac;
    eth.etherType = v6 ? EtherType.IPV6 : EtherType.IPV4;
    emitEthernetInto(eth, EMPTY, out, 0);
    return out;
  }

  private v4Repr(a: FrameAddresses, protocol: number, id: number, mf: boolean, offset: number): Ipv4Repr {
    const ip = this.ip4;
    ip.identification = id;
    ip.mf = mf;
    ip.fragmentOffset = offset;
    ip.ttl = a.hopLimit;
    ip.protocol = protocol;
    ip.src = a.srcIp;
    ip.dst = a.dstIp;
    return ip;
  }
}

function isV6(a: FrameAddresses): boolean {
  return a.srcIp.includes(':');
}

function transportOffset(v6: boolean): number {
  return ETHERNET_HEADER_LENGTH + (v6 ? IPV6_HEADER : IPV4_MIN_HEADER);
}

function pseudoOf(a: FrameAddresses): PseudoHeader {
  if (a.pseudo) return a.pseudo;
  return isV6(a)
    ? { src: ipv6FromString(a.srcIp), dst: ipv6FromString(a.dstIp) }
    : { src: ipv4FromString(a.srcIp), dst: ipv4FromString(a.dstIp) };
}

function v6Repr(a: FrameAddresses, protocol: number, fragment?: Ipv6Repr['fragment']): Ipv6Repr {
  return { trafficClass: 0, flowLabel: 0, hopLimit: a.hopLimit, nextHeader: protocol, src: a.srcIp, dst: a.dstIp, ...(fragment ? { fragment } : {}) };
}
