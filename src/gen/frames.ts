/**
 * Frames from the real encoders: payload → UDP/TCP (checksummed over the pseudo-header) → IPv4 →
 * Ethernet II, written into one buffer per frame (the `write*Header` forms avoid a copy per layer).
 */
import { ipv4FromString } from '../wire/bytes.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { ipv4HeaderLength, writeIpv4Header, type Ipv4Repr } from '../wire/ipv4.js';
import { tcpHeaderLength, writeTcpHeader, type TcpRepr } from '../wire/tcp.js';
import { UDP_HEADER, writeUdpHeader } from '../wire/udp.js';
import { emitEthernetInto, ETHERNET_HEADER_LENGTH as ETHERNET_HEADER, EtherType, type EthernetRepr } from '../wire/ethernet.js';

/** An IPv4 address in both forms (text for the IPv4 repr, bytes for pseudo-headers). */
export interface Addr {
  ip: string;
  bytes: Uint8Array;
}

export function addr(ip: string): Addr {
  return { ip, bytes: ipv4FromString(ip) };
}

/** Link + network header fields of one frame. */
export interface FrameHeads {
  srcMac: string;
  dstMac: string;
  src: Addr;
  dst: Addr;
  /** 64 from the sender's own subnet, 63 once routed through the relay. */
  ttl: number;
}

const NO_BYTES = new Uint8Array(0);

export class FrameFactory {
  private ipId = 0;
  private readonly ip: Ipv4Repr = {
    dscp: 0, ecn: 0, identification: 0, df: false, mf: false, fragmentOffset: 0, ttl: 64,
    protocol: IpProtocol.UDP, src: '', dst: '',
  };
  private readonly pseudo: { src: Uint8Array; dst: Uint8Array } = { src: new Uint8Array(4), dst: new Uint8Array(4) };
  private readonly udpRepr = { srcPort: 0, dstPort: 0 };
  private readonly eth: EthernetRepr = { dst: '', src: '', vlans: [], etherType: EtherType.IPV4 };

  udp(h: FrameHeads, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
    const ip = this.ipRepr(h, IpProtocol.UDP);
    const ipLen = ipv4HeaderLength(ip);
    const out = new Uint8Array(ETHERNET_HEADER + ipLen + UDP_HEADER + payload.length);
    this.ethernetHeader(h, out);
    writeIpv4Header(ip, UDP_HEADER + payload.length, out, ETHERNET_HEADER);
    this.udpRepr.srcPort = srcPort;
    this.udpRepr.dstPort = dstPort;
    const l4 = ETHERNET_HEADER + ipLen;
    writeUdpHeader(this.udpRepr, payload, this.pseudoOf(h), out, l4);
    out.set(payload, l4 + UDP_HEADER);
    return out;
  }

  tcp(h: FrameHeads, seg: TcpRepr, payload: Uint8Array): Uint8Array {
    const ip = this.ipRepr(h, IpProtocol.TCP);
    const ipLen = ipv4HeaderLength(ip);
    const tcpLen = tcpHeaderLength(seg);
    const out = new Uint8Array(ETHERNET_HEADER + ipLen + tcpLen + payload.length);
    this.ethernetHeader(h, out);
    writeIpv4Header(ip, tcpLen + payload.length, out, ETHERNET_HEADER);
    const l4 = ETHERNET_HEADER + ipLen;
    writeTcpHeader(seg, payload, this.pseudoOf(h), out, l4);
    out.set(payload, l4 + tcpLen);
    return out;
  }

  /** The Ethernet II header only (empty payload): the layers above are written in place after it. */
  private ethernetHeader(h: FrameHeads, out: Uint8Array): void {
    this.eth.dst = h.dstMac;
    this.eth.src = h.srcMac;
    emitEthernetInto(this.eth, NO_BYTES, out, 0);
  }

  private ipRepr(h: FrameHeads, protocol: number): Ipv4Repr {
    const ip = this.ip;
    ip.identification = this.ipId = (this.ipId + 1) & 0xffff;
    ip.ttl = h.ttl;
    ip.protocol = protocol;
    ip.src = h.src.ip;
    ip.dst = h.dst.ip;
    return ip;
  }

  private pseudoOf(h: FrameHeads): { src: Uint8Array; dst: Uint8Array } {
    this.pseudo.src = h.src.bytes;
    this.pseudo.dst = h.dst.bytes;
    return this.pseudo;
  }
}
