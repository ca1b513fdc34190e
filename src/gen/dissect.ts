/**
 * Test/benchmark aid: takes apart a generated frame (Ethernet II + IPv4 + UDP/TCP, the only shapes
 * the generator writes) with the real parsers, without the decode pipeline.
 */
import { ipv4ToString, macToString, u16 } from '../wire/bytes.js';
import { parseDhcpV4, type DhcpV4Message } from '../wire/dhcpv4/index.js';
import type { WireIssue } from '../wire/issues.js';
import { parseIpv4 } from '../wire/ipv4.js';
import { parseTcp } from '../wire/tcp.js';
import { parseTftp, type TftpPacket } from '../wire/tftp.js';
import { parseUdp } from '../wire/udp.js';
import { ETHERNET_HEADER_LENGTH as ETHERNET_HEADER } from '../wire/ethernet.js';

export interface DissectedFrame {
  srcMac: string;
  dstMac: string;
  etherType: number;
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  dhcp: DhcpV4Message | null;
  /** Set for port 69 requests and for any UDP frame when `tftpPorts` holds one of its ports. */
  tftp: TftpPacket | null;
  tcpFlags: number;
  payloadLength: number;
  issues: WireIssue[];
}

const DHCP_PORTS = new Set([67, 68, 4011]);

/** `tftpPorts`: server TIDs seen so far (filled from OACK/ERROR/DATA replies to RRQ ports). */
export function dissect(frame: Uint8Array, tftpPorts: Set<number>): DissectedFrame {
  const issues: WireIssue[] = [];
  const d: DissectedFrame = {
    srcMac: macToString(frame, 6), dstMac: macToString(frame, 0), etherType: u16(frame, 12),
    src: '', dst: '', protocol: -1, srcPort: -1, dstPort: -1, dhcp: null, tftp: null, tcpFlags: 0, payloadLength: 0, issues,
  };
  const ip = parseIpv4(frame.subarray(ETHERNET_HEADER), issues, ETHERNET_HEADER);
  if (!ip) return d;
  d.src = ipv4ToString(ip.srcBytes);
  d.dst = ipv4ToString(ip.dstBytes);
  d.protocol = ip.protocol;
  if (ip.protocol === 6) {
    const seg = parseTcp(ip.payload, issues, ip.payloadOffset);
    if (seg) {
      d.srcPort = seg.srcPort;
      d.dstPort = seg.dstPort;
      d.tcpFlags = seg.flags;
      d.payloadLength = seg.payload.length;
    }
    return d;
  }
  const udp = parseUdp(ip.payload, issues, ip.payloadOffset);
  if (!udp) return d;
  d.srcPort = udp.srcPort;
  d.dstPort = udp.dstPort;
  d.payloadLength = udp.payload.length;
  if (DHCP_PORTS.has(udp.srcPort) || DHCP_PORTS.has(udp.dstPort)) {
    d.dhcp = parseDhcpV4(udp.payload, issues, udp.payloadOffset);
  } else if (udp.dstPort === 69) {
    d.tftp = parseTftp(udp.payload, issues, udp.payloadOffset);
    tftpPorts.add(udp.srcPort);
  } else if (tftpPorts.has(udp.srcPort) || tftpPorts.has(udp.dstPort)) {
    d.tftp = parseTftp(udp.payload, issues, udp.payloadOffset);
  }
  return d;
}
