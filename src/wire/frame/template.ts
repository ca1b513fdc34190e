/**
 * A frame composed once and sent many times with only its UDP payload changed: a lock-step
 * client's ACKs (4 bytes, the block number the only change) on the raw transport's hot path.
 * Built by the one composer (compose.ts `udpTemplate`); each datagram patches the payload, the
 * IPv4 identification and both checksums in place through the wire helpers (RFC 1624 updates),
 * so the bytes are those a full build with the same id gives. One long-lived buffer: nothing is
 * allocated or handed to native code afresh per frame.
 */
import { setIpv4Identification } from '../ipv4.js';
import { u16 } from '../bytes.js';
import { setTcpSeqAckWindow } from '../tcp.js';
import { setUdpPayload } from '../udp.js';

export class UdpFrameTemplate {
  /** IPv4 id of the last datagram filled (the composer's id for the template's own frame). */
  private id: number;

  /**
   * @param frame the composed frame (Ethernet + IP + UDP, padded as sent), owned from now on
   * @param ipOffset the IP header's offset, or -1 for IPv6 (no header checksum, no id per datagram)
   * @param udpOffset the UDP header's offset
   */
  constructor(
    readonly frame: Uint8Array,
    private readonly ipOffset: number,
    private readonly udpOffset: number,
    readonly srcPort: number,
    readonly dstPort: number,
    readonly payloadLength: number,
  ) {
    this.id = ipOffset < 0 ? 0 : u16(frame, ipOffset + 4);
  }

  /** The frame of the next datagram carrying `payload[0..payloadLength)`, the IPv4 id one more
   *  than the last. Valid until the next fill. */
  fill(payload: Uint8Array): Uint8Array {
    const f = this.frame;
    setUdpPayload(f, this.udpOffset, payload, this.payloadLength);
    if (this.ipOffset >= 0) setIpv4Identification(f, this.ipOffset, (this.id = (this.id + 1) & 0xffff));
    return f;
  }
}

/**
 * A connection's bare ACK (no options, no payload) composed once: each ACK patches sequence,
 * acknowledgment, window and IPv4 id with their checksums (RFC 1624) and leaves as a copy of the
 * template's bytes, since a send queue may hold it past the next ACK (a 60-byte copy, against a
 * build that parses MAC and IP texts and sums every header field).
 */
export class TcpAckTemplate {
  private id: number;

  /**
   * @param frame the composed frame (Ethernet + IP + TCP ACK, padded as sent), owned from now on
   * @param ipOffset the IP header's offset, or -1 for IPv6 (no header checksum, no id per packet)
   * @param tcpOffset the TCP header's offset
   */
  constructor(
    private readonly frame: Uint8Array,
    private readonly ipOffset: number,
    private readonly tcpOffset: number,
  ) {
    this.id = ipOffset < 0 ? 0 : u16(frame, ipOffset + 4);
  }

  /** A new frame: this ACK with `seq`, `ack` and `window`, the IPv4 id one more than the last. */
  next(seq: number, ack: number, window: number): Uint8Array {
    const f = this.frame;
    setTcpSeqAckWindow(f, this.tcpOffset, seq, ack, window);
    if (this.ipOffset >= 0) setIpv4Identification(f, this.ipOffset, (this.id = (this.id + 1) & 0xffff));
    return f.slice();
  }
}
