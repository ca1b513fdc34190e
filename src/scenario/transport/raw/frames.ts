/**
 * Frames the raw transport sends, built with the project's codecs: Ethernet + IPv4 or IPv6 + UDP/TCP
 * from the one frame composer (wire/frame/compose.ts; UDP fragmented to the MTU), Ethernet + IPv6 +
 * ICMPv6, and Ethernet + ARP. Short frames are padded to the 60-byte Ethernet minimum.
 */
import { emitArp, type ArpRepr } from '../../../wire/arp.js';
import { ipv4FromString } from '../../../wire/bytes.js';
import { IpProtocol } from '../../../wire/ip-protocol.js';
import { emitEthernet, EtherType } from '../../../wire/ethernet.js';
import { FrameComposer, type FrameAddresses } from '../../../wire/frame/compose.js';
import { emitIpv6 } from '../../../wire/ipv6.js';
import type { TcpRepr } from '../../../wire/tcp.js';
import type { TcpAckTemplate, UdpFrameTemplate } from '../../../wire/frame/template.js';

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC = '00:00:00:00:00:00';
const MIN_FRAME = 60;

/** Ethernet payload size on a standard link (RFC 894); a scenario or lab may set a smaller one. */
export const DEFAULT_MTU = 1500;

function ethernet(src: string, dst: string, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = emitEthernet({ dst, src, vlans: [], etherType }, payload);
  if (frame.length >= MIN_FRAME) return frame;
  const padded = new Uint8Array(MIN_FRAME);
  padded.set(frame);
  return padded;
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

/** IPv4 TTL of everything the raw transport sends (the Linux default). */
const TTL4 = 64;

/** UDP/TCP frames, from the one composer; its IP ids start at random, as a host's do. */
const composer = new FrameComposer({
  minFrameLength: MIN_FRAME,
  ipId: Math.floor(Math.random() * 0x10000),
  ipId6: Math.floor(Math.random() * 0x100000000) >>> 0,
});

function addresses(a: L2Addresses): FrameAddresses {
  const v6 = a.srcIp.includes(':');
  return { srcMac: a.srcMac, dstMac: a.dstMac, srcIp: a.srcIp, dstIp: a.dstIp, hopLimit: v6 ? (a.hopLimit ?? DEFAULT_HOP_LIMIT6) : TTL4 };
}

/** UDP over IPv4 or IPv6 (by `srcIp`) in as many frames as `mtu` needs (one unless the datagram
 *  is bigger); the checksum is always computed (mandatory on IPv6). */
export function udpFrames(a: L2Addresses, srcPort: number, dstPort: number, payload: Uint8Array, mtu = DEFAULT_MTU): Uint8Array[] {
  return composer.udpFrames(addresses(a), srcPort, dstPort, payload, mtu);
}

/** One UDP frame (callers that know it fits; a bigger datagram goes out as its first fragment only). */
export function udpFrame(a: L2Addresses, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return udpFrames(a, srcPort, dstPort, payload, 65535)[0]!;
}

/** A frame sent again and again between fixed ends with only the payload changed (a flow's ACKs):
 *  composed once, filled per datagram. The datagram must fit one frame. */
export function udpTemplate(a: L2Addresses, srcPort: number, dstPort: number, payloadLength: number): UdpFrameTemplate {
  return composer.udpTemplate(addresses(a), srcPort, dstPort, payloadLength);
}

export function tcpFrame(a: L2Addresses, seg: TcpRepr, payload: Uint8Array): Uint8Array {
  return composer.tcp(addresses(a), seg, payload);
}

/** A connection's bare ACKs: composed once, patched per ACK (seq, ack, window, IP id). */
export function tcpAckTemplate(a: L2Addresses, srcPort: number, dstPort: number): TcpAckTemplate {
  return composer.tcpAckTemplate(addresses(a), srcPort, dstPort);
}

/** A whole ICMPv6 message (checksum already in it) in IPv6 + Ethernet; hop limit 255 unless told. */
export function icmpv6Frame(a: L2Addresses, message: Uint8Array): Uint8Array {
  const ip = emitIpv6({
    trafficClass: 0, flowLabel: 0, hopLimit: a.hopLimit ?? ND_HOP_LIMIT, nextHeader: IpProtocol.ICMPV6, src: a.srcIp, dst: a.dstIp,
  }, message);
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
