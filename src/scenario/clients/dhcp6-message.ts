/** Building, wrapping and reading the client's DHCPv6 messages (RFC 8415), with the project's codec. */
import { asciiBytes, bytesEqual } from '../../wire/bytes.js';
import {
  DhcpV6MsgType, DhcpV6Opt, emitDhcpV6, getOption, getOptions, parseDhcpV6, statusName,
  type DhcpV6Message, type DhcpV6MessageSpec, type DhcpV6Option, type DhcpV6OptionSpec, type IaAddress, type IaNa,
  type StatusCode,
} from '../../wire/dhcpv6/index.js';
import type { WireIssue } from '../../wire/issues.js';
import type { Persona6Slot } from '../personas-v6.js';
import type { RandomSource } from './types.js';
import { UdpPort } from '../../wire/ports.js';

export const DHCP6_CLIENT_PORT = UdpPort.DHCPV6_CLIENT;
export const DHCP6_SERVER_PORT = UdpPort.DHCPV6_SERVER;
/** RFC 8415 §7.1 All_DHCP_Servers: where a relay sends when it was given no server address. */
export const ALL_DHCP_SERVERS = 'ff05::1:3';

/** Retransmission parameters of one message type (RFC 8415 §15, seconds; 0 = no limit). */
export interface Retransmission {
  irt: number;
  mrt: number;
  /** Transmissions at most. */
  mrc: number;
  /** Seconds from the first transmission at most. */
  mrd: number;
}

export type Dhcp6SentKind = 'solicit' | 'request' | 'confirm' | 'renew' | 'rebind' | 'release' | 'information-request';

/** RFC 8415 §7.6. MRC 0 there (Solicit, Renew, Rebind, Information-request) would let a scenario
 *  run for hours: 4 here. Renew/Rebind MRD (until T2 / the lifetimes end) is unknown: none. */
const RFC_DEFAULTS: Record<Dhcp6SentKind, Retransmission> = {
  solicit: { irt: 1, mrt: 3600, mrc: 4, mrd: 0 },
  request: { irt: 1, mrt: 30, mrc: 10, mrd: 0 },
  confirm: { irt: 1, mrt: 4, mrc: 0, mrd: 10 },
  renew: { irt: 10, mrt: 600, mrc: 4, mrd: 0 },
  rebind: { irt: 10, mrt: 600, mrc: 4, mrd: 0 },
  release: { irt: 1, mrt: 0, mrc: 4, mrd: 0 },
  'information-request': { irt: 1, mrt: 3600, mrc: 4, mrd: 0 },
};

export function retransmission(
  kind: Dhcp6SentKind, o: { maxAttempts?: number; initialTimeout?: number; maxTimeout?: number },
): Retransmission {
  const d = RFC_DEFAULTS[kind];
  return {
    irt: o.initialTimeout ?? d.irt, mrt: o.maxTimeout ?? d.mrt,
    mrc: o.maxAttempts !== undefined ? Math.max(1, o.maxAttempts) : d.mrc, mrd: d.mrd,
  };
}

/** RAND of RFC 8415 §15: uniform in [-0.1, 0.1]. */
function rand(random: RandomSource): number {
  return (random() * 2 - 1) * 0.1;
}

/** The RT after the `attempt`-th transmission (1-based), given the previous RT (§15). The first
 *  Solicit RT is strictly above IRT, so its RAND is taken positive. */
export function nextRt(attempt: number, prev: number, p: Retransmission, random: RandomSource, solicit: boolean): number {
  if (attempt === 1) {
    const r = rand(random);
    return p.irt + (solicit ? Math.abs(r) : r) * p.irt;
  }
  let rt = 2 * prev + rand(random) * prev;
  if (p.mrt > 0 && rt > p.mrt) rt = p.mrt + rand(random) * p.mrt;
  return rt;
}

export function randomXid6(random: RandomSource): number {
  return Math.floor(random() * 0x1000000) & 0xffffff;
}

export interface Dhcp6MessageFields {
  msgType: number;
  xid: number;
  order: Persona6Slot[];
  clientDuid: Uint8Array;
  serverDuid?: Uint8Array | null;
  ia?: IaNa<DhcpV6OptionSpec> | null;
  /** Seconds since the exchange began (sent in hundredths, at most 0xffff: RFC 8415 §21.9). */
  elapsed: number;
  persona: Array<{ code: number; data: Uint8Array }>;
  rapidCommit?: boolean;
}

/** The spec of one client message, options in the persona's order (rapid commit after the
 *  persona's options: EDK2 takes it in its user option list). */
export function clientMessageSpec(f: Dhcp6MessageFields): DhcpV6MessageSpec {
  const options: DhcpV6OptionSpec[] = [];
  for (const slot of f.order) {
    switch (slot) {
      case 'client': options.push({ code: DhcpV6Opt.CLIENTID, data: f.clientDuid }); break;
      case 'server': if (f.serverDuid) options.push({ code: DhcpV6Opt.SERVERID, data: f.serverDuid }); break;
      case 'ia': if (f.ia) options.push({ code: DhcpV6Opt.IA_NA, value: f.ia }); break;
      case 'elapsed':
        options.push({ code: DhcpV6Opt.ELAPSED_TIME, value: Math.min(0xffff, Math.max(0, Math.round(f.elapsed * 100))) });
        break;
      case 'persona':
        options.push(...f.persona);
        if (f.rapidCommit) options.push({ code: DhcpV6Opt.RAPID_COMMIT, value: true });
        break;
    }
  }
  return { msgType: f.msgType, xid: f.xid, options };
}

export interface Dhcp6RelayFields {
  linkAddress: string;
  peerAddress: string;
  interfaceId?: string;
  remoteId?: { enterprise: number; id: string };
  hopCount?: number;
}

/** RELAY-FORW around `inner` (RFC 8415 §19.1.1): interface-id, remote-id, then the relay message. */
export function relayForwSpec(inner: DhcpV6MessageSpec, r: Dhcp6RelayFields): DhcpV6MessageSpec {
  const options: DhcpV6OptionSpec[] = [];
  if (r.interfaceId !== undefined) options.push({ code: DhcpV6Opt.INTERFACE_ID, data: asciiBytes(r.interfaceId) });
  if (r.remoteId) options.push({ code: DhcpV6Opt.REMOTE_ID, value: { enterprise: r.remoteId.enterprise, remoteId: asciiBytes(r.remoteId.id) } });
  options.push({ code: DhcpV6Opt.RELAY_MSG, value: inner });
  return {
    relay: true, msgType: DhcpV6MsgType.RELAY_FORW, hopCount: r.hopCount ?? 0,
    linkAddress: r.linkAddress, peerAddress: r.peerAddress, options,
  };
}

export interface ServerMessage {
  /** As received (a RELAY-REPL in relay mode). */
  wire: DhcpV6Message;
  /** The server's own message (unwrapped). */
  msg: DhcpV6Message;
}

/**
 * A server message for this client, or null: in relay mode a RELAY-REPL (unwrapped), otherwise a
 * client/server message; then our xid and our client DUID (RFC 8415 §16).
 */
export function parseServerMessage(payload: Uint8Array, xids: readonly number[], clientDuid: Uint8Array, relayed: boolean): ServerMessage | null {
  const issues: WireIssue[] = [];
  // Kept beyond the driver's callback: copy once here.
  const wire = parseDhcpV6(payload.slice(), issues);
  let msg = wire;
  if (relayed) {
    if (wire.msgType !== DhcpV6MsgType.RELAY_REPL) return null;
    while (msg.relay) {
      const inner = getOption(msg, DhcpV6Opt.RELAY_MSG)?.value as DhcpV6Message | undefined;
      if (!inner) return null;
      msg = inner;
    }
  }
  if (msg.relay || !xids.includes(msg.xid)) return null;
  const cid = getOption(msg, DhcpV6Opt.CLIENTID);
  if (!cid || !bytesEqual(cid.data, clientDuid)) return null;
  return { wire, msg };
}

/** The IA_NA with this IAID, if the message has one. */
export function iaNaOf(msg: DhcpV6Message, iaid: number): IaNa<DhcpV6Option> | null {
  for (const o of getOptions(msg, 3)) {
    const v = o.value as IaNa<DhcpV6Option> | undefined;
    if (v && v.iaid === iaid) return v;
  }
  return null;
}

/** IAADDRs of our IA_NA. */
export function iaAddresses(msg: DhcpV6Message, iaid: number): IaAddress<DhcpV6Option>[] {
  const ia = iaNaOf(msg, iaid);
  if (!ia) return [];
  const out: IaAddress<DhcpV6Option>[] = [];
  for (const o of ia.options) if (o.code === DhcpV6Opt.IAADDR && o.value) out.push(o.value as IaAddress<DhcpV6Option>);
  return out;
}

export interface FoundStatus {
  code: number;
  name: string;
  message: string;
  where: 'message' | 'ia' | 'address';
}

function statusIn(opts: readonly DhcpV6Option[]): StatusCode | null {
  for (const o of opts) if (o.code === DhcpV6Opt.STATUS_CODE && o.value) return o.value as StatusCode;
  return null;
}

function found(s: StatusCode, where: FoundStatus['where']): FoundStatus {
  return { code: s.status, name: statusName(s.status) ?? `status ${s.status}`, message: s.message, where };
}

/** The first non-success status: message level, then our IA_NA, then its addresses. */
export function firstBadStatus(msg: DhcpV6Message, iaid: number): FoundStatus | null {
  const top = statusIn(msg.options);
  if (top && top.status !== 0) return found(top, 'message');
  const ia = iaNaOf(msg, iaid);
  if (!ia) return null;
  const s = statusIn(ia.options);
  if (s && s.status !== 0) return found(s, 'ia');
  for (const o of ia.options) {
    if (o.code !== DhcpV6Opt.IAADDR || !o.value) continue;
    const a = statusIn((o.value as IaAddress<DhcpV6Option>).options);
    if (a && a.status !== 0) return found(a, 'address');
  }
  return null;
}

/** Status code 2 (RFC 8415 §21.13). */
export const NO_ADDRS_AVAIL = 2;

/** An Advertise the client may choose (§18.2.9): no NoAddrsAvail and at least one address. */
export function usableAdvertise(msg: DhcpV6Message, iaid: number): boolean {
  const top = statusIn(msg.options);
  if (top && top.status === NO_ADDRS_AVAIL) return false;
  const bad = firstBadStatus(msg, iaid);
  if (bad && bad.code === NO_ADDRS_AVAIL) return false;
  return iaAddresses(msg, iaid).some((a) => a.valid > 0);
}

/** Option 7, 0 when absent (§18.2.9). */
export function preference(msg: DhcpV6Message): number {
  const v = getOption(msg, DhcpV6Opt.PREFERENCE)?.value;
  return typeof v === 'number' ? v : 0;
}

/** Highest preference, first received among equals. */
export function bestAdvertise(list: readonly DhcpV6Message[], iaid: number): DhcpV6Message | null {
  let best: DhcpV6Message | null = null;
  for (const m of list) {
    if (!usableAdvertise(m, iaid)) continue;
    if (!best || preference(m) > preference(best)) best = m;
  }
  return best;
}

export function emitSpec(spec: DhcpV6MessageSpec): Uint8Array {
  return emitDhcpV6(spec);
}
