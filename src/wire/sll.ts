/**
 * Linux "cooked" capture headers (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, _SLL2.html).
 *
 * SLL  (16): 0 packet type(2) | 2 ARPHRD type(2) | 4 addr len(2) | 6 addr(8) | 14 protocol(2)
 * SLL2 (20): 0 protocol(2) | 2 reserved(2) | 4 ifindex(4) | 8 ARPHRD type(2) | 10 packet type(1)
 *            | 11 addr len(1) | 12 addr(8)
 */
import { putU16, putU32, u16, u32 } from './bytes.js';
import { pushIssue, type WireIssue } from './issues.js';

export const SLL_HEADER_LENGTH = 16;
export const SLL2_HEADER_LENGTH = 20;

/** Direction of the packet as Linux saw it (names kept for printing; unknown values kept). */
export const SllPacketType = {
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
} as const;

export const ARPHRD_ETHER = 1;

export interface SllRepr {
  packetType: number;
  arphrdType: number;
  /** Address length field as read (6 for Ethernet). */
  addressLength: number;
  /** All 8 address bytes as stored (bytes past addressLength are padding, kept for round trips). */
  address: Uint8Array;
  /** EtherType for Ethernet-like devices; other ARPHRD types put other things here. */
  protocol: number;
}

export interface Sll2Repr extends SllRepr {
  reserved: number;
  interfaceIndex: number;
}

export interface SllFrame<R> {
  repr: R;
  payload: Uint8Array;
}

export function parseSll(buf: Uint8Array, issues: WireIssue[], base = 0): SllFrame<SllRepr> | null {
  if (buf.length < SLL_HEADER_LENGTH) {
    pushIssue(issues, 'truncated', 'sll', base, `Linux cooked header needs 16 bytes, ${buf.length} present`);
    return null;
  }
  const addressLength = u16(buf, 4);
  if (addressLength > 8) pushIssue(issues, 'malformed', 'sll', base + 4, `link-layer address length ${addressLength} exceeds 8`);
  return {
    repr: {
      packetType: u16(buf, 0),
      arphrdType: u16(buf, 2),
      addressLength,
      address: buf.subarray(6, 14),
      protocol: u16(buf, 14),
    },
    payload: buf.subarray(SLL_HEADER_LENGTH),
  };
}

export function parseSll2(buf: Uint8Array, issues: WireIssue[], base = 0): SllFrame<Sll2Repr> | null {
  if (buf.length < SLL2_HEADER_LENGTH) {
    pushIssue(issues, 'truncated', 'sll2', base, `Linux cooked v2 header needs 20 bytes, ${buf.length} present`);
    return null;
  }
  const addressLength = buf[11]!;
  if (addressLength > 8) pushIssue(issues, 'malformed', 'sll2', base + 11, `link-layer address length ${addressLength} exceeds 8`);
  return {
    repr: {
      protocol: u16(buf, 0),
      reserved: u16(buf, 2),
      interfaceIndex: u32(buf, 4),
      arphrdType: u16(buf, 8),
      packetType: buf[10]!,
      addressLength,
      address: buf.subarray(12, 20),
    },
    payload: buf.subarray(SLL2_HEADER_LENGTH),
  };
}

/** The link-layer address as "aa:bb:..", or null when its length is 0 or above 8. */
export function sllAddressString(repr: SllRepr): string | null {
  const n = repr.addressLength;
  if (n === 0 || n > 8) return null;
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ':' : '') + repr.address[i]!.toString(16).padStart(2, '0');
  return s;
}

export function sllLength(payloadLength = 0): number {
  return SLL_HEADER_LENGTH + payloadLength;
}

export function emitSllInto(repr: SllRepr, payload: Uint8Array, out: Uint8Array, o = 0): number {
  putU16(out, o, repr.packetType);
  putU16(out, o + 2, repr.arphrdType);
  putU16(out, o + 4, repr.addressLength);
  out.fill(0, o + 6, o + 14);
  out.set(repr.address.subarray(0, 8), o + 6);
  putU16(out, o + 14, repr.protocol);
  out.set(payload, o + SLL_HEADER_LENGTH);
  return SLL_HEADER_LENGTH + payload.length;
}

export function emitSll(repr: SllRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(sllLength(payload.length));
  emitSllInto(repr, payload, out);
  return out;
}

export function sll2Length(payloadLength = 0): number {
  return SLL2_HEADER_LENGTH + payloadLength;
}

export function emitSll2Into(repr: Sll2Repr, payload: Uint8Array, out: Uint8Array, o = 0): number {
  putU16(out, o, repr.protocol);
  putU16(out, o + 2, repr.reserved);
  putU32(out, o + 4, repr.interfaceIndex);
  putU16(out, o + 8, repr.arphrdType);
  out[o + 10] = repr.packetType & 0xff;
  out[o + 11] = repr.addressLength & 0xff;
  out.fill(0, o + 12, o + 20);
  out.set(repr.address.subarray(0, 8), o + 12);
  out.set(payload, o + SLL2_HEADER_LENGTH);
  return SLL2_HEADER_LENGTH + payload.length;
}

export function emitSll2(repr: Sll2Repr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(sll2Length(payload.length));
  emitSll2Into(repr, payload, out);
  return out;
}
