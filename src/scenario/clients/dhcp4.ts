/**
 * DHCPv4 client state machine (RFC 2131 §4.4), I/O-free. One instance runs one operation:
 * DORA (with PXE offer selection), REQUEST for a given address, renew, rebind, release, decline
 * or inform, and ends with a `Dhcp4Result`.
 */
import { ipv4FromString, ipv4ToString, latin1String, macFromString } from '../../wire/bytes.js';
import {
  DhcpV4Code, DhcpV4MessageType, effectiveBootFile, emitDhcpV4, getOption, isProxyOffer, msgType, msgTypeName, serverId,
  type DhcpV4Message,
  type DhcpV4OptionInput,
} from '../../wire/dhcpv4/index.js';
import { isPxePersona, offerWindowFor, personaOptions, requestIdsLast, type Persona, type PersonaOverrides } from '../personas.js';
import {
  backoff, buildClientMessage, DHCP4_RETRY, nakRestartDelay, noAnswerError, parseReplyFor, prefersOffer, randomXid,
} from './dhcp4-message.js';
import {
  ANY_ADDR, BROADCAST_ADDR, earliest, type ClientMachine, type Endpoint, type ExchangeEntry, type RandomSource,
  type RelayConfig, type UdpDatagram,
} from './types.js';
import { UdpPort } from '../../wire/ports.js';

export type Dhcp4Operation =
  /** DORA; with `rebootAddress` the client first asks for that remembered address (INIT-REBOOT,
   *  RFC 2131 §3.2) and falls back to DORA on a NAK or silence. */
  | { kind: 'dora'; rebootAddress?: string }
  /** REQUEST for `address`: with `serverId` as in SELECTING, without as in INIT-REBOOT (NAK tests). */
  | { kind: 'request'; address: string; serverId?: string }
  /** RENEWING: unicast to `server`, ciaddr set, no 50/54. */
  | { kind: 'renew'; address: string; server: string }
  /** REBINDING: broadcast, ciaddr set, no 50/54. */
  | { kind: 'rebind'; address: string }
  | { kind: 'release'; address: string; serverId: string; server?: string }
  | { kind: 'decline'; address: string; serverId: string }
  | { kind: 'inform'; address: string; server?: string };

export interface Dhcp4ClientConfig {
  /** "aa:bb:cc:dd:ee:ff" */
  mac: string;
  persona: Persona;
  overrides?: PersonaOverrides;
  /** Default: drawn from `random`. */
  xid?: number;
  random?: RandomSource;
  /** BOOTP broadcast flag on broadcast messages (default true: PXE ROMs set it). */
  broadcastFlag?: boolean;
  /** Seconds to keep collecting offers after the first (default 2 for PXE personas, 0 otherwise). */
  offerWindow?: number;
  /** Sends of one message before giving up (default 4). */
  maxAttempts?: number;
  /** First retransmission timeout, doubled each time (default 4 s). */
  initialTimeout?: number;
  /** Largest retransmission timeout (default 64 s). */
  maxTimeout?: number;
  /** DORA restarts after a NAK (RFC 2131 §3.1 step 5, §3.2) before the client gives up (default 3). */
  maxRestarts?: number;
  relay?: RelayConfig;
  /** Where broadcast messages go in relay mode (the server's address). */
  relayTo?: string;
}

export interface Dhcp4Timings {
  /** Seconds from the first message sent. */
  firstOffer?: number;
  request?: number;
  ack?: number;
  nak?: number;
  end: number;
}

export interface Dhcp4Result {
  operation: Dhcp4Operation['kind'];
  ok: boolean;
  error: string | null;
  xid: number;
  messages: ExchangeEntry<DhcpV4Message>[];
  offers: DhcpV4Message[];
  chosen: { offer: DhcpV4Message | null; proxy: DhcpV4Message | null };
  ack: DhcpV4Message | null;
  nak: DhcpV4Message | null;
  /** Address obtained (ACK yiaddr), when there is one. */
  address: string | null;
  timings: Dhcp4Timings;
  /** NAKs that made the client start over (each restart is a new DISCOVER with a new xid). */
  restarts: number;
  /** Every NAK received, the restarting ones included. */
  naks: DhcpV4Message[];
}

type Phase = 'start' | 'selecting' | 'requesting' | 'rebooting' | 'done';

const CLIENT_PORT = UdpPort.DHCP_CLIENT;
const SERVER_PORT = UdpPort.DHCP_SERVER;

function u32Zero(b: Uint8Array): boolean {
  return b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0;
}

function addrOption(code: number, addr: string): DhcpV4OptionInput {
  return { code, data: ipv4FromString(addr) };
}

/** PXE selection: an address offer (prefersOffer: one with a boot file first) plus a proxy offer if any. */
export function selectOffers(offers: DhcpV4Message[], pxe: boolean): { offer: DhcpV4Message | null; proxy: DhcpV4Message | null } {
  let offer: DhcpV4Message | null = null;
  let offerBoot = false;
  for (const o of offers) {
    const boot = pxe && effectiveBootFile(o) !== null;
    if (prefersOffer(pxe, offer !== null, offerBoot, !u32Zero(o.yiaddr), boot)) {
      offer = o;
      offerBoot = boot;
    }
  }
  return { offer, proxy: pxe ? offers.find(isProxyOffer) ?? null : null };
}

export class Dhcp4Client implements ClientMachine<Dhcp4Result> {
  /** The current transaction id (a restart after a NAK draws a new one). */
  xid: number;
  private readonly mac: Uint8Array;
  private readonly random: RandomSource;
  private readonly pxe: boolean;
  private readonly maxAttempts: number;
  private readonly offerWindow: number;
  private phase: Phase = 'start';
  private start = -1;
  private attempts = 0;
  private nextSend: number | null = null;
  private windowEnd: number | null = null;
  private readonly messages: ExchangeEntry<DhcpV4Message>[] = [];
  private readonly offers: DhcpV4Message[] = [];
  private chosen: { offer: DhcpV4Message | null; proxy: DhcpV4Message | null } = { offer: null, proxy: null };
  private readonly timings: Dhcp4Timings = { end: 0 };
  private result: Dhcp4Result | null = null;
  private restarts = 0;
  private readonly naks: DhcpV4Message[] = [];
  private readonly maxRestarts: number;

  constructor(private readonly cfg: Dhcp4ClientConfig, readonly op: Dhcp4Operation = { kind: 'dora' }) {
    this.random = cfg.random ?? Math.random;
    this.xid = (cfg.xid ?? randomXid(this.random)) >>> 0;
    this.mac = macFromString(cfg.mac);
    this.pxe = isPxePersona(cfg.persona);
    this.maxAttempts = Math.max(1, cfg.maxAttempts ?? DHCP4_RETRY.maxAttempts);
    this.offerWindow = cfg.offerWindow ?? offerWindowFor(cfg.persona);
    this.maxRestarts = Math.max(0, cfg.maxRestarts ?? DHCP4_RETRY.maxRestarts);
  }

  pollAt(): number | null {
    if (this.phase === 'done') return null;
    if (this.phase === 'start') return 0;
    if (this.restartAt !== null) return this.restartAt;
    return earliest(this.nextSend, this.windowEnd);
  }

  done(): Dhcp4Result | null {
    return this.result;
  }

  dispatch(now: number): UdpDatagram[] {
    if (this.restartAt !== null) {
      if (now < this.restartAt) return [];
      this.restartAt = null;
      return this.restart(now);
    }
    switch (this.phase) {
      case 'start':
        this.start = now;
        if (this.op.kind === 'dora') {
          this.phase = this.op.rebootAddress === undefined ? 'selecting' : 'rebooting';
          return this.send(now, true);
        }
        this.phase = 'requesting';
        return this.send(now, true);
      case 'selecting':
        if (this.windowEnd !== null && now >= this.windowEnd) {
          this.chosen = selectOffers(this.offers, this.pxe);
          this.windowEnd = null;
          if (this.chosen.offer) {
            this.phase = 'requesting';
            this.timings.request = now - this.start;
            return this.send(now, true);
          }
          // Proxy offers only: keep asking for an address (the next offer opens a new window).
        }
        return this.retransmitDue(now);
      case 'requesting':
        return this.retransmitDue(now);
      case 'rebooting':
        // No answer to INIT-REBOOT: forget the remembered address and start over (RFC 2131 §3.2).
        if (this.nextSend !== null && now >= this.nextSend && this.attempts >= this.maxAttempts) return this.restart(now);
        return this.retransmitDue(now);
      default:
        return [];
    }
  }

  /** Back to INIT: a new xid, offers forgotten, a new DISCOVER now. */
  private restart(now: number): UdpDatagram[] {
    this.restarts++;
    this.xid = randomXid(this.random);
    this.offers.length = 0;
    this.chosen = { offer: null, proxy: null };
    this.windowEnd = null;
    this.phase = 'selecting';
    return this.send(now, true);
  }

  process(d: UdpDatagram, now: number): void {
    if (this.phase !== 'selecting' && this.phase !== 'requesting' && this.phase !== 'rebooting') return;
    if (this.restartAt !== null) return; // NAKed: that transaction is over, a new one starts soon
    const msg = parseReplyFor(d.payload, this.xid, this.mac);
    if (!msg) return;
    this.log('received', msg, now, d.src, d.dst);
    const t = msgType(msg);
    if (this.phase === 'selecting') {
      if (t !== DhcpV4MessageType.OFFER) return;
      this.offers.push(msg);
      if (this.timings.firstOffer === undefined) this.timings.firstOffer = now - this.start;
      if (this.windowEnd === null) this.windowEnd = now + this.offerWindow;
      return;
    }
    if (t !== DhcpV4MessageType.ACK && t !== DhcpV4MessageType.NAK) return;
    const want = this.expectedServerId();
    if (want !== null && serverId(msg) !== null && serverId(msg) !== want) return; // another server's answer
    if (t === DhcpV4MessageType.ACK) {
      this.timings.ack = now - this.start;
      this.finish(now, null, msg, null);
      return;
    }
    this.timings.nak = now - this.start;
    this.naks.push(msg);
    // A DORA client that is told NAK starts over (RFC 2131 §3.1 step 5, §3.2), a bounded number of times.
    if (this.op.kind === 'dora' && this.restarts < this.maxRestarts) {
      this.restartAt = now + nakRestartDelay(this.restarts + 1, this.random);
      this.nextSend = null;
      return;
    }
    const text = optionText(msg, 56);
    this.finish(now, `NAK from ${serverId(msg) ?? d.src.addr}${text ? `: ${text}` : ''}`, null, msg);
  }

  /** Set by a NAK: when dispatch restarts (sending is dispatch's job, not process's). */
  private restartAt: number | null = null;

  private expectedServerId(): string | null {
    if (this.op.kind === 'dora') return this.phase === 'rebooting' || !this.chosen.offer ? null : serverId(this.chosen.offer);
    if (this.op.kind === 'request') return this.op.serverId ?? null;
    return null;
  }

  private retransmitDue(now: number): UdpDatagram[] {
    if (this.nextSend === null || now < this.nextSend) return [];
    if (this.attempts >= this.maxAttempts) {
      const sent = this.phase === 'selecting' ? 'DISCOVER' : this.op.kind === 'inform' ? 'INFORM' : 'REQUEST';
      this.finish(now, noAnswerError(sent, this.attempts, now - this.start), null, null);
      return [];
    }
    return this.send(now, false);
  }

  /** Send (or resend) the current phase's message and arm the back-off timer. */
  private send(now: number, first: boolean): UdpDatagram[] {
    if (first) this.attempts = 0;
    this.attempts++;
    const built = this.build(now);
    this.log('sent', built.msg, now, built.src, built.dst);
    const oneShot = this.op.kind === 'release' || this.op.kind === 'decline';
    if (oneShot) {
      this.finish(now, null, null, null);
    } else {
      this.nextSend = now + backoff(this.attempts, this.cfg.initialTimeout ?? DHCP4_RETRY.initialTimeout, this.cfg.maxTimeout ?? DHCP4_RETRY.maxTimeout, this.random);
    }
    return [built.datagram];
  }

  private build(now: number): { datagram: UdpDatagram; msg: DhcpV4Message; src: Endpoint; dst: Endpoint } {
    const cfg = this.cfg;
    const op = this.op;
    const secs = now - this.start;
    const persona = (m: 'discover' | 'request'): DhcpV4OptionInput[] => this.personaOptions(m);
    let type: number = DhcpV4MessageType.REQUEST;
    let ciaddr: string | undefined;
    let lead: DhcpV4OptionInput[] = [];
    let opts: DhcpV4OptionInput[] | undefined;
    let unicastTo: string | null = null;
    switch (op.kind) {
      case 'dora':
        opts = persona(this.phase === 'selecting' ? 'discover' : 'request');
        if (this.phase === 'selecting') {
          type = DhcpV4MessageType.DISCOVER;
        } else if (this.phase === 'rebooting') {
          // INIT-REBOOT: 50 = the remembered address, no server identifier, ciaddr 0 (RFC 2131 §4.3.2).
          lead.push(addrOption(50, op.rebootAddress!));
        } else {
          const offer = this.chosen.offer!;
          const sid = serverId(offer);
          if (sid) lead.push(addrOption(54, sid));
          lead.push(addrOption(50, ipv4ToString(offer.yiaddr)));
        }
        break;
      case 'request':
        opts = persona('request');
        if (op.serverId) lead.push(addrOption(54, op.serverId));
        lead.push(addrOption(50, op.address));
        break;
      case 'renew':
        opts = persona('request');
        ciaddr = op.address;
        unicastTo = op.server;
        break;
      case 'rebind':
        opts = persona('request');
        ciaddr = op.address;
        break;
      case 'release':
        type = DhcpV4MessageType.RELEASE;
        ciaddr = op.address;
        lead = [addrOption(54, op.serverId)];
        opts = clientIdOnly(persona('request'));
        unicastTo = op.server ?? op.serverId;
        break;
      case 'decline':
        type = DhcpV4MessageType.DECLINE;
        lead = [addrOption(54, op.serverId), addrOption(50, op.address)];
        opts = clientIdOnly(persona('request'));
        break;
      case 'inform':
        opts = persona('request');
        type = DhcpV4MessageType.INFORM;
        ciaddr = op.address;
        unicastTo = op.server ?? null;
        break;
    }
    const broadcast = unicastTo === null;
    const msg = buildClientMessage({
      type, xid: this.xid, mac: cfg.mac, secs, ciaddr, lead, persona: opts, relay: cfg.relay,
      leadLast: requestIdsLast(cfg.persona),
      // A client with an address can receive unicast: the flag is for clients without one.
      broadcast: broadcast && ciaddr === undefined && (cfg.broadcastFlag ?? true),
    });
    const payload = emitDhcpV4(msg);
    if (cfg.relay) {
      // Relay mode: we are the relay agent, talking unicast server port to server port.
      const to = unicastTo ?? cfg.relayTo ?? BROADCAST_ADDR;
      const src = { addr: cfg.relay.giaddr, port: SERVER_PORT };
      const dst = { addr: to, port: SERVER_PORT };
      return { datagram: { src, dst, payload, broadcast: to === BROADCAST_ADDR }, msg, src, dst };
    }
    const src = { addr: ciaddr ?? ANY_ADDR, port: CLIENT_PORT };
    const dst = { addr: unicastTo ?? BROADCAST_ADDR, port: SERVER_PORT };
    return { datagram: { src, dst, payload, broadcast }, msg, src, dst };
  }

  /** The persona's options per message kind: the same for every send of this client (retransmissions, REQUEST). */
  private readonly personaCache: Partial<Record<'discover' | 'request', DhcpV4OptionInput[]>> = {};

  private personaOptions(m: 'discover' | 'request'): DhcpV4OptionInput[] {
    return (this.personaCache[m] ??= personaOptions(this.cfg.persona, this.cfg.mac, this.cfg.overrides, m));
  }

  private log(dir: 'sent' | 'received', msg: DhcpV4Message, now: number, from: Endpoint, to: Endpoint): void {
    this.messages.push({ dir, type: msgTypeName(msg) ?? 'BOOTP', time: now, index: this.messages.length, from, to, msg });
  }

  private finish(now: number, error: string | null, ack: DhcpV4Message | null, nak: DhcpV4Message | null): void {
    this.phase = 'done';
    this.nextSend = null;
    this.windowEnd = null;
    this.timings.end = now - this.start;
    this.result = {
      operation: this.op.kind, ok: error === null, error, xid: this.xid, messages: this.messages,
      offers: this.offers, chosen: this.chosen, ack, nak,
      address: ack && !u32Zero(ack.yiaddr) ? ipv4ToString(ack.yiaddr) : null, timings: this.timings,
      restarts: this.restarts, naks: this.naks,
    };
  }
}

/** RFC 2131 table 5: DECLINE / RELEASE carry at most the client identifier besides 50/54. */
function clientIdOnly(opts: DhcpV4OptionInput[] | undefined): DhcpV4OptionInput[] {
  return (opts ?? []).filter((o) => o.code === DhcpV4Code.CLIENT_ID);
}

function optionText(msg: DhcpV4Message, code: number): string | null {
  const d = getOption(msg, code);
  return d ? latin1String(d) : null;
}
