/**
 * VXLAN (RFC 7348 §5), the 8 bytes after UDP (destination port 4789):
 *
 *   0 flags (I = 0x08: the VNI is valid) | 1..4 reserved | 4..7 VNI (24 bits) | 7 reserved | Ethernet frame
 *
 * Without the I bit the header is no VXLAN we can trust (another protocol on the port): the caller
 * leaves the datagram as it is.
 */
import { u16, u32 } from './bytes.js';
import { ETHERNET_HEADER_LENGTH, EtherType, isVlanTpid } from './ethernet.js';
import { pushIssue, type WireIssue } from './issues.js';

export const VXLAN_HEADER = 8;
const I = 0x08;
/** Flag bits that must be clear: all but I and GBP's G (0x80). */
const MUST_BE_ZERO = 0x77;

/**
 * Whether the UDP payload `buf` clearly is VXLAN. Port 4789 is only a guess (TFTP transfers and DNS
 * clients pick ephemeral ports that may be 4789), so a datagram is unwrapped only when its header
 * is a clean VXLAN header (I set, other flags but GBP's G clear, reserved byte 7 zero) and it carries
 * a whole Ethernet header whose EtherType is IPv4, IPv6, ARP or a VLAN tag.
 */
export function looksLikeVxlan(buf: Uint8Array): boolean {
  if (buf.length < VXLAN_HEADER + ETHERNET_HEADER_LENGTH) return false;
  const flags = buf[0]!;
  if ((flags & I) === 0 || (flags & MUST_BE_ZERO) !== 0 || buf[7] !== 0) return false;
  const type = u16(buf, VXLAN_HEADER + 12);
  return type === EtherType.IPV4 || type === EtherType.IPV6 || type === EtherType.ARP || isVlanTpid(type);
}

export interface VxlanRepr {
  vni: number;
  /** All flag bits as read (emit writes I when absent). */
  flags?: number;
}

export interface VxlanHeader extends VxlanRepr {
  flags: number;
  payload: Uint8Array;
  payloadOffset: number;
}

export function parseVxlan(buf: Uint8Array, issues: WireIssue[], base = 0): VxlanHeader | null {
  if (buf.length < VXLAN_HEADER) {
    pushIssue(issues, 'truncated', 'vxlan', base + buf.length, `VXLAN header needs 8 bytes, have ${buf.length}`);
    return null;
  }
  const flags = buf[0]!;
  if ((flags & I) === 0) {
    pushIssue(issues, 'malformed', 'vxlan', base, `VXLAN header without the I flag (flags 0x${flags.toString(16).padStart(2, '0')})`);
    return null;
  }
  return { flags, vni: u32(buf, 4) >>> 8, payload: buf.subarray(VXLAN_HEADER), payloadOffset: base + VXLAN_HEADER };
}

export function emitVxlan(repr: VxlanRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(VXLAN_HEADER + payload.length);
  out[0] = repr.flags ?? I;
  out[4] = (repr.vni >>> 16) & 0xff;
  out[5] = (repr.vni >>> 8) & 0xff;
  out[6] = repr.vni & 0xff;
  out.set(payload, VXLAN_HEADER);
  return out;
}
