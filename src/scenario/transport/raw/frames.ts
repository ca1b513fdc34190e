/**
 * Frames the raw transport sends, built with the project's codecs (one encoder): Ethernet + IPv4 +
 * UDP/TCP, and Ethernet + ARP. Short frames are padded to the 60-byte Ethernet minimum.
 */
import { emitArp, type ArpRepr } from '../../../wire/arp.js';
import { ipv4FromString } from '../../../wire/bytes.js';
import { IpProtocol } from '../../../wire/checksum.js';
import { emitEthernet, EtherType } from '../../../wire/ethernet.js';
import { emitIpv4 } from '../../../wire/ipv4.js';
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

export interface L2Addresses {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
}

export function udpFrame(a: L2Addresses, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const pseudo = { src: ipv4FromString(a.srcIp), dst: ipv4FromString(a.dstIp) };
  const udp = emitUdp({ srcPort, dstPort }, payload, pseudo);
  return ethernet(a.srcMac, a.dstMac, EtherType.IPV4, ipv4(IpProtocol.UDP, a.srcIp, a.dstIp, udp));
}

export function tcpFrame(a: L2Addresses, seg: TcpRepr, payload: Uint8Array): Uint8Array {
  const pseudo = { src: ipv4FromString(a.srcIp), dst: ipv4FromString(a.dstIp) };
  const tcp = emitTcp(seg, payload, pseudo);
  return ethernet(a.srcMac, a.dstMac, EtherType.IPV4, ipv4(IpProtocol.TCP, a.srcIp, a.dstIp, tcp));
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
