import type { WireIssue } from '../wire/issues.js';
import type { DhcpV4Message } from '../wire/dhcpv4/index.js';
import type { DhcpV6Message } from '../wire/dhcpv6/index.js';
import type { TftpPacket } from '../wire/tftp.js';
import type { HttpRequestHead, HttpResponseHead } from '../wire/http/index.js';
import type { IcmpPacket } from '../wire/icmp.js';
import type { NdpMessage } from '../wire/ndp.js';
import type { ArpAddresses } from '../wire/arp.js';
import type { TftpSession } from './tftp-tracker.js';
import type { Tunnel } from '../wire/tunnel.js';
import type { TcpCloseReason } from '../reassembly/index.js';

/** What `--proto` selects. `icmp` covers ICMPv4 and ICMPv6 error messages, `ndp` IPv6 Neighbour
 *  Discovery (RS, RA, NS, NA, Redirect). */
export type AppProto = 'dhcp4' | 'dhcp6' | 'tftp' | 'http' | 'icmp' | 'ndp';

/** Where a decoded application message sits in the capture and on the network. */
export interface MessageOrigin {
  /** Frame that carried (or, for reassembled data, completed) the message. 1-based. */
  frame: number;
  /** Epoch seconds. */
  time: number;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  /** Source and destination MAC of the frame (null on link types without them). */
  srcMac: string | null;
  dstMac: string | null;
  vlans: number[];
  /** Every issue met while decoding this frame, from the link layer up, offsets frame-relative. */
  issues: WireIssue[];
  /** The remote-mirror tunnel the frame came through (ERSPAN, gretap, VXLAN); the addresses and
   *  MACs above are the mirrored frame's. Null or absent for a frame captured where it went by. */
  tunnel?: Tunnel | null;
}

/** UDP-borne messages keep a view of their UDP payload: valid only during the sink callback
 *  (it points into the capture buffer), so findings can point at bytes and tests can round-trip. */
export interface Dhcp4Decoded extends MessageOrigin { proto: 'dhcp4'; msg: DhcpV4Message; payload: Uint8Array }
export interface Dhcp6Decoded extends MessageOrigin { proto: 'dhcp6'; msg: DhcpV6Message; payload: Uint8Array }
export interface TftpDecoded extends MessageOrigin {
  proto: 'tftp';
  msg: TftpPacket;
  payload: Uint8Array;
  /** The transfer this packet belongs to (null for a request nobody answered yet... never null
   *  after the request itself: the request creates the session). */
  session: TftpSession | null;
}

/** HTTP events: heads when the header block completes, `complete` when a body ends. */
export interface HttpDecoded extends MessageOrigin {
  proto: 'http';
  kind: 'request' | 'response' | 'complete';
  head: HttpRequestHead | HttpResponseHead | null;
  /** For `response` and a response's `complete`: the request it answers, as the HTTP parser paired
   *  them (null when it saw none). */
  request: HttpRequestHead | null;
  /** For `complete`: whether the finished message was the request or the response, and its body size. */
  isRequest: boolean;
  bodyBytes: number;
  /** Stable id of the TCP connection (shared by both directions). */
  connection: number;
  /** For `complete`: the snap length cut the message's framing; `bodyBytes` were sent up to
   *  there, its end is not in the capture. Absent otherwise. */
  cut?: true;
  /** For `complete` delivered as the connection closed: how it closed (`flush`: still open when
   *  the capture ended). */
  closedBy?: HttpCloseReason;
  /** Delivered as the capture ended with the connection open (neither side's FIN or RST in it):
   *  what it breaks off is the capture's doing, not the peers'. */
  captureEnded?: true;
  /** Delivered as a RST closed the connection after it had gone quiet (`endsAtClose` false):
   *  where it last moved on, and its client. Time alone cannot tell a rebooted machine refusing the
   *  server's retransmissions (what the connection carried ended there) from a stalled client
   *  giving up, a firewall's or balancer's reset (it ended at the RST, `frame`/`time`): the flow
   *  can, by what the device began in between. */
  quiet?: { frame: number; time: number; client: string };
}

/** The datagram an ICMP error answers, as its quote shows it (ports null when not quoted). */
export interface IcmpQuotedDatagram {
  src: string;
  dst: string;
  protocol: number;
  srcPort: number | null;
  dstPort: number | null;
}

/**
 * An ICMPv4 or ICMPv6 error message (destination unreachable, time exceeded, ...); echo and
 * other informational types are not delivered (neighbour discovery is, as NdpDecoded). `srcPort`/`dstPort` of the origin are 0.
 */
export interface IcmpDecoded extends MessageOrigin {
  proto: 'icmp';
  ipVersion: 4 | 6;
  type: number;
  code: number;
  /** Null when the type or code has no name (kept as a number). */
  typeName: string | null;
  codeName: string | null;
  /** Null when the quote is too short to hold the original IP header. */
  quoted: IcmpQuotedDatagram | null;
  msg: IcmpPacket;
  /** The ICMP message; a view valid only during the sink callback. */
  payload: Uint8Array;
}

/**
 * An IPv6 Neighbour Discovery message (ICMPv6 133-137, RFC 4861). `srcPort`/`dstPort` are 0.
 * IP-level rules (hop limit 255, link-local source of RA/Redirect, ...) are checked by the
 * pipeline and land in `issues` (layer 'ndp').
 */
export interface NdpDecoded extends MessageOrigin {
  proto: 'ndp';
  msg: NdpMessage;
  /** IPv6 hop limit: RFC 4861 requires 255; other values are reported as an issue */
  hopLimit: number;
  /** The whole ICMPv6 message; a view valid only during the sink callback. */
  payload: Uint8Array;
}

export type DecodedMessage = Dhcp4Decoded | Dhcp6Decoded | TftpDecoded | HttpDecoded | IcmpDecoded | NdpDecoded;

/** A frame whose problems kept it from reaching any application decoder. */
export interface UndecodedFrame {
  frame: number;
  time: number;
  issues: WireIssue[];
}

/** A piece of an HTTP message body (de-chunked), between its `response`/`request` head and its
 *  `complete` message. `data` is a view valid only during the call. */
export interface HttpBodyChunk {
  connection: number;
  isRequest: boolean;
  data: Uint8Array;
  frame: number;
  time: number;
}

/** Why a TCP connection ended: FIN both ways, RST, idle timeout, the end of the capture, or a new
 *  connection on its ports (`restart`). */
export type HttpCloseReason = TcpCloseReason;

/**
 * An IP fragment as it went by (before reassembly), for path-MTU facts: which datagrams arrived
 * whole and which lost a piece. One object reused by the pipeline: valid only during the call.
 */
export interface FragmentSeen {
  frame: number;
  time: number;
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  srcMac: string | null;
  /** IP identification of the datagram. */
  id: number;
  /** Byte offset of this fragment's data in the datagram. */
  offset: number;
  more: boolean;
  /** Bytes of fragment data, and the size of the IP packet that carried them. */
  dataLength: number;
  packetLength: number;
  /** The datagram is whole with this fragment (the reassembler put it together). */
  completed: boolean;
}

/**
 * A TCP segment as it went by, for path-MTU facts (full-size segments never acknowledged).
 * One object reused by the pipeline: valid only during the call.
 */
export interface TcpSegmentSeen {
  frame: number;
  time: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** The IPv4 addresses as 32-bit numbers (-1 on IPv6): keys without building a string. */
  src4: number;
  dst4: number;
  seq: number;
  ack: number;
  flags: number;
  /** Bytes of TCP payload as sent (the snap length may have cut some of them off the capture), and
   *  the size of the IP packet. */
  dataLength: number;
  packetLength: number;
}

/**
 * An Ethernet/IPv4 ARP request or reply as it went by (RFC 826), for the flow facts (a device asking
 * for its server or router and whether anyone answered). One object reused by the pipeline: valid
 * only during the call (`operation`: 1 request, 2 reply; addresses as 32-bit numbers).
 */
export interface ArpSeen extends ArpAddresses {
  frame: number;
  time: number;
}

/** What cut a frame short: the capture's snap length; inside a remote-mirror tunnel, the switch
 *  (ERSPAN's T bit, a session MTU: the collector recorded the tunnel packet whole) or the collector's
 *  own snap length (the tunnel packet cut, its headers counted in it). */
export type CutBy = 'capture' | 'mirror' | 'collector';

export interface DecodeSink {
  message(m: DecodedMessage): void;
  /** Called for frames that carried issues but no application message. */
  undecoded?(f: UndecodedFrame): void;
  /** Body bytes of HTTP messages, for sinks that keep them (`pxecheck export`); others only count. */
  httpBody?(chunk: HttpBodyChunk): void;
  /** An HTTP connection closed, before the `complete` of a body read until close; frame and time
   *  are its last segment's. */
  httpClose?(connection: number, reason: HttpCloseReason, frame: number, time: number): void;
  /** A response whose head or chunked framing the snap length cut (step `request`), judged by the
   *  TCP sequence space and the client's ACKs (decode/http-cut-delivery.ts): `delivered`, its body
   *  reached the client (`bodyBytes`: its Content-Length where the head showed it), else unknown. */
  httpCutDelivery?(connection: number, request: HttpRequestHead | null, delivered: boolean, bodyBytes: number | null, frame: number, time: number): void;
  /** Every IP fragment, for sinks that judge the path MTU (the flow builder). */
  fragment?(f: FragmentSeen): void;
  /** Every TCP segment, for sinks that judge the path MTU (the flow builder). */
  tcpSegment?(s: TcpSegmentSeen): void;
  /** Every Ethernet/IPv4 ARP request and reply, for sinks that judge address resolution. */
  arp?(a: ArpSeen): void;
  /**
   * The frame about to be decoded was cut short (a snap length, a mirror port's slicing or MTU,
   * ERSPAN's truncation):
   * `missing` bytes of its IP packet are not in the capture (of the frame, when even its IP header
   * was cut). `opaque`: the cut took what says what the frame carried (its IP header, the UDP
   * ports of a UDP packet, or it is a later IP fragment): it may have held a message nobody can
   * place; `src`/`dst`: its IP addresses, where they survived (a frame between hosts that are no
   * DHCP server, broadcast or boot device holds no DHCP answer). `by`: what cut it (`CutBy`);
   * `encapsulation`: the tunnel's header bytes in front of a frame the collector cut. Called
   * before any message of that frame.
   */
  frameCut?(frame: number, captured: number, missing: number, opaque: boolean, src?: string, dst?: string, by?: CutBy, encapsulation?: number): void;
  /**
   * The bulk of a TFTP transfer without a message: a DATA (opcode 3) or ACK (4) of a known
   * session, well formed and with no issue on its frame, as numbers only. Return false to get it
   * as a `message` after all (e.g. the sink has not seen the transfer start). Without this method
   * every such packet is a message.
   */
  tftpBlock?(session: TftpSession, fromClient: boolean, srcPort: number, opcode: 3 | 4, block: number, dataLength: number, frame: number, time: number): boolean;
  /**
   * True: the sink copies what it keeps out of a DHCPv4 message during `message`, so the decoder
   * may parse every one into the same reused message (`DhcpV4Scratch`), valid until the next.
   */
  readonly transientDhcp4?: boolean;
}

/** `next` with `onMessage` called before each message reaches it; every other sink call passes
 *  straight through (a metrics counter or a copier riding along the analysis read). `tftpBlock`
 *  is not passed: the tap sees every TFTP packet as a message; nor is `transientDhcp4`: a tap may
 *  keep the messages it sees. */
export function tapMessages(next: DecodeSink, onMessage: (m: DecodedMessage) => void): DecodeSink {
  return {
    message: (m) => {
      onMessage(m);
      next.message(m);
    },
    ...(next.undecoded ? { undecoded: next.undecoded.bind(next) } : {}),
    ...(next.httpBody ? { httpBody: next.httpBody.bind(next) } : {}),
    ...(next.httpClose ? { httpClose: next.httpClose.bind(next) } : {}),
    ...(next.httpCutDelivery ? { httpCutDelivery: next.httpCutDelivery.bind(next) } : {}),
    ...(next.fragment ? { fragment: next.fragment.bind(next) } : {}),
    ...(next.tcpSegment ? { tcpSegment: next.tcpSegment.bind(next) } : {}),
    ...(next.frameCut ? { frameCut: next.frameCut.bind(next) } : {}),
    ...(next.arp ? { arp: next.arp.bind(next) } : {}),
  };
}
