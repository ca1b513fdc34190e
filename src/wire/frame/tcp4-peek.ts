/**
 * The common case of a TCP download read in place: an untagged Ethernet II frame holding an IPv4
 * packet with no options, not a fragment, carrying TCP with a whole header. Anything else (VLAN
 * tags, IP options, fragments, IPv6, a short or cut packet) is left to the full dissector
 * (dissect.ts): `read` answers false and changes nothing the caller relies on. Cheap enough per
 * frame that a transport can try it before the dissector for its established connections, with
 * no strings made (MACs and addresses as numbers).
 */
import { u16, u32 } from '../bytes.js';
import { ETHERNET_HEADER_LENGTH, EtherType } from '../ethernet.js';
import { IpProtocol } from '../ip-protocol.js';
import { IPV4_MIN_HEADER } from '../ipv4.js';
import { TCP_MIN_HEADER, type TcpSegment } from '../tcp.js';

const EMPTY = new Uint8Array(0);
/** Version 4, header length 5 words: byte 0 of an IPv4 header without options. */
const IPV4_NO_OPTIONS = 0x45;
const IP = ETHERNET_HEADER_LENGTH;
const TCP = ETHERNET_HEADER_LENGTH + IPV4_MIN_HEADER;

export class Tcp4FramePeek {
  /** Destination MAC: its first 2 bytes, and its last 4 (unsigned). */
  dstMacHigh = 0;
  dstMacLow = 0;
  /** IPv4 addresses as unsigned 32-bit numbers. */
  srcIp = 0;
  dstIp = 0;
  /** The segment, views into the frame (valid while the frame is). */
  readonly seg: TcpSegment = {
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, dataOffset: 0, headerLength: 0, flags: 0, window: 0, checksum: 0, urgent: 0,
    options: EMPTY, payload: EMPTY, payloadOffset: 0,
  };

  /** True, with the fields filled, when `frame` is such a frame; false otherwise. */
  read(frame: Uint8Array): boolean {
    if (frame.length < TCP + TCP_MIN_HEADER || u16(frame, 12) !== EtherType.IPV4 || frame[IP] !== IPV4_NO_OPTIONS) return false;
    if (frame[IP + 9] !== IpProtocol.TCP || (u16(frame, IP + 6) & 0x3fff) !== 0) return false; // MF or an offset: a fragment
    const end = IP + u16(frame, IP + 2); // the IP total length: Ethernet padding is not payload
    const headerLength = (frame[TCP + 12]! >> 4) * 4;
    if (end > frame.length || headerLength < TCP_MIN_HEADER || TCP + headerLength > end) return false;
    this.dstMacHigh = u16(frame, 0);
    this.dstMacLow = u32(frame, 2);
    this.srcIp = u32(frame, IP + 12);
    this.dstIp = u32(frame, IP + 16);
    const s = this.seg;
    s.srcPort = u16(frame, TCP);
    s.dstPort = u16(frame, TCP + 2);
    s.seq = u32(frame, TCP + 4);
    s.ack = u32(frame, TCP + 8);
    s.dataOffset = headerLength >> 2;
    s.headerLength = headerLength;
    s.flags = u16(frame, TCP + 12) & 0x0fff;
    s.window = u16(frame, TCP + 14);
    s.checksum = u16(frame, TCP + 16);
    s.urgent = u16(frame, TCP + 18);
    s.options = headerLength === TCP_MIN_HEADER ? EMPTY : frame.subarray(TCP + TCP_MIN_HEADER, TCP + headerLength);
    s.payload = frame.subarray(TCP + headerLength, end);
    s.payloadOffset = TCP + headerLength;
    return true;
  }
}
