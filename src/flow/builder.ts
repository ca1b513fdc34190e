/**
 * The boot-chain flow engine: decoded messages (in capture order) → one chain per client, steps in
 * time order. Keeps only strings and numbers copied out of the messages, never a message or a byte
 * view (they point into the capture read buffer, reused after the callback).
 */
import { hex, ipv4ToString, latin1String, u32 } from '../wire/bytes.js';
import type { WireIssue } from '../wire/issues.js';
import {
  clientArch as v4ClientArch, clientArchName, clientMac, effectiveBootFile, getOption as v4Option,
  msgType, msgTypeName, serverId, userClasses as v4UserClasses, vendorClass as v4VendorClass,
  type DhcpV4Message,
} from '../wire/dhcpv4/index.js';
import {
  bootFileUrl, clientArch as v6ClientArch, getOption as v6Option, getOptionValue as v6OptionValue,
  innermostMessage, msgTypeLabel, userClasses as v6UserClasses, vendorClass as v6VendorClass,
  type DhcpV6Message,
} from '../wire/dhcpv6/index.js';
import {
  clientKeyFallback, duidInfo, failedStatuses, iaids, isUnicastMac, leases, relayChain, relayFacts,
} from './dhcp6-facts.js';
import { tftpNegotiation, type TftpPacket } from '../wire/tftp.js';
import { httpHeader, type HttpRequestHead, type HttpResponseHead } from '../wire/http.js';
import type {
  DecodedMessage, DecodeSink, Dhcp4Decoded, Dhcp6Decoded, HttpDecoded, IcmpDecoded, NdpDecoded, TftpDecoded, UndecodedFrame,
} from '../decode/messages.js';
import { linkOf, raSummary, RouterTable } from './routers.js';
import { FrameSample } from './frames.js';
import { clientStage } from './classify.js';
import type {
  ChainState, Dhcp4State, Dhcp6State, HttpState, ProxyState, RaState, StepState, TftpState,
} from './state.js';
import {
  DEFAULT_THRESHOLDS, type Analysis, type AnalysisThresholds, type BootChain, type BootStep, type Finding,
  type NdpCounts, type RaSummary,
} from './types.js';
import { evaluateFindings, summarize, type CaptureInfo, type UnreachableFact } from '../findings/rules.js';

export interface BootChainBuilderOptions {
  thresholds?: Partial<AnalysisThresholds>;
  /** Called when a step is opened (its fields keep filling in afterwards). */
  onStep?: (chain: BootChain, step: BootStep) => void;
  /** Called for each finding, in time order, from `finish`. */
  onFinding?: (f: Finding) => void;
}

export interface FinishInfo {
  file: string;
  packets: number;
  captureWarnings: WireIssue[];
  truncated: boolean;
  /** Times of the first and last record of the capture (any protocol); default: of the messages. */
  firstPacket?: number | null;
  lastPacket?: number | null;
}

const PROXY_PORT = 4011;
const DHCP4_DISCOVER = 1;
const DHCP4_OFFER = 2;
const DHCP4_REQUEST = 3;
const DHCP4_ACK = 5;
const DHCP4_NAK = 6;
const DHCP4_INFORM = 8;
const V6_SOLICIT = 1;
const V6_ADVERTISE = 2;
const V6_REQUEST = 3;
const V6_REPLY = 7;
const V6_RELEASE = 8;
const V6_DECLINE = 9;
const V6_INFORMATION_REQUEST = 11;
const V6_RECONFIGURE = 10;
const V6_RELAY_REPL = 13;
const MAX_OFFERS = 16;
const MAX_ADDRESSES = 8;
/** DHCPv6 transactions remembered (DUID|xid → client) to place server answers. */
const MAX_DHCP6_TX = 4096;
const TFTP_DEFAULT_BLKSIZE = 512;
/** Error code of a TFTP step failed by an ICMP unreachable instead of a TFTP ERROR: 0 ("not
 *  defined, see error message"), as the JSON schema keeps codes unsigned; the message says ICMP. */
export const TFTP_ICMP_ERROR_CODE = 0;
/** Per chain: ICMP unreachables kept for the rules (a flood still shows its pattern). */
const MAX_UNREACHABLE = 64;
/** ICMP destination-unreachable codes that mean "nothing (allowed to) listen there":
 *  v4 host 1, port 3, net/host/communication administratively prohibited 9, 10, 13;
 *  v6 administratively prohibited 1, address 3, port 4, policy 5, reject route 6. */
const V4_UNREACH_CODES: ReadonlySet<number> = new Set([1, 3, 9, 10, 13]);
const V6_UNREACH_CODES: ReadonlySet<number> = new Set([1, 3, 4, 5, 6]);

function isZeroAddr(b: Uint8Array): boolean {
  return b.length < 4 || u32(b, 0) === 0;
}

function addrOrNull(b: Uint8Array): string | null {
  return isZeroAddr(b) ? null : ipv4ToString(b, 0);
}

/** Option text up to the first NUL, or null. */
function optionText(msg: DhcpV4Message, code: number): string | null {
  const d = v4Option(msg, code);
  if (!d) return null;
  const z = d.indexOf(0);
  return latin1String(z >= 0 ? d.subarray(0, z) : d);
}

/** Printable text as is, otherwise hex. */
function printable(d: Uint8Array): string {
  for (let i = 0; i < d.length; i++) if (d[i]! < 0x20 || d[i]! > 0x7e) return hex(d);
  return latin1String(d);
}

/** Option 82 circuit-id (1) and remote-id (2). */
function relayAgentIds(msg: DhcpV4Message): { circuitId: string | null; remoteId: string | null } | null {
  const d = v4Option(msg, 82);
  if (!d) return null;
  let circuitId: string | null = null;
  let remoteId: string | null = null;
  for (let i = 0; i + 2 <= d.length;) {
    const code = d[i]!;
    const len = d[i + 1]!;
    const v = d.subarray(i + 2, Math.min(d.length, i + 2 + len));
    if (code === 1) circuitId = printable(v);
    else if (code === 2) remoteId = printable(v);
    i += 2 + len;
  }
  return { circuitId, remoteId };
}


export class BootChainBuilder implements DecodeSink {
  readonly thresholds: AnalysisThresholds;
  private readonly chains = new Map<string, ChainState>();
  /** Leased address → chain key (latest lease wins). */
  private readonly leases = new Map<string, string>();
  /** `client DUID hex|xid` → chain key of the client that sent it (server answers follow it). */
  private readonly dhcp6Clients = new Map<string, string>();
  private readonly routers = new RouterTable();
  private readonly ndpCounts: NdpCounts = { rs: 0, ra: 0, ns: 0, na: 0, redirect: 0 };
  /** IPv6 clients whose next RA on their link becomes an `ra` step (they sent an RS, or have not
   *  seen an RA since their first IPv6 packet). */
  private readonly raWaiting = new Set<ChainState>();
  private readonly tftp = new Map<number, TftpState>();
  /** `addr|port` of a TFTP client endpoint → its latest transfer (to match ICMP quotes). */
  private readonly tftpByClient = new Map<string, TftpState>();
  /** Chain key → ICMP unreachables answering that client's boot-chain datagrams. */
  private readonly unreachable = new Map<string, UnreachableFact[]>();
  private readonly http = new Map<number, HttpState[]>();
  /** Frames with issues nobody could attribute to a client. */
  private readonly strayMalformed = new FrameSample();
  private strayMalformedTime = 0;
  private readonly strayWhat = new Set<string>();
  private firstTime: number | null = null;
  private lastTime: number | null = null;

  constructor(private readonly opts: BootChainBuilderOptions = {}) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  }

  message(m: DecodedMessage): void {
    this.seen(m.time);
    let chain: ChainState | null = null;
    switch (m.proto) {
      case 'dhcp4': chain = this.dhcp4(m); break;
      case 'dhcp6': chain = this.dhcp6(m); break;
      case 'tftp': chain = this.tftpMessage(m); break;
      case 'http': chain = this.httpMessage(m); break;
      case 'icmp': chain = this.icmpMessage(m); break;
      case 'ndp': chain = this.ndpMessage(m); break;
    }
    if (m.issues.length > 0) this.noteIssues(chain, m.frame, m.time, m.issues);
  }

  undecoded(f: UndecodedFrame): void {
    this.seen(f.time);
    this.noteIssues(null, f.frame, f.time, f.issues);
  }

  finish(info: FinishInfo): Analysis {
    const first = info.firstPacket ?? this.firstTime;
    const last = info.lastPacket ?? this.lastTime;
    // A host that only solicited routers (a server, a router, an OS at startup) is not a boot client.
    const states = [...this.chains.values()].filter((c) => !(c.states.length > 0 && c.states.every((s) => s.kind === 'ra')));
    for (const c of states) dropIdleSolicitations(c);
    for (const c of states) {
      for (const s of c.states) {
        s.step.frames = s.frames.toArray();
        s.step.frameCount = s.frames.count;
      }
    }
    const routers = this.routers.list();
    const capture: CaptureInfo = {
      first, last, truncated: info.truncated, captureWarnings: info.captureWarnings,
      strayMalformed: this.strayMalformed.count > 0
        ? { frames: this.strayMalformed.toArray(), count: this.strayMalformed.count, time: this.strayMalformedTime, what: [...this.strayWhat] }
        : null,
      unreachable: this.unreachable,
      routers,
    };
    const findings = evaluateFindings(states, capture, this.thresholds);
    for (const f of findings) this.opts.onFinding?.(f);
    const clients = states.map((s) => s.chain);
    return {
      file: info.file, packets: info.packets, clients, findings, summary: summarize(clients, findings, first, last),
      routers, ndp: { ...this.ndpCounts },
    };
  }

  // ---- chains ----

  private seen(t: number): void {
    if (this.firstTime === null || t < this.firstTime) this.firstTime = t;
    if (this.lastTime === null || t > this.lastTime) this.lastTime = t;
  }

  private chainFor(key: string, time: number): ChainState {
    let c = this.chains.get(key);
    if (!c) {
      c = {
        key,
        chain: { mac: key, arch: null, archName: null, vendorClass: null, steps: [], timeToBootProgram: null, booted: false },
        first: time, last: time, states: [], dhcp4: null, proxy: null, dhcp6: null, ra: null,
        v6First: null, raSeen: false, link: '', linkKnown: false,
        malformed: null, malformedTime: 0, malformedWhat: null,
      };
      this.chains.set(key, c);
    }
    if (time > c.last) c.last = time;
    return c;
  }

  /** The chain of the client using `addr` now: its lease holder, else `ip:<addr>`. */
  private chainForAddr(addr: string, time: number): ChainState {
    return this.chainFor(this.leases.get(addr) ?? `ip:${addr}`, time);
  }

  private noteLink(c: ChainState, vlans: number[]): void {
    if (c.linkKnown) return;
    c.linkKnown = true;
    c.link = vlans.join('.');
  }

  private open<S extends StepState>(c: ChainState, s: S): S {
    c.states.push(s);
    c.chain.steps.push(s.step);
    this.opts.onStep?.(c.chain, s.step);
    return s;
  }

  private noteArch(c: ChainState, arch: number | undefined, vc: string | null): void {
    if (c.chain.arch === null && arch !== undefined) {
      c.chain.arch = arch;
      c.chain.archName = clientArchName(arch);
    }
    if (c.chain.vendorClass === null && vc) c.chain.vendorClass = vc;
  }

  private noteIssues(c: ChainState | null, frame: number, time: number, issues: WireIssue[]): void {
    let what: string | null = null;
    for (const i of issues) {
      if (i.kind === 'unsupported') continue;
      what = `${i.layer}: ${i.message}`;
      break;
    }
    if (what === null) return;
    if (c) {
      if (!c.malformed) {
        c.malformed = new FrameSample();
        c.malformedTime = time;
        c.malformedWhat = new Set();
      }
      c.malformed.add(frame);
      if (c.malformedWhat!.size < 8) c.malformedWhat!.add(what);
    } else {
      if (this.strayMalformed.count === 0) this.strayMalformedTime = time;
      this.strayMalformed.add(frame);
      if (this.strayWhat.size < 8) this.strayWhat.add(what);
    }
  }

  // ---- DHCPv4 ----

  private dhcp4(m: Dhcp4Decoded): ChainState | null {
    const msg = m.msg;
    if (msg.headerLength < 44) return null; // no chaddr: nothing to key on
    const mac = clientMac(msg);
    const c = this.chainFor(mac, m.time);
    const type = msgType(msg);
    const fromClient = msg.op === 1;
    const proxyPort = m.dstPort === PROXY_PORT || m.srcPort === PROXY_PORT;
    if (fromClient) {
      const arch = v4ClientArch(msg)[0];
      this.noteArch(c, arch, v4VendorClass(msg));
      this.noteLink(c, m.vlans);
    }
    if (proxyPort) {
      this.proxyMessage(c, m, fromClient, type);
      return c;
    }
    let st = c.dhcp4;
    if (fromClient) {
      const newRound = type === DHCP4_DISCOVER && st !== null && st.step.xid === msg.xid && st.requestSeen;
      if (!st || st.step.xid !== msg.xid || newRound) st = this.openDhcp4(c, m);
      this.dhcp4Client(c, st, m, type);
    } else {
      if (!st || st.step.xid !== msg.xid) {
        st = this.findDhcp4(c, msg.xid) ?? this.openDhcp4(c, m);
      }
      this.dhcp4Server(c, st, m, type);
    }
    return c;
  }

  private findDhcp4(c: ChainState, xid: number): Dhcp4State | null {
    for (let i = c.states.length - 1, n = 0; i >= 0 && n < 8; i--, n++) {
      const s = c.states[i]!;
      if (s.kind === 'dhcp4' && s.step.xid === xid) return s;
    }
    return null;
  }

  private openDhcp4(c: ChainState, m: Dhcp4Decoded): Dhcp4State {
    const st: Dhcp4State = {
      kind: 'dhcp4', frames: new FrameSample(), last: m.time,
      step: {
        kind: 'dhcp4', start: m.time, duration: 0, ok: false, frames: [], xid: m.msg.xid, messages: [], offers: [],
        server: null, yiaddr: null, bootfile: null, nextServer: null, stage: 'os', vendorClass: null,
        userClass: [], arch: null, leaseTime: null, relay: null, ackOptions: [],
      },
      stageKnown: false, firstDiscover: null, discoverFrame: 0, firstOffer: null, pendingRequest: null,
      requestSeen: false, discoversAfterOffer: 0, offerVendorClass: [], nak: null, ack: null,
    };
    c.dhcp4 = st;
    return this.open(c, st);
  }

  private touch(st: StepState, m: { frame: number; time: number }): void {
    st.frames.add(m.frame);
    if (m.time > st.last) st.last = m.time;
    st.step.duration = st.last - st.step.start;
  }

  private noteRelay(st: Dhcp4State, msg: DhcpV4Message): void {
    const giaddr = addrOrNull(msg.giaddr);
    const ids = relayAgentIds(msg);
    if (!giaddr && !ids) return;
    const r = (st.step.relay ??= { giaddr: giaddr ?? '0.0.0.0', circuitId: null, remoteId: null });
    if (giaddr && r.giaddr === '0.0.0.0') r.giaddr = giaddr;
    if (ids?.circuitId && !r.circuitId) r.circuitId = ids.circuitId;
    if (ids?.remoteId && !r.remoteId) r.remoteId = ids.remoteId;
  }

  private pushMessage(st: { step: { messages: string[] } }, name: string): void {
    const list = st.step.messages;
    // Bounded: a client retrying forever still shows its pattern, not every retry.
    if (list.length < 64) list.push(name);
  }

  private dhcp4Client(c: ChainState, st: Dhcp4State, m: Dhcp4Decoded, type: number | null): void {
    const msg = m.msg;
    this.touch(st, m);
    this.pushMessage(st, msgTypeName(msg) ?? 'BOOTREQUEST');
    this.noteRelay(st, msg);
    const step = st.step;
    if (!st.stageKnown) {
      st.stageKnown = true;
      step.stage = clientStage(msg);
      step.vendorClass = v4VendorClass(msg);
      step.userClass = v4UserClasses(msg);
      step.arch = v4ClientArch(msg)[0] ?? null;
    }
    if (type === DHCP4_DISCOVER || (type === null && msg.op === 1)) {
      if (st.firstDiscover === null) {
        st.firstDiscover = m.time;
        st.discoverFrame = m.frame;
      } else if (st.firstOffer !== null) st.discoversAfterOffer++;
    } else if (type === DHCP4_REQUEST || type === DHCP4_INFORM) {
      st.requestSeen = true;
      st.pendingRequest ??= { time: m.time, frame: m.frame };
      const sid = serverId(msg);
      if (sid) step.server = sid;
      const ciaddr = addrOrNull(msg.ciaddr);
      if (type === DHCP4_INFORM && ciaddr) this.leases.set(ciaddr, c.key);
    } else if (type === 7 /* RELEASE */ && step.messages.length === 1) {
      // A RELEASE expects no answer: on its own it is a complete, successful step.
      step.ok = true;
    }
  }

  private dhcp4Server(c: ChainState, st: Dhcp4State, m: Dhcp4Decoded, type: number | null): void {
    const msg = m.msg;
    this.touch(st, m);
    this.pushMessage(st, msgTypeName(msg) ?? 'BOOTREPLY');
    this.noteRelay(st, msg);
    const step = st.step;
    const server = serverId(msg) ?? m.srcAddr;
    const bootfile = effectiveBootFile(msg);
    const nextServer = optionText(msg, 66) ?? addrOrNull(msg.siaddr);
    if (type === DHCP4_OFFER) {
      st.firstOffer ??= m.time;
      const yiaddr = ipv4ToString(msg.yiaddr, 0);
      const vc = v4VendorClass(msg);
      const proxy = isZeroAddr(msg.yiaddr) && (vc?.startsWith('PXEClient') ?? false);
      const dup = step.offers.some((o) => o.server === server && o.proxy === proxy && o.yiaddr === yiaddr);
      if (!dup && step.offers.length < MAX_OFFERS) {
        const t0 = st.firstDiscover ?? step.start;
        step.offers.push({ server, yiaddr, frame: m.frame, delay: m.time - t0, bootfile, nextServer, proxy });
        st.offerVendorClass.push(vc);
      }
      this.mergeBootInfo(st);
      return;
    }
    if (type === DHCP4_ACK || (type === null && msg.op === 2)) {
      st.pendingRequest = null;
      st.ack = { frame: m.frame, time: m.time, bootfile };
      step.ok = true;
      step.server ??= server;
      const yiaddr = addrOrNull(msg.yiaddr) ?? addrOrNull(msg.ciaddr);
      if (yiaddr) {
        step.yiaddr = yiaddr;
        this.leases.set(yiaddr, c.key);
      }
      const lease = v4Option(msg, 51);
      step.leaseTime = lease && lease.length === 4 ? u32(lease, 0) : null;
      const codes: number[] = [];
      for (const o of msg.options) if (o.code !== 0 && o.code !== 255 && !codes.includes(o.code)) codes.push(o.code);
      step.ackOptions = codes.sort((a, b) => a - b);
      step.bootfile = bootfile;
      step.nextServer = nextServer;
      this.mergeBootInfo(st);
      return;
    }
    if (type === DHCP4_NAK) {
      st.pendingRequest = null;
      st.nak ??= { frame: m.frame, time: m.time, server };
      step.ok = false;
    }
  }

  /** Boot file and next server: the ACK's, else the chosen offer's, else a proxy offer's. */
  private mergeBootInfo(st: Dhcp4State): void {
    const step = st.step;
    if (step.bootfile !== null) return;
    const chosen = step.offers.find((o) => !o.proxy && (step.server === null || o.server === step.server));
    const fromOffer = chosen?.bootfile ? chosen : step.offers.find((o) => o.proxy && o.bootfile);
    if (st.ack?.bootfile) return;
    if (fromOffer?.bootfile) {
      step.bootfile = fromOffer.bootfile;
      step.nextServer = fromOffer.nextServer ?? step.nextServer;
    }
  }

  private proxyMessage(c: ChainState, m: Dhcp4Decoded, fromClient: boolean, type: number | null): void {
    const msg = m.msg;
    let st = c.proxy;
    if (!st || st.step.xid !== msg.xid || (fromClient && st.pendingRequest === null && st.step.messages.length > 1)) {
      if (!fromClient && st && st.step.xid === msg.xid) {
        // late duplicate answer: same step
      } else {
        st = this.open(c, {
          kind: 'proxydhcp', frames: new FrameSample(), last: m.time, pendingRequest: null,
          step: { kind: 'proxydhcp', start: m.time, duration: 0, ok: false, frames: [], xid: msg.xid, server: null, messages: [], bootfile: null, nextServer: null },
        } satisfies ProxyState);
        c.proxy = st;
      }
    }
    this.touch(st, m);
    this.pushMessage(st, msgTypeName(msg) ?? (fromClient ? 'BOOTREQUEST' : 'BOOTREPLY'));
    if (fromClient) {
      st.pendingRequest ??= { time: m.time, frame: m.frame };
      st.step.server ??= m.dstAddr;
      const ciaddr = addrOrNull(msg.ciaddr);
      if (ciaddr && !this.leases.has(ciaddr)) this.leases.set(ciaddr, c.key);
      return;
    }
    if (type === DHCP4_ACK || type === null) {
      st.pendingRequest = null;
      st.step.ok = true;
      st.step.server = serverId(msg) ?? m.srcAddr;
      st.step.bootfile = effectiveBootFile(msg);
      st.step.nextServer = optionText(msg, 66) ?? addrOrNull(msg.siaddr);
      // The boot server's answer completes the round's boot info when neither DHCP nor proxy offer had it.
      const round = c.dhcp4;
      if (round && round.step.bootfile === null && st.step.bootfile) {
        round.step.bootfile = st.step.bootfile;
        round.step.nextServer = st.step.nextServer ?? round.step.nextServer;
      }
    }
  }

  // ---- DHCPv6 ----

  private dhcp6(m: Dhcp6Decoded): ChainState | null {
    const inner = innermostMessage(m.msg);
    if (inner.relay) return null;
    const duidOpt = v6Option(inner, 1);
    const relays = m.msg.relay ? relayChain(m.msg) : [];
    const t = inner.msgType;
    const fromServer = t === V6_ADVERTISE || t === V6_REPLY || t === V6_RECONFIGURE || m.msg.msgType === V6_RELAY_REPL;
    const duidHex = duidOpt ? hex(duidOpt.data) : '';
    const txKey = `${duidHex}|${inner.xid}`;
    let key: string | null;
    if (fromServer) {
      // The client's own messages decided who it is; a unicast answer goes to the client's MAC.
      key = this.dhcp6Clients.get(txKey)
        ?? (relays.length === 0 && isUnicastMac(m.dstMac) ? m.dstMac : clientKeyFallback(inner, relays));
    } else {
      key = relays.length === 0 && isUnicastMac(m.srcMac) ? m.srcMac : clientKeyFallback(inner, relays);
      if (key !== null) {
        if (this.dhcp6Clients.size >= MAX_DHCP6_TX) this.dhcp6Clients.delete(this.dhcp6Clients.keys().next().value!);
        this.dhcp6Clients.set(txKey, key);
      }
    }
    if (key === null) return null;
    const c = this.chainFor(key, m.time);
    this.noteLink(c, m.vlans);
    if (!fromServer) {
      if (inner.msgType === V6_SOLICIT || inner.msgType === V6_REQUEST || inner.msgType === V6_INFORMATION_REQUEST) this.noteV6(c, m.time);
      const vc = v6VendorClass(inner);
      this.noteArch(c, v6ClientArch(inner)?.[0], vc?.data[0] ?? null);
      // The client's link-local (or the relay's view of it) joins TFTP/HTTP over IPv6 to the chain.
      const own = relays.length === 0 ? m.srcAddr : relayFacts(relays)?.peerAddress;
      if (own && own !== '::' && !this.leases.has(own)) this.leases.set(own, c.key);
      return this.dhcp6Client(c, m, inner, relays);
    }
    return this.dhcp6Server(c, m, inner);
  }

  private dhcp6Client(c: ChainState, m: Dhcp6Decoded, inner: DhcpV6Message, relays: DhcpV6Message[]): ChainState {
    if (inner.relay) return c;
    const t = inner.msgType;
    const ids = iaids(inner);
    let st = this.findDhcp6(c, inner.xid);
    if (!st && t === V6_REQUEST) st = this.solicitedStep(c, ids);
    if (!st) st = this.openDhcp6(c, m, inner);
    else if (!st.xids.includes(inner.xid) && st.xids.length < 4) st.xids.push(inner.xid);
    this.touch(st, m);
    const seenKey = `${inner.xid}:${t}`;
    const name = msgTypeLabel(t);
    if (st.seen.has(seenKey)) {
      st.step.retransmissions++;
      if (st.step.messages[st.step.messages.length - 1] === name) this.pushMessage(st, name);
    } else {
      st.seen.add(seenKey);
      this.pushMessage(st, name);
    }
    const step = st.step;
    if (t === V6_SOLICIT) {
      st.pendingSolicit ??= { time: m.time, frame: m.frame };
      st.firstSolicit ??= { time: m.time, frame: m.frame };
    }
    if (t === V6_RELEASE || t === V6_DECLINE) {
      // Expects a Reply, but on its own it is a complete step (like a DHCPv4 RELEASE).
      if (step.messages.length === 1) step.ok = true;
    }
    const vc = v6VendorClass(inner);
    const arch = v6ClientArch(inner)?.[0];
    if (arch !== undefined) step.arch ??= arch;
    if (vc && !step.vendorClass) {
      step.vendorClass = vc.data[0] ?? null;
      step.vendorEnterprise = vc.enterprise;
    }
    if (step.userClass.length === 0) step.userClass = v6UserClasses(inner);
    if (arch !== undefined || vc?.data.some((d) => /^(PXEClient|HTTPClient)/.test(d))) st.bootClient = true;
    step.clientDuid ??= duidInfo(v6OptionValue(inner, 1));
    for (const id of ids) if (!step.iaids.includes(id) && step.iaids.length < MAX_ADDRESSES) step.iaids.push(id);
    if (relays.length > 0) step.relay ??= relayFacts(relays);
    return c;
  }

  private dhcp6Server(c: ChainState, m: Dhcp6Decoded, inner: DhcpV6Message): ChainState {
    if (inner.relay) return c;
    const t = inner.msgType;
    const st = this.findDhcp6(c, inner.xid) ?? this.openDhcp6(c, m, inner);
    this.touch(st, m);
    const seenKey = `${inner.xid}:${t}`;
    if (!st.seen.has(seenKey)) {
      st.seen.add(seenKey);
      this.pushMessage(st, msgTypeLabel(t));
    }
    const step = st.step;
    st.pendingSolicit = null;
    st.answered = true;
    const rapid = t === V6_REPLY && getOption6(inner, 14) && st.firstSolicit !== null;
    if ((t === V6_ADVERTISE || rapid) && st.firstAdvertise === null) st.firstAdvertise = { time: m.time, frame: m.frame };
    if (t === V6_RECONFIGURE) return c;
    step.server ??= m.srcAddr;
    step.serverDuid ??= duidInfo(v6OptionValue(inner, 2));
    const url = bootFileUrl(inner);
    if (url !== undefined) step.bootfileUrl = url;
    else if (st.answerFrame === 0) st.answerFrame = m.frame;
    if (t === V6_ADVERTISE || t === V6_REPLY) this.noteServerVendorClass(st, inner, m.frame);
    const params = v6OptionValue(inner, 60);
    if (params && step.bootfileParams.length === 0) step.bootfileParams = params.slice(0, MAX_ADDRESSES);
    const failed = failedStatuses(inner);
    step.statuses = failed;
    if (failed.length === 0) st.failure = null;
    else if (st.failure && sameStatuses(st.failure.statuses, failed)) st.failure.lastFrame = m.frame;
    else st.failure = { frame: m.frame, lastFrame: m.frame, time: m.time, type: msgTypeLabel(t), server: m.srcAddr, statuses: failed };
    if (t === V6_REPLY) {
      st.replied = true;
      step.ok = failed.length === 0;
      if (rapid) step.rapidCommit = true;
      for (const l of leases(inner)) {
        if (!step.addresses.includes(l.address) && step.addresses.length < MAX_ADDRESSES) {
          step.addresses.push(l.address);
          step.leases.push(l);
        }
        this.leases.set(l.address, c.key);
      }
    }
    return c;
  }

  /** A Request after the Advertise of an earlier step with the same IAID (UEFI PxeBc runs its own
   *  Solicit, lets the DHCPv6 driver bind another address, then requests the first offer). */
  private solicitedStep(c: ChainState, ids: number[]): Dhcp6State | null {
    for (let i = c.states.length - 1, n = 0; i >= 0 && n < 8; i--, n++) {
      const s = c.states[i]!;
      // An Advertise whose Solicit is not in the capture starts an exchange too.
      if (s.kind !== 'dhcp6' || !s.answered || s.replied || (s.firstType !== V6_SOLICIT && s.firstType !== V6_ADVERTISE)) continue;
      if (ids.length === 0 || s.step.iaids.length === 0 || ids.some((id) => s.step.iaids.includes(id))) return s;
    }
    return null;
  }

  private findDhcp6(c: ChainState, xid: number): Dhcp6State | null {
    for (let i = c.states.length - 1, n = 0; i >= 0 && n < 8; i--, n++) {
      const s = c.states[i]!;
      if (s.kind === 'dhcp6' && s.xids.includes(xid)) return s;
    }
    return null;
  }

  /** EDK2 HttpBootDxe (HttpBootDhcp6.c) takes an answer as an HTTP boot offer only when its
   *  option 16 is at least 16 bytes with "HTTPClient" at byte 6 (after enterprise and length). */
  private noteServerVendorClass(st: Dhcp6State, inner: DhcpV6Message, frame: number): void {
    const opt = v6Option(inner, 16);
    const data = opt?.data;
    const vc = v6VendorClass(inner);
    st.step.serverVendorClass = vc !== undefined ? vc.data.join(',') : data === undefined ? null : latin1String(data);
    if (st.httpClassProblems.length >= MAX_ADDRESSES) return;
    if (data === undefined) st.httpClassProblems.push({ frame, why: 'it has no vendor class (option 16)' });
    else if (data.length < 16 || latin1String(data.subarray(6, 16)) !== 'HTTPClient') {
      st.httpClassProblems.push({ frame, why: `its vendor class (option 16) does not hold "HTTPClient" after the enterprise number and length (bytes ${hex(data.subarray(0, 16))})` });
    }
  }

  private openDhcp6(c: ChainState, m: Dhcp6Decoded, inner: DhcpV6Message): Dhcp6State {
    const xid = inner.relay ? 0 : inner.xid;
    const st: Dhcp6State = {
      kind: 'dhcp6', frames: new FrameSample(), last: m.time, xids: [xid], seen: new Set(), pendingSolicit: null,
      firstSolicit: null, firstAdvertise: null, answered: false, answerFrame: 0, replied: false, bootClient: false,
      firstType: inner.msgType, failure: null, httpClassProblems: [],
      step: {
        kind: 'dhcp6', start: m.time, duration: 0, ok: false, frames: [], xid, messages: [], server: null,
        addresses: [], bootfileUrl: null, arch: null, rapidCommit: false, vendorClass: null, userClass: [],
        retransmissions: 0, statuses: [], leases: [], bootfileParams: [], vendorEnterprise: null, serverVendorClass: null,
        clientDuid: null, serverDuid: null, iaids: [], relay: null,
      },
    };
    c.dhcp6 = st;
    return this.open(c, st);
  }

  // ---- Neighbour discovery ----

  /** The client's first IPv6 boot packet: from now on, the next RA on its link is a step. */
  private noteV6(c: ChainState, time: number): void {
    if (c.v6First !== null) return;
    c.v6First = time;
    if (!c.raSeen) this.raWaiting.add(c);
  }

  /**
   * RS from a client: an `ra` step (repeated RS before an answer stay in it). RA: the router table,
   * and the `ra` step of every client waiting on that link (a unicast RA: its addressee only).
   * NS/NA/Redirect are counted only; they never create a chain.
   */
  private ndpMessage(m: NdpDecoded): ChainState | null {
    const msg = m.msg;
    this.ndpCounts[msg.kind]++;
    if (msg.kind === 'rs') {
      if (!isUnicastMac(m.srcMac)) return null;
      const c = this.chainFor(m.srcMac, m.time);
      this.noteLink(c, m.vlans);
      this.noteV6(c, m.time);
      if (m.srcAddr !== '::' && !this.leases.has(m.srcAddr)) this.leases.set(m.srcAddr, c.key);
      let st = c.ra;
      if (!st || st.answered) st = this.openRa(c, m);
      this.touch(st, m);
      st.step.solicitations++;
      this.pushMessage(st, 'RS');
      this.raWaiting.add(c);
      return c;
    }
    if (msg.kind === 'ra') {
      const sum = raSummary(msg);
      this.routers.note(m.vlans, m.srcAddr, m.srcMac, m.time, m.frame, sum);
      if (isUnicastMac(m.dstMac)) {
        const c = this.chains.get(m.dstMac);
        if (c && this.raWaiting.has(c)) this.attachRa(c, m, sum);
        return c ?? null;
      }
      const link = linkOf(m.vlans);
      for (const c of this.raWaiting) if (c.link === link) this.attachRa(c, m, sum);
      return null;
    }
    return isUnicastMac(m.srcMac) ? this.chains.get(m.srcMac) ?? null : null;
  }

  private attachRa(c: ChainState, m: NdpDecoded, sum: RaSummary): void {
    this.raWaiting.delete(c);
    c.raSeen = true;
    let st = c.ra;
    if (!st || st.answered) st = this.openRa(c, m);
    if (m.time > c.last) c.last = m.time;
    this.touch(st, m);
    this.pushMessage(st, 'RA');
    st.answered = true;
    const step = st.step;
    step.ok = true;
    step.router = m.srcAddr;
    step.routerMac = m.srcMac;
    step.advert = sum;
  }

  private openRa(c: ChainState, m: NdpDecoded): RaState {
    const st: RaState = {
      kind: 'ra', frames: new FrameSample(), last: m.time, answered: false,
      step: { kind: 'ra', start: m.time, duration: 0, ok: false, frames: [], messages: [], solicitations: 0, router: null, routerMac: null, advert: null },
    };
    c.ra = st;
    return this.open(c, st);
  }

  // ---- TFTP ----

  private tftpMessage(m: TftpDecoded): ChainState | null {
    const session = m.session;
    if (!session) return null;
    const pkt = m.msg;
    let st = this.tftp.get(session.id);
    const fromClient = m.srcAddr === session.clientAddr && m.srcPort === session.clientPort;
    if (!st) {
      const c = this.chainForAddr(session.clientAddr, m.time);
      st = this.openTftp(c, m, pkt);
      this.tftp.set(session.id, st);
      this.touch(st, m);
      return c;
    }
    const c = this.chainForAddr(st.clientAddr, m.time);
    this.touch(st, m);
    const step = st.step;
    if (!fromClient) st.serverAnswered = true;
    switch (pkt.opcode) {
      case 'RRQ':
      case 'WRQ':
        if (fromClient) step.retransmits++;
        break;
      case 'OACK':
        if (fromClient) break;
        if (st.oack) { step.retransmits++; break; }
        st.oack = true;
        for (const o of pkt.options ?? []) if (o.value !== undefined) step.acknowledgedOptions[o.name] = o.value;
        this.negotiated(step, pkt);
        break;
      case 'ACK': {
        // ACKs come from the client on a read, from the server on a write (WRQ).
        if (pkt.block === undefined) break;
        const b = unwrap(pkt.block, Math.max(st.highestAck, 0));
        if (b <= st.highestAck) step.retransmits++;
        else st.highestAck = b;
        break;
      }
      case 'DATA':
        if (pkt.block !== undefined) this.tftpData(st, m.time, pkt.block, pkt.data?.length ?? 0);
        break;
      case 'ERROR':
        this.tftpError(st, m, pkt, fromClient);
        break;
    }
    return c;
  }

  private negotiated(step: TftpState['step'], pkt: TftpPacket): void {
    const neg = tftpNegotiation(pkt);
    if (neg.blksize !== undefined) step.blksize = neg.blksize;
    if (neg.tsize !== undefined) step.tsize = neg.tsize;
  }

  /** DATA in either direction (server → client on RRQ, client → server on WRQ). */
  private tftpData(st: TftpState, time: number, block: number, len: number): void {
    const step = st.step;
    st.firstData ??= time;
    const b = unwrap(block, st.highestBlock);
    if (b <= st.highestBlock) step.retransmits++;
    else {
      st.highestBlock = b;
      st.lastBlockLen = len;
      step.blocks = b;
      step.bytes = (b - 1) * step.blksize + len;
      if (len < step.blksize) {
        step.complete = true;
        step.ok = step.error === null;
      }
    }
    const dt = time - st.firstData;
    step.throughput = dt > 0 ? step.bytes / dt : null;
  }

  private openTftp(c: ChainState, m: TftpDecoded, pkt: TftpPacket): TftpState {
    const session = m.session!;
    const requested: Record<string, string> = {};
    for (const o of pkt.options ?? []) if (o.value !== undefined) requested[o.name] = o.value;
    const st: TftpState = {
      kind: 'tftp', frames: new FrameSample(), last: m.time, clientAddr: session.clientAddr,
      clientPort: session.clientPort, requestFrame: m.frame, highestBlock: 0, lastBlockLen: 0, highestAck: -1,
      oack: false, serverAnswered: false, errorFrame: 0, errorFromClient: false, firstData: null,
      step: {
        kind: 'tftp', start: m.time, duration: 0, ok: false, frames: [], file: session.file ?? pkt.file ?? '',
        server: session.serverAddr, requestedOptions: requested, acknowledgedOptions: {},
        blksize: TFTP_DEFAULT_BLKSIZE, tsize: null, bytes: 0, blocks: 0, retransmits: 0, complete: false,
        error: null, probe: false, throughput: null,
      },
    };
    this.tftpByClient.set(`${st.clientAddr}|${st.clientPort}`, st);
    return this.open(c, st);
  }

  private tftpError(st: TftpState, m: TftpDecoded, pkt: TftpPacket, fromClient: boolean): void {
    const step = st.step;
    if (step.error) return;
    step.error = { code: pkt.errorCode ?? 0, message: pkt.errorMessage ?? '' };
    st.errorFrame = m.frame;
    st.errorFromClient = fromClient;
    const tsizeAsked = Object.keys(step.requestedOptions).some((k) => k.toLowerCase() === 'tsize');
    if (fromClient && tsizeAsked && st.oack && st.highestBlock === 0 && (step.error.code === 8 || step.error.code === 0)) {
      step.probe = true;
      step.ok = true;
    } else step.ok = false;
  }

  // ---- ICMP ----

  /**
   * An ICMP port/host/admin-prohibited unreachable answering a client's TFTP request or transfer
   * packet, or its DHCP/proxyDHCP/DHCPv6 request: a fact for `net.port-unreachable` on the chain of
   * the client that sent the refused datagram; the TFTP step it kills is marked failed.
   */
  private icmpMessage(m: IcmpDecoded): ChainState | null {
    const q = m.quoted;
    if (!q || q.protocol !== 17 || q.srcPort === null || q.dstPort === null) return null;
    const unreach = m.ipVersion === 4
      ? m.type === 3 && V4_UNREACH_CODES.has(m.code)
      : m.type === 1 && V6_UNREACH_CODES.has(m.code);
    if (!unreach) return null;
    const tftp = this.tftpByClient.get(`${q.src}|${q.srcPort}`) ?? null;
    const tftpHit = tftp !== null && (q.dstPort === 69 ? tftp.step.server === q.dst : tftp.step.server === q.dst || tftp.serverAnswered);
    let service: UnreachableFact['service'];
    if (tftpHit) service = q.dstPort === 69 ? 'TFTP' : 'TFTP transfer';
    else if (q.dstPort === 69) service = 'TFTP';
    else if (q.dstPort === 67) service = 'DHCP';
    else if (q.dstPort === PROXY_PORT) service = 'proxyDHCP';
    else if (q.dstPort === 547) service = 'DHCPv6';
    else return null; // not a boot-chain datagram
    const c = this.chainForAddr(tftpHit ? tftp.clientAddr : q.src, m.time);
    const reason = m.codeName ?? `code ${m.code}`;
    let requestFrame = 0;
    if (tftpHit) {
      requestFrame = tftp.requestFrame;
      this.touch(tftp, m);
      const step = tftp.step;
      if (!step.error && !step.complete) {
        step.error = { code: TFTP_ICMP_ERROR_CODE, message: `ICMP ${reason} from ${m.srcAddr}` };
        step.ok = false;
        tftp.errorFrame = m.frame;
        tftp.errorFromClient = false;
      }
    } else if (service === 'proxyDHCP' && c.proxy?.pendingRequest && c.proxy.step.server === q.dst) {
      // The refusal is the answer: proxydhcp.no-reply would only repeat it.
      requestFrame = c.proxy.pendingRequest.frame;
      c.proxy.pendingRequest = null;
      c.proxy.step.ok = false;
      this.touch(c.proxy, m);
    } else if (service === 'DHCP' && c.dhcp4?.pendingRequest && (c.dhcp4.step.server === null || c.dhcp4.step.server === q.dst)) {
      requestFrame = c.dhcp4.pendingRequest.frame;
      c.dhcp4.pendingRequest = null;
      this.touch(c.dhcp4, m);
    }
    let facts = this.unreachable.get(c.key);
    if (!facts) this.unreachable.set(c.key, (facts = []));
    if (facts.length < MAX_UNREACHABLE) {
      facts.push({
        server: q.dst, port: q.dstPort, service, reason, reporter: m.srcAddr, icmpFrame: m.frame, time: m.time,
        requestFrame, file: tftpHit ? tftp.step.file : null,
      });
    }
    return c;
  }

  // ---- HTTP ----

  private httpMessage(m: HttpDecoded): ChainState | null {
    if (m.kind === 'request' && m.head?.kind === 'request') {
      const c = this.chainForAddr(m.srcAddr, m.time);
      const st = this.openHttp(c, m, m.head);
      let q = this.http.get(m.connection);
      if (!q) this.http.set(m.connection, (q = []));
      q.push(st);
      if (q.length > 16) q.shift();
      return c;
    }
    const q = this.http.get(m.connection);
    if (!q || q.length === 0) return null;
    if (m.kind === 'response' && m.head?.kind === 'response') {
      const st = q.find((s) => !s.responded);
      if (!st) return null;
      const head = m.head as HttpResponseHead;
      if (head.status >= 100 && head.status < 200) return this.chainForAddr(m.dstAddr, m.time); // interim
      st.responded = true;
      st.responseTime = m.time;
      st.responseFrame = m.frame;
      st.step.status = head.status;
      st.step.ttfb = m.time - st.step.start;
      this.touch(st, m);
      return this.chainForAddr(m.dstAddr, m.time);
    }
    if (m.kind === 'complete' && !m.isRequest) {
      const i = q.findIndex((s) => s.responded);
      if (i < 0) return null;
      const st = q[i]!;
      q.splice(i, 1);
      st.step.bytes = m.bodyBytes;
      st.step.complete = m.issues.length === 0;
      const ok = st.step.status !== null && st.step.status < 400;
      st.step.ok = ok && st.step.complete;
      this.touch(st, m);
      const dt = st.responseTime !== null ? m.time - st.responseTime : 0;
      st.step.throughput = dt > 0 ? m.bodyBytes / dt : null;
      return this.chainForAddr(m.dstAddr, m.time);
    }
    return null;
  }

  private openHttp(c: ChainState, m: HttpDecoded, head: HttpRequestHead): HttpState {
    const host = httpHeader(head, 'host') ?? (m.dstPort === 80 ? m.dstAddr : `${m.dstAddr}:${m.dstPort}`);
    const url = /^https?:\/\//i.test(head.uri) ? head.uri : `http://${host}${head.uri}`;
    const st: HttpState = {
      kind: 'http', frames: new FrameSample(), last: m.time, connection: m.connection, requestFrame: m.frame,
      responded: false, responseTime: null, responseFrame: 0,
      step: {
        kind: 'http', start: m.time, duration: 0, ok: false, frames: [], url, method: head.method,
        server: m.dstAddr, status: null, bytes: 0, ttfb: null, throughput: null, complete: false,
      },
    };
    this.open(c, st);
    this.touch(st, m);
    return st;
  }
}

/** Unanswered router solicitations of a client that never used DHCPv6 (iPXE and operating systems
 *  solicit routers on IPv4-only networks too): not part of its boot, so not steps. */
function dropIdleSolicitations(c: ChainState): void {
  if (c.states.some((s) => s.kind === 'dhcp6')) return;
  const idle = (s: StepState): boolean => s.kind === 'ra' && !s.answered;
  if (!c.states.some(idle)) return;
  c.states = c.states.filter((s) => !idle(s));
  c.chain.steps = c.states.map((s) => s.step);
}

function sameStatuses(a: readonly { code: number; scope: string; message: string }[], b: readonly { code: number; scope: string; message: string }[]): boolean {
  return a.length === b.length && a.every((x, i) => x.code === b[i]!.code && x.scope === b[i]!.scope && x.message === b[i]!.message);
}

function getOption6(msg: DhcpV6Message, code: number): boolean {
  return v6Option(msg, code) !== undefined;
}

/** A 16-bit block number placed next to `near` (TFTP block numbers roll over past 65535). */
function unwrap(block: number, near: number): number {
  let b = (near - (near & 0xffff)) + block;
  if (b < near - 32768) b += 65536;
  else if (b > near + 32768 && b >= 65536) b -= 65536;
  return b;
}

