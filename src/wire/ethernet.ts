/**
 * Ethernet II (IEEE 802.3 clause 3.1.1) with stacked 802.1Q / 802.1ad tags.
 *
 *   0..6 dst | 6..12 src | [TPID(2) TCI(2)]* | 12+4n..14+4n EtherType | payload
 *   TCI: PCP (3 bits) | DEI (1 bit) | VID (12 bits)
 */
import { macFromString, macToString, putU16, u16 } from './bytes.js';
import { pushIssue, type WireIssue } from './issues.js';

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  /** Pre-standard Q-in-Q TPID still used by some switches. */
  QINQ_OLD: 0x9100,
  /** Transparent Ethernet Bridging: a whole Ethernet frame in GRE (gretap, RFC 1701 type list). */
  TEB: 0x6558,
  /** ERSPAN type I/II in GRE (Cisco; type I has no GRE sequence number and no ERSPAN header). */
  ERSPAN: 0x88be,
  /** ERSPAN type III in GRE. */
  ERSPAN3: 0x22eb,
} as const;

export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
/** Bytes of a MAC address. */
export const MAC_LENGTH = 6;

export function isVlanTpid(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QINQ || t === EtherType.QINQ_OLD;
}

export interface VlanTag {
  tpid: number;
  pcp: number;
  dei: number;
  vid: number;
}

export interface EthernetRepr {
  dst: string;
  src: string;
  /** Outermost first. */
  vlans: VlanTag[];
  /** The type after the last tag (a value ≤ 1500 is an 802.3 length, kept as read). */
  etherType: number;
}

export interface EthernetFrame extends EthernetRepr {
  headerLength: number;
  payload: Uint8Array;
}

/**
 * Read VLAN tags starting at `o`, where `type` (already read at o - 2) is the first TPID.
 * Returns the position after the last whole tag and the type found there. A cut tag stops the
 * walk with a 'truncated' issue, leaving `type` as the TPID of the cut tag.
 */
export function parseVlanTags(
  buf: Uint8Array,
  o: number,
  type: number,
  tags: VlanTag[],
  issues: WireIssue[],
  base: number,
  layer: string,
): { offset: number; type: number } {
  while (isVlanTpid(type)) {
    if (buf.length - o < VLAN_TAG_LENGTH) {
      pushIssue(issues, 'truncated', layer, base + o, `VLAN tag (TPID 0x${type.toString(16)}) cut after ${buf.length - o} of 4 bytes`);
      break;
    }
    const tci = u16(buf, o);
    tags.push({ tpid: type, pcp: tci >>> 13, dei: (tci >>> 12) & 1, vid: tci & 0x0fff });
    type = u16(buf, o + 2);
    o += VLAN_TAG_LENGTH;
  }
  return { offset: o, type };
}

/** Null when not even the 14-byte header is there. */
export function parseEthernet(buf: Uint8Array, issues: WireIssue[], base = 0): EthernetFrame | null {
  if (buf.length < ETHERNET_HEADER_LENGTH) {
    pushIssue(issues, 'truncated', 'ethernet', base, `Ethernet header needs 14 bytes, ${buf.length} present`);
    return null;
  }
  const vlans: VlanTag[] = [];
  let offset = ETHERNET_HEADER_LENGTH;
  let type = u16(buf, 12);
  // Untagged frames (nearly all) skip the tag walk and the object it returns.
  if (isVlanTpid(type)) ({ offset, type } = parseVlanTags(buf, offset, type, vlans, issues, base, 'ethernet'));
  return {
    dst: macToString(buf, 0),
    src: macToString(buf, 6),
    vlans,
    etherType: type,
    headerLength: offset,
    payload: buf.subarray(offset),
  };
}

export function ethernetHeaderLength(repr: EthernetRepr): number {
  return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * repr.vlans.length;
}

/** Bytes of the whole frame (header + payload, no FCS). */
export function ethernetLength(repr: EthernetRepr, payloadLength = 0): number {
  return ethernetHeaderLength(repr) + payloadLength;
}

/** Write header + payload into `out` at `o`; returns the bytes written. */
export function emitEthernetInto(repr: EthernetRepr, payload: Uint8Array, out: Uint8Array, o = 0): number {
  out.set(macFromString(repr.dst).subarray(0, 6), o);
  out.set(macFromString(repr.src).subarray(0, 6), o + 6);
  let p = o + 12;
  for (const tag of repr.vlans) {
    putU16(out, p, tag.tpid);
    putU16(out, p + 2, ((tag.pcp & 7) << 13) | ((tag.dei & 1) << 12) | (tag.vid & 0x0fff));
    p += VLAN_TAG_LENGTH;
  }
  putU16(out, p, repr.etherType);
  out.set(payload, p + 2);
  return p + 2 + payload.length - o;
}

export function emitEthernet(repr: EthernetRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ethernetLength(repr, payload.length));
  emitEthernetInto(repr, payload, out);
  return out;
}
