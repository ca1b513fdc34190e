/**
 * Frames from the real encoders: payload → UDP/TCP (checksummed over the pseudo-header) → IPv4 →
 * Ethernet II, by the one frame composer (src/wire/frame/compose.ts).
 */
import { ipv4FromString } from '../wire/bytes.js';
import type { PseudoHeader } from '../wire/checksum.js';
import { FrameComposer, type FrameAddresses } from '../wire/frame/compose.js';
import type { TcpRepr } from '../wire/tcp.js';

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

/** Builds the generator's frames with the one frame composer: IPv4 ids 1, 2, … per factory (so a
 *  generated capture is the same every run), frames not padded. */
export class FrameFactory {
  private readonly composer = new FrameComposer();
  private readonly a: FrameAddresses & { pseudo: PseudoHeader } = {
    srcMac: '', dstMac: '', srcIp: '', dstIp: '', hopLimit: 64, pseudo: { src: new Uint8Array(4), dst: new Uint8Array(4) },
  };

  udp(h: FrameHeads, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
    return this.composer.udp(this.addresses(h), srcPort, dstPort, payload);
  }

  tcp(h: FrameHeads, seg: TcpRepr, payload: Uint8Array): Uint8Array {
    return this.composer.tcp(this.addresses(h), seg, payload);
  }

  private addresses(h: FrameHeads): FrameAddresses {
    const a = this.a;
    a.srcMac = h.srcMac;
    a.dstMac = h.dstMac;
    a.srcIp = h.src.ip;
    a.dstIp = h.dst.ip;
    a.hopLimit = h.ttl;
    a.pseudo.src = h.src.bytes;
    a.pseudo.dst = h.dst.bytes;
    return a;
  }
}
