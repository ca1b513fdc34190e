import { ipv4ToString, ipv6ToString, onesSum, putU16, putU32, u16, u32 } from './bytes.js';
import { finishChecksum } from './checksum.js';
import { IpProtocol } from './ip-protocol.js';
import { walkIpv6Extensions, IPV6_HEADER } from './ipv6.js';
import { IPV4_MIN_HEADER } from './ipv4.js';
import { pushIssue, type WireIssue } from './issues.js';

/*
 * ICMP header (RFC 792; ICMPv6 RFC 4443 §2.1 has the same first 8 bytes), byte ranges:
 *  0 type   1 code   2-3 checksum   4-7 rest of header (unused / pointer / gateway / MTU / id+seq)
 *  8.. body. Error messages (destination unreachable, time exceeded, ...) carry in the body the
 *  IP header of the datagram that caused them plus at least its first 8 bytes (RFC 792; RFC 1812
 *  §4.3.2.3 and RFC 4443 allow more, up to 576 / 1280 bytes).
 */
export const ICMP_HEADER = 8;
/** How many bytes of the original datagram past its IP header RFC 792 promises (the UDP header). */
export const ICMP_QUOTED_DATA = 8;

export const IcmpType = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

/** Destination-unreachable codes (RFC 792, RFC 1122, RFC 1812). */
export const IcmpUnreachCode = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAG_NEEDED: 4,
  NET_PROHIBITED: 9,
  HOST_PROHIBITED: 10,
  ADMIN_PROHIBITED: 13,
} as const;

/** One row of an ICMP types table: a name, whether it is an error (quotes a datagram), code names
 *  indexed by code. Unknown types and codes are kept as numbers by the callers. */
export interface IcmpTypeDef {
  name: string;
  error: boolean;
  codes?: readonly string[];
}

const ICMP_TYPES: ReadonlyMap<number, IcmpTypeDef> = new Map<number, IcmpTypeDef>([
  [0, { name: 'echo reply', error: false }],
  [3, {
    name: 'destination unreachable', error: true,
    codes: [
      'network unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable',
      'fragmentation needed', 'source route failed', 'destination network unknown', 'destination host unknown',
      'source host isolated', 'network administratively prohibited', 'host administratively prohibited',
      'network unreachable for TOS', 'host unreachable for TOS', 'communication administratively prohibited',
      'host precedence violation', 'precedence cutoff in effect',
    ],
  }],
  [4, { name: 'source quench', error: true }],
  [5, { name: 'redirect', error: true, codes: ['redirect for network', 'redirect for host', 'redirect for TOS and network', 'redirect for TOS and host'] }],
  [8, { name: 'echo request', error: false }],
  [9, { name: 'router advertisement', error: false }],
  [10, { name: 'router solicitation', error: false }],
  [11, { name: 'time exceeded', error: true, codes: ['TTL exceeded in transit', 'fragment reassembly time exceeded'] }],
  [12, { name: 'parameter problem', error: true, codes: ['pointer indicates the error', 'missing a required option', 'bad length'] }],
  [13, { name: 'timestamp', error: false }],
  [14, { name: 'timestamp reply', error: false }],
]);

/** Does this ICMPv4 type quote the datagram that caused it? */
export function isIcmpError(type: number): boolean {
  return ICMP_TYPES.get(type)?.error ?? false;
}

export function icmpTypeName(type: number): string | null {
  return ICMP_TYPES.get(type)?.name ?? null;
}

export function icmpCodeName(type: number, code: number): string | null {
  return ICMP_TYPES.get(type)?.codes?.[code] ?? null;
}

/** What an error message says about the datagram it answers. Ports are null when the quote does
 *  not reach them, or for protocols without ports. */
export interface IcmpQuoted {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  /** Upper-layer protocol of the original datagram (after IPv6 extension headers). */
  protocol: number;
  srcPort: number | null;
  dstPort: number | null;
  /** Bytes of the original datagram the message holds (its IP header included). */
  length: number;
}

export interface IcmpRepr {
  type: number;
  code: number;
  /** Bytes 4-7 as one number: unused (0), pointer, gateway, MTU or identifier + sequence. */
  rest: number;
  /** Everything after the 8-byte header, emitted verbatim (for errors: the quoted datagram). */
  body: Uint8Array;
  /** Used by emit only when `computeChecksum` is false. */
  checksum?: number;
}

export interface IcmpPacket extends IcmpRepr {
  checksum: number;
  /** The quoted datagram of an error message; null for other types or when unreadable. */
  quoted: IcmpQuoted | null;
  /** base + 8: where `body` starts. */
  bodyOffset: number;
}

export interface IcmpEmitOptions {
  /** Compute the checksum (default true); false writes `repr.checksum ?? 0`. */
  computeChecksum?: boolean;
}

/**
 * The 8-byte header shared by ICMPv4 and ICMPv6, and the quote of an error message (`quotes`:
 * the IP version of the quoted header, or null for non-error types). For icmpv6.ts.
 */
export function parseIcmpMessage(
  buf: Uint8Array, issues: WireIssue[], base: number, layer: string, quotes: 4 | 6 | null,
): IcmpPacket | null {
  if (buf.length < ICMP_HEADER) {
    pushIssue(issues, 'truncated', layer, base + buf.length, `${layer.toUpperCase()} header needs ${ICMP_HEADER} bytes, have ${buf.length}`);
    return null;
  }
  const body = buf.subarray(ICMP_HEADER);
  const bodyOffset = base + ICMP_HEADER;
  let quoted: IcmpQuoted | null = null;
  if (quotes === 4) quoted = parseQuotedIpv4(body, issues, bodyOffset, layer);
  else if (quotes === 6) quoted = parseQuotedIpv6(body, issues, bodyOffset, layer);
  return { type: buf[0]!, code: buf[1]!, checksum: u16(buf, 2), rest: u32(buf, 4), body, bodyOffset, quoted };
}

/** Ports of UDP, TCP, SCTP and DCCP headers are their first 4 bytes. */
function hasPorts(protocol: number): boolean {
  return protocol === IpProtocol.UDP || protocol === IpProtocol.TCP || protocol === 132 || protocol === 33;
}

/** The quoted header only: the quoted datagram is cut short by design, so its own length fields
 *  are not checked against what is there. */
function parseQuotedIpv4(b: Uint8Array, issues: WireIssue[], base: number, layer: string): IcmpQuoted | null {
  if (b.length < IPV4_MIN_HEADER) {
    pushIssue(issues, 'truncated', layer, base + b.length, `quoted IPv4 header needs ${IPV4_MIN_HEADER} bytes, have ${b.length}`);
    return null;
  }
  const version = b[0]! >> 4;
  const hl = (b[0]! & 0x0f) * 4;
  if (version !== 4 || hl < IPV4_MIN_HEADER) {
    pushIssue(issues, 'malformed', layer, base, `quoted datagram is not an IPv4 header (version ${version}, header length ${hl})`);
    return null;
  }
  if (b.length < hl) {
    pushIssue(issues, 'truncated', layer, base + b.length, `quoted IPv4 header with options needs ${hl} bytes, have ${b.length}`);
    return null;
  }
  const protocol = b[9]!;
  const firstFragment = (u16(b, 6) & 0x1fff) === 0;
  return quotedPorts(b, hl, firstFragment, issues, base, layer, {
    ipVersion: 4, src: ipv4ToString(b, 12), dst: ipv4ToString(b, 16), protocol, srcPort: null, dstPort: null, length: b.length,
  });
}

function parseQuotedIpv6(b: Uint8Array, issues: WireIssue[], base: number, layer: string): IcmpQuoted | null {
  if (b.length < IPV6_HEADER) {
    pushIssue(issues, 'truncated', layer, base + b.length, `quoted IPv6 header needs ${IPV6_HEADER} bytes, have ${b.length}`);
    return null;
  }
  const version = b[0]! >> 4;
  if (version !== 6) {
    pushIssue(issues, 'malformed', layer, base, `quoted datagram is not an IPv6 header (version ${version})`);
    return null;
  }
  // Problems inside the quoted extension headers belong to the original datagram, not to us.
  const walk = walkIpv6Extensions(b.subarray(IPV6_HEADER), b[6]!, [], [], base + IPV6_HEADER);
  const firstFragment = walk.fragment === undefined || walk.fragment.offset === 0;
  return quotedPorts(b, IPV6_HEADER + walk.end, firstFragment, issues, base, layer, {
    ipVersion: 6, src: ipv6ToString(b, 8), dst: ipv6ToString(b, 24), protocol: walk.nextHeader, srcPort: null, dstPort: null, length: b.length,
  });
}

function quotedPorts(
  b: Uint8Array, hl: number, firstFragment: boolean, issues: WireIssue[], base: number, layer: string, q: IcmpQuoted,
): IcmpQuoted {
  if (b.length < hl + ICMP_QUOTED_DATA) {
    pushIssue(issues, 'truncated', layer, base + b.length,
      `quoted datagram holds ${Math.max(0, b.length - hl)} of the ${ICMP_QUOTED_DATA} bytes past its IP header`);
  }
  if (firstFragment && hasPorts(q.protocol) && b.length >= hl + 4) {
    q.srcPort = u16(b, hl);
    q.dstPort = u16(b, hl + 2);
  }
  return q;
}

/** An ICMPv4 message; for error types the quoted datagram is read too. Never throws. */
export function parseIcmp(buf: Uint8Array, issues: WireIssue[], base = 0): IcmpPacket | null {
  const type = buf.length > 0 ? buf[0]! : -1;
  return parseIcmpMessage(buf, issues, base, 'icmp', isIcmpError(type) ? 4 : null);
}

/** RFC 792: the checksum covers the ICMP message only (no pseudo-header). Needs the whole message. */
export function icmpChecksumOk(message: Uint8Array): boolean {
  return onesSum(message) === 0xffff;
}

export function icmpLength(repr: IcmpRepr): number {
  return ICMP_HEADER + repr.body.length;
}

/** Writes header + body into `out` at `offset` with the checksum seeded by `sum` (0 for ICMPv4,
 *  the pseudo-header sum for ICMPv6); returns the length written. */
export function writeIcmpMessage(repr: IcmpRepr, out: Uint8Array, offset: number, sum: number, opts: IcmpEmitOptions = {}): number {
  const len = icmpLength(repr);
  const m = out.subarray(offset, offset + len);
  m[0] = repr.type & 0xff;
  m[1] = repr.code & 0xff;
  putU16(m, 2, 0);
  putU32(m, 4, repr.rest >>> 0);
  m.set(repr.body, ICMP_HEADER);
  putU16(m, 2, opts.computeChecksum === false ? (repr.checksum ?? 0) : finishChecksum(onesSum(m, sum)));
  return len;
}

export function emitIcmp(repr: IcmpRepr, opts: IcmpEmitOptions = {}): Uint8Array {
  const out = new Uint8Array(icmpLength(repr));
  writeIcmpMessage(repr, out, 0, 0, opts);
  return out;
}
