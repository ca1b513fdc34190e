/**
 * What the flow engine reads out of a DHCPv6 message: status codes at every level, leases, IAIDs,
 * relay facts, DUIDs, and which client (MAC) a message belongs to. Returns strings and numbers
 * only (nothing that points into the capture buffer).
 */
import { hex, ipv6ToString, latin1String, macToString } from '../wire/bytes.js';
import {
  DhcpV6Opt, duidLinkLayerAddress, duidToText, duidTypeName, getOption, getOptionValue, HW_ETHERNET, statusName,
  type DhcpV6Message, type DhcpV6Option, type Duid, type IaAddress, type IaNa, type StatusCode,
} from '../wire/dhcpv6/index.js';
import type { Dhcp6Duid, Dhcp6Lease, Dhcp6Relay, Dhcp6Status } from './types.js';

const { IA_NA, IA_TA, IAADDR, STATUS_CODE } = DhcpV6Opt;
const MAX_ITEMS = 8;

/** Printable text as is, otherwise hex. */
export function printableOrHex(d: Uint8Array): string {
  for (let i = 0; i < d.length; i++) if (d[i]! < 0x20 || d[i]! > 0x7e) return hex(d);
  return latin1String(d);
}

function status(o: DhcpV6Option, scope: Dhcp6Status['scope'], iaid: number | null, address: string | null): Dhcp6Status | null {
  const v = o.value as StatusCode | undefined;
  if (!v || v.status === 0) return null;
  return { code: v.status, name: statusName(v.status) ?? null, message: v.message, scope, iaid, address };
}

/** Non-success status codes at message, IA_NA/IA_TA and IAADDR level (bounded). */
export function failedStatuses(msg: DhcpV6Message): Dhcp6Status[] {
  const out: Dhcp6Status[] = [];
  for (const o of msg.options) {
    if (out.length >= MAX_ITEMS) break;
    if (o.code === STATUS_CODE) {
      const s = status(o, 'message', null, null);
      if (s) out.push(s);
    } else if ((o.code === IA_NA || o.code === IA_TA) && o.value) {
      const ia = o.value as IaNa<DhcpV6Option>;
      for (const io of ia.options) {
        if (io.code === STATUS_CODE) {
          const s = status(io, 'ia', ia.iaid, null);
          if (s) out.push(s);
        } else if (io.code === IAADDR && io.value) {
          const a = io.value as IaAddress<DhcpV6Option>;
          for (const ao of a.options) {
            const s = ao.code === STATUS_CODE ? status(ao, 'address', ia.iaid, a.address) : null;
            if (s) out.push(s);
          }
        }
      }
    }
  }
  return out;
}

/** IA_NA/IA_TA addresses with lifetimes (an IAADDR with its own failure status is not a lease). */
export function leases(msg: DhcpV6Message): Dhcp6Lease[] {
  const out: Dhcp6Lease[] = [];
  for (const o of msg.options) {
    if ((o.code !== IA_NA && o.code !== IA_TA) || !o.value) continue;
    const ia = o.value as IaNa<DhcpV6Option>;
    for (const io of ia.options) {
      if (io.code !== IAADDR || !io.value) continue;
      const a = io.value as IaAddress<DhcpV6Option>;
      if (a.options.some((ao) => ao.code === STATUS_CODE && (ao.value as StatusCode | undefined)?.status)) continue;
      if (out.length < MAX_ITEMS) out.push({ address: a.address, iaid: ia.iaid, preferred: a.preferred, valid: a.valid });
    }
  }
  return out;
}

export function iaids(msg: DhcpV6Message): number[] {
  const out: number[] = [];
  for (const o of msg.options) {
    if ((o.code === IA_NA || o.code === IA_TA) && o.value) out.push((o.value as IaNa<DhcpV6Option>).iaid);
  }
  return out;
}

export function duidInfo(d: Duid | undefined): Dhcp6Duid | null {
  if (!d) return null;
  const type = d.kind === 'llt' ? 1 : d.kind === 'en' ? 2 : d.kind === 'll' ? 3 : d.kind === 'uuid' ? 4 : d.type;
  return { type, typeName: duidTypeName(type) ?? null, text: duidToText(d) };
}

/** The relay messages from the outermost to the one closest to the client (empty: not relayed). */
export function relayChain(msg: DhcpV6Message): DhcpV6Message[] {
  const out: DhcpV6Message[] = [];
  let m: DhcpV6Message | undefined = msg;
  while (m && m.relay && out.length < 32) {
    out.push(m);
    m = getOptionValue(m, 9);
  }
  return out;
}

/** Option 79 (client link-layer address) of any relay level, as a MAC. */
function relayClientMac(relays: DhcpV6Message[]): string | null {
  for (let i = relays.length - 1; i >= 0; i--) {
    const v = getOptionValue(relays[i]!, 79);
    if (v && v.hwType === HW_ETHERNET && v.address.length === 6) return macToString(v.address);
  }
  return null;
}

export function relayFacts(relays: DhcpV6Message[]): Dhcp6Relay | null {
  const r = relays[relays.length - 1];
  if (!r || !r.relay) return null;
  const ifId = getOption(r, DhcpV6Opt.INTERFACE_ID);
  const remote = getOptionValue(r, 37);
  return {
    linkAddress: ipv6ToString(r.linkAddress),
    peerAddress: ipv6ToString(r.peerAddress),
    hops: relays.length,
    interfaceId: ifId ? printableOrHex(ifId.data) : null,
    remoteId: remote ? `${remote.enterprise}:${printableOrHex(remote.remoteId)}` : null,
    clientLinkLayer: relayClientMac(relays),
  };
}

/** Multicast (group) MACs have the I/G bit set: 33:33:… for IPv6, ff:ff:… broadcast. */
export function isUnicastMac(mac: string | null): mac is string {
  if (!mac) return false;
  const first = parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 1) === 0;
}

/**
 * The client a DHCPv6 message is about, when the message alone says it: the client frame's source
 * MAC (a DUID may be shared — iPXE sends an all-zero DUID-UUID), else for relayed messages option
 * 79, else the DUID's link-layer address, else the DUID in hex.
 */
export function clientKeyFallback(inner: DhcpV6Message, relays: DhcpV6Message[]): string | null {
  const relayed = relayClientMac(relays);
  if (relayed) return relayed;
  const duid = getOption(inner, DhcpV6Opt.CLIENTID);
  if (!duid) return null;
  return duidLinkLayerAddress(duid.value as Duid | undefined) ?? hex(duid.data);
}
