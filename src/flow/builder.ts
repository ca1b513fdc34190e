/**
 * The boot-chain flow engine: decoded messages (in capture order) → one chain per client, steps in
 * time order. Keeps only strings and numbers copied out of the messages, never a message or a byte
 * view (they point into the capture read buffer, reused after the callback).
 * The protocol handlers live next to it: builder-dhcp4, builder-dhcp6 (with neighbour discovery),
 * builder-transfer (TFTP, HTTP, ICMP); builder-state holds what they share.
 */
import type { WireIssue } from '../wire/issues.js';
import type { HttpRequestHead } from '../wire/http/index.js';
import type { ArpSeen, CutBy, DecodedMessage, DecodeSink, FragmentSeen, TcpSegmentSeen, UndecodedFrame } from '../decode/messages.js';
import { FrameSample, sampledFrames, type SampleFields } from './frames.js';
import type { ChainState, DeviceIdentity, StepState } from './state.js';
import type { BootStep } from './types.js';
import type { CaptureCutFacts, DeviceFacts, FlowFacts, StepFacts, UnreachableFact } from './facts.js';
import { splitAttempts } from './attempts.js';
import { deepCopy } from './copy.js';
import { compactState, newFlowState, type FlowState, type UnreachableRecord } from './builder-state.js';
import { dhcp4Message } from './builder-dhcp4.js';
import { dhcp6Message, dhcp6RequestIdentified, ndpMessage } from './builder-dhcp6.js';
import { httpCloseAt, httpCutDelivery, httpMessage, icmpMessage, tftpBlock, tftpMessage } from './builder-transfer.js';
import type { TftpSession } from '../decode/tftp-tracker.js';
import { MtuTracker } from './mtu.js';
import { TcpFlag } from '../wire/tcp.js';
import { ArpOperation } from '../wire/arp.js';
import { closeArpAsks, noteArpReply, noteArpRequest, publishArp } from './arp.js';
import { noteOpen, noteOpenAnswered, noteOpenRefused, publishOpened } from './opens.js';
import { BootOp, DhcpV4Code, DhcpV4MessageType, getOption, identityWhole, msgType, optionsWhole, type DhcpV4Message } from '../wire/dhcpv4/index.js';
import { ipv4ToString, u32 } from '../wire/bytes.js';
import { DhcpV6MsgType, isDhcp6Answer } from '../wire/dhcpv6/index.js';

export interface BootChainBuilderOptions {
  /** Called when a step is opened (its fields keep filling in afterwards). */
  onStep?: (device: DeviceIdentity, step: BootStep) => void;
}

/** What the capture reader knows that the builder does not (the sink only sees messages). */
export interface CaptureInfo {
  file: string;
  packets: number;
  warnings: readonly WireIssue[];
  truncated: boolean;
  /** Times of the first and last record of the capture (any protocol); default: of the messages. */
  firstPacket?: number | null;
  lastPacket?: number | null;
}

/** Seconds of silence after which a kept device's last step is compacted (see `retire`). */
const COMPACT_QUIET_S = 5;
/** Issue layers of what a frame carries past its headers: a cut frame breaks them off anywhere. */
const CUT_PAYLOAD_LAYERS: ReadonlySet<string> = new Set(['dhcp4', 'dhcp6', 'tftp', 'http', 'ndp', 'icmp', 'icmpv6']);
/** Cut frames named as evidence. */
const CUT_SAMPLE = 8;
/** Address pairs of opaque cut frames, and DHCP server addresses, kept (beyond: counted as may-be-DHCP). */
const CUT_PAIRS_KEPT = 256;
const SERVERS_KEPT = 1024;

export class BootChainBuilder implements DecodeSink {
  private readonly flow: FlowState;
  /** Frames with issues nobody could attribute to a client. */
  private readonly strayMalformed = new FrameSample();
  private strayMalformedTime = 0;
  private readonly strayWhat = new Set<string>();
  private firstTime: number | null = null;
  private lastTime: number | null = null;
  private sawTransfer = false;
  /** Frames cut short by the snap length (counts by what they carried), null while none. */
  private cut: CaptureCutFacts | null = null;
  /** The cut frame whose carried message was counted already. */
  private cutCounted = 0;
  /** Opaque cut frames whose IP addresses survived, by `src dst`: whether they may hold a DHCP
   *  answer is judged when the facts are taken (a server or lease seen later counts). */
  private readonly opaqueCuts = new Map<string, { src: string; dst: string; frames: number }>();
  /** Addresses DHCP answers came from (servers, relays). */
  private readonly dhcpServers = new Set<string>();
  /** Directed broadcasts of the subnets DHCP answers leased in (option 28, else yiaddr with
   *  option 1's mask): relays and servers may send answers there. */
  private readonly subnetBroadcasts = new Set<string>();
  /** A server or subnet went unrecorded (the caps above were hit): every opaque cut frame may then
   *  hold a DHCP answer (an unrecorded server's cut answers must not be cleared as not DHCP). */
  private dhcpAddressesFull = false;
  /** Path-MTU facts (flow/mtu.ts), filed under the chain key of the address they concern. */
  private readonly mtu: MtuTracker;
  /** Nothing of a message is kept but strings and numbers copied out of it (see above). A getter
   *  on the prototype, so a wrapper spread from a builder (`{ ...builder, message }`) that may keep
   *  messages does not inherit it. */
  get transientDhcp4(): boolean {
    return true;
  }

  constructor(opts: BootChainBuilderOptions = {}) {
    this.flow = newFlowState(opts);
    this.mtu = new MtuTracker((addr) => this.flow.leases.get(addr) ?? `ip:${addr}`);
  }

  fragment(f: FragmentSeen): void {
    this.mtu.fragment(f);
  }

  httpCutDelivery(connection: number, request: HttpRequestHead | null, delivered: boolean, bodyBytes: number | null): void {
    httpCutDelivery(this.flow, connection, request, delivered, bodyBytes);
  }

  tcpSegment(s: TcpSegmentSeen): void {
    this.mtu.tcpSegment(s);
    if (s.frame === this.flow.cutNow.frame && s.dataLength > 0) {
      const key = this.flow.leases.get(s.src) ?? this.flow.leases.get(s.dst);
      this.countCut(key === undefined ? null : this.flow.chains.get(key) ?? null, 'tcp', false);
    }
    const synAck = s.flags & (TcpFlag.SYN | TcpFlag.ACK);
    if (synAck === TcpFlag.SYN) this.opening(s);
    else if ((s.flags & TcpFlag.RST) !== 0) this.refusing(s);
    else if (synAck === (TcpFlag.SYN | TcpFlag.ACK)) this.answering(s.dst, s.dstPort, s.src, s.srcPort);
    // Data from the device on that connection: only a handshake lets it send (a capture of the
    // device's side alone holds no SYN-ACK).
    else if (s.dataLength > 0) this.answering(s.src, s.srcPort, s.dst, s.dstPort);
  }

  /** ARP of a known device (one seen in DHCP): its requests by sender MAC, replies to it by target MAC. */
  arp(a: ArpSeen): void {
    if (a.operation === ArpOperation.REQUEST) {
      const c = this.flow.chains.get(a.senderMac);
      if (c !== undefined) noteArpRequest(c, a);
    } else {
      const c = this.flow.chains.get(a.targetMac);
      if (c !== undefined) noteArpReply(c, a);
    }
  }

  /** A device's SYN (a known device: one with a lease): a new connection, or its SYN again. */
  private opening(s: TcpSegmentSeen): void {
    const key = this.flow.leases.get(s.src);
    const c = key === undefined ? undefined : this.flow.chains.get(key);
    if (c !== undefined) noteOpen(c, s);
  }

  /** The peer answered the device's SYN (`device`:`port` ↔ `peer`:`peerPort`). */
  private answering(device: string, port: number, peer: string, peerPort: number): void {
    const key = this.flow.leases.get(device);
    const o = key === undefined ? undefined : this.flow.chains.get(key)?.opened;
    if (o !== undefined && o !== null) noteOpenAnswered(o, port, peer, peerPort);
  }

  /** A RST back to the device's SYN. */
  private refusing(s: TcpSegmentSeen): void {
    const key = this.flow.leases.get(s.dst);
    const o = key === undefined ? undefined : this.flow.chains.get(key)?.opened;
    if (o !== undefined && o !== null) noteOpenRefused(o, s.dstPort, s.src, s.srcPort);
  }

  /**
   * The decoder's word on the frame about to be decoded: `missing` bytes of its IP packet were cut
   * (the snap length; `captured` bytes of the frame are there). Called before its messages.
   */
  frameCut(frame: number, captured: number, missing: number, opaque = false, src?: string, dst?: string, by: CutBy = 'capture', encapsulation = 0): void {
    this.flow.cutNow.frame = frame;
    this.flow.cutNow.missing = missing;
    const c = (this.cut ??= { frames: 0, dhcp4: 0, dhcp6: 0, identity: 0, tftp: 0, tcp: 0, unplaced: 0, snap: 0, sample: [], byMirror: 0, byCollector: 0, encapsulation: 0 });
    c.frames++;
    if (by === 'mirror') c.byMirror++;
    else if (by === 'collector') {
      c.byCollector++;
      if (encapsulation > c.encapsulation) c.encapsulation = encapsulation;
    }
    if (opaque) {
      const pair = src !== undefined && dst !== undefined ? `${src} ${dst}` : null;
      const known = pair === null ? undefined : this.opaqueCuts.get(pair);
      if (known) known.frames++;
      else if (pair !== null && this.opaqueCuts.size < CUT_PAIRS_KEPT) this.opaqueCuts.set(pair, { src: src!, dst: dst!, frames: 1 });
      else c.unplaced++;
    }
    // The snap length shown is the mirrored frames' once one was cut in a tunnel: the collector's
    // own frames that its snap length cut too (its ICMP) are longer by the tunnel's headers.
    const tunnelled = c.byMirror + c.byCollector;
    if (by !== 'capture' && tunnelled === 1) c.snap = 0;
    if ((by !== 'capture' || tunnelled === 0) && captured > c.snap) c.snap = captured;
    if (c.sample.length < CUT_SAMPLE) c.sample.push(frame);
  }

  message(m: DecodedMessage): void {
    if (m.proto === 'http' && m.quiet !== undefined) m = httpCloseAt(this.flow, m);
    this.seen(m.time);
    let chain: ChainState | null = null;
    switch (m.proto) {
      case 'dhcp4':
        chain = dhcp4Message(this.flow, m);
        if (chain?.dhcp4) {
          if (m.msg.op === BootOp.REQUEST && msgType(m.msg) === DhcpV4MessageType.DISCOVER) this.bootStart(chain, chain.dhcp4, m.time);
          // Only where its IPv4 stack starts over: an exchange its own DISCOVER or REQUEST opened
          // (not a server's message seen alone, nor DHCPv6: EDK2 runs it mid-boot, its ARP cache kept).
          if (m.msg.op === BootOp.REQUEST && exchangeStart(chain.dhcp4, m.time) && startsOver(msgType(m.msg))) closeArpAsks(chain);
        }
        break;
      case 'dhcp6':
        chain = dhcp6Message(this.flow, m);
        if (chain?.dhcp6) {
          if (chain.dhcp6.firstType === DhcpV6MsgType.SOLICIT) this.bootStart(chain, chain.dhcp6, m.time);
        }
        break;
      // Noted as they come: an HTTP queue is deleted once answered, so its map says nothing later.
      case 'tftp': chain = tftpMessage(this.flow, m); this.sawTransfer = true; break;
      case 'http': chain = httpMessage(this.flow, m); this.sawTransfer = true; break;
      case 'icmp': chain = icmpMessage(this.flow, m); this.mtu.icmp(m); break;
      case 'ndp': chain = ndpMessage(this.flow, m); break;
    }
    if ((m.proto === 'dhcp4' && m.msg.op === BootOp.REPLY) || (m.proto === 'dhcp6' && isDhcp6Answer(m.msg))) {
      if (this.dhcpServers.size < SERVERS_KEPT) this.dhcpServers.add(m.srcAddr);
      else if (!this.dhcpServers.has(m.srcAddr)) this.dhcpAddressesFull = true;
      if (m.proto === 'dhcp4') this.noteSubnetBroadcast(m.msg);
    }
    if (m.frame === this.flow.cutNow.frame) this.countCutMessage(chain, m);
    // An HTTP message the capture's end broke off is not malformed: its step says it is incomplete.
    if (m.issues.length > 0 && !(m.proto === 'http' && m.captureEnded === true)) this.noteIssues(chain, m.frame, m.time, m.issues);
  }

  /** A client exchange this message opened with a DISCOVER / SOLICIT: the device starts (again)
   *  from scratch, its path-MTU records so far belong to the boot before. */
  private bootStart(c: ChainState, st: { step: { start: number; messages: readonly string[] } }, time: number): void {
    if (exchangeStart(st, time)) this.mtu.startOver(c.key);
  }

  tftpBlock(session: TftpSession, fromClient: boolean, srcPort: number, opcode: 3 | 4, block: number, dataLength: number, frame: number, time: number): boolean {
    if (!tftpBlock(this.flow, session, fromClient, srcPort, opcode, block, dataLength, frame, time)) return false;
    this.seen(time);
    return true;
  }

  undecoded(f: UndecodedFrame): void {
    this.seen(f.time);
    this.noteIssues(null, f.frame, f.time, f.issues);
  }

  /**
   * The facts as they stand: a snapshot that later packets do not change (a live capture takes
   * one now and then; a file, once at the end). The builder's own state is left as it is.
   */
  facts(info: CaptureInfo): FlowFacts {
    const devices: DeviceFacts[] = [];
    for (const c of this.flow.chains.values()) {
      const d = this.publishDevice(c, true);
      if (d) devices.push(d);
    }
    return { capture: this.captureFacts(info), devices, routers: this.routers(), ndp: { ...this.flow.ndpCounts } };
  }

  /** Devices in memory (published or not yet). */
  get liveDevices(): number {
    return this.flow.chains.size;
  }

  /** Entries of the indexes that point into the devices in memory (leases, transfers, HTTP
   *  connections…), for memory probes and tests: each is released with its device. */
  heldIndexes(): { leases: number; claims: number; dhcp6Clients: number; tftp: number; tftpByClient: number; http: number; unreachable: number; raWaiting: number } {
    const f = this.flow;
    return {
      leases: f.leases.size, claims: f.claims.size, dhcp6Clients: f.dhcp6Clients.size, tftp: f.tftp.size,
      tftpByClient: f.tftpByClient.size, http: f.http.size + f.httpCut.size, unreachable: f.unreachable.size, raWaiting: f.raWaiting.size,
    };
  }

  /** Any TFTP or HTTP transfer seen so far (a capture filtered to DHCP has none). */
  get transfersSeen(): boolean {
    this.sawTransfer ||= this.flow.tftp.size > 0 || this.flow.http.size > 0;
    return this.sawTransfer;
  }

  /**
   * Finished devices leave the builder: every device whose last packet is at least `idle` seconds
   * before `now` (capture time), in the order they were first seen (as `facts()` lists them).
   * Their facts are returned (not copied: the builder forgets them) and every index that pointed
   * at them is cleaned, so memory follows the devices still active. A device heard again later
   * starts afresh. `retire(Infinity, 0)` hands over every device (the end of a capture).
   */
  retire(now: number, idle: number): DeviceFacts[] {
    void this.transfersSeen;
    const gone: ChainState[] = [];
    for (const c of this.flow.chains.values()) {
      const quiet = now - lastActivity(c);
      if (quiet >= idle) gone.push(c);
      // Kept a while yet: a device that went quiet has its last step compacted (many clients at once).
      else if (quiet >= COMPACT_QUIET_S && c.states.length > 0) compactChain(c);
    }
    if (gone.length === 0) return [];
    const out: DeviceFacts[] = [];
    const keys = new Set<string>();
    const states = new Set<StepState>();
    for (const c of gone) {
      const d = this.publishDevice(c, false);
      if (d) out.push(d);
      keys.add(c.key);
      for (const s of c.states) states.add(s);
      this.flow.chains.delete(c.key);
      this.flow.raWaiting.delete(c);
      this.flow.unreachable.delete(c.key);
      this.mtu.forget(c.key);
    }
    forgetChains(this.flow, keys, states);
    return out;
  }

  /** What the capture reader knows and the frames nobody claimed. */
  captureFacts(info: CaptureInfo): FlowFacts['capture'] {
    return {
      file: info.file, packets: info.packets,
      first: info.firstPacket ?? this.firstTime, last: info.lastPacket ?? this.lastTime,
      truncated: info.truncated, warnings: [...info.warnings],
      ...(this.cut ? { cut: { ...this.cut, unplaced: this.cut.unplaced + this.opaqueMayBeDhcp(), sample: [...this.cut.sample] } } : {}),
      strayMalformed: this.strayMalformed.count > 0
        ? { frames: this.strayMalformed.toArray(), count: this.strayMalformed.count, time: this.strayMalformedTime, what: [...this.strayWhat] }
        : null,
    };
  }

  routers(): FlowFacts['routers'] {
    return structuredClone(this.flow.routers.list());
  }

  ndpCounts(): FlowFacts['ndp'] {
    return { ...this.flow.ndpCounts };
  }

  /** A chain as published facts, null when it is no DHCP client. `copy`: a snapshot that later
   *  packets cannot change; without it the facts take the builder's state (a retired chain). */
  private publishDevice(c: ChainState, copy: boolean): DeviceFacts | null {
    // A host that only solicited routers (a server, a router, an OS at startup) is no DHCP client.
    if (c.states.length > 0 && c.states.every((s) => s.kind === 'ra')) return null;
    const steps = publishedSteps(c, copy);
    if (steps.length === 0) return null;
    const split = splitAttempts(steps);
    if (c.arp !== null) {
      const arp = publishArp(c.arp, split.attempts);
      arp.forEach((asks, i) => { if (asks !== undefined) split.attempts[i]!.arp = asks; });
    }
    const id = c.identity;
    const unreachable = this.flow.unreachable.get(c.key);
    const d: DeviceFacts = {
      key: c.key, arch: id.arch, archName: id.archName, vendorClass: id.vendorClass,
      role: split.role, roleReason: split.roleReason, link: c.link, first: c.first, last: c.last, v6First: c.v6First,
      steps, attempts: split.attempts,
      malformed: c.malformed ? { frames: c.malformed.toArray(), count: c.malformed.count, time: c.malformedTime, what: [...(c.malformedWhat ?? [])] } : null,
      unreachable: unreachable === undefined ? [] : unreachable.map(publishUnreachable),
    };
    // The optional facts set after, in the order the keys always had: spreads of `{}` or of a
    // one-key object each were a copy of the fields so far, per device.
    const mtu = this.mtu.factsFor(c.key);
    if (mtu) d.mtu = mtu;
    if (c.exchange) d.exchange = { ...c.exchange };
    if (c.cut) d.cut = { ...c.cut };
    if (c.opened) d.opened = publishOpened(c.opened);
    return d;
  }

  /** Opaque cut frames that may have held a DHCP message: sent from or to a DHCP server, a
   *  broadcast or multicast, the unspecified or a link-local address, or an address a device
   *  leased or claimed. Fragments of a big NFS, syslog or SNMP datagram between other hosts hide
   *  no device's DHCP answer. */
  private opaqueMayBeDhcp(): number {
    let n = 0;
    if (this.dhcpAddressesFull) {
      for (const p of this.opaqueCuts.values()) n += p.frames;
      return n;
    }
    // Where no answer's mask survived (a cut capture keeps none), a /24 is the guess: x.y.z.255 of
    // a DHCP server's, a lease's or a claimed address's x.y.z.
    const nets = new Set<string>();
    for (const m of [this.dhcpServers.keys(), this.flow.leases.keys(), this.flow.claims.keys()]) for (const a of m) if (!a.includes(':')) nets.add(a.slice(0, a.lastIndexOf('.')));
    for (const p of this.opaqueCuts.values()) if (this.mayBeDhcp(p.src, nets) || this.mayBeDhcp(p.dst, nets)) n += p.frames;
    return n;
  }

  private mayBeDhcp(addr: string, nets: ReadonlySet<string>): boolean {
    if (this.dhcpServers.has(addr) || this.flow.leases.has(addr) || this.flow.claims.has(addr)) return true;
    if (addr.includes(':')) return /^f[ef]/i.test(addr) || addr === '::';
    if (this.subnetBroadcasts.has(addr) || (addr.endsWith('.255') && nets.has(addr.slice(0, addr.lastIndexOf('.'))))) return true;
    const first = Number(addr.slice(0, addr.indexOf('.')));
    return addr === '255.255.255.255' || addr === '0.0.0.0' || (first >= 224 && first <= 239);
  }

  /** The directed broadcast of the subnet a DHCPv4 answer leases in, from its options 28 or 1. */
  private noteSubnetBroadcast(msg: DhcpV4Message): void {
    const ip = u32(msg.yiaddr, 0);
    if (ip === 0) return;
    const given = getOption(msg, DhcpV4Code.BROADCAST_ADDRESS);
    const mask = getOption(msg, DhcpV4Code.SUBNET_MASK);
    let bc: string | null = null;
    if (given !== null && given.length === 4) bc = ipv4ToString(given, 0);
    else if (mask !== null && mask.length === 4) {
      const b = (ip | ~u32(mask, 0)) >>> 0;
      bc = `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}`;
    }
    if (bc === null || this.subnetBroadcasts.has(bc)) return;
    if (this.subnetBroadcasts.size < SERVERS_KEPT) this.subnetBroadcasts.add(bc);
    else this.dhcpAddressesFull = true;
  }

  /** A cut frame's message, by what the cut took: a DHCP message with no device is unplaced; a
   *  DHCPv4 message cut in its padding lost nothing. */
  private countCutMessage(c: ChainState | null, m: DecodedMessage): void {
    switch (m.proto) {
      case 'dhcp4':
      case 'dhcp6': {
        if (c === null) {
          if (this.cutCounted !== m.frame) this.cut!.unplaced++;
          this.cutCounted = m.frame;
          return;
        }
        if (m.proto === 'dhcp4' && optionsWhole(m.msg)) return;
        // A cut DHCPv6 request (its message type is in its header) still says what it is when what
        // is left, or its exchange, proves a boot client: the device is judged as one.
        const identity = m.proto === 'dhcp4' ? m.msg.op === BootOp.REQUEST && !identityWhole(m.msg)
          : !isDhcp6Answer(m.msg) && !dhcp6RequestIdentified(c, m.msg);
        this.countCut(c, m.proto, identity);
        return;
      }
      case 'tftp': this.countCut(c, 'tftp', false); return;
      default: return; // HTTP: its TCP segments were counted; ICMP and NDP hide nothing judged
    }
  }

  /** A cut frame's message (or TCP data), counted once per frame, for the capture and its device. */
  private countCut(c: ChainState | null, what: 'dhcp4' | 'dhcp6' | 'tftp' | 'tcp', identity: boolean): void {
    const frame = this.flow.cutNow.frame;
    if (this.cutCounted === frame) return;
    this.cutCounted = frame;
    const cap = this.cut!;
    cap[what]++;
    if (identity) cap.identity++;
    if (c === null) return;
    const d = (c.cut ??= { frames: 0, dhcp4: 0, dhcp6: 0, identity: 0, tftp: 0, tcp: 0 });
    d.frames++;
    d[what]++;
    if (identity) d.identity++;
  }

  private seen(t: number): void {
    if (this.firstTime === null || t < this.firstTime) this.firstTime = t;
    if (this.lastTime === null || t > this.lastTime) this.lastTime = t;
  }

  private noteIssues(c: ChainState | null, frame: number, time: number, issues: WireIssue[]): void {
    let what: string | null = null;
    // A frame the capture cut short breaks off wherever the cut fell (its headers are still
    // whole), and streams with cut segments have gaps: the capture finding says so, once.
    const cut = frame === this.flow.cutNow.frame;
    const cutStreams = this.cut !== null && this.cut.tcp > 0;
    for (const i of issues) {
      if (i.kind === 'unsupported') continue;
      if (cut && (i.kind === 'truncated' || CUT_PAYLOAD_LAYERS.has(i.layer))) continue;
      if (cutStreams && (i.layer === 'http' || i.layer === 'tcp')) continue;
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
}

/** Unanswered router solicitations of a client that never used DHCPv6 (iPXE and operating systems
 *  solicit routers on IPv4-only networks too) are not part of its boot, so not steps. */
function publishedSteps(c: ChainState, copy: boolean): StepFacts[] {
  const usedV6 = c.states.some((s) => s.kind === 'dhcp6');
  const out: StepFacts[] = [];
  for (const s of c.states) {
    if (!usedV6 && s.kind === 'ra' && !s.answered) continue;
    out.push(copy ? publishStep(s) : handOver(s));
  }
  return out;
}

/** A deep copy of a step's state with its frame sample resolved: later packets change the state,
 *  never a published fact. */
function publishStep(s: StepState): StepFacts {
  const { frames: _f, frameCount: _n, framesTrimmed: _t, ...rest } = s;
  const copy = deepCopy(rest) as Omit<StepState, SampleFields>;
  copy.step.frames = sampledFrames(s);
  copy.step.frameCount = s.frameCount;
  return copy as StepFacts;
}

/** A retired chain's step state becomes its facts as it is (nothing will change it again). The
 *  state object itself, its sample fields left on it unread (typed out of the facts): an object
 *  copy without them per step was ~3 kB of garbage a device. Reports read `step`, whose keys are
 *  in the same order either way, so they do not depend on which way a device was published. */
function handOver(s: StepState): StepFacts {
  s.step.frames = sampledFrames(s);
  s.step.frameCount = s.frameCount;
  return s as StepFacts;
}

/** A kept device gone quiet: its last step and its step lists lose their spare room (a list that
 *  grew by `push` keeps 17 slots), once until a new packet of that step comes. */
function compactChain(c: ChainState): void {
  const last = c.states[c.states.length - 1]!;
  if (last.framesTrimmed) return;
  compactState(last);
  c.states = c.states.slice();
  c.steps = c.steps.slice();
}

/** The time of a chain's last packet, whatever the protocol. */
function lastActivity(c: ChainState): number {
  let t = c.last;
  for (let i = c.states.length - 1; i >= 0 && i >= c.states.length - 4; i--) if (c.states[i]!.last > t) t = c.states[i]!.last;
  return t;
}

/** Drops every index entry that points at a retired chain (one pass over each index). */
function forgetChains(flow: FlowState, keys: ReadonlySet<string>, states: ReadonlySet<StepState>): void {
  // forEach, not for-of: no [key, value] array per entry of indexes holding every live device
  // (deleting the entry being visited is allowed).
  flow.leases.forEach((key, addr) => { if (keys.has(key)) flow.leases.delete(addr); });
  flow.claims.forEach((key, addr) => { if (keys.has(key)) flow.claims.delete(addr); });
  flow.dhcp6Clients.forEach((key, tx) => { if (keys.has(key)) flow.dhcp6Clients.delete(tx); });
  flow.tftp.forEach((st, id) => { if (states.has(st)) flow.tftp.delete(id); });
  flow.tftpByClient.forEach((st, k) => { if (states.has(st)) flow.tftpByClient.delete(k); });
  flow.http.forEach((q, conn) => {
    if (!q.some((st) => states.has(st))) return;
    const left = q.filter((st) => !states.has(st));
    if (left.length === 0) flow.http.delete(conn);
    else flow.http.set(conn, left);
  });  flow.httpCut.forEach((open, conn) => { if (states.has(open.st)) flow.httpCut.delete(conn); });
}

function publishUnreachable(u: UnreachableRecord): UnreachableFact {
  const { transfer, ...rest } = u;
  return { ...rest, transferCompleted: transfer !== null && transfer.step.complete, transferWentOn: transfer !== null && transfer.serverLast !== null && transfer.serverLast > u.time };
}

/** The message just handled opened the device's DHCP step (`st`): a new exchange began. */
function exchangeStart(st: { step: { start: number; messages: readonly string[] } }, time: number): boolean {
  return st.step.start === time && st.step.messages.length === 1;
}

/** A client message that opens a DHCPv4 exchange from scratch: DISCOVER, or REQUEST on a new xid
 *  (INIT-REBOOT, a renewal). */
function startsOver(type: number | null): boolean {
  return type === DhcpV4MessageType.DISCOVER || type === DhcpV4MessageType.REQUEST;
}
