/**
 * GRE (RFC 2784 with the key and sequence number of RFC 2890), version 0 only.
 *
 *   0: C(0x80) R(0x40) K(0x20) S(0x10) s(0x08) Recur(0x07) | 1: flags(5) Ver(3) | 2..4 protocol type
 *   [C: checksum(2) reserved1(2)] [K: key(4)] [S: sequence number(4)] | payload
 *
 * The protocol type is an EtherType: TEB (a whole Ethernet frame: gretap), ERSPAN I/II/III (remote
 * mirrors), IPv4/IPv6 (plain IP tunnels). The routing present bit (R, RFC 1701) and version 1
 * (PPTP's enhanced GRE) are reported unsupported: their header length is not what we can read.
 */
import { putU16, putU32, u16, u32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { EtherType } from './ethernet.js';
import { IpProtocol } from './ip-protocol.js';
import { pushIssue, type WireIssue } from './issues.js';

export const GRE_MIN_HEADER = 4;
const C = 0x80;
const R = 0x40;
const K = 0x20;
const S = 0x10;

export interface GreRepr {
  /** The EtherType of the payload. */
  protocolType: number;
  /** Present when the C bit is set: the checksum as read (emit computes it when `checksum` is true). */
  checksum?: number | null;
  key?: number | null;
  sequence?: number | null;
}

export interface GrePacket {
  protocolType: number;
  checksum: number | null;
  key: number | null;
  sequence: number | null;
  headerLength: number;
  payload: Uint8Array;
  payloadOffset: number;
}

/** GRE that carries a mirror (TEB, ERSPAN I/II/III) or a routed IP tunnel (IPv4/IPv6), version 0
 *  without routing: the only GRE worth taking apart; PPTP (version 1), WCCP and others are not. */
export function isTunnelGre(buf: Uint8Array): boolean {
  if (buf.length < GRE_MIN_HEADER || (buf[1]! & 0x07) !== 0 || (buf[0]! & R) !== 0) return false;
  const type = u16(buf, 2);
  return type === EtherType.TEB || type === EtherType.ERSPAN || type === EtherType.ERSPAN3 || type === EtherType.IPV4 || type === EtherType.IPV6;
}

/**
 * Whether the IP packet `ip` (of EtherType `type`) inside an IP-in-GRE tunnel is a GRE keepalive
 * (Cisco: an inner GRE header with protocol type 0 that the far router sends back).
 */
export function isGreKeepalive(ip: Uint8Array, type: number): boolean {
  let greAt: number;
  if (type === EtherType.IPV4) {
    if (ip.length < 20 || ip[9] !== IpProtocol.GRE) return false;
    greAt = (ip[0]! & 0x0f) * 4;
  } else {
    if (ip.length < 40 || ip[6] !== IpProtocol.GRE) return false;
    greAt = 40;
  }
  return ip.length >= greAt + GRE_MIN_HEADER && u16(ip, greAt + 2) === 0;
}

/** Header bytes for these optional fields. */
export function greHeaderLength(repr: Pick<GreRepr, 'checksum' | 'key' | 'sequence'>): number {
  return GRE_MIN_HEADER + (repr.checksum != null ? 4 : 0) + (repr.key != null ? 4 : 0) + (repr.sequence != null ? 4 : 0);
}

/** Parses the GRE header at the start of `buf`; null (with an issue) when no payload can be found. */
export function parseGre(buf: Uint8Array, issues: WireIssue[], base = 0): GrePacket | null {
  if (buf.length < GRE_MIN_HEADER) {
    pushIssue(issues, 'truncated', 'gre', base + buf.length, `GRE header needs 4 bytes, have ${buf.length}`);
    return null;
  }
  const flags = buf[0]!;
  const version = buf[1]! & 0x07;
  if (version !== 0 || (flags & R) !== 0) {
    pushIssue(issues, 'unsupported', 'gre', base, version !== 0 ? `GRE version ${version} is not supported` : 'GRE with routing (RFC 1701) is not supported');
    return null;
  }
  const headerLength = greHeaderLength({ checksum: flags & C ? 0 : null, key: flags & K ? 0 : null, sequence: flags & S ? 0 : null });
  if (buf.length < headerLength) {
    pushIssue(issues, 'truncated', 'gre', base + buf.length, `GRE header needs ${headerLength} bytes, have ${buf.length}`);
    return null;
  }
  let o = GRE_MIN_HEADER;
  let checksum: number | null = null;
  if (flags & C) {
    checksum = u16(buf, o);
    o += 4;
  }
  let key: number | null = null;
  if (flags & K) {
    key = u32(buf, o);
    o += 4;
  }
  const sequence = flags & S ? u32(buf, o) : null;
  return { protocolType: u16(buf, 2), checksum, key, sequence, headerLength, payload: buf.subarray(headerLength), payloadOffset: base + headerLength };
}

/** Header and payload; with a checksum field, the checksum over both is computed. */
export function emitGre(repr: GreRepr, payload: Uint8Array): Uint8Array {
  const headerLength = greHeaderLength(repr);
  const out = new Uint8Array(headerLength + payload.length);
  out[0] = (repr.checksum != null ? C : 0) | (repr.key != null ? K : 0) | (repr.sequence != null ? S : 0);
  putU16(out, 2, repr.protocolType);
  let o = GRE_MIN_HEADER;
  const sumAt = repr.checksum != null ? o : -1;
  if (repr.checksum != null) o += 4;
  if (repr.key != null) {
    putU32(out, o, repr.key);
    o += 4;
  }
  if (repr.sequence != null) putU32(out, o, repr.sequence);
  out.set(payload, headerLength);
  if (sumAt >= 0) putU16(out, sumAt, internetChecksum(out));
  return out;
}
