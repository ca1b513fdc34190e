/**
 * ERSPAN (Cisco's Encapsulated Remote SPAN; draft-foschiano-erspan, Linux `ip link … type erspan`),
 * the header after GRE. Type I (GRE type 0x88BE with no sequence number) has no header: the
 * mirrored Ethernet frame follows GRE. Type II (0x88BE, version 1) and type III (0x22EB, version 2):
 *
 *   0..2  Ver(4) VLAN(12)
 *   2..4  COS(3) En/BSO(2) T(1) Session ID(10)
 *   II:   4..8 Reserved(12) Index(20)                                          — 8 bytes
 *   III:  4..8 Timestamp | 8..10 SGT | 10 P(1) FT(5) HW ID high(2) | 11 HW ID low(4) D(1) Gra(2) O(1)
 *         [O: 8-byte platform-specific sub-header]                              — 12 or 20 bytes
 *
 * T: the switch truncated the mirrored frame (its mirror MTU); the frame's own lengths then say
 * more than the bytes hold. Type III FT 0 is Ethernet; other frame types are not supported.
 */
import { putU16, putU32, u16, u32 } from './bytes.js';
import { pushIssue, type WireIssue } from './issues.js';

export const ERSPAN2_HEADER = 8;
export const ERSPAN3_HEADER = 12;
export const ERSPAN3_PLATFORM_HEADER = 8;
const VERSION_2 = 1;
const VERSION_3 = 2;
const FRAME_TYPE_ETHERNET = 0;

export interface ErspanRepr {
  /** 2 or 3. */
  type: 2 | 3;
  vlan: number;
  cos: number;
  /** Type II: trunk encapsulation (En); type III: bad/short frame status (BSO). */
  encap: number;
  truncated: boolean;
  session: number;
  /** Type II. */
  index?: number;
  /** Type III. */
  timestamp?: number;
  sgt?: number;
  /** Type III byte 10 and 11 as read, O bit included (P, FT, hardware id, direction, granularity). */
  flags?: number;
  /** Type III with the O bit: the platform-specific sub-header (8 bytes). */
  platform?: Uint8Array | null;
}

export interface ErspanHeader extends ErspanRepr {
  headerLength: number;
  payload: Uint8Array;
  payloadOffset: number;
}

export function erspanHeaderLength(repr: Pick<ErspanRepr, 'type' | 'flags'>): number {
  if (repr.type === 2) return ERSPAN2_HEADER;
  return ERSPAN3_HEADER + ((repr.flags ?? 0) & 1 ? ERSPAN3_PLATFORM_HEADER : 0);
}

/** Parses a type II (`type` 2) or III header; null (with an issue) when no frame can be found. */
export function parseErspan(type: 2 | 3, buf: Uint8Array, issues: WireIssue[], base = 0): ErspanHeader | null {
  const min = type === 2 ? ERSPAN2_HEADER : ERSPAN3_HEADER;
  if (buf.length < min) {
    pushIssue(issues, 'truncated', 'erspan', base + buf.length, `ERSPAN type ${type === 2 ? 'II' : 'III'} header needs ${min} bytes, have ${buf.length}`);
    return null;
  }
  const version = buf[0]! >> 4;
  const want = type === 2 ? VERSION_2 : VERSION_3;
  if (version !== want) {
    pushIssue(issues, 'malformed', 'erspan', base, `ERSPAN type ${type === 2 ? 'II' : 'III'} header has version ${version}, expected ${want}`);
    return null;
  }
  const w = u16(buf, 2);
  const head = { type, vlan: u16(buf, 0) & 0x0fff, cos: w >> 13, encap: (w >> 11) & 3, truncated: (w & 0x0400) !== 0, session: w & 0x03ff };
  if (type === 2) {
    return { ...head, index: u32(buf, 4) & 0xfffff, headerLength: min, payload: buf.subarray(min), payloadOffset: base + min };
  }
  const flags = u16(buf, 10);
  const headerLength = erspanHeaderLength({ type, flags });
  if (buf.length < headerLength) {
    pushIssue(issues, 'truncated', 'erspan', base + buf.length, `ERSPAN type III platform sub-header needs ${headerLength} bytes, have ${buf.length}`);
    return null;
  }
  const frameType = (flags >> 10) & 0x1f;
  if (frameType !== FRAME_TYPE_ETHERNET) {
    pushIssue(issues, 'unsupported', 'erspan', base + 10, `ERSPAN type III frame type ${frameType} is not supported (only Ethernet, 0)`);
    return null;
  }
  return {
    ...head, timestamp: u32(buf, 4), sgt: u16(buf, 8), flags,
    platform: headerLength > ERSPAN3_HEADER ? buf.subarray(ERSPAN3_HEADER, headerLength) : null,
    headerLength, payload: buf.subarray(headerLength), payloadOffset: base + headerLength,
  };
}

export function emitErspan(repr: ErspanRepr, payload: Uint8Array): Uint8Array {
  const headerLength = erspanHeaderLength(repr);
  const out = new Uint8Array(headerLength + payload.length);
  putU16(out, 0, ((repr.type === 2 ? VERSION_2 : VERSION_3) << 12) | (repr.vlan & 0x0fff));
  putU16(out, 2, ((repr.cos & 7) << 13) | ((repr.encap & 3) << 11) | (repr.truncated ? 0x0400 : 0) | (repr.session & 0x03ff));
  if (repr.type === 2) putU32(out, 4, (repr.index ?? 0) & 0xfffff);
  else {
    putU32(out, 4, repr.timestamp ?? 0);
    putU16(out, 8, repr.sgt ?? 0);
    putU16(out, 10, repr.flags ?? 0);
    if (repr.platform) out.set(repr.platform.subarray(0, ERSPAN3_PLATFORM_HEADER), ERSPAN3_HEADER);
  }
  out.set(payload, headerLength);
  return out;
}
