/**
 * Frame → application messages. One `DecodePipeline` per capture (or live session): it owns the
 * reassembly state (IP fragments, TCP streams, TFTP transfers) and hands every decoded DHCPv4,
 * DHCPv6, TFTP and HTTP message, every ICMP/ICMPv6 error and every IPv6 Neighbour Discovery
 * message to the sink. Pure: no I/O, time
 * comes from the records.
 */
import type { CaptureRecord } from '../capture/types.js';
import type { WireIssue } from '../wire/issues.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { FrameDissector, TUNNELS_COUNTED } from '../wire/frame/dissect.js';
import { isRoutedTunnel, tunnelText, type Tunnel } from '../wire/tunnel.js';
import { isDhcpV4Port, isDhcpV6Port } from '../wire/dhcp-ports.js';
import { UdpPort } from '../wire/ports.js';
import { UDP_HEADER } from '../wire/udp.js';
import { EtherType } from '../wire/ethernet.js';
import { IPV4_MIN_HEADER } from '../wire/ipv4.js';
import { IPV6_HEADER } from '../wire/ipv6.js';
import { parseDhcpV4 } from '../wire/dhcpv4/index.js';
import { DhcpV4Scratch } from '../wire/dhcpv4/scratch.js';
import { parseDhcpV6 } from '../wire/dhcpv6/index.js';
import { parseTftp, TFTP_OPCODES } from '../wire/tftp.js';
import { icmpCodeName, icmpTypeName, isIcmpError, parseIcmp, type IcmpPacket } from '../wire/icmp.js';
import { icmpv6CodeName, icmpv6TypeName, isIcmpv6Error, parseIcmpv6 } from '../wire/icmpv6.js';
import { checkNdpIpHeader, isNdpType, parseNdp } from '../wire/ndp.js';
import { pushIssue } from '../wire/issues.js';
import { HTTP_LAYER, HttpConnectionParser, type HttpSink, type HttpRequestHead, type HttpResponseHead } from '../wire/http/index.js';

import {
  Ipv4FragmentReassembler,
  Ipv6FragmentReassembler,
  TcpStreamReassembler,
  endsAtClose,
  finishedBySender,
  resetBy,
  unacknowledged,
  type TcpConnection,
  type TcpStreamSink,
} from '../reassembly/index.js';
import { TftpSessionTracker } from './tftp-tracker.js';
import { cutResponse, deliveredAtClose, deliveredBeforeNext, type CutResponse } from './http-cut-delivery.js';
import { DuplicateFrameFilter } from './duplicate-frames.js';
import { readEthernetIpv4Arp } from '../wire/arp.js';
import type { ArpSeen, DecodeSink, DecodedMessage, FragmentSeen, HttpCloseReason, HttpDecoded, MessageOrigin, AppProto, TcpSegmentSeen } from './messages.js';
import type { DhcpV4Message } from '../wire/dhcpv4/index.js';
import type { DhcpV6Message } from '../wire/dhcpv6/index.js';
import type { TftpPacket } from '../wire/tftp.js';
import type { TftpSession } from './tftp-tracker.js';

/** A capture's snap length cuts response heads: one whose status line began is a response. */
const CUT_RESPONSES = { cutResponses: true } as const;

export interface DecodeOptions {
  /** Only decode these protocols (default: all). */
  protos?: ReadonlySet<AppProto>;
  /** Drop mirror-port copies of a frame (`duplicate-frames.ts`) before decoding: the analyses and
   *  `export` do (unless `--keep-duplicates`), `decode` does not (it shows what the file holds). */
  dropDuplicates?: boolean;
}

/** Per-connection state kept in `TcpConnection.user`. */
interface HttpConnState {
  parser: HttpConnectionParser | null;
  /** Decided on the first payload byte: is this HTTP at all? */
  decided: boolean;
  /** The snap length cut the client's first bytes before a method could be read: the server's
   *  answer decides (an HTTP status line: a request the capture cut). Frame and time of those bytes. */
  cutFrame?: number;
  cutTime?: number;
  cutSeen?: Uint8Array;
  /** Server bytes given to the parser (gaps and cut bytes included): its offsets, now. */
  serverPushed: number;
  /** The last response the snap length cut, its delivery not judged yet (http-cut-delivery). */
  cutOpen: CutResponse | null;
}

/** An Ethernet frame check sequence, which some captures count in the original length. */
const FCS_BYTES = 4;
/** IPv4 datagrams remembered by their first fragment's UDP ports (a bounded window). */
const FIRST_FRAGMENTS_KEPT = 256;

/** The layer of tunnelWarnings(): capture findings name it `capture.remote-mirror`. */
export const TUNNEL_LAYER = 'tunnel';
/** The same for a routed tunnel (IP in GRE between routers, no mirror at any level). */
export const ROUTED_TUNNEL_LAYER = 'routed-tunnel';

/** The layer of limitWarnings(): capture findings name it `capture.limit`. */
export const REASSEMBLY_LIMIT = 'reassembly-limit';

const HTTP_METHOD_PREFIX = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|TRACE|CONNECT) /;
/** What a cut left of a request line that may have begun with a method. */
const CUT_METHOD = /^[A-Z]{0,7}$/;
/** A server's answer that begins an HTTP response. */
const HTTP_STATUS_START = 'HTTP/1.';

export class DecodePipeline implements TcpStreamSink {
  private readonly ip4Frags = new Ipv4FragmentReassembler();
  private readonly ip6Frags = new Ipv6FragmentReassembler();
  private readonly tcp: TcpStreamReassembler;
  private readonly tftp = new TftpSessionTracker();
  private readonly want: ReadonlySet<AppProto> | null;
  /** The frame being decoded; reused, never reallocated per packet. */
  private cur: MessageOrigin = blankOrigin();
  /** `cur.issues` went to the sink (with a message or an undecoded frame): do not reuse it. */
  private issuesGiven = true;
  private lastExpire = 0;
  /** Link, IP and transport headers of the frame being decoded (reused slots). */
  private readonly d: FrameDissector;
  /** Reused for the sink's fragment / tcpSegment calls (path-MTU facts). */
  /** IPv4 UDP datagrams whose first fragment was seen, by `src>dst#id`: true when its ports were
   *  DHCP's. A later fragment of one that was not, cut, hides no DHCP message. */
  private readonly firstFragments = new Map<string, boolean>();
  private readonly fragSeen: FragmentSeen = { frame: 0, time: 0, ipVersion: 4, src: '', dst: '', srcMac: null, id: 0, offset: 0, more: false, dataLength: 0, packetLength: 0, completed: false };
  /** Bytes the capture says it cut off the frame being decoded (origLen − captured). */
  private snapped = 0;
  /** The connection being closed (its last segment) while its parser ends; frame -1 otherwise. */
  private readonly closeAt: { frame: number; time: number; reason: HttpCloseReason; quiet: HttpDecoded['quiet']; captureEnded: boolean } = { frame: -1, time: 0, reason: 'flush', quiet: undefined, captureEnded: false };
  private readonly segSeen: TcpSegmentSeen = { frame: 0, time: 0, src: '', srcPort: 0, dst: '', dstPort: 0, src4: -1, dst4: -1, seq: 0, ack: 0, flags: 0, dataLength: 0, packetLength: 0 };
  frames = 0;
  messages = 0;
  /** Of `messages`, those taken by the sink's `tftpBlock` fast path. */
  private blocks = 0;
  /** One reused DHCPv4 message, for a sink that keeps none (`DecodeSink.transientDhcp4`). */
  private readonly dhcp4Scratch: DhcpV4Scratch | null;
  /** Mirror-port copies, when dropped (`DecodeOptions.dropDuplicates`). */
  readonly duplicates: DuplicateFrameFilter | null;
  private readonly arpSeen: ArpSeen = { frame: 0, time: 0, operation: 0, senderMac: '', targetMac: '', sender4: 0, target4: 0 };

  constructor(private readonly sink: DecodeSink, opts: DecodeOptions = {}) {
    this.tcp = new TcpStreamReassembler(this);
    this.want = opts.protos ?? null;
    this.dhcp4Scratch = sink.transientDhcp4 === true ? new DhcpV4Scratch() : null;
    this.duplicates = opts.dropDuplicates === true ? new DuplicateFrameFilter() : null;
    // Only HTTP rides on TCP: without it, TCP headers are not even read (nor their faults reported).
    this.d = new FrameDissector({ tcp: !this.want || this.want.has('http'), tunnels: true });
  }

  /** Decodes one capture record. Never throws on bad bytes. */
  push(rec: CaptureRecord): void {
    this.frames++;
    // The origin object is reused (messages copy its fields); its issues array is handed to the
    // sink with every message, so a new one is taken only once the last one was given away.
    let issues = this.cur.issues;
    if (this.issuesGiven || issues.length > 0) {
      issues = [];
      this.issuesGiven = false;
    }
    const cur = this.cur;
    cur.frame = rec.frame;
    cur.time = rec.time;
    cur.srcAddr = '';
    cur.srcPort = 0;
    cur.dstAddr = '';
    cur.dstPort = 0;
    cur.issues = issues;
    this.snapped = rec.origLen - rec.data.length;
    const before = this.messages - this.blocks;
    // Snapped frames (origLen > data.length): layers below see the missing bytes as truncation.
    const d = this.d;
    d.dissect(rec.linkType, rec.data, issues, rec.frame);
    if (this.duplicates !== null && this.duplicates.isCopy(d, rec)) {
      // Nothing of a copy reaches the sink, not even its header issues (the original had them).
      issues.length = 0;
      return;
    }
    if (this.sink.frameCut !== undefined) this.judgeCut(rec);
    cur.srcMac = d.srcMac;
    cur.dstMac = d.dstMac;
    cur.vlans = d.vlans;
    cur.tunnel = d.tunnel;
    if (d.ipVersion === 0 && d.etherType === EtherType.ARP && this.sink.arp !== undefined) this.arp(rec);
    else if (d.ipVersion !== 0) {
      cur.srcAddr = d.src;
      cur.dstAddr = d.dst;
      if (d.fragment) this.reassemble(rec);
      else this.transport(false);
    }
    if (this.messages - this.blocks !== before) this.issuesGiven = true;
    else if (issues.length > 0) {
      this.issuesGiven = true;
      this.sink.undecoded?.({ frame: rec.frame, time: rec.time, issues });
    }
    if (rec.time - this.lastExpire > 5) this.expire(rec.time);
  }

  /** An Ethernet/IPv4 ARP request or reply to the sink, read in place (other kinds, cut ones: not). */
  private arp(rec: CaptureRecord): void {
    const a = this.arpSeen;
    if (!readEthernetIpv4Arp(this.d.frame, this.d.linkPayloadOffset, a)) return;
    a.frame = rec.frame;
    a.time = rec.time;
    this.sink.arp!(a);
  }

  /** What the decoder holds now, for memory probes and tests: connection records (closed ones kept
   *  a while included; a closed one is a small record no parser can hang on), TFTP transfers. */
  held(): { tcpConnections: number; tftpSessions: number } {
    return { tcpConnections: this.tcp.connectionCount, tftpSessions: this.tftp.size };
  }

  /**
   * Was the frame just dissected cut short, and by how much? Judged by its IP packet's own length
   * where the IP header survived (the recorded original length may count the Ethernet FCS or
   * padding), by no more than the capture says it cut, except inside a tunnel (a remote mirror
   * slices before the collector records). Only a frame whose IP header was cut falls back to the
   * original length; a frame that carries no IP at all (ARP, LLDP) holds nothing the analyses read.
   */
  private judgeCut(rec: CaptureRecord): void {
    const d = this.d;
    const captured = rec.data.length;
    let missing: number;
    // What the capture itself says it cut (it may count the FCS or padding).
    const snapped = rec.origLen - captured;
    // An IPv4 total length below its header is no length (0 under TCP segmentation offload).
    if (d.ipVersion !== 0 && d.ipLength >= (d.ipVersion === 4 ? IPV4_MIN_HEADER : IPV6_HEADER)) {
      const short = d.ipOffset + d.ipLength - captured;
      // A frame mirrored through a tunnel is judged by its own IP length alone (ERSPAN's T bit,
      // a mirror MTU slice it before the collector). Any other frame the capture recorded whole:
      // an IP length beyond it is a bogus length (a sender's offload, a broken stack), not a cut.
      missing = d.tunnel !== null ? short : Math.min(short, snapped);
    } else if (d.linkOk && d.ipVersion === 0 && d.etherType !== -1 && d.etherType !== EtherType.IPV4 && d.etherType !== EtherType.IPV6) return;
    else missing = snapped > FCS_BYTES ? snapped : 0;
    const udp = d.protocol === IpProtocol.UDP;
    const fragmentOf = udp && d.ipVersion === 4 ? this.ipv4Fragment(rec.data, missing > 0) : null;
    if (missing <= 0) return;
    let opaque = d.ipVersion === 0 || (udp && (d.fragment || d.transport !== IpProtocol.UDP));
    // A later fragment of a datagram whose first fragment showed no DHCP port (NFS, syslog, SNMP).
    if (opaque && fragmentOf !== null && this.firstFragments.get(fragmentOf) === false) opaque = false;
    const src = opaque && d.ipVersion !== 0 ? d.src : undefined;
    const dst = opaque && d.ipVersion !== 0 ? d.dst : undefined;
    // The snap length shown: of the mirrored frame inside a tunnel, cut by the collector's snap
    // length when it cut the record (the tunnel headers count in it), else by the mirror (ERSPAN's
    // T bit, a session MTU: the record is whole).
    if (d.tunnel === null) this.sink.frameCut!(rec.frame, captured, missing, opaque, src, dst, 'capture', 0);
    else if (snapped > FCS_BYTES) this.sink.frameCut!(rec.frame, captured - d.linkOffset, missing, opaque, src, dst, 'collector', d.linkOffset);
    else this.sink.frameCut!(rec.frame, captured - d.linkOffset, missing, opaque, src, dst, 'mirror', 0);
  }

  /** The key of the IPv4 UDP fragment just dissected (null: not a fragment, or a later one not
   *  `cut`); a first fragment's ports, where they were captured, are remembered for the later ones. */
  private ipv4Fragment(data: Uint8Array, cut: boolean): string | null {
    const o = this.d.ipOffset;
    if (data.length < o + IPV4_MIN_HEADER) return null;
    const flagsFrag = (data[o + 6]! << 8) | data[o + 7]!;
    if ((flagsFrag & 0x3fff) === 0 || (!cut && (flagsFrag & 0x1fff) !== 0)) return null;
    const key = `${this.d.src}>${this.d.dst}#${(data[o + 4]! << 8) | data[o + 5]!}`;
    const ports = o + (data[o]! & 0x0f) * 4;
    if ((flagsFrag & 0x1fff) === 0 && data.length >= ports + 4) {
      const m = this.firstFragments;
      if (m.size >= FIRST_FRAGMENTS_KEPT) m.delete(m.keys().next().value!);
      m.set(key, isDhcpV4Port((data[ports]! << 8) | data[ports + 1]!) || isDhcpV4Port((data[ports + 2]! << 8) | data[ports + 3]!));
    }
    return key;
  }

  /**
   * The memory limits reassembly hit (TCP out-of-order bytes, open connections, IP fragments in
   * flight), one warning each with its count: layer `reassembly-limit`, offset = the first frame.
   */
  limitWarnings(): WireIssue[] {
    const out: WireIssue[] = [];
    const t = this.tcp.limits;
    if (t.totalBufferSkips > 0) {
      out.push({ kind: 'unsupported', layer: REASSEMBLY_LIMIT, offset: t.firstFrame,
        message: `reassembly buffer limit reached: TCP gaps skipped early ${t.totalBufferSkips} time(s) (more than ${this.tcp.maxTotalBufferedBytes} out-of-order bytes held; first at frame ${t.firstFrame})` });
    }
    if (t.evictedConnections > 0) {
      out.push({ kind: 'unsupported', layer: REASSEMBLY_LIMIT, offset: t.firstFrame,
        message: `connection limit reached: ${t.evictedConnections} TCP connection(s) closed early (more than ${this.tcp.maxConnections} open at once; first at frame ${t.firstFrame})` });
    }
    for (const [name, frags] of [['IPv4', this.ip4Frags], ['IPv6', this.ip6Frags]] as const) {
      const l = frags.limits;
      if (l.dropped > 0) {
        out.push({ kind: 'unsupported', layer: REASSEMBLY_LIMIT, offset: l.firstFrame,
          message: `fragment limit reached: ${l.dropped} incomplete ${name} datagram(s) dropped to make room (first at frame ${l.firstFrame})` });
      }
    }
    return out;
  }

  /** The capture clock jumped before the next record (the caller's SteadyClock saw it): frames
   *  on either side of it are no mirror copies of each other, however close their steady times. */
  clockJumped(): void {
    this.duplicates?.clockJumped();
  }

  /** The mirror-port copies dropped, as a capture warning (layer `duplicate-frames`), or none. */
  duplicateWarnings(): WireIssue[] {
    return this.duplicates?.warnings() ?? [];
  }

  /** The remote-mirror sessions the frames came through (layer `tunnel`: one note each), or none. */
  tunnelWarnings(): WireIssue[] {
    const d = this.d;
    const out: WireIssue[] = d.tunnelsSeen.map((s) => ({ kind: 'unsupported' as const, layer: onlyRouted(s.tunnel) ? ROUTED_TUNNEL_LAYER : TUNNEL_LAYER, offset: s.firstFrame,
      message: `${s.frames} frame(s) came through ${tunnelText(s.tunnel)}` }));
    // Sessions past those the dissector names: counted, so the note does not read as all of them.
    const n = d.tunnelsNotKept;
    if (n > 0) {
      const routed = d.tunnelsSeen.every((s) => onlyRouted(s.tunnel));
      out.push({ kind: 'unsupported', layer: routed ? ROUTED_TUNNEL_LAYER : TUNNEL_LAYER, offset: d.firstFrameNotKept,
        message: `and ${n >= TUNNELS_COUNTED ? 'at least ' : ''}${n} more session(s) with ${d.tunnelFramesNotKept} frame(s) (first at frame ${d.firstFrameNotKept})` });
    }
    return out;
  }

  /** End of input: deliver what the TCP reassembler still holds. */
  finish(): void {
    this.tcp.flush();
  }

  private expire(now: number): void {
    this.lastExpire = now;
    this.ip4Frags.expire(now);
    this.ip6Frags.expire(now);
    this.tftp.expire(now);
  }

  /** A fragment: on to the reassembler; a completed datagram's transport is decoded from the
   *  reassembled payload (offsets then count from its start, not the frame's). */
  private reassemble(rec: CaptureRecord): void {
    const d = this.d;
    const issues = this.cur.issues;
    let payload: Uint8Array;
    let protocol = d.protocol;
    if (d.ipVersion === 4) {
      const ip = d.ip4!;
      const whole = this.ip4Frags.push(ip, rec.time, rec.frame, issues);
      if (this.sink.fragment) this.noteFragment(4, ip.identification, ip.fragmentOffset, ip.mf, ip.totalLength - ip.headerLength, ip.totalLength, whole !== null, rec);
      if (!whole) return;
      payload = whole.payload;
    } else {
      const ip = d.ip6!;
      const whole = this.ip6Frags.push(ip, rec.time, rec.frame, issues);
      if (this.sink.fragment && ip.fragment) {
        const f = ip.fragment;
        this.noteFragment(6, f.identification, f.offset, f.more, ip.payload.length, 40 + ip.payloadLength, whole !== null, rec);
      }
      if (!whole) return;
      payload = whole.payload;
      protocol = whole.nextHeader;
    }
    d.dissectTransport(protocol, payload, 0, payload.length);
    if (d.isTunnel()) {
      // A tunnel packet the path fragmented: the mirrored frame is in the reassembled payload
      // (offsets then count from its start). Once only: a fragment inside is not reassembled again.
      d.decapsulate(rec.frame);
      // The mirrored frame is whole only now: a second session's copy of it (its outer packets
      // differ: addresses, ids, sequence numbers) is recognised here, as an unfragmented one is in push().
      if (this.duplicates !== null && this.duplicates.isCopy(d, rec)) {
        issues.length = 0;
        return;
      }
      const cur = this.cur;
      cur.srcMac = d.srcMac;
      cur.dstMac = d.dstMac;
      cur.vlans = d.vlans;
      cur.tunnel = d.tunnel;
      if (d.ipVersion === 0 || d.fragment) return;
      cur.srcAddr = d.src;
      cur.dstAddr = d.dst;
    }
    this.transport(true);
  }

  /** Dispatch on the transport header the dissector read. */
  private transport(reassembled: boolean): void {
    const d = this.d;
    const cur = this.cur;
    const t = d.transport;
    if (t === IpProtocol.UDP) {
      cur.srcPort = d.srcPort;
      cur.dstPort = d.dstPort;
      this.udp(d.srcPort, d.dstPort, d.l4Offset + UDP_HEADER);
    } else if (t === IpProtocol.TCP) {
      cur.srcPort = d.srcPort;
      cur.dstPort = d.dstPort;
      // Payload bytes the snap length cut off the segment (IP says how long it was on the wire; no
      // more than the capture says it cut, as judgeCut: a longer IP length is an offload's or a
      // broken stack's, and would skip sequence space the sender never used).
      const ipShort = d.ipOffset + d.ipLength - d.tcp.payloadOffset - d.tcp.payload.length;
      const tcpCut = reassembled || d.ipLength === 0 ? 0 : Math.max(0, d.tunnel !== null ? ipShort : Math.min(ipShort, this.snapped));
      this.tcp.push(cur.srcAddr, d.srcPort, cur.dstAddr, d.dstPort, d.tcp, cur.frame, cur.time, d.src4, d.dst4, tcpCut);
      if (this.sink.tcpSegment) {
        const t = this.segSeen;
        const seg = d.tcp;
        t.frame = cur.frame; t.time = cur.time;
        t.src = cur.srcAddr; t.srcPort = d.srcPort; t.dst = cur.dstAddr; t.dstPort = d.dstPort; t.src4 = d.src4; t.dst4 = d.dst4;
        t.seq = seg.seq; t.ack = seg.ack; t.flags = seg.flags;
        t.dataLength = seg.payload.length + tcpCut; t.packetLength = d.ipLength;
        this.sink.tcpSegment(t);
      }
    } else if (t === IpProtocol.ICMPV6 && d.ipVersion === 6 && d.l4End > d.l4Offset && isNdpType(d.l4Buf[d.l4Offset]!)) {
      this.ndp(d.ipPayload(), d.l4Offset, reassembled);
    } else if (t === IpProtocol.ICMP || t === IpProtocol.ICMPV6) {
      this.icmp(t === IpProtocol.ICMP ? 4 : 6, d.ipPayload(), d.l4Offset);
    }
  }

  private noteFragment(v: 4 | 6, id: number, offset: number, more: boolean, dataLength: number, packetLength: number, completed: boolean, rec: CaptureRecord): void {
    const f = this.fragSeen;
    f.frame = rec.frame; f.time = rec.time; f.ipVersion = v;
    f.src = this.cur.srcAddr; f.dst = this.cur.dstAddr; f.srcMac = this.cur.srcMac;
    f.id = id; f.offset = offset; f.more = more; f.dataLength = dataLength; f.packetLength = packetLength; f.completed = completed;
    this.sink.fragment!(f);
  }

  /** Neighbour Discovery: every message, with the IP-level rules of RFC 4861 checked here. */
  private ndp(buf: Uint8Array, base: number, reassembled: boolean): void {
    if (this.want && !this.want.has('ndp')) return;
    const cur = this.cur;
    const d = this.d;
    const msg = parseNdp(buf, cur.issues, base);
    if (!msg) return;
    const hopLimit = d.hopLimit;
    checkNdpIpHeader(msg, { src: d.ip6SrcBytes(), dst: d.ip6DstBytes(), hopLimit }, cur.issues, d.ipOffset);
    if (reassembled) pushIssue(cur.issues, 'malformed', 'ndp', 0, 'neighbour discovery message in IPv6 fragments (RFC 6980 forbids it)');
    this.messages++;
    this.sink.message({
      frame: cur.frame, time: cur.time,
      srcAddr: cur.srcAddr, srcPort: 0, dstAddr: cur.dstAddr, dstPort: 0,
      srcMac: cur.srcMac, dstMac: cur.dstMac, vlans: cur.vlans, issues: cur.issues, tunnel: cur.tunnel,
      proto: 'ndp', msg, hopLimit, payload: buf,
    });
  }

  /** Only error messages become messages: they say a boot-chain packet was refused or lost. */
  private icmp(ipVersion: 4 | 6, buf: Uint8Array, base: number): void {
    if (this.want && !this.want.has('icmp')) return;
    const type = buf.length > 0 ? buf[0]! : -1;
    if (!(ipVersion === 4 ? isIcmpError(type) : isIcmpv6Error(type))) return;
    const cur = this.cur;
    const msg: IcmpPacket | null = ipVersion === 4 ? parseIcmp(buf, cur.issues, base) : parseIcmpv6(buf, cur.issues, base);
    if (!msg) return;
    const q = msg.quoted;
    this.messages++;
    this.sink.message({
      frame: cur.frame, time: cur.time,
      srcAddr: cur.srcAddr, srcPort: cur.srcPort, dstAddr: cur.dstAddr, dstPort: cur.dstPort,
      srcMac: cur.srcMac, dstMac: cur.dstMac, vlans: cur.vlans, issues: cur.issues, tunnel: cur.tunnel,
      proto: 'icmp',
      ipVersion,
      type: msg.type,
      code: msg.code,
      typeName: ipVersion === 4 ? icmpTypeName(msg.type) : icmpv6TypeName(msg.type),
      codeName: ipVersion === 4 ? icmpCodeName(msg.type, msg.code) : icmpv6CodeName(msg.type, msg.code),
      quoted: q ? { src: q.src, dst: q.dst, protocol: q.protocol, srcPort: q.srcPort, dstPort: q.dstPort } : null,
      msg,
      payload: buf,
    });
  }

  /** A UDP datagram: decided by port (and TFTP session) before its payload view is taken, so
   *  traffic nobody decodes (DNS, mDNS, ...) costs no object. */
  private udp(srcPort: number, dstPort: number, base: number): void {
    const cur = this.cur;
    const want = this.want;
    const d = this.d;
    if (isDhcpV4Port(dstPort) || isDhcpV4Port(srcPort)) {
      if (want && !want.has('dhcp4')) return;
      const payload = d.udpPayload();
      const scratch = this.dhcp4Scratch;
      const msg = scratch === null ? parseDhcpV4(payload, cur.issues, base) : scratch.parse(payload, cur.issues, base);
      this.deliver('dhcp4', msg, payload, null);
      return;
    }
    if (isDhcpV6Port(dstPort) || isDhcpV6Port(srcPort)) {
      if (want && !want.has('dhcp6')) return;
      const payload = d.udpPayload();
      const msg = parseDhcpV6(payload, cur.issues, base);
      this.deliver('dhcp6', msg, payload, null);
      return;
    }
    let session = null;
    let msg = null;
    let payload: Uint8Array | null = null;
    if (dstPort === UdpPort.TFTP || srcPort === UdpPort.TFTP) {
      payload = d.udpPayload();
      msg = parseTftp(payload, cur.issues, base);
      // Only RRQ and WRQ to port 69 open a transfer; anything else on port 69 is still TFTP
      // (some servers answer from port 69 itself).
      if (dstPort === UdpPort.TFTP && (msg.opcode === 'RRQ' || msg.opcode === 'WRQ')) {
        session = this.tftp.noteRequest(cur.srcAddr, srcPort, cur.dstAddr, cur.time, cur.frame, msg.file, msg.opcode);
      } else session = this.tftp.matchDatagram(d, cur);
    } else {
      session = this.tftp.matchDatagram(d, cur, this.tftpAckOrError());
      if (!session) return;
    }
    if (want && !want.has('tftp')) return;
    // A tunnelled block goes as a message: the fast path carries no tunnel.
    if (msg === null && session !== null && this.sink.tftpBlock !== undefined && cur.issues.length === 0 && cur.tunnel === null && this.tftpBlock(session, srcPort)) return;
    payload ??= d.udpPayload();
    msg ??= parseTftp(payload, cur.issues, base);
    if (session !== null && msg.opcode === 'ERROR') this.tftp.noteError(session);
    this.deliver('tftp', msg, payload, session);
  }

  /** The TFTP opcode of a UDP payload of at least 4 bytes, read from the frame; -1 if none. */
  private tftpOpcode(): number {
    const d = this.d;
    const at = d.payloadOffset;
    return d.payloadEnd - at < 4 || d.l4Buf[at] !== 0 ? -1 : d.l4Buf[at + 1]!;
  }

  /** The UDP payload is a TFTP ACK (exactly 4 bytes) or an ERROR (code, text, NUL). */
  private tftpAckOrError(): boolean {
    const d = this.d;
    const op = this.tftpOpcode();
    const len = d.payloadEnd - d.payloadOffset;
    return (op === TFTP_OPCODES.ACK && len === 4) || (op === TFTP_OPCODES.ERROR && len >= 5 && d.l4Buf[d.payloadEnd - 1] === 0);
  }

  /** DATA/ACK of a known transfer to the sink's fast path, read straight from the frame bytes
   *  (no view, no packet, no message): what parseTftp would give without an issue, or false. */
  private tftpBlock(session: TftpSession, srcPort: number): boolean {
    const d = this.d;
    const b = d.l4Buf;
    const at = d.payloadOffset;
    const len = d.payloadEnd - at;
    const op = this.tftpOpcode();
    if (!(op === TFTP_OPCODES.DATA || (op === TFTP_OPCODES.ACK && len === 4))) return false;
    const cur = this.cur;
    const fromClient = cur.srcAddr === session.clientAddr && srcPort === session.clientPort;
    if (!this.sink.tftpBlock!(session, fromClient, srcPort, op, (b[at + 2]! << 8) | b[at + 3]!, len - 4, cur.frame, cur.time)) return false;
    this.messages++;
    this.blocks++; // no issues array went with it: the frame's stays free for the next
    return true;
  }

  /** Hands a UDP-borne message to the sink. An explicit literal, not a spread of the origin: this
   *  runs once per packet and a spread was the decoder's hottest line. */
  private deliver(
    proto: 'dhcp4' | 'dhcp6' | 'tftp',
    msg: DhcpV4Message | DhcpV6Message | TftpPacket,
    payload: Uint8Array,
    session: TftpSession | null,
  ): void {
    const c = this.cur;
    this.messages++;
    this.sink.message({
      proto, msg, payload, session,
      frame: c.frame, time: c.time,
      srcAddr: c.srcAddr, srcPort: c.srcPort, dstAddr: c.dstAddr, dstPort: c.dstPort,
      srcMac: c.srcMac, dstMac: c.dstMac, vlans: c.vlans, issues: c.issues, tunnel: c.tunnel,
    } as DecodedMessage);
  }

  // ---- TCP stream sink: bytes in order, per direction ----

  onData(conn: TcpConnection, fromClient: boolean, data: Uint8Array, frame: number, time: number, cut: boolean): void {
    let st = conn.user as HttpConnState | undefined;
    if (!st) {
      st = { parser: null, decided: false, serverPushed: 0, cutOpen: null };
      conn.user = st;
    }
    if (!st.decided) {
      const head = String.fromCharCode(...data.subarray(0, 8));
      if (!fromClient) {
        // Wait for the client to speak first, unless the capture cut its first bytes: then an
        // answer that begins a status line makes it HTTP (a request cut before its method).
        if (st.cutFrame === undefined) return;
        st.decided = true;
        if (!head.startsWith(HTTP_STATUS_START)) return;
        st.parser = new HttpConnectionParser(new HttpEventForwarder(this, conn, st), CUT_RESPONSES);
        st.parser.cutRequest(st.cutFrame, st.cutTime!, st.cutSeen ?? new Uint8Array(0));
      } else if (cut && CUT_METHOD.test(head)) {
        if (st.cutFrame === undefined) { st.cutFrame = frame; st.cutTime = time; st.cutSeen = data.slice(); }
        return;
      } else {
        st.decided = true;
        if (!HTTP_METHOD_PREFIX.test(head)) return;
        st.parser = new HttpConnectionParser(new HttpEventForwarder(this, conn, st), CUT_RESPONSES);
      }
    }
    if (st.parser === null) return;
    if (!fromClient) st.serverPushed += data.length;
    st.parser.push(fromClient, data, frame, time, cut);
  }

  onGap(conn: TcpConnection, fromClient: boolean, missingBytes: number, frame: number, time: number, cut: boolean): void {
    let st = conn.user as HttpConnState | undefined;
    if (st === undefined && cut && fromClient) conn.user = st = { parser: null, decided: false, serverPushed: 0, cutOpen: null };
    // The client's first bytes all cut (a snap length that leaves no TCP payload): the answer decides.
    if (st !== undefined && !st.decided && cut && fromClient && st.cutFrame === undefined) {
      st.cutFrame = frame;
      st.cutTime = time;
    }
    if (st?.parser == null) return;
    if (!fromClient) st.serverPushed += missingBytes;
    st.parser.gap(fromClient, missingBytes, cut, frame, time);
  }

  onClose(conn: TcpConnection, reason: HttpCloseReason): void {
    const st = conn.user as HttpConnState | undefined;
    // A closed connection's record stays a while (to swallow late retransmissions) but is given no
    // more bytes: its parser, with the heads it holds, goes now, not at the idle timeout (120 s of
    // connections at a time was a sixth of the live heap on a capture of 100,000 clients).
    conn.user = undefined;
    if (!st?.parser) return;
    // At the segment that closed it (FIN, RST); else at the last one that moved it on, not the
    // frame that noticed the close: an idle close, a restart or the end of the capture comes
    // later, often inside the device's next boot. A RST after the connection went quiet carries
    // its last progress too: the flow tells a reboot's RST from an abort (`HttpDecoded.quiet`).
    const closing = reason === 'fin' || reason === 'rst';
    const frame = closing ? conn.lastFrame : conn.progressFrame;
    const time = closing ? conn.lastTime : conn.progressTime;
    this.sink.httpClose?.(conn.id, reason, frame, time);
    this.closeAt.frame = frame;
    this.closeAt.time = time;
    this.closeAt.reason = reason;
    // Neither side closed it: the capture ended with the connection open.
    this.closeAt.captureEnded = reason === 'flush' && !finishedBySender(conn, true) && !finishedBySender(conn, false);
    this.closeAt.quiet = closing && !endsAtClose(conn, reason)
      ? { frame: conn.progressFrame, time: conn.progressTime, client: conn.client.addr }
      : undefined;
    // The capture ended a direction's bytes when it ended before the sender's FIN was reached.
    const flush = reason === 'flush';
    st.parser.end(true, frame, time, flush && !finishedBySender(conn, true));
    st.parser.end(false, frame, time, flush && !finishedBySender(conn, false));
    if (st.cutOpen !== null) {
      const r = st.cutOpen;
      st.cutOpen = null;
      const end = st.serverPushed;
      this.cutDelivery(conn, r, deliveredAtClose(r, end, end - (unacknowledged(conn, false) ?? Infinity), resetBy(conn, false)), frame, time);
    }
    this.closeAt.frame = -1;
    this.closeAt.quiet = undefined;
  }

  /** A response the snap length cut begins (`r`), or the next one after it (`next`: its offset). */
  cutResponseSeen(conn: TcpConnection, st: HttpConnState, r: CutResponse | null, next: number | null): void {
    const open = st.cutOpen;
    st.cutOpen = r;
    if (open === null || next === null) return;
    const acked = st.serverPushed - (unacknowledged(conn, false) ?? Infinity);
    this.cutDelivery(conn, open, deliveredBeforeNext(open, next, acked), this.cur.frame, this.cur.time);
  }

  private cutDelivery(conn: TcpConnection, r: CutResponse, delivered: boolean, frame: number, time: number): void {
    this.sink.httpCutDelivery?.(conn.id, r.request, delivered, delivered ? r.contentLength : null, frame, time);
  }

  /** Body bytes, only to a sink that keeps them. */
  emitHttpBody(conn: TcpConnection, isRequest: boolean, data: Uint8Array, frame: number, time: number): void {
    this.sink.httpBody?.({ connection: conn.id, isRequest, data, frame, time });
  }

  /** Called by the per-connection forwarder. */
  emitHttp(
    conn: TcpConnection,
    kind: 'request' | 'response' | 'complete',
    fromClient: boolean,
    head: HttpRequestHead | HttpResponseHead | null,
    request: HttpRequestHead | null,
    bodyBytes: number,
    frame: number,
    time: number,
    issues: WireIssue[],
    cut = false,
  ): void {
    const client = conn.client;
    const server = conn.server;
    const src = fromClient ? client : server;
    const dst = fromClient ? server : client;
    this.messages++;
    if (frame < 0) { // parser errors carry no frame: the close's, or the one being decoded
      const at = this.closeAt.frame >= 0 ? this.closeAt : this.cur;
      frame = at.frame;
      time = at.time;
    }
    const sameFrame = frame === this.cur.frame;
    this.sink.message({
      proto: 'http',
      kind,
      head,
      request,
      isRequest: fromClient,
      bodyBytes,
      connection: conn.id,
      ...(cut ? { cut: true as const } : {}),
      closedBy: this.closeAt.frame >= 0 ? this.closeAt.reason : undefined,
      quiet: this.closeAt.frame >= 0 ? this.closeAt.quiet : undefined,
      ...(this.closeAt.frame >= 0 && this.closeAt.captureEnded ? { captureEnded: true as const } : {}),
      frame,
      time,
      srcAddr: src.addr,
      srcPort: src.port,
      dstAddr: dst.addr,
      dstPort: dst.port,
      srcMac: sameFrame ? this.cur.srcMac : null,
      dstMac: sameFrame ? this.cur.dstMac : null,
      vlans: sameFrame ? this.cur.vlans : [],
      issues,
      tunnel: sameFrame ? this.cur.tunnel : null,
    });
  }
}

/** Adapts HttpConnectionParser's callbacks to pipeline messages for one connection. */
class HttpEventForwarder implements HttpSink {
  /** The request of the response whose body is being read (the parser's pairing): its completion
   *  and the parser's complaints about it carry it. */
  private responding: HttpRequestHead | null = null;
  /** The head of the response being read (a chunked one whose framing the cut takes is judged by it). */
  private respondingHead: HttpResponseHead | null = null;
  constructor(private readonly pipe: DecodePipeline, private readonly conn: TcpConnection, private readonly st: HttpConnState) {}
  onRequest(head: HttpRequestHead, frame: number, time: number): void {
    // A request head the capture cut (its line unfinished) is a request all the same, and says so.
    const issues: WireIssue[] = [];
    if (head.cut) pushIssue(issues, 'truncated', HTTP_LAYER, head.offset, 'request head cut short by the capture');
    this.pipe.emitHttp(this.conn, 'request', true, head, null, 0, frame, time, issues);
  }
  onResponse(head: HttpResponseHead, frame: number, time: number): void {
    this.responding = head.request;
    this.respondingHead = head;
    // Another response begins: the one the cut left open ended before it.
    if (this.st.cutOpen !== null || head.cut) this.pipe.cutResponseSeen(this.conn, this.st, head.cut ? cutResponse(head) : null, head.offset);
    this.pipe.emitHttp(this.conn, 'response', false, head, head.request, 0, frame, time, []);
  }
  onBodyData(isRequest: boolean, data: Uint8Array, frame: number, time: number): void {
    this.pipe.emitHttpBody(this.conn, isRequest, data, frame, time);
  }
  onMessageComplete(isRequest: boolean, bodyBytes: number, frame: number, time: number, cut?: boolean): void {
    const request = isRequest ? null : this.responding;
    if (!isRequest && cut === true && this.respondingHead !== null) this.pipe.cutResponseSeen(this.conn, this.st, cutResponse(this.respondingHead), null);
    if (!isRequest) { this.responding = null; this.respondingHead = null; }
    this.pipe.emitHttp(this.conn, 'complete', isRequest, null, request, bodyBytes, frame, time, [], cut === true);
  }
  onError(isRequest: boolean, issue: WireIssue, bodyBytes = 0): void {
    this.pipe.emitHttp(this.conn, 'complete', isRequest, null, isRequest ? null : this.responding, bodyBytes, -1, 0, [issue]);
  }
}

function blankOrigin(): MessageOrigin {
  return {
    frame: 0,
    time: 0,
    srcAddr: '',
    srcPort: 0,
    dstAddr: '',
    dstPort: 0,
    srcMac: null,
    dstMac: null,
    vlans: [],
    issues: [],
    tunnel: null,
  };
}

/** No level of the tunnel is a mirror. */
function onlyRouted(t: Tunnel | null): boolean {
  for (; t !== null; t = t.via) if (!isRoutedTunnel(t)) return false;
  return true;
}
