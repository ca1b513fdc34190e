/**
 * Frames the raw transport sends, built with the project's codecs (one encoder): Ethernet + IPv4 or
 * IPv6 + UDP/TCP (the family follows the address text; UDP fragmented to the MTU), Ethernet + IPv6 +
 * ICMPv6, and Ethernet + ARP. Short frames are padded to the 60-byte Ethernet minimum.
 */
import { emitArp, type ArpRepr } from '../../../wire/arp.js';
import { ipv4FromString, ipv6FromString } from '../../../wire/bytes.js';
import { IpProtocol } from '../../../wire/checksum.js';
import { emitEthernet, emitEthernetInto, ETHERNET_HEADER_LENGTH, EtherType } from '../../../wire/ethernet.js';
import { IPV4_MIN_HEADER, writeIpv4Header, type Ipv4Repr } from '../../../wire/ipv4.js';
import { emitIpv6, IPV6_FRAGMENT_HEADER, IPV6_HEADER, writeIpv6Header, type Ipv6Repr } from '../../../wire/ipv6.js';
import { tcpHeaderLength, writeTcpHeader, type TcpRepr } from '../../../wire/tcp.js';
import { UDP_HEADER, writeUdpHeader } from '../../../wire/udp.js';

const EMPTY = new Uint8Array(0);

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC = '00:00:00:00:00:00';
const MIN_FRAME = 60;

let ipId = Math.floor(Math.random() * 0x10000);
let ipId6 = Math.floor(Math.random() * 0x100000000) >>> 0;

/** Ethernet payload size on a standard link (RFC 894); a scenario or lab may set a smaller one. */
export const DEFAULT_MTU = 1500;

function ethernet(src: string, dst: string, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = emitEthernet({ dst, src, vlans: [], etherType }, payload);
  if (frame.length >= MIN_FRAME) return frame;
  const padded = new Uint8Array(MIN_FRAME);
  padded.set(frame);
  return padded;
}

/** A frame of Ethernet header + `ipBytes` (zeroed, padded to the minimum): the IP layer is written in place. */
function frameFor(srcMac: string, dstMac: string, etherType: number, ipBytes: number): Uint8Array {
  const out = new Uint8Array(Math.max(MIN_FRAME, ETHERNET_HEADER_LENGTH + ipBytes));
  emitEthernetInto({ dst: dstMac, src: srcMac, vlans: [], etherType }, EMPTY, out, 0);
  return out;
}

function v4Repr(protocol: number, src: string, dst: string, id: number, mf: boolean, offset: number): Ipv4Repr {
  return { dscp: 0, ecn: 0, identification: id, df: false, mf, fragmentOffset: offset, ttl: 64, protocol, src, dst };
}

/** EDK2's IP6 driver sends UDP with hop limit 128 (captures/lab-v6: DHCPv6, TFTP); iPXE uses 255. */
export const DEFAULT_HOP_LIMIT6 = 128;
/** RFC 4861 §6.1/§7.1: neighbour discovery messages are only accepted with hop limit 255. */
export const ND_HOP_LIMIT = 255;

export interface L2Addresses {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  /** IPv6 only (default DEFAULT_HOP_LIMIT6). */
  hopLimit?: number;
}

function isV6(a: L2Addresses): boolean {
  return a.srcIp.includes(':');
}

function pseudoFor(a: L2Addresses): { src: Uint8Array; dst: Uint8Array } {
  return isV6(a)
    ? { src: ipv6FromString(a.srcIp), dst: ipv6FromString(a.dstIp) }
    : { src: ipv4FromString(a.srcIp), dst: ipv4FromString(a.dstIp) };
}

function v6Repr(a: L2Addresses, protocol: number, fragment?: Ipv6Repr['fragment']): Ipv6Repr {
  return { trafficClass: 0, flowLabel: 0, hopLimit: a.hopLimit ?? DEFAULT_HOP_LIMIT6, nextHeader: protocol, src: a.srcIp, dst: a.dstIp, ...(fragment ? { fragment } : {}) };
}

/**
 * One IP datagram whose transport header `write` puts at `out[o]` (the payload follows it): one
 * frame when it fits the MTU, else fragments (RFC 791 §2.3 / RFC 8200 §4.5, 8-byte aligned pieces)
 * cut from one buffer holding the whole datagram. Frames are built in place (one allocation each).
 */
function ipFrames(a: L2Addresses, protocol: number, headerLength: number, payload: Uint8Array, mtu: number,
  write: (out: Uint8Array, o: number) => void): Uint8Array[] {
  const v6 = isV6(a);
  const upper = headerLength + payload.length;
  const ipHeader = v6 ? IPV6_HEADER : IPV4_MIN_HEADER;
  const etherType = v6 ? EtherType.IPV6 : EtherType.IPV4;
  if (upper + ipHeader <= mtu) {
    const out = frameFor(a.srcMac, a.dstMac, etherType, ipHeader + upper);
    const o = ETHERNET_HEADER_LENGTH;
    if (v6) writeIpv6Header(v6Repr(a, protocol), upper, out, o);
    else {
      ipId = (ipId + 1) & 0xffff;
      writeIpv4Header(v4Repr(protocol, a.srcIp, a.dstIp, ipId, false, 0), upper, out, o);
    }
    write(out, o + ipHeader);
    out.set(payload, o + ipHeader + headerLength);
    return [out];
  }
  // The whole upper-layer datagram once, then one frame per piece.
  const whole = new Uint8Array(upper);
  write(whole, 0);
  whole.set(payload, headerLength);
  const fragHeader = v6 ? ipHeader + IPV6_FRAGMENT_HEADER : ipHeader;
  const step = Math.max(8, (mtu - fragHeader) & ~7);
  const id = v6 ? (ipId6 = (ipId6 + 1) >>> 0) : (ipId = (ipId + 1) & 0xffff);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < upper; off += step) {
    const piece = whole.subarray(off, Math.min(upper, off + step));
    const more = off + step < upper;
    const out = frameFor(a.srcMac, a.dstMac, etherType, fragHeader + piece.length);
    const o = ETHERNET_HEADER_LENGTH;
    if (v6) writeIpv6Header(v6Repr(a, protocol, { offset: off, more, identification: id }), piece.length, out, o);
    else writeIpv4Header(v4Repr(protocol, a.srcIp, a.dstIp, id, more, off), piece.length, out, o);
    out.set(piece, o + fragHeader);
    frames.push(out);
  }
  return frames;
}

/** UDP over IPv4 or IPv6 (by `srcIp`) in as many frames as `mtu` needs (one unless the datagram
 *  is bigger); the checksum is always computed (mandatory on IPv6). */
export function udpFrames(a: L2Addresses, srcPort: number, dstPort: number, payload: Uint8Array, mtu = DEFAULT_MTU): Uint8Array[] {
  const pseudo = pseudoFor(a);
  return ipFrames(a, IpProtocol.UDP, UDP_HEADER, payload, mtu, (out, o) => { writeUdpHeader({ srcPort, dstPort }, payload, pseudo, out, o); });
}

/** One UDP frame (callers that know it fits; a bigger datagram goes out as its first fragment only). */
export function udpFrame(a: L2Addresses, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return udpFrames(a, srcPort, dstPort, payload, 65535)[0]!;
}

export function tcpFrame(a: L2Addresses, seg: TcpRepr, payload: Uint8Array): Uint8Array {
  const pseudo = pseudoFor(a);
  return ipFrames(a, IpProtocol.TCP, tcpHeaderLength(seg), payload, 65535, (out, o) => { writeTcpHeader(seg, payload, pseudo, out, o); })[0]!;
}

/** A whole ICMPv6 message (checksum already in it) in IPv6 + Ethernet; hop limit 255 unless told. */
export function icmpv6Frame(a: L2Addresses, message: Uint8Array): Uint8Array {
  const ip = emitIpv6(v6Repr({ ...a, hopLimit: a.hopLimit ?? ND_HOP_LIMIT }, IpProtocol.ICMPV6), message);
  return ethernet(a.srcMac, a.dstMac, EtherType.IPV6, ip);
}

export function arpFrame(dstMac: string, arp: ArpRepr): Uint8Array {
  return ethernet(arp.senderMac, dstMac, EtherType.ARP, emitArp(arp));
}

/** Dotted-quad → 32-bit number (for subnet tests). */
export function ipv4Number(s: string): number {
  const b = ipv4FromString(s);
  return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
}

export function sameSubnet(a: string, b: string, prefix: number): boolean {
  if (prefix <= 0) return true;
  const mask = prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
  return ((ipv4Number(a) & mask) >>> 0) === ((ipv4Number(b) & mask) >>> 0);
}
