import type { WireIssue } from '../wire/issues.js';
import type { DhcpV4Message } from '../wire/dhcpv4/index.js';
import type { DhcpV6Message } from '../wire/dhcpv6/index.js';
import type { TftpPacket } from '../wire/tftp.js';
import type { HttpRequestHead, HttpResponseHead } from '../wire/http.js';
import type { TftpSession } from './tftp-tracker.js';

export type AppProto = 'dhcp4' | 'dhcp6' | 'tftp' | 'http';

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
  /** For `response`: the request it answers (FIFO pairing). */
  request: HttpRequestHead | null;
  /** For `complete`: whether the finished message was the request or the response, and its body size. */
  isRequest: boolean;
  bodyBytes: number;
  /** Stable id of the TCP connection (shared by both directions). */
  connection: number;
}

export type DecodedMessage = Dhcp4Decoded | Dhcp6Decoded | TftpDecoded | HttpDecoded;

/** A frame whose problems kept it from reaching any application decoder. */
export interface UndecodedFrame {
  frame: number;
  time: number;
  issues: WireIssue[];
}

export interface DecodeSink {
  message(m: DecodedMessage): void;
  /** Called for frames that carried issues but no application message. */
  undecoded?(f: UndecodedFrame): void;
}
