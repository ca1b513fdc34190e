import { onesSum, putU16 } from './bytes.js';
import { finishChecksum, pseudoHeaderSum, type PseudoHeader } from './checksum.js';
import { IpProtocol } from './ip-protocol.js';
import {
  icmpLength, parseIcmpMessage, writeIcmpMessage, type IcmpEmitOptions, type IcmpPacket, type IcmpRepr, type IcmpTypeDef,
} from './icmp.js';
import type { WireIssue } from './issues.js';

/*
 * ICMPv6 (RFC 4443): the same 8-byte header as ICMPv4 (icmp.ts), but the checksum covers an IPv6
 * pseudo-header (RFC 8200 §8.1, next header 58), and types 0-127 are errors that quote the
 * invoking packet. Neighbour discovery bodies (types 133-137, RFC 4861) are decoded by ndp.ts;
 * MLD bodies (RFC 3810) only have a row in the table.
 */
export const Icmpv6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
} as const;

export const Icmpv6UnreachCode = {
  NO_ROUTE: 0,
  ADMIN_PROHIBITED: 1,
  BEYOND_SCOPE: 2,
  ADDRESS: 3,
  PORT: 4,
  POLICY: 5,
  REJECT_ROUTE: 6,
} as const;

const ICMPV6_TYPES: ReadonlyMap<number, IcmpTypeDef> = new Map<number, IcmpTypeDef>([
  [1, {
    name: 'destination unreachable', error: true,
    codes: [
      'no route to destination', 'communication administratively prohibited', 'beyond scope of source address',
      'address unreachable', 'port unreachable', 'source address failed ingress/egress policy',
      'reject route to destination', 'error in source routing header',
    ],
  }],
  [2, { name: 'packet too big', error: true }],
  [3, { name: 'time exceeded', error: true, codes: ['hop limit exceeded in transit', 'fragment reassembly time exceeded'] }],
  [4, { name: 'parameter problem', error: true, codes: ['erroneous header field', 'unrecognized next header', 'unrecognized IPv6 option'] }],
  [128, { name: 'echo request', error: false }],
  [129, { name: 'echo reply', error: false }],
  [130, { name: 'multicast listener query', error: false }],
  [131, { name: 'multicast listener report', error: false }],
  [132, { name: 'multicast listener done', error: false }],
  [133, { name: 'router solicitation', error: false }],
  [134, { name: 'router advertisement', error: false }],
  [135, { name: 'neighbor solicitation', error: false }],
  [136, { name: 'neighbor advertisement', error: false }],
  [137, { name: 'redirect', error: false }],
  [143, { name: 'multicast listener report v2', error: false }],
]);

/** RFC 4443 §2.1: types 0-127 are error messages (unknown ones included). */
export function isIcmpv6Error(type: number): boolean {
  return type >= 0 && type < 128;
}

export function icmpv6TypeName(type: number): string | null {
  return ICMPV6_TYPES.get(type)?.name ?? null;
}

export function icmpv6CodeName(type: number, code: number): string | null {
  return ICMPV6_TYPES.get(type)?.codes?.[code] ?? null;
}

/** An ICMPv6 message; for error types the quoted packet is read too. Never throws. */
export function parseIcmpv6(buf: Uint8Array, issues: WireIssue[], base = 0): IcmpPacket | null {
  const type = buf.length > 0 ? buf[0]! : -1;
  return parseIcmpMessage(buf, issues, base, 'icmpv6', isIcmpv6Error(type) ? 6 : null);
}

function pseudoSum(pseudo: PseudoHeader, length: number): number {
  return pseudoHeaderSum(pseudo.src, pseudo.dst, IpProtocol.ICMPV6, length);
}

/** Verifies the checksum of a whole message against the enclosing IPv6 addresses. */
export function icmpv6ChecksumOk(message: Uint8Array, pseudo: PseudoHeader): boolean {
  return onesSum(message, pseudoSum(pseudo, message.length)) === 0xffff;
}

/** Computes and writes bytes 2-3 of a whole message (its checksum field is read as zero). */
export function writeIcmpv6Checksum(message: Uint8Array, pseudo: PseudoHeader): void {
  putU16(message, 2, 0);
  putU16(message, 2, finishChecksum(onesSum(message, pseudoSum(pseudo, message.length))));
}

export const icmpv6Length = icmpLength;

export function emitIcmpv6(repr: IcmpRepr, pseudo: PseudoHeader, opts: IcmpEmitOptions = {}): Uint8Array {
  const out = new Uint8Array(icmpLength(repr));
  writeIcmpMessage(repr, out, 0, pseudoSum(pseudo, out.length), opts);
  return out;
}
