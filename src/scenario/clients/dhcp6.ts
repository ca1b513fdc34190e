/**
 * DHCPv6 client state machine (RFC 8415 §18), I/O-free. One instance runs one operation: SARR
 * (optionally Rapid Commit), Confirm, Renew, Rebind, Release or Information-request, with the
 * persona's options in the firmware's order, §15 retransmission, §18.2.9 Advertise selection and
 * relay mode (RELAY-FORW / RELAY-REPL), and ends with a `Dhcp6Result`.
 */
import { hex, ipv6FromString, ipv6ToString } from '../../wire/bytes.js';
import {
  DhcpV6MsgType, DhcpV6Opt, getOption, msgTypeLabel, parseDhcpV6, type DhcpV6Message, type DhcpV6OptionSpec,
  type IaNa,
} from '../../wire/dhcpv6/index.js';
import { ALL_DHCP_RELAY_AGENTS_AND_SERVERS, linkLocalFromMac } from '../../wire/ipv6-address.js';
import {
  edk2NextXid, persona6Duid, persona6Iaid, persona6Layout, persona6Options, type Persona6,
  type Persona6Overrides,
} from '../personas-v6.js';
import {
  ALL_DHCP_SERVERS, bestAdvertise, clientMessageSpec, DHCP6_CLIENT_PORT, DHCP6_SERVER_PORT, emitSpec,
  firstBadStatus, iaAddresses, iaNaOf, nextRt, parseServerMessage, preference, randomXid6, relayForwSpec,
  retransmission, usableAdvertise, type Dhcp6SentKind, type FoundStatus, type Retransmission,
} from './dhcp6-message.js';
import { earliest, type ClientMachine, type Endpoint, type ExchangeEntry, type RandomSource, type UdpDatagram } from './types.js';

export type Dhcp6Operation =
  /** Solicit→Advertise→Request→Reply; with rapidCommit the Solicit carries option 14 and a Reply
   *  to it ends the exchange (an Advertise instead falls back to Request). */
  | { kind: 'sarr'; rapidCommit?: boolean }
  | { kind: 'confirm'; address: string }
  | { kind: 'renew'; address: string; serverDuid: Uint8Array; server?: string }
  | { kind: 'rebind'; address: string }
  | { kind: 'release'; address: string; serverDuid: Uint8Array; server?: string }
  | { kind: 'information-request' };

export interface Dhcp6RelayConfig {
  linkAddress: string;
  /** Default the client's link-local address (`srcAddr`). */
  peerAddress?: string;
  /** Option 18 (text). */
  interfaceId?: string;
  /** Option 37. */
  remoteId?: { enterprise: number; id: string };
  /** Default 0 (a relay on the client's link, RFC 8415 §19.1.1). */
  hopCount?: number;
}

export interface Dhcp6ClientConfig {
  mac: string;
  persona: Persona6;
  overrides?: Persona6Overrides;
  /** 24-bit transaction id of the first exchange (default drawn from `random`). */
  xid?: number;
  random?: RandomSource;
  /** Default `persona6Iaid` (iPXE: CRC-32 of the MAC; EDK2: the MAC bits of its random IAID). */
  iaid?: number;
  /** Default linkLocalFromMac(mac). */
  srcAddr?: string;
  /** RFC 8415 §18.2.1: wait this long for more Advertises after the first unless preference 255.
   *  Default per persona: 1 s (SOL_TIMEOUT, the first RT) for EDK2, 0 for iPXE (takes the first). */
  advertiseWindow?: number;
  /** Transmissions of one message at most (RFC 8415 §7.6 MRC; default 4 for Solicit, Renew,
   *  Rebind, Information-request and Release, 10 for Request; Confirm is bounded by MRD 10 s). */
  maxAttempts?: number;
  /** IRT (default per message type: 1 s, Renew/Rebind 10 s). */
  initialTimeout?: number;
  /** MRT (default per message type: Solicit 3600, Request 30, Confirm 4, Renew/Rebind 600). */
  maxTimeout?: number;
  /** RFC 8415 §18.2.1: the first Solicit waits a random time in [0, solicitDelay] s (SOL_MAX_DELAY
   *  is 1 s) so clients powered on together do not solicit together. Default 0: EDK2 and iPXE send
   *  at once (captures/lab-v6), and tests stay fast. */
  solicitDelay?: number;
  /** Relay mode: every message wrapped in RELAY-FORW, sent from linkAddress:547 to relayTo:547. */
  relay?: Dhcp6RelayConfig;
  /** Server address in relay mode (default ff05::1:3, All_DHCP_Servers). */
  relayTo?: string;
}

export interface Dhcp6Status {
  code: number;
  name: string;
  message: string;
  where: 'message' | 'ia' | 'address';
}

export interface Dhcp6Timings {
  /** Seconds from the first message sent. */
  firstAdvertise?: number;
  request?: number;
  reply?: number;
  end: number;
}

export interface Dhcp6Result {
  operation: Dhcp6Operation['kind'];
  ok: boolean;
  error: string | null;
  /** Transaction id of the first exchange (the Solicit's in a SARR). */
  xid: number;
  /** Every exchange's transaction id, in order (EDK2 uses a new one for the Request). */
  xids: number[];
  /** As on the wire (RELAY-FORW / RELAY-REPL in relay mode); `type` names the client or server
   *  message inside. */
  messages: ExchangeEntry<DhcpV6Message>[];
  /** Every Advertise received (unwrapped), usable or not. */
  advertises: DhcpV6Message[];
  chosen: DhcpV6Message | null;
  reply: DhcpV6Message | null;
  address: string | null;
  validLifetime: number | null;
  preferredLifetime: number | null;
  /** Option 59 / 60 of the Reply, else of the chosen Advertise. */
  bootfileUrl: string | null;
  bootfileParams: string[];
  serverDuid: Uint8Array | null;
  serverAddr: string | null;
  /** The Reply's first non-success status (message, IA, then address level); without a Reply,
   *  the first one of an ignored Advertise. */
  status: Dhcp6Status | null;
  /** The exchange ended by a Rapid Commit Reply to the Solicit. */
  rapidCommit: boolean;
  timings: Dhcp6Timings;
}

type Phase = 'start' | 'delaying' | 'soliciting' | 'requesting' | 'exchanging' | 'done';

const MSG_TYPE: Record<Dhcp6SentKind, number> = {
  solicit: DhcpV6MsgType.SOLICIT, request: DhcpV6MsgType.REQUEST, confirm: DhcpV6MsgType.CONFIRM,
  renew: DhcpV6MsgType.RENEW, rebind: DhcpV6MsgType.REBIND, release: DhcpV6MsgType.RELEASE,
  'information-request': DhcpV6MsgType.INFORMATION_REQUEST,
};

interface Received {
  msg: DhcpV6Message;
  from: string;
}

export class Dhcp6Client implements ClientMachine<Dhcp6Result> {
  readonly xid: number;
  readonly iaid: number;
  private readonly random: RandomSource;
  private readonly duid: Uint8Array;
  private readonly srcAddr: string;
  private readonly window: number;
  private phase: Phase = 'start';
  private kind: Dhcp6SentKind;
  private params: Retransmission;
  private curXid: number;
  private readonly xids: number[] = [];
  private start = -1;
  /** First transmission of the current xid (elapsed time) and of the current message (MRD). */
  private exchangeStart = 0;
  private messageStart = 0;
  private attempts = 0;
  private rt = 0;
  private nextSend: number | null = null;
  private windowEnd: number | null = null;
  private readonly messages: ExchangeEntry<DhcpV6Message>[] = [];
  private readonly advertises: Received[] = [];
  private chosen: Received | null = null;
  private readonly timings: Dhcp6Timings = { end: 0 };
  private result: Dhcp6Result | null = null;

  constructor(private readonly cfg: Dhcp6ClientConfig, readonly op: Dhcp6Operation) {
    this.random = cfg.random ?? Math.random;
    this.xid = (cfg.xid ?? randomXid6(this.random)) & 0xffffff;
    this.curXid = this.xid;
    this.iaid = (cfg.iaid ?? persona6Iaid(cfg.persona, cfg.mac)) >>> 0;
    this.duid = persona6Duid(cfg.persona, cfg.mac, cfg.overrides);
    this.srcAddr = cfg.srcAddr ?? linkLocalFromMac(cfg.mac);
    this.window = cfg.advertiseWindow ?? persona6Layout(cfg.persona, 'solicit').advertiseWindow;
    this.kind = op.kind === 'sarr' ? 'solicit' : op.kind;
    this.params = retransmission(this.kind, cfg);
  }

  /** When the delayed first Solicit goes out. */
  private sendAt = 0;

  /** Seconds the first Solicit was held back (SOL_MAX_DELAY), 0 when it was not. */
  get solicitDelayed(): number {
    return this.sendAt > 0 ? Math.max(0, this.sendAt - this.start) : 0;
  }

  pollAt(): number | null {
    if (this.phase === 'done') return null;
    if (this.phase === 'start') return 0;
    if (this.phase === 'delaying') return this.sendAt;
    return earliest(this.nextSend, this.windowEnd);
  }

  done(): Dhcp6Result | null {
    return this.result;
  }

  dispatch(now: number): UdpDatagram[] {
    switch (this.phase) {
      case 'start': {
        this.start = now;
        const delay = this.op.kind === 'sarr' ? Math.max(0, this.cfg.solicitDelay ?? 0) : 0;
        if (delay > 0) {
          this.phase = 'delaying';
          this.sendAt = now + this.random() * delay;
          return [];
        }
        this.phase = this.op.kind === 'sarr' ? 'soliciting' : 'exchanging';
        return this.send(now, true);
      }
      case 'delaying':
        if (now < this.sendAt) return [];
        this.phase = 'soliciting';
        return this.send(now, true);
      case 'soliciting':
        if (this.windowEnd !== null && now >= this.windowEnd) {
          this.windowEnd = null;
          const best = bestAdvertise(this.advertises.map((a) => a.msg), this.iaid);
          if (best) return this.startRequest(now, this.advertises.find((a) => a.msg === best)!);
        }
        return this.retransmitDue(now);
      case 'requesting':
      case 'exchanging':
        return this.retransmitDue(now);
      default:
        return [];
    }
  }

  process(d: UdpDatagram, now: number): void {
    if (this.phase !== 'soliciting' && this.phase !== 'requesting' && this.phase !== 'exchanging') return;
    const got = parseServerMessage(d.payload, [this.curXid], this.duid, this.cfg.relay !== undefined);
    if (!got) return;
    const { msg } = got;
    this.log('received', got.wire, msgTypeLabel(msg.msgType), now, d.src, d.dst);
    if (this.phase === 'soliciting') {
      if (msg.msgType === DhcpV6MsgType.ADVERTISE) this.onAdvertise({ msg, from: d.src.addr }, now);
      else if (msg.msgType === DhcpV6MsgType.REPLY && this.rapidCommitAsked() && getOption(msg, DhcpV6Opt.RAPID_COMMIT)) {
        this.onReply({ msg, from: d.src.addr }, now, true);
      }
      return;
    }
    if (msg.msgType !== DhcpV6MsgType.REPLY) return;
    const want = this.expectedServerDuid();
    const sid = getOption(msg, DhcpV6Opt.SERVERID);
    if (!sid) return; // RFC 8415 §16.10: a Reply carries a server id
    if (want && hex(sid.data) !== hex(want)) return; // another server's answer
    this.onReply({ msg, from: d.src.addr }, now, false);
  }

  private rapidCommitAsked(): boolean {
    return this.op.kind === 'sarr' && this.op.rapidCommit === true;
  }

  private onAdvertise(a: Received, now: number): void {
    this.advertises.push(a);
    if (this.timings.firstAdvertise === undefined) this.timings.firstAdvertise = now - this.start;
    if (!usableAdvertise(a.msg, this.iaid)) return; // recorded, not chosen (§18.2.9)
    // §18.2.1: an Advertise ends the Solicit retransmissions; the client only waits out the
    // collection window. Preference 255: take it at once. dispatch() does the sending.
    this.nextSend = null;
    if (preference(a.msg) === 255) this.windowEnd = now;
    else if (this.windowEnd === null) this.windowEnd = now + this.window;
  }

  private expectedServerDuid(): Uint8Array | null {
    if (this.phase === 'requesting' && this.chosen) return getOption(this.chosen.msg, DhcpV6Opt.SERVERID)?.data ?? null;
    if (this.op.kind === 'renew' || this.op.kind === 'release') return this.op.serverDuid;
    return null;
  }

  private startRequest(now: number, chosen: Received): UdpDatagram[] {
    this.chosen = chosen;
    this.phase = 'requesting';
    this.kind = 'request';
    this.params = retransmission('request', this.cfg);
    if (persona6Layout(this.cfg.persona, 'request').newXidForRequest) this.curXid = edk2NextXid(this.curXid);
    this.timings.request = now - this.start;
    return this.send(now, true);
  }

  private retransmitDue(now: number): UdpDatagram[] {
    if (this.nextSend === null || now < this.nextSend) return [];
    const p = this.params;
    const outOfTime = p.mrd > 0 && now >= this.messageStart + p.mrd;
    if ((p.mrc > 0 && this.attempts >= p.mrc) || outOfTime) {
      this.giveUp(now);
      return [];
    }
    return this.send(now, false);
  }

  private giveUp(now: number): void {
    const what = msgTypeLabel(MSG_TYPE[this.kind]);
    const secs = Math.round(now - this.messageStart);
    if (this.phase !== 'soliciting') {
      this.finish(now, `no REPLY after ${this.attempts} ${what}s in ${secs} s`, null, null);
      return;
    }
    const ignored = this.advertises.length;
    const first = this.advertises.map((a) => firstBadStatus(a.msg, this.iaid)).find((s) => s !== null) ?? null;
    const why = ignored === 0 ? '' : ` (${ignored} ignored${first ? `, ${first.name}${first.message ? ` "${first.message}"` : ''}` : ', no address'})`;
    this.finish(now, `no usable ADVERTISE after ${this.attempts} ${what}s in ${secs} s${why}`, null, first);
  }

  /** Send (or resend) the current message and arm the §15 timer. */
  private send(now: number, first: boolean): UdpDatagram[] {
    if (first) {
      this.attempts = 0;
      this.messageStart = now;
      if (!this.xids.includes(this.curXid)) {
        this.xids.push(this.curXid);
        this.exchangeStart = now;
      }
    }
    this.attempts++;
    const built = this.build(now);
    this.log('sent', parseDhcpV6(built.payload, []), msgTypeLabel(MSG_TYPE[this.kind]), now, built.src, built.dst);
    this.rt = nextRt(this.attempts, this.rt, this.params, this.random, this.kind === 'solicit');
    let next = now + this.rt;
    if (this.params.mrd > 0) next = Math.min(next, this.messageStart + this.params.mrd);
    this.nextSend = next;
    return [built];
  }

  private ia(): IaNa<DhcpV6OptionSpec> | null {
    const layout = persona6Layout(this.cfg.persona, this.kind);
    const unset = layout.iaUnsetTimes;
    const op = this.op;
    switch (this.kind) {
      case 'solicit':
        return { iaid: this.iaid, t1: unset, t2: unset, options: [] };
      case 'request': {
        const adv = this.chosen!.msg;
        const ia = iaNaOf(adv, this.iaid)!;
        const addrs = iaAddresses(adv, this.iaid).filter((a) => a.valid > 0);
        if (layout.echoAdvertisedIa) {
          return {
            iaid: this.iaid, t1: ia.t1, t2: ia.t2,
            options: addrs.map((a) => ({ code: DhcpV6Opt.IAADDR, value: { address: a.address, preferred: a.preferred, valid: a.valid, options: [] } })),
          };
        }
        const a = addrs[0]!;
        return { iaid: this.iaid, t1: unset, t2: unset, options: [{ code: DhcpV6Opt.IAADDR, value: { address: a.address, preferred: 0, valid: 0, options: [] } }] };
      }
      case 'information-request':
        return null;
      default: {
        // RFC 8415 §21.6: lifetimes from a client SHOULD be 0 (EDK2's Confirm zeroes them too).
        const address = 'address' in op ? op.address : '::';
        return { iaid: this.iaid, t1: unset, t2: unset, options: [{ code: DhcpV6Opt.IAADDR, value: { address, preferred: 0, valid: 0, options: [] } }] };
      }
    }
  }

  private build(now: number): UdpDatagram {
    const cfg = this.cfg;
    const op = this.op;
    const kind = this.kind;
    let serverDuid: Uint8Array | null = null;
    if (kind === 'request') serverDuid = getOption(this.chosen!.msg, 2)?.data ?? null;
    else if (op.kind === 'renew' || op.kind === 'release') serverDuid = op.serverDuid;
    const spec = clientMessageSpec({
      msgType: MSG_TYPE[kind], xid: this.curXid, order: persona6Layout(cfg.persona, kind).order,
      clientDuid: this.duid, serverDuid, ia: this.ia(), elapsed: now - this.exchangeStart,
      persona: persona6Options(cfg.persona, kind, cfg.mac, cfg.overrides),
      rapidCommit: kind === 'solicit' && this.rapidCommitAsked(),
    });
    if (cfg.relay) {
      const r = cfg.relay;
      const payload = emitSpec(relayForwSpec(spec, { ...r, peerAddress: r.peerAddress ?? this.srcAddr }));
      return {
        src: { addr: r.linkAddress, port: DHCP6_SERVER_PORT },
        dst: { addr: cfg.relayTo ?? ALL_DHCP_SERVERS, port: DHCP6_SERVER_PORT }, payload,
      };
    }
    const unicast = (op.kind === 'renew' || op.kind === 'release') ? op.server ?? null : null;
    return {
      src: { addr: this.srcAddr, port: DHCP6_CLIENT_PORT },
      dst: { addr: unicast ?? ALL_DHCP_RELAY_AGENTS_AND_SERVERS, port: DHCP6_SERVER_PORT },
      payload: emitSpec(spec),
    };
  }

  private onReply(r: Received, now: number, rapid: boolean): void {
    this.timings.reply = now - this.start;
    const status = firstBadStatus(r.msg, this.iaid);
    const kind = this.op.kind;
    let error: string | null = null;
    // Release: an IA-level NoBinding still means the lease is gone (§18.2.10.3).
    const counts = status !== null && (kind !== 'release' || status.where === 'message');
    if (counts) {
      error = `REPLY from ${r.from}: ${status.name} (${status.code}) at ${status.where} level${status.message ? `: "${status.message}"` : ''}`;
    } else if ((kind === 'sarr' || kind === 'renew' || kind === 'rebind') && !this.boundAddress(r.msg)) {
      error = `REPLY from ${r.from} without an address for IAID ${this.iaid.toString(16).padStart(8, '0')}`;
    }
    if (rapid) this.chosen = null;
    this.finish(now, error, r, status, rapid);
  }

  private boundAddress(msg: DhcpV6Message): { address: string; valid: number; preferred: number } | null {
    const addrs = iaAddresses(msg, this.iaid).filter((a) => a.valid > 0);
    const want = 'address' in this.op ? ipv6ToString(ipv6FromString(this.op.address)) : null;
    return addrs.find((a) => a.address === want) ?? addrs[0] ?? null;
  }

  private log(dir: 'sent' | 'received', msg: DhcpV6Message, type: string, now: number, from: Endpoint, to: Endpoint): void {
    this.messages.push({ dir, type, time: now, index: this.messages.length, from, to, msg });
  }

  private finish(now: number, error: string | null, reply: Received | null, status: FoundStatus | null, rapid = false): void {
    this.phase = 'done';
    this.nextSend = null;
    this.windowEnd = null;
    this.timings.end = now - this.start;
    const r = reply?.msg ?? null;
    const bound = r && error === null ? this.boundAddress(r) : null;
    const chosen = this.chosen?.msg ?? null;
    const source = r ?? chosen;
    const url = (r && getOption(r, DhcpV6Opt.BOOTFILE_URL)?.value) ?? (chosen && getOption(chosen, DhcpV6Opt.BOOTFILE_URL)?.value);
    const params = (r && getOption(r, DhcpV6Opt.BOOTFILE_PARAM)?.value) ?? (chosen && getOption(chosen, DhcpV6Opt.BOOTFILE_PARAM)?.value);
    let address = bound?.address ?? null;
    if (error === null && this.op.kind === 'confirm') address = this.op.address;
    this.result = {
      operation: this.op.kind, ok: error === null, error, xid: this.xid, xids: this.xids,
      messages: this.messages, advertises: this.advertises.map((a) => a.msg), chosen, reply: r,
      address, validLifetime: bound?.valid ?? null, preferredLifetime: bound?.preferred ?? null,
      bootfileUrl: typeof url === 'string' ? url : null,
      bootfileParams: Array.isArray(params) ? (params as string[]) : [],
      serverDuid: (source && getOption(source, DhcpV6Opt.SERVERID)?.data) ?? null,
      serverAddr: reply?.from ?? this.chosen?.from ?? null,
      status, rapidCommit: rapid, timings: this.timings,
    };
  }
}
