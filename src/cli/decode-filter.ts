/**
 * `decode --client/--xid/--from/--to`: which messages to print. Pure: the first packet's time
 * comes in (relative bounds count from it).
 */
import type { DecodedMessage, UndecodedFrame } from '../decode/messages.js';
import { clientMac as dhcp4Mac } from '../wire/dhcpv4/index.js';
import { ipv4ToString } from '../wire/bytes.js';
import { clientDuid, duidLinkLayerAddress, innermostMessage } from '../wire/dhcpv6/index.js';
import { canonicalIp, type ClientSpec } from './client-spec.js';
import type { DecodeArgs, TimeBound } from './options.js';

export interface MessageFilter {
  message(m: DecodedMessage): boolean;
  undecoded(f: UndecodedFrame): boolean;
}

type FilterArgs = Pick<DecodeArgs, 'clients' | 'xids' | 'from' | 'to'>;

export function hasFilter(a: FilterArgs): boolean {
  return a.clients !== null || a.xids !== null || a.from !== null || a.to !== null;
}

export function messageFilter(a: FilterArgs, firstPacketTime: number): MessageFilter {
  const from = bound(a.from, firstPacketTime, -Infinity);
  const to = bound(a.to, firstPacketTime, Infinity);
  const inTime = (t: number): boolean => t >= from && t <= to;
  return {
    message: (m) =>
      inTime(m.time) &&
      (a.xids === null || (xidOf(m) !== null && a.xids.has(xidOf(m)!))) &&
      (a.clients === null || a.clients.some((c) => messageConcerns(m, c))),
    // A frame nothing could decode has no client or xid to match.
    undecoded: (f) => inTime(f.time) && a.clients === null && a.xids === null,
  };
}

function bound(b: TimeBound | null, t0: number, none: number): number {
  if (b === null) return none;
  return b.kind === 'absolute' ? b.epoch : t0 + b.seconds;
}

/** The DHCP transaction id, looking through DHCPv6 relays; null for other protocols. */
export function xidOf(m: DecodedMessage): number | null {
  if (m.proto === 'dhcp4') return m.msg.xid;
  if (m.proto === 'dhcp6') {
    const inner = innermostMessage(m.msg);
    return inner.relay ? null : inner.xid;
  }
  return null;
}

/** From or to the client's MAC or address, or a DHCP message about it (chaddr, DUID, yiaddr, ciaddr). */
export function messageConcerns(m: DecodedMessage, c: ClientSpec): boolean {
  if (c.kind === 'mac') {
    if (m.srcMac === c.mac || m.dstMac === c.mac) return true;
    if (m.proto === 'dhcp4') return dhcp4Mac(m.msg) === c.mac;
    if (m.proto === 'dhcp6') return duidLinkLayerAddress(clientDuid(m.msg)) === c.mac;
    return false;
  }
  if (canonicalIp(m.srcAddr) === c.addr || canonicalIp(m.dstAddr) === c.addr) return true;
  if (m.proto === 'dhcp4') return ipv4ToString(m.msg.yiaddr, 0) === c.addr || ipv4ToString(m.msg.ciaddr, 0) === c.addr;
  return false;
}
