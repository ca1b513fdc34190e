import { ipv6FromString, ipv6ToString, putU16, putU32, u16, u32 } from './bytes.js';
import { IpProtocol } from './ip-protocol.js';
import { pushIssue, type WireIssue } from './issues.js';

/*
 * IPv6 fixed header (RFC 8200 §3), byte ranges:
 *  0-3   version(4) traffic class(8) flow label(20)
 *  4-5   payload length   6 next header   7 hop limit
 *  8-23  source   24-39 destination
 * Fragment header (§4.5): 0 next header, 1 reserved, 2-3 offset(13, units of 8) res(2) M(1),
 *  4-7 identification.
 */
export const IPV6_HEADER = 40;
export const IPV6_FRAGMENT_HEADER = 8;

export interface Ipv6Extension {
  type: number;
  /** base-relative offset of the extension header. */
  offset: number;
  length: number;
}

export interface Ipv6Fragment {
  /** In bytes (the wire field times 8). */
  offset: number;
  more: boolean;
  identification: number;
}

export interface Ipv6Repr {
  trafficClass: number;
  flowLabel: number;
  hopLimit: number;
  /** The upper-layer protocol (after any extension headers). */
  nextHeader: number;
  src: string;
  dst: string;
  /** Emit a Fragment header carrying `nextHeader` (ignored when `extensionBytes` is given). */
  fragment?: Ipv6Fragment;
  /** Raw extension headers, emitted verbatim; the fixed header then carries `headerNextHeader`. */
  extensionBytes?: Uint8Array;
  headerNextHeader?: number;
  /** Used by emit only when `fixLength` is false. */
  payloadLength?: number;
}

export interface Ipv6Packet extends Ipv6Repr {
  version: number;
  payloadLength: number;
  /** The next-header field of the fixed header. */
  headerNextHeader: number;
  srcBytes: Uint8Array;
  dstBytes: Uint8Array;
  extensions: Ipv6Extension[];
  /** View of everything between the fixed header and the payload. */
  extensionBytes: Uint8Array;
  /** Cut to 40 + payloadLength; shorter when truncated. For a fragment: the fragment data. */
  payload: Uint8Array;
  payloadOffset: number;
}

export interface Ipv6EmitOptions {
  /** Write the real payload length (default true); false writes `repr.payloadLength ?? computed`. */
  fixLength?: boolean;
}

export interface Ipv6ExtensionWalk {
  nextHeader: number;
  /** Local offset where the upper-layer payload starts. */
  end: number;
  fragment?: Ipv6Fragment;
}

/**
 * Walks extension headers in `buf` starting with header type `first`; stops at an upper-layer
 * protocol, ESP, AH, No Next Header, an unknown type, or after a Fragment header (what follows a
 * fragment header is fragment data until reassembled). Exported so reassembled payloads can be
 * walked too.
 */
export function walkIpv6Extensions(
  buf: Uint8Array,
  first: number,
  extensions: Ipv6Extension[],
  issues: WireIssue[],
  base = 0,
): Ipv6ExtensionWalk {
  let nh = first;
  let o = 0;
  for (;;) {
    if (nh === IpProtocol.HOPOPT || nh === IpProtocol.IPV6_ROUTE || nh === IpProtocol.IPV6_OPTS) {
      if (buf.length < o + 2) {
        pushIssue(issues, 'truncated', 'ipv6', base + buf.length, `extension header ${nh} cut short`);
        return { nextHeader: nh, end: buf.length };
      }
      const len = (buf[o + 1]! + 1) * 8;
      if (buf.length < o + len) {
        pushIssue(issues, 'truncated', 'ipv6', base + buf.length, `extension header ${nh} needs ${len} bytes`);
        return { nextHeader: nh, end: buf.length };
      }
      extensions.push({ type: nh, offset: base + o, length: len });
      nh = buf[o]!;
      o += len;
      continue;
    }
    if (nh === IpProtocol.IPV6_FRAG) {
      if (buf.length < o + IPV6_FRAGMENT_HEADER) {
        pushIssue(issues, 'truncated', 'ipv6', base + buf.length, 'fragment header cut short');
        return { nextHeader: nh, end: buf.length };
      }
      extensions.push({ type: nh, offset: base + o, length: IPV6_FRAGMENT_HEADER });
      const w = u16(buf, o + 2);
      const fragment: Ipv6Fragment = {
        offset: w & 0xfff8,
        more: (w & 1) !== 0,
        identification: u32(buf, o + 4),
      };
      return { nextHeader: buf[o]!, end: o + IPV6_FRAGMENT_HEADER, fragment };
    }
    return { nextHeader: nh, end: o };
  }
}

export function parseIpv6(buf: Uint8Array, issues: WireIssue[], base = 0): Ipv6Packet | null {
  if (buf.length < IPV6_HEADER) {
    pushIssue(issues, 'truncated', 'ipv6', base + buf.length, `IPv6 header needs 40 bytes, have ${buf.length}`);
    return null;
  }
  const version = buf[0]! >> 4;
  if (version !== 6) {
    pushIssue(issues, 'malformed', 'ipv6', base, `IP version ${version}, expected 6`);
    return null;
  }
  const w0 = u32(buf, 0);
  const payloadLength = u16(buf, 4);
  const headerNextHeader = buf[6]!;
  let end = IPV6_HEADER + payloadLength;
  if (end > buf.length) {
    pushIssue(issues, 'truncated', 'ipv6', base + buf.length, `payload length ${payloadLength}, only ${buf.length - IPV6_HEADER} bytes captured`);
    end = buf.length;
  }
  const body = buf.subarray(IPV6_HEADER, end);
  const extensions: Ipv6Extension[] = [];
  const walk = walkIpv6Extensions(body, headerNextHeader, extensions, issues, base + IPV6_HEADER);
  const pkt: Ipv6Packet = {
    version,
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength,
    headerNextHeader,
    nextHeader: walk.nextHeader,
    hopLimit: buf[7]!,
    src: ipv6ToString(buf, 8),
    dst: ipv6ToString(buf, 24),
    srcBytes: buf.subarray(8, 24),
    dstBytes: buf.subarray(24, 40),
    extensions,
    extensionBytes: body.subarray(0, walk.end),
    payload: body.subarray(walk.end),
    payloadOffset: base + IPV6_HEADER + walk.end,
  };
  if (walk.fragment) pkt.fragment = walk.fragment;
  return pkt;
}

function extensionLength(repr: Ipv6Repr): number {
  if (repr.extensionBytes) return repr.extensionBytes.length;
  return repr.fragment ? IPV6_FRAGMENT_HEADER : 0;
}

/** Fixed header plus extension bytes (verbatim, or a Fragment header). */
export function ipv6HeaderLength(repr: Ipv6Repr): number {
  return IPV6_HEADER + extensionLength(repr);
}

/** Writes the fixed header and extension headers into `out` at `offset`; returns their length. */
export function writeIpv6Header(
  repr: Ipv6Repr,
  payloadLength: number,
  out: Uint8Array,
  offset = 0,
  opts: Ipv6EmitOptions = {},
): number {
  const ext = extensionLength(repr);
  const h = out.subarray(offset, offset + IPV6_HEADER + ext);
  putU32(h, 0, ((6 << 28) | ((repr.trafficClass & 0xff) << 20) | (repr.flowLabel & 0xfffff)) >>> 0);
  const len = opts.fixLength === false ? (repr.payloadLength ?? ext + payloadLength) : ext + payloadLength;
  putU16(h, 4, len);
  h[7] = repr.hopLimit;
  h.set(ipv6FromString(repr.src), 8);
  h.set(ipv6FromString(repr.dst), 24);
  if (repr.extensionBytes) {
    h[6] = repr.headerNextHeader ?? repr.nextHeader;
    h.set(repr.extensionBytes, IPV6_HEADER);
  } else if (repr.fragment) {
    const f = repr.fragment;
    h[6] = IpProtocol.IPV6_FRAG;
    h[40] = repr.nextHeader;
    h[41] = 0;
    putU16(h, 42, (f.offset & 0xfff8) | (f.more ? 1 : 0));
    putU32(h, 44, f.identification);
  } else {
    h[6] = repr.nextHeader;
  }
  return IPV6_HEADER + ext;
}

export function emitIpv6(repr: Ipv6Repr, payload: Uint8Array, opts: Ipv6EmitOptions = {}): Uint8Array {
  const hl = ipv6HeaderLength(repr);
  const out = new Uint8Array(hl + payload.length);
  writeIpv6Header(repr, payload.length, out, 0, opts);
  out.set(payload, hl);
  return out;
}
