/**
 * Test/benchmark aid: takes apart a generated frame (Ethernet II + IPv4 + UDP/TCP, the only shapes
 * the generator writes) with the wire frame dissector and the real application parsers, without
 * the decode pipeline.
 */
import { LinkType } from '../capture/types.js';
import { IpProtocol } from '../wire/checksum.js';
import { parseDhcpV4, type DhcpV4Message } from '../wire/dhcpv4/index.js';
import { FrameDissector } from '../wire/frame/dissect.js';
import type { WireIssue } from '../wire/issues.js';
import { isDhcpV4Port } from '../wire/dhcp-ports.js';
import { UdpPort } from '../wire/ports.js';
import { parseTftp, type TftpPacket } from '../wire/tftp.js';

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
  /** Set for TFTP requests (to port 69) and for any UDP frame when `tftpPorts` holds one of its ports. */
  tftp: TftpPacket | null;
  tcpFlags: number;
  payloadLength: number;
  issues: WireIssue[];
}

const dissector = new FrameDissector();

/** `tftpPorts`: server TIDs seen so far (filled from OACK/ERROR/DATA replies to RRQ ports). */
export function dissect(frame: Uint8Array, tftpPorts: Set<number>): DissectedFrame {
  const issues: WireIssue[] = [];
  const f = dissector;
  f.dissect(LinkType.ETHERNET, frame, issues);
  const d: DissectedFrame = {
    srcMac: f.srcMac ?? '', dstMac: f.dstMac ?? '', etherType: f.etherType,
    src: '', dst: '', protocol: -1, srcPort: -1, dstPort: -1, dhcp: null, tftp: null, tcpFlags: 0, payloadLength: 0, issues,
  };
  if (f.ipVersion === 0) return d;
  d.src = f.src;
  d.dst = f.dst;
  d.protocol = f.protocol;
  if (f.transport === IpProtocol.TCP) {
    d.srcPort = f.srcPort;
    d.dstPort = f.dstPort;
    d.tcpFlags = f.tcp.flags;
    d.payloadLength = f.tcp.payload.length;
    return d;
  }
  if (f.transport !== IpProtocol.UDP) return d;
  d.srcPort = f.srcPort;
  d.dstPort = f.dstPort;
  const payload = f.udpPayload();
  d.payloadLength = payload.length;
  if (isDhcpV4Port(f.srcPort) || isDhcpV4Port(f.dstPort)) {
    d.dhcp = parseDhcpV4(payload, issues, f.payloadOffset);
  } else if (f.dstPort === UdpPort.TFTP) {
    d.tftp = parseTftp(payload, issues, f.payloadOffset);
    tftpPorts.add(f.srcPort);
  } else if (tftpPorts.has(f.srcPort) || tftpPorts.has(f.dstPort)) {
    d.tftp = parseTftp(payload, issues, f.payloadOffset);
  }
  return d;
}
