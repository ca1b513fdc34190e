/*
 * ARP (RFC 826) for Ethernet/IPv4, byte ranges:
 *  0-1 hardware type (1 Ethernet)   2-3 protocol type (0x0800)   4 hlen   5 plen   6-7 operation
 *  8..8+hlen sender MAC   then plen sender IP   hlen target MAC   plen target IP
 * Other hardware/protocol sizes are kept as hex strings so odd packets still round-trip.
 */
import { fromHex, hex, ipv4FromString, ipv4ToString, macFromString, macToString, putU16, u16, u32 } from './bytes.js';
import { pushIssue, type WireIssue } from './issues.js';

export const ArpOperation = { REQUEST: 1, REPLY: 2, RARP_REQUEST: 3, RARP_REPLY: 4 } as const;

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = 0x0800;
export const ARP_HEADER = 8;
/** Length of an Ethernet/IPv4 ARP packet (hlen 6, plen 4). */
export const ARP_ETHERNET_IPV4_LENGTH = 28;

const OP_NAMES: Record<number, string> = { 1: 'request', 2: 'reply', 3: 'rarp-request', 4: 'rarp-reply' };

/** 'request', 'reply'… or the number for an unknown operation. */
export function arpOperationName(op: number): string {
  return OP_NAMES[op] ?? String(op);
}

export interface ArpRepr {
  htype: number;
  ptype: number;
  /** Hardware / protocol address lengths (6 and 4 for Ethernet/IPv4). */
  hlen: number;
  plen: number;
  /** Numeric; unknown values kept. */
  operation: number;
  /** "aa:bb:cc:dd:ee:ff" when hlen is 6, else hex. */
  senderMac: string;
  /** Dotted quad when plen is 4, else hex. */
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface ArpPacket extends ArpRepr {
  /** Bytes the packet occupies (header + addresses); Ethernet padding follows. */
  length: number;
}

function hwString(b: Uint8Array, o: number, len: number): string {
  return len === 6 ? macToString(b, o) : hex(b.subarray(o, o + len));
}

function protoString(b: Uint8Array, o: number, len: number): string {
  return len === 4 ? ipv4ToString(b, o) : hex(b.subarray(o, o + len));
}

/** Null when the 8-byte header or the addresses it announces are not all there. */
export function parseArp(buf: Uint8Array, issues: WireIssue[], base = 0): ArpPacket | null {
  if (buf.length < ARP_HEADER) {
    pushIssue(issues, 'truncated', 'arp', base + buf.length, `ARP header needs 8 bytes, have ${buf.length}`);
    return null;
  }
  const hlen = buf[4]!;
  const plen = buf[5]!;
  const length = ARP_HEADER + 2 * (hlen + plen);
  if (buf.length < length) {
    pushIssue(issues, 'truncated', 'arp', base + buf.length, `ARP with hlen ${hlen} plen ${plen} needs ${length} bytes, have ${buf.length}`);
    return null;
  }
  const htype = u16(buf, 0);
  const ptype = u16(buf, 2);
  if (htype === ARP_HTYPE_ETHERNET && hlen !== 6) {
    pushIssue(issues, 'malformed', 'arp', base + 4, `Ethernet ARP with hardware address length ${hlen}`);
  }
  if (ptype === ARP_PTYPE_IPV4 && plen !== 4) {
    pushIssue(issues, 'malformed', 'arp', base + 5, `IPv4 ARP with protocol address length ${plen}`);
  }
  let o = ARP_HEADER;
  const senderMac = hwString(buf, o, hlen);
  o += hlen;
  const senderIp = protoString(buf, o, plen);
  o += plen;
  const targetMac = hwString(buf, o, hlen);
  o += hlen;
  const targetIp = protoString(buf, o, plen);
  return { htype, ptype, hlen, plen, operation: u16(buf, 6), senderMac, senderIp, targetMac, targetIp, length };
}

export function arpLength(repr: ArpRepr): number {
  return ARP_HEADER + 2 * (repr.hlen + repr.plen);
}

function hwBytes(s: string, len: number): Uint8Array {
  return len === 6 && s.includes(':') ? macFromString(s) : fromHex(s);
}

function protoBytes(s: string, len: number): Uint8Array {
  return len === 4 && s.includes('.') ? ipv4FromString(s) : fromHex(s);
}

/** Writes the packet into `out` at `o`; returns the bytes written. */
export function emitArpInto(repr: ArpRepr, out: Uint8Array, o = 0): number {
  putU16(out, o, repr.htype);
  putU16(out, o + 2, repr.ptype);
  out[o + 4] = repr.hlen;
  out[o + 5] = repr.plen;
  putU16(out, o + 6, repr.operation);
  let p = o + ARP_HEADER;
  for (const [field, len, conv] of [
    [repr.senderMac, repr.hlen, hwBytes],
    [repr.senderIp, repr.plen, protoBytes],
    [repr.targetMac, repr.hlen, hwBytes],
    [repr.targetIp, repr.plen, protoBytes],
  ] as const) {
    const b = conv(field, len);
    out.fill(0, p, p + len);
    out.set(b.subarray(0, len), p);
    p += len;
  }
  return p - o;
}

export function emitArp(repr: ArpRepr): Uint8Array {
  const out = new Uint8Array(arpLength(repr));
  emitArpInto(repr, out);
  return out;
}

/** An Ethernet/IPv4 request or reply (the only kind pxecheck sends). */
export function ethernetIpv4Arp(
  operation: number,
  senderMac: string,
  senderIp: string,
  targetMac: string,
  targetIp: string,
): ArpRepr {
  return { htype: ARP_HTYPE_ETHERNET, ptype: ARP_PTYPE_IPV4, hlen: 6, plen: 4, operation, senderMac, senderIp, targetMac, targetIp };
}

/** The fields of an Ethernet/IPv4 ARP request or reply that say who asked for whom; IPv4
 *  addresses as 32-bit numbers. */
export interface ArpAddresses {
  operation: number;
  senderMac: string;
  targetMac: string;
  sender4: number;
  target4: number;
}

/** Reads an Ethernet/IPv4 request or reply at `o` into `out` (no packet object: for a decoder's
 *  hot path); false, `out` untouched, for another kind, operation or a cut packet. */
export function readEthernetIpv4Arp(b: Uint8Array, o: number, out: ArpAddresses): boolean {
  if (b.length < o + ARP_ETHERNET_IPV4_LENGTH || u16(b, o) !== ARP_HTYPE_ETHERNET || u16(b, o + 2) !== ARP_PTYPE_IPV4
    || b[o + 4] !== 6 || b[o + 5] !== 4) return false;
  const op = u16(b, o + 6);
  if (op !== ArpOperation.REQUEST && op !== ArpOperation.REPLY) return false;
  out.operation = op;
  out.senderMac = macToString(b, o + 8);
  out.sender4 = u32(b, o + 14);
  out.targetMac = macToString(b, o + 18);
  out.target4 = u32(b, o + 24);
  return true;
}
