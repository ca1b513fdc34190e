import { ipv6FromString, ipv6ToString, putU16, putU32, u16, u32 } from './bytes.js';
import type { PseudoHeader } from './checksum.js';
import type { IcmpEmitOptions } from './icmp.js';
import { Icmpv6Type, writeIcmpv6Checksum } from './icmpv6.js';
import { pushIssue, type WireIssue } from './issues.js';
import {
  emptyNdpOptions, ndpOptionsLength, parseNdpOptions, preferenceBits, preferenceFromBits, writeNdpOptions,
  type NdpOptions, type RouterPreference,
} from './ndp-options.js';

export {
  emptyNdpOptions, ndpOptionName, NdpOptionType, isStructuredNdpOption, DEFAULT_DNS_LIFETIME, preferenceFromBits, preferenceBits,
  type NdpOption, type NdpOptions, type NdpPrefixInfo, type NdpRouteInfo, type RouterPreference,
} from './ndp-options.js';

/*
 * Neighbour Discovery messages (RFC 4861 §4; router preference RFC 4191 §2.2), byte ranges of the
 * whole ICMPv6 message (0 type, 1 code = 0, 2-3 checksum):
 *  133 RS        4-7 reserved                                                      options @8
 *  134 RA        4 cur hop limit  5 flags M=0x80 O=0x40 H=0x20 Prf=0x18 P=0x04
 *                6-7 router lifetime  8-11 reachable time  12-15 retrans timer     options @16
 *  135 NS        4-7 reserved  8-23 target                                         options @24
 *  136 NA        4 flags R=0x80 S=0x40 O=0x20, 5-7 reserved  8-23 target           options @24
 *  137 Redirect  4-7 reserved  8-23 target  24-39 destination                      options @40
 * Reserved bits are ignored on receipt and written as zero.
 */

export interface RouterSolicitation { kind: 'rs'; options: NdpOptions }
export interface RouterAdvert {
  kind: 'ra'; curHopLimit: number; managed: boolean; other: boolean; homeAgent: boolean;
  preference: RouterPreference; proxy: boolean; routerLifetime: number; reachableTime: number; retransTimer: number;
  options: NdpOptions;
}
export interface NeighborSolicitation { kind: 'ns'; target: string; options: NdpOptions }
export interface NeighborAdvert { kind: 'na'; router: boolean; solicited: boolean; override: boolean; target: string; options: NdpOptions }
export interface Redirect { kind: 'redirect'; target: string; destination: string; options: NdpOptions }
export type NdpMessage = RouterSolicitation | RouterAdvert | NeighborSolicitation | NeighborAdvert | Redirect;
export type NdpKind = NdpMessage['kind'];

const LAYER = 'ndp';

/** Where the options start (= the minimum length) per ICMPv6 type. */
const OPTIONS_AT: ReadonlyMap<number, number> = new Map([[133, 8], [134, 16], [135, 24], [136, 24], [137, 40]]);
const TYPE_OF: Readonly<Record<NdpKind, number>> = {
  rs: Icmpv6Type.ROUTER_SOLICITATION, ra: Icmpv6Type.ROUTER_ADVERTISEMENT, ns: Icmpv6Type.NEIGHBOR_SOLICITATION,
  na: Icmpv6Type.NEIGHBOR_ADVERTISEMENT, redirect: Icmpv6Type.REDIRECT,
};

/** Whether this ICMPv6 type is one of the five ND messages. */
export function isNdpType(type: number): boolean {
  return OPTIONS_AT.has(type);
}

export function ndpIcmpType(kind: NdpKind): number {
  return TYPE_OF[kind];
}

/** Whole ICMPv6 message (type, code, checksum, body). Null when the type is not ND or too short; never throws; issues with byte offsets (base added). */
export function parseNdp(icmp: Uint8Array, issues: WireIssue[], base = 0): NdpMessage | null {
  if (icmp.length === 0) return null;
  const type = icmp[0]!;
  const at = OPTIONS_AT.get(type);
  if (at === undefined) return null;
  if (icmp.length < at) {
    pushIssue(issues, 'truncated', LAYER, base + icmp.length, `ICMPv6 type ${type} needs ${at} bytes before its options, have ${icmp.length}`);
    return null;
  }
  if (icmp[1] !== 0) pushIssue(issues, 'malformed', LAYER, base + 1, `ICMPv6 code ${icmp[1]} on type ${type}: must be 0 (RFC 4861)`);
  const options = parseNdpOptions(icmp, at, issues, base);
  switch (type) {
    case 133: return { kind: 'rs', options };
    case 134: {
      const f = icmp[5]!;
      return {
        kind: 'ra', curHopLimit: icmp[4]!, managed: (f & 0x80) !== 0, other: (f & 0x40) !== 0, homeAgent: (f & 0x20) !== 0,
        preference: preferenceFromBits(f >> 3), proxy: (f & 0x04) !== 0,
        routerLifetime: u16(icmp, 6), reachableTime: u32(icmp, 8), retransTimer: u32(icmp, 12), options,
      };
    }
    case 135:
      notMulticast(icmp, 8, 'neighbor solicitation target', '§7.1.1', issues, base);
      return { kind: 'ns', target: ipv6ToString(icmp, 8), options };
    case 136: {
      const f = icmp[4]!;
      notMulticast(icmp, 8, 'neighbor advertisement target', '§7.1.2', issues, base);
      return { kind: 'na', router: (f & 0x80) !== 0, solicited: (f & 0x40) !== 0, override: (f & 0x20) !== 0, target: ipv6ToString(icmp, 8), options };
    }
    default:
      notMulticast(icmp, 24, 'redirect destination', '§8.1', issues, base);
      return { kind: 'redirect', target: ipv6ToString(icmp, 8), destination: ipv6ToString(icmp, 24), options };
  }
}

function notMulticast(b: Uint8Array, o: number, what: string, section: string, issues: WireIssue[], base: number): void {
  if (b[o] === 0xff) pushIssue(issues, 'malformed', LAYER, base + o, `${what} ${ipv6ToString(b, o)} is multicast (RFC 4861 ${section})`);
}

/** What the IP header must say about an ND message (RFC 4861 §6.1, §7.1, §8.1), checked by the
 *  caller that has it. `base` is the offset of the IPv6 header; issues point at its fields. */
export interface NdpIpHeader { src: Uint8Array; dst: Uint8Array; hopLimit: number }

export function checkNdpIpHeader(m: NdpMessage, ip: NdpIpHeader, issues: WireIssue[], base: number): void {
  if (ip.hopLimit !== 255) {
    pushIssue(issues, 'malformed', LAYER, base + 7, `hop limit ${ip.hopLimit} on a ${ndpName(m.kind)}: must be 255 (RFC 4861), the message may come from off-link`);
  }
  const linkLocal = ip.src[0] === 0xfe && (ip.src[1]! & 0xc0) === 0x80;
  if ((m.kind === 'ra' || m.kind === 'redirect') && !linkLocal) {
    pushIssue(issues, 'malformed', LAYER, base + 8, `${ndpName(m.kind)} from ${ipv6ToString(ip.src)}: the source must be link-local (RFC 4861 ${m.kind === 'ra' ? '§6.1.2' : '§8.1'})`);
  }
  const unspecified = ip.src.every((b) => b === 0);
  if (unspecified && m.options.sourceLinkAddr !== null && (m.kind === 'ns' || m.kind === 'rs')) {
    pushIssue(issues, 'malformed', LAYER, base + 8, `${ndpName(m.kind)} from :: carries a source link-layer address (RFC 4861 ${m.kind === 'ns' ? '§7.1.1' : '§6.1.1'})`);
  }
  if (m.kind === 'na' && m.solicited && ip.dst[0] === 0xff) {
    pushIssue(issues, 'malformed', LAYER, base + 24, `solicited neighbor advertisement to multicast ${ipv6ToString(ip.dst)} (RFC 4861 §7.1.2)`);
  }
}

const NAMES: Readonly<Record<NdpKind, string>> = {
  rs: 'Router Solicitation', ra: 'Router Advertisement', ns: 'Neighbor Solicitation', na: 'Neighbor Advertisement', redirect: 'Redirect',
};

/** "Router Advertisement", ... (tshark's wording). */
export function ndpName(kind: NdpKind): string {
  return NAMES[kind];
}

export function ndpLength(m: NdpMessage): number {
  return OPTIONS_AT.get(TYPE_OF[m.kind])! + ndpOptionsLength(m.options);
}

/** Whole ICMPv6 message with a correct checksum for the pseudo-header (`opts.computeChecksum:
 *  false` leaves it zero, for negative tests). */
export function emitNdp(m: NdpMessage, pseudo: PseudoHeader, opts: IcmpEmitOptions = {}): Uint8Array {
  const out = new Uint8Array(ndpLength(m));
  writeNdp(m, out, 0, opts.computeChecksum === false ? null : pseudo);
  return out;
}

/** Writes the whole message at `offset` of `out` (every byte of it); the checksum is computed
 *  when `pseudo` is given, else written as 0. Returns the length written. */
export function writeNdp(m: NdpMessage, out: Uint8Array, offset: number, pseudo: PseudoHeader | null): number {
  const len = ndpLength(m);
  const b = out.subarray(offset, offset + len);
  b[0] = TYPE_OF[m.kind];
  b[1] = 0;
  putU16(b, 2, 0);
  putU32(b, 4, 0);
  let at: number;
  switch (m.kind) {
    case 'rs': at = 8; break;
    case 'ra':
      b[4] = m.curHopLimit & 0xff;
      b[5] = (m.managed ? 0x80 : 0) | (m.other ? 0x40 : 0) | (m.homeAgent ? 0x20 : 0) | (preferenceBits(m.preference) << 3) | (m.proxy ? 0x04 : 0);
      putU16(b, 6, m.routerLifetime);
      putU32(b, 8, m.reachableTime >>> 0);
      putU32(b, 12, m.retransTimer >>> 0);
      at = 16;
      break;
    case 'ns':
      b.set(ipv6FromString(m.target), 8);
      at = 24;
      break;
    case 'na':
      b[4] = (m.router ? 0x80 : 0) | (m.solicited ? 0x40 : 0) | (m.override ? 0x20 : 0);
      b.set(ipv6FromString(m.target), 8);
      at = 24;
      break;
    case 'redirect':
      b.set(ipv6FromString(m.target), 8);
      b.set(ipv6FromString(m.destination), 24);
      at = 40;
      break;
  }
  writeNdpOptions(m.options, b, at);
  if (pseudo) writeIcmpv6Checksum(b, pseudo);
  return len;
}

/** A fresh options object with only the given fields set (the rest empty). */
export function ndpOptions(fields: Partial<NdpOptions>): NdpOptions {
  return { ...emptyNdpOptions(), ...fields };
}
