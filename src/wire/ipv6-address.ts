/**
 * IPv6 address facts every IPv6 speaker on a link needs: the EUI-64 link-local address of a MAC
 * (RFC 4291 §2.5.1 / appendix A), solicited-node multicast groups (RFC 4291 §2.7.1), the
 * Ethernet address of a multicast group (RFC 2464 §7), and prefix matching. Text in, text out.
 */
import { ipv6FromString, ipv6ToString, macFromString, macToString } from './bytes.js';

export const ALL_NODES = 'ff02::1';
export const ALL_ROUTERS = 'ff02::2';
/** RFC 8415 §7.1: All_DHCP_Relay_Agents_and_Servers. */
export const ALL_DHCP_RELAY_AGENTS_AND_SERVERS = 'ff02::1:2';
export const UNSPECIFIED6 = '::';

/** fe80::/64 with the modified EUI-64 interface id of `mac` ("52:54:00:12:34:56" → fe80::5054:ff:fe12:3456). */
export function linkLocalFromMac(mac: string): string {
  const m = macFromString(mac);
  const a = new Uint8Array(16);
  a[0] = 0xfe; a[1] = 0x80;
  a[8] = m[0]! ^ 0x02; a[9] = m[1]!; a[10] = m[2]!; a[11] = 0xff; a[12] = 0xfe;
  a[13] = m[3]!; a[14] = m[4]!; a[15] = m[5]!;
  return ipv6ToString(a);
}

/** ff02::1:ffXX:XXXX for the low 24 bits of `addr`. */
export function solicitedNodeMulticast(addr: string): string {
  const a = ipv6FromString(addr);
  const g = new Uint8Array(16);
  g[0] = 0xff; g[1] = 0x02; g[11] = 0x01; g[12] = 0xff;
  g[13] = a[13]!; g[14] = a[14]!; g[15] = a[15]!;
  return ipv6ToString(g);
}

/** 33:33 followed by the low 32 bits of the group. */
export function multicastMac(group: string): string {
  const a = ipv6FromString(group);
  return macToString(Uint8Array.of(0x33, 0x33, a[12]!, a[13]!, a[14]!, a[15]!));
}

export function isIpv6(addr: string): boolean {
  return addr.includes(':');
}

export function isMulticast6(addr: string): boolean {
  return ipv6FromString(addr)[0] === 0xff;
}

export function isLinkLocal6(addr: string): boolean {
  const a = ipv6FromString(addr);
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;
}

/** Whether `a` and `b` share their first `length` bits. */
export function samePrefix6(a: string, b: string, length: number): boolean {
  const x = ipv6FromString(a);
  const y = ipv6FromString(b);
  for (let bit = 0; bit < length; bit += 8) {
    const mask = length - bit >= 8 ? 0xff : (0xff << (8 - (length - bit))) & 0xff;
    if (((x[bit >> 3]! ^ y[bit >> 3]!) & mask) !== 0) return false;
  }
  return true;
}
