/**
 * Frames the raw transport sends, built with the project's codecs (one encoder): Ethernet + IPv4 or
 * IPv6 + UDP/TCP (the family follows the address text), Ethernet + IPv6 + ICMPv6, and Ethernet +
 * ARP. Short frames are padded to the 60-byte Ethernet minimum.
 */
import { emitArp, type ArpRepr } from '../../../wire/arp.js';
import { ipv4FromString, ipv6FromString } from '../../../wire/bytes.js';
import { IpProtocol } from '../../../wire/checksum.js';
import { emitEthernet, EtherType } from '../../../wire/ethernet.js';
import { emitIpv4 } from '../../../wire/ipv4.js';
import { emitIpv6 } from '../../../wire/ipv6.js';
import { emitTcp, type TcpRepr } from '../../../wire/tcp.js';
import { emitUdp } from '../../../wire/udp.js';

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC = '00:00:00:00:00:00';
const MIN_FRAME = 60;

let ipId = Math.floor(Math.random() * 0x10000);

function ethernet(src: string, dst: string, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = emitEthernet({ dst, src, vlans: [], etherType }, payload);
  if (frame.length >= MIN_FRAME) return frame;
  const padded = new Uint8Array(MIN_FRAME);
  padded.set(frame);
  return padded;
}

function ipv4(protocol: number, src: string, dst: string, payload: Uint8Array): Uint8Array {
  ipId = (ipId + 1) & 0xffff;
  return emitIpv4({ dscp: 0, ecn: 0, identification: ipId, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol, src, dst }, payload);
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

function ipFrame(a: L2Addresses, protocol: number, payload: Uint8Array): Uint8Array {
  if (!isV6(a)) return ethernet(a.srcMac, a.dstMac, EtherType.IPV4, ipv4(protocol, a.srcIp, a.dstIp, payload));
  const ip = emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: a.hopLimit ?? DEFAULT_HOP_LIMIT6, nextHeader: protocol, src: a.srcIp, dst: a.dstIp }, payload);
  return ethernet(a.srcMac, a.dstMac, EtherType.IPV6, ip);
}

/** UDP over IPv4 or IPv6 (by `srcIp`); the checksum is always computed (mandatory on IPv6). */
export function udpFrame(a: L2Addresses, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const udp = emitUdp({ srcPort, dstPort }, payload, pseudoFor(a));
  return ipFrame(a, IpProtocol.UDP, udp);
}

export function tcpFrame(a: L2Addresses, seg: TcpRepr, payload: Uint8Array): Uint8Array {
  const tcp = emitTcp(seg, payload, pseudoFor(a));
  return ipFrame(a, IpProtocol.TCP, tcp);
}

/** A whole ICMPv6 message (checksum already in it) in IPv6 + Ethernet; hop limit 255 unless told. */
export function icmpv6Frame(a: L2Addresses, message: Uint8Array): Uint8Array {
  return ipFrame({ ...a, hopLimit: a.hopLimit ?? ND_HOP_LIMIT }, IpProtocol.ICMPV6, message);
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
