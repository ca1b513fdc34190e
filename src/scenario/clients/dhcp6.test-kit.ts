/** A tiny fake DHCPv6 server for the client tests, built with the project's codec. */
import { asciiBytes, bytesEqual, macFromString, putU16 } from '../../wire/bytes.js';
import {
  DhcpV6MsgType, emitDhcpV6, getOption, parseDhcpV6, type DhcpV6Message, type DhcpV6MessageSpec,
  type DhcpV6Option, type DhcpV6OptionSpec, type IaAddress, type IaNa,
} from '../../wire/dhcpv6/index.js';
import type { MemoryNetwork, ServerReply } from '../transport/memory.js';
import type { UdpDatagram } from './types.js';

export interface FakeStatus {
  code: number;
  message?: string;
  where: 'message' | 'ia' | 'address';
}

export interface FakeDhcp6Config {
  /** The server's (link-local or relay-facing) address. */
  addr: string;
  /** Its DUID-LL Ethernet address (default 02:00:00:00:00:01). */
  mac?: string;
  /** Address handed out; absent: Advertise with NoAddrsAvail. */
  address?: string;
  preference?: number;
  bootfileUrl?: string;
  bootfileParams?: string[];
  /** Answer a Solicit carrying option 14 with a Rapid Commit Reply. */
  rapidCommit?: boolean;
  /** Status put in the Reply to a Request / Renew / Rebind / Confirm / Release. */
  replyStatus?: FakeStatus;
  /** Reply to a Request without an IA address (and no status). */
  replyWithoutAddress?: boolean;
  delay?: number;
}

export interface FakeDhcp6 {
  cfg: FakeDhcp6Config;
  duid: Uint8Array;
  /** As received (RELAY-FORW when relayed). */
  received: DhcpV6Message[];
  handle: (d: UdpDatagram, now: number) => ServerReply[];
  /** Listen on `addr` (MemoryNetwork also hands IPv6 servers what goes to ff02::1:2). */
  attach: (net: MemoryNetwork) => void;
}

export function duidLl(mac: string): Uint8Array {
  const m = macFromString(mac);
  const out = new Uint8Array(4 + m.length);
  putU16(out, 0, 3);
  putU16(out, 2, 1);
  out.set(m, 4);
  return out;
}

function statusOpt(s: FakeStatus): DhcpV6OptionSpec {
  return { code: 13, value: { status: s.code, message: s.message ?? '' } };
}

function answer(req: DhcpV6Message, cfg: FakeDhcp6Config, duid: Uint8Array): DhcpV6MessageSpec | null {
  if (req.relay) return null;
  const t = req.msgType;
  const cid = getOption(req, 1);
  if (!cid) return null;
  const sid = getOption(req, 2);
  if (sid && !bytesEqual(sid.data, duid)) return null; // addressed to another server
  const ia = getOption(req, 3)?.value as IaNa<DhcpV6Option> | undefined;
  const rapid = t === DhcpV6MsgType.SOLICIT && cfg.rapidCommit === true && getOption(req, 14) !== undefined;
  const type = t === DhcpV6MsgType.SOLICIT && !rapid ? DhcpV6MsgType.ADVERTISE : DhcpV6MsgType.REPLY;
  const opts: DhcpV6OptionSpec[] = [{ code: 1, data: cid.data }, { code: 2, data: duid }];
  const st = type === DhcpV6MsgType.REPLY ? cfg.replyStatus : undefined;
  const requested = (ia?.options.find((o) => o.code === 5)?.value as IaAddress<DhcpV6Option> | undefined)?.address;
  const withAddress = t === DhcpV6MsgType.SOLICIT || t === DhcpV6MsgType.REQUEST || t === DhcpV6MsgType.RENEW || t === DhcpV6MsgType.REBIND;
  if (ia && withAddress) {
    const addr = t === DhcpV6MsgType.SOLICIT || t === DhcpV6MsgType.REQUEST ? cfg.address : requested;
    const inner: DhcpV6OptionSpec[] = [];
    if (addr && !(t === DhcpV6MsgType.REQUEST && cfg.replyWithoutAddress)) {
      const aopts: DhcpV6OptionSpec[] = st?.where === 'address' ? [statusOpt(st)] : [];
      inner.push({ code: 5, value: { address: addr, preferred: 300, valid: 600, options: aopts } });
    }
    if (st?.where === 'ia') inner.push(statusOpt(st));
    if (!addr && t === DhcpV6MsgType.SOLICIT) inner.push(statusOpt({ code: 2, message: 'no addresses', where: 'ia' }));
    opts.push({ code: 3, value: { iaid: ia.iaid, t1: 150, t2: 240, options: inner } });
  }
  if (t === DhcpV6MsgType.SOLICIT && !cfg.address) opts.push(statusOpt({ code: 2, message: 'no addresses available', where: 'message' }));
  if (st?.where === 'message') opts.push(statusOpt(st));
  if (cfg.preference !== undefined && type === DhcpV6MsgType.ADVERTISE) opts.push({ code: 7, value: cfg.preference });
  if (rapid) opts.push({ code: 14, value: true });
  if (cfg.bootfileUrl) opts.push({ code: 59, value: cfg.bootfileUrl });
  if (cfg.bootfileParams) opts.push({ code: 60, value: cfg.bootfileParams });
  return { msgType: type, xid: req.xid, options: opts };
}

/** The relay chain of a RELAY-FORW, outermost first, and the client message inside. */
function unwrap(m: DhcpV6Message): { relays: DhcpV6Message[]; inner: DhcpV6Message } {
  const relays: DhcpV6Message[] = [];
  let cur = m;
  while (cur.relay) {
    relays.push(cur);
    const inner = getOption(cur, 9)?.value as DhcpV6Message | undefined;
    if (!inner) break;
    cur = inner;
  }
  return { relays, inner: cur };
}

/** RELAY-REPL around `spec`, echoing each relay's header and interface-id (RFC 8415 §19.2). */
function rewrap(spec: DhcpV6MessageSpec, relays: DhcpV6Message[]): DhcpV6MessageSpec {
  let out = spec;
  for (let i = relays.length - 1; i >= 0; i--) {
    const r = relays[i]!;
    if (!r.relay) break;
    const options: DhcpV6OptionSpec[] = [];
    const iface = getOption(r, 18);
    if (iface) options.push({ code: 18, data: iface.data });
    options.push({ code: 9, value: out });
    out = { relay: true, msgType: DhcpV6MsgType.RELAY_REPL, hopCount: r.hopCount, linkAddress: r.linkAddress, peerAddress: r.peerAddress, options };
  }
  return out;
}

export function fakeDhcp6Server(cfg: FakeDhcp6Config): FakeDhcp6 {
  const duid = duidLl(cfg.mac ?? '02:00:00:00:00:01');
  const received: DhcpV6Message[] = [];
  const handle = (d: UdpDatagram): ServerReply[] => {
    const wire = parseDhcpV6(d.payload.slice(), []);
    received.push(wire);
    const { relays, inner } = unwrap(wire);
    const spec = answer(inner, cfg, duid);
    if (!spec) return [];
    const payload = emitDhcpV6(rewrap(spec, relays));
    // Relayed: back to the relay's server port; direct: to the client's port 546.
    const datagram: UdpDatagram = { src: { addr: cfg.addr, port: 547 }, dst: { addr: d.src.addr, port: d.src.port }, payload };
    return [{ datagram, delay: cfg.delay }];
  };
  const attach = (net: MemoryNetwork): void => {
    net.addServer({ addr: cfg.addr, ports: [547], handle });
  };
  return { cfg, duid, received, handle, attach };
}

/** Option codes of a message in wire order. */
export function optionCodes6(msg: DhcpV6Message): number[] {
  return msg.options.map((o) => o.code);
}

export function text(s: string): Uint8Array {
  return asciiBytes(s);
}
