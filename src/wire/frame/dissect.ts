/**
 * The one frame dissector: link (Ethernet with 802.1Q/QinQ tags, Linux SLL/SLL2, BSD loopback,
 * raw IP) → IPv4 / IPv6 (extension and fragment headers) → UDP / TCP / ICMP / ICMPv6 headers,
 * in the spirit of gopacket's DecodingLayerParser: one `FrameDissector` per stream of frames,
 * whose fields are layer slots overwritten by every `dissect()`. A well-formed frame costs no
 * object and no byte view; only what a caller asks for is materialised (`udpPayload()`,
 * `ipPayload()`, `ip6SrcBytes()`, the TCP segment's payload).
 *
 * The canonical per-protocol parsers (`parseIpv4`, `parseIpv6`, `parseUdp`, `parseTcp`,
 * `parseLink`) stay the one source of each header's rules and issue texts: the dissector reads a
 * header itself only when it is whole and consistent (where those parsers report nothing), and
 * hands anything else — cut, malformed, extension headers, fragments, non-Ethernet links — to
 * them, so issues are the same bytes as theirs. Decoders never throw; issues go to the array the
 * caller passes, with frame-relative offsets.
 *
 * Fragments are not reassembled here (that is `src/reassembly`): `fragment` says so and `ip4` /
 * `ip6` hold the parsed packet for the reassembler; `dissectTransport()` then decodes the
 * transport header of the reassembled payload.
 *
 * Use in a receive path (as `scenario/transport/raw/transport.ts` does):
 *
 *   const d = new FrameDissector();            // once per socket
 *   onFrame(frame) {
 *     d.dissect(LinkType.ETHERNET, frame, issues);
 *     if (d.vlans.length || d.transport !== IpProtocol.UDP) return;   // or ARP: d.etherType
 *     if (d.dstPort === UdpPort.DHCP_CLIENT) handleDhcp(d.udpPayload(), d.src, d.srcMac);
 *   }
 *
 * Remote mirrors (`tunnels: true`, the decode pipeline): a GRE packet (gretap, ERSPAN I/II/III,
 * IP in GRE) or a VXLAN datagram is taken apart down to the frame it carries, at most
 * `MAX_TUNNEL_DEPTH` levels, and every field then describes that inner frame, as if it had been
 * captured at the mirror point; `tunnel` names the session. Offsets stay frame-relative. A tunnel
 * header that cannot be read leaves the outer packet in the slots, with the issue.
 *
 * Fields are valid until the next `dissect()`; copy what must outlive the frame.
 */
import { LinkType } from '../link-type.js';
import { ipv4ToString, ipv6ToString, macToString, u16, u32 } from '../bytes.js';
import { IpProtocol } from '../ip-protocol.js';
import { ETHERNET_HEADER_LENGTH, EtherType, isVlanTpid, parseEthernet, parseVlanTags, type VlanTag } from '../ethernet.js';
import { IPV4_MIN_HEADER, parseIpv4, type Ipv4Packet } from '../ipv4.js';
import { IPV6_HEADER, parseIpv6, type Ipv6Packet } from '../ipv6.js';
import type { WireIssue } from '../issues.js';
import { parseLink } from '../link.js';
import { TCP_MIN_HEADER, parseTcp, type TcpSegment } from '../tcp.js';
import { UDP_HEADER, parseUdp } from '../udp.js';
import { UdpPort } from '../ports.js';
import { isGreKeepalive, isTunnelGre, parseGre } from '../gre.js';
import { parseErspan } from '../erspan.js';
import { looksLikeVxlan, parseVxlan } from '../vxlan.js';
import { pushIssue } from '../issues.js';
import { MAX_TUNNEL_DEPTH, type Tunnel, type TunnelKind } from '../tunnel.js';

const EMPTY = new Uint8Array(0);
/** The VLAN list of every untagged frame (read-only: shared, never written). */
const NO_VLANS = Object.freeze([]) as unknown as number[];

export interface FrameDissectorOptions {
  /** Decode TCP headers (default true). Off, a TCP segment stops at the IP layer: no slot filled,
   *  no TCP issue raised (a caller that ignores TCP does not report its faults). */
  tcp?: boolean;
  /** Take remote-mirror tunnels (GRE, ERSPAN, VXLAN) apart down to the mirrored frame (default false). */
  tunnels?: boolean;
}

/** A tunnel session seen, with the frames that came through it. */
export interface TunnelSeen {
  tunnel: Tunnel;
  frames: number;
  firstFrame: number;
}

/** Distinct sessions kept (a capture of a mirror has one or two; a hostile one is not listed past this). */
const TUNNELS_KEPT = 16;
/** Distinct sessions past those counted (by key; a hostile capture's are not told apart past this). */
export const TUNNELS_COUNTED = 4096;
/** ERSPAN type II En: the VLAN tag was kept in the mirrored frame. */
const ERSPAN_ENCAP_TAG_IN_FRAME = 3;

/** One string per session, its outer levels included. */
function tunnelKey(t: Tunnel | null): string {
  return t === null ? '' : `${t.kind} ${t.id} ${t.src} ${t.dst}/${tunnelKey(t.via)}`;
}

/** The TCP header slot: filled in place per segment. `options` is taken on first read only. */
class TcpSegmentSlot implements TcpSegment {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  dataOffset = 0;
  headerLength = 0;
  flags = 0;
  window = 0;
  checksum = 0;
  urgent = 0;
  payload: Uint8Array = EMPTY;
  payloadOffset = 0;
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #options: Uint8Array | null = null;

  fill(buf: Uint8Array, start: number, end: number): void {
    const dataOffset = buf[start + 12]! >> 4;
    this.srcPort = u16(buf, start);
    this.dstPort = u16(buf, start + 2);
    this.seq = u32(buf, start + 4);
    this.ack = u32(buf, start + 8);
    this.dataOffset = dataOffset;
    this.headerLength = dataOffset * 4;
    this.flags = u16(buf, start + 12) & 0x0fff;
    this.window = u16(buf, start + 14);
    this.checksum = u16(buf, start + 16);
    this.urgent = u16(buf, start + 18);
    this.payload = buf.subarray(start + dataOffset * 4, end);
    this.payloadOffset = start + dataOffset * 4;
    this.#buf = buf;
    this.#start = start;
    this.#options = null;
  }

  get options(): Uint8Array {
    return (this.#options ??= this.#buf.subarray(this.#start + TCP_MIN_HEADER, this.#start + this.headerLength));
  }
  set options(v: Uint8Array) {
    this.#options = v;
  }
}

export class FrameDissector {
  private readonly decodeTcp: boolean;
  private readonly decap: boolean;
  private issues: WireIssue[] = [];
  private notKeptKeys: Set<string> | null = null;

  // ---- link ----
  /** The frame being dissected. */
  frame: Uint8Array = EMPTY;
  /** False when the link header gave nothing usable (unsupported link type, header cut). */
  linkOk = false;
  srcMac: string | null = null;
  dstMac: string | null = null;
  /** VLAN ids, outermost first (a shared empty list for untagged frames: never write to it). */
  vlans: number[] = NO_VLANS;
  /** The EtherType after the link header and tags (EtherType.IPV4, …); -1 when the link does not say. */
  etherType = -1;
  /** Frame offset of what follows the link header. */
  linkPayloadOffset = 0;
  /** Frame offset of the link header: 0, or where a tunnelled frame starts. */
  linkOffset = 0;
  /** The tunnel the frame came through (innermost; `via` the outer ones), or null. */
  tunnel: Tunnel | null = null;
  /** The tunnel sessions seen so far, by first appearance (at most TUNNELS_KEPT). */
  readonly tunnelsSeen: TunnelSeen[] = [];
  /** Distinct sessions seen past TUNNELS_KEPT (counted up to TUNNELS_COUNTED), and their frames. */
  tunnelsNotKept = 0;
  tunnelFramesNotKept = 0;
  firstFrameNotKept = 0;

  // ---- network ----
  /** 4 or 6 once an IP header was read, else 0. */
  ipVersion: 0 | 4 | 6 = 0;
  /** Frame offset of the IP header. */
  ipOffset = 0;
  src = '';
  dst = '';
  /** IPv4 addresses as unsigned numbers (cheap keys); -1 over IPv6. */
  src4 = -1;
  dst4 = -1;
  /** IPv4 TTL or IPv6 hop limit. */
  hopLimit = 0;
  /** The IP packet's length as its header states it (IPv4 total length, IPv6 40 + payload length). */
  ipLength = 0;
  /** The upper-layer protocol (IpProtocol), after any IPv6 extension headers; -1 before IP. */
  protocol = -1;
  /** A fragment that needs reassembly: the transport was not decoded; `ip4`/`ip6` holds the packet. */
  fragment = false;
  /** The whole parsed header, set only when the dissector handed it to `parseIpv4`/`parseIpv6`
   *  (anything unusual: cut, malformed, options past the fast checks, extension headers, fragments). */
  ip4: Ipv4Packet | null = null;
  ip6: Ipv6Packet | null = null;

  // ---- transport ----
  /** IpProtocol.UDP / TCP once that header was read, ICMP / ICMPV6 when the IP layer carries one
   *  (its bytes are `ipPayload()`, possibly empty), else -1. */
  transport = -1;
  /** The bytes the transport layer lies in (the frame, or a reassembled payload) and its range:
   *  offsets in `l4Buf` are also the issue offsets (frame-relative, or payload-relative when reassembled). */
  l4Buf: Uint8Array = EMPTY;
  l4Offset = 0;
  l4End = 0;
  srcPort = 0;
  dstPort = 0;
  /** UDP payload range in `l4Buf`. */
  payloadOffset = 0;
  payloadEnd = 0;
  /** The TCP header, when `transport` is TCP (one slot, refilled per segment). */
  readonly tcp: TcpSegment = new TcpSegmentSlot();

  constructor(opts: FrameDissectorOptions = {}) {
    this.decodeTcp = opts.tcp ?? true;
    this.decap = opts.tunnels ?? false;
  }

  /** Dissects `frame` of `linkType` as far as it goes; problems go to `issues`. Never throws. */
  dissect(linkType: number, frame: Uint8Array, issues: WireIssue[], frameNumber = 0): void {
    this.issues = issues;
    this.frame = frame;
    this.linkOffset = 0;
    this.tunnel = null;
    this.resetNetwork();
    if (linkType === LinkType.ETHERNET) this.ethernet(frame, 0);
    else this.otherLink(linkType, frame);
    if (!this.linkOk) return;
    if (this.etherType === EtherType.IPV4) this.ipv4(frame, this.linkPayloadOffset);
    else if (this.etherType === EtherType.IPV6) this.ipv6(frame, this.linkPayloadOffset);
    if (this.decap && this.isTunnel()) this.decapsulate(frameNumber);
  }

  /** The transport slots hold a GRE packet or a VXLAN datagram (whole, not a fragment). */
  isTunnel(): boolean {
    return (this.protocol === IpProtocol.GRE && this.transport === -1 && !this.fragment && this.ipVersion !== 0)
      || (this.transport === IpProtocol.UDP && this.dstPort === UdpPort.VXLAN);
  }

  /**
   * Takes the tunnel headers in the transport slots off and dissects the frame they carry in their
   * place (its bytes end where the outer packet's payload does). Called by `dissect()`, and by the
   * decode pipeline after reassembling a fragmented tunnel packet (`l4Buf` is then the payload).
   */
  decapsulate(frameNumber: number): void {
    const issues = this.issues;
    let via: Tunnel | null = null;
    for (let depth = 0; depth < MAX_TUNNEL_DEPTH; depth++) {
      const buf = this.l4Buf;
      const end = this.transport === IpProtocol.UDP ? this.payloadEnd : this.l4End;
      let kind: TunnelKind;
      let id: number | null;
      let start: number;
      let inner = EtherType.TEB as number;
      /** The original frame's VLAN from an ERSPAN header (0: none to add). */
      let vlan = 0;
      if (this.transport === IpProtocol.UDP) {
        const payload = buf.subarray(this.payloadOffset, end);
        // Only a guess from the port: anything else on 4789 stays plain UDP, without an issue.
        if (!looksLikeVxlan(payload)) break;
        const vx = parseVxlan(payload, issues, this.payloadOffset);
        if (vx === null) break;
        kind = 'vxlan';
        id = vx.vni;
        start = vx.payloadOffset;
      } else {
        const greBytes = buf.subarray(this.l4Offset, end);
        // GRE that is no mirror nor IP tunnel (PPTP's version 1, WCCP, others) stays as it is, silently.
        if (!isTunnelGre(greBytes)) break;
        const gre = parseGre(greBytes, issues, this.l4Offset);
        if (gre === null) break; // the slots keep the packet that holds the bad header
        start = gre.payloadOffset;
        id = gre.key;
        kind = 'gre';
        const type = gre.protocolType;
        if (type === EtherType.ERSPAN && gre.sequence === null) kind = 'erspan1';
        else if (type === EtherType.ERSPAN || type === EtherType.ERSPAN3) {
          const three = type === EtherType.ERSPAN3;
          const e = parseErspan(three ? 3 : 2, buf.subarray(start, end), issues, start);
          if (e === null) break; // the slots keep the packet that holds the bad header
          kind = three ? 'erspan3' : 'erspan2';
          id = e.session;
          start = e.payloadOffset;
          // The VLAN the switch took the frame from (our rule: packet-erspan.c only displays it): type II
          // unless En says the tag stayed in the frame (3), type III always; an inner tag with the
          // same id is that tag kept, not a second one.
          if (three || e.encap !== ERSPAN_ENCAP_TAG_IN_FRAME) vlan = e.vlan;
        } else if (type === EtherType.IPV4 || type === EtherType.IPV6) {
          // A routed IP tunnel (a boot relayed between sites), not a mirror; its keepalives stay as they are.
          if (isGreKeepalive(buf.subarray(start, end), type)) break;
          inner = type;
          kind = 'gre-ip';
        }
      }
      via = this.session(kind, id, via);
      const frame = buf.subarray(0, end);
      this.frame = frame;
      this.linkOffset = start;
      this.resetNetwork();
      if (inner === EtherType.TEB) {
        this.ethernet(frame, start);
        if (!this.linkOk) break;
        if (vlan !== 0 && !this.vlans.includes(vlan)) this.vlans = [vlan, ...this.vlans];
      } else {
        this.linkOk = true;
        this.srcMac = null;
        this.dstMac = null;
        this.vlans = NO_VLANS;
        this.etherType = inner;
        this.linkPayloadOffset = start;
      }
      if (this.etherType === EtherType.IPV4) this.ipv4(frame, this.linkPayloadOffset);
      else if (this.etherType === EtherType.IPV6) this.ipv6(frame, this.linkPayloadOffset);
      if (!this.isTunnel()) break;
      if (depth === MAX_TUNNEL_DEPTH - 1) {
        pushIssue(issues, 'unsupported', 'tunnel', this.ipOffset, `more than ${MAX_TUNNEL_DEPTH} nested tunnels: the innermost frame is not decoded`);
        this.resetNetwork();
      }
    }
    this.tunnel = via;
    const seen = this.tunnelsSeen;
    for (const s of seen) {
      if (s.tunnel === via) {
        s.frames++;
        return;
      }
    }
    if (via === null) return;
    if (seen.length < TUNNELS_KEPT) seen.push({ tunnel: via, frames: 1, firstFrame: frameNumber });
    else this.notKept(via, frameNumber);
  }

  /** A session past the kept ones: counted by its key (up to TUNNELS_COUNTED distinct), with its frames. */
  private notKept(t: Tunnel, frameNumber: number): void {
    if (this.tunnelFramesNotKept++ === 0) this.firstFrameNotKept = frameNumber;
    const key = tunnelKey(t);
    const keys = (this.notKeptKeys ??= new Set());
    if (keys.has(key) || keys.size >= TUNNELS_COUNTED) return;
    keys.add(key);
    this.tunnelsNotKept = keys.size;
  }

  /** The one shared object of this session (outer addresses from the slots, before they change). */
  private session(kind: TunnelKind, id: number | null, via: Tunnel | null): Tunnel {
    const src = this.src;
    const dst = this.dst;
    for (const s of this.tunnelsSeen) {
      const t = s.tunnel;
      if (t.kind === kind && t.id === id && t.src === src && t.dst === dst && t.via === via) return t;
      if (t.via !== null && t.via.kind === kind && t.via.id === id && t.via.src === src && t.via.dst === dst && t.via.via === via) return t.via;
    }
    return Object.freeze({ kind, src, dst, id, via });
  }

  private resetNetwork(): void {
    this.ipVersion = 0;
    this.protocol = -1;
    this.fragment = false;
    this.ip4 = null;
    this.ip6 = null;
    this.transport = -1;
    this.srcPort = 0;
    this.dstPort = 0;
  }

  /**
   * Decodes the transport header of `protocol` in `buf[start, end)`: the frame's own IP payload, or
   * a reassembled one (then `start` = 0 and issue offsets are payload-relative, as before reassembly).
   */
  dissectTransport(protocol: number, buf: Uint8Array, start: number, end: number): void {
    this.transport = -1;
    this.fragment = false; // a reassembled payload is whole
    this.l4Buf = buf;
    this.l4Offset = start;
    this.l4End = end;
    if (protocol === IpProtocol.UDP) this.udp(buf, start, end);
    else if (protocol === IpProtocol.TCP) {
      if (this.decodeTcp) this.tcpHeader(buf, start, end);
    } else if (protocol === IpProtocol.ICMP || protocol === IpProtocol.ICMPV6) this.transport = protocol;
  }

  /** A view of the UDP payload (valid while the frame is). */
  udpPayload(): Uint8Array {
    return this.l4Buf.subarray(this.payloadOffset, this.payloadEnd);
  }

  /** A view of the transport layer's bytes: the whole ICMP message, the UDP datagram, … */
  ipPayload(): Uint8Array {
    return this.l4Buf.subarray(this.l4Offset, this.l4End);
  }

  /** The IPv6 source and destination as 16-byte views (pseudo-headers, ND checks). */
  ip6SrcBytes(): Uint8Array {
    return this.ip6?.srcBytes ?? this.frame.subarray(this.ipOffset + 8, this.ipOffset + 24);
  }
  ip6DstBytes(): Uint8Array {
    return this.ip6?.dstBytes ?? this.frame.subarray(this.ipOffset + 24, this.ipOffset + IPV6_HEADER);
  }

  // ---- link ----

  private ethernet(frame: Uint8Array, s: number): void {
    if (frame.length - s < ETHERNET_HEADER_LENGTH) {
      parseEthernet(frame.subarray(s), this.issues, s); // the canonical "header cut" issue
      this.noLink();
      return;
    }
    this.linkOk = true;
    this.dstMac = macToString(frame, s);
    this.srcMac = macToString(frame, s + 6);
    let type = u16(frame, s + 12);
    let offset = s + ETHERNET_HEADER_LENGTH;
    if (isVlanTpid(type)) {
      const tags: VlanTag[] = [];
      ({ offset, type } = parseVlanTags(frame, offset, type, tags, this.issues, 0, 'ethernet'));
      const ids: number[] = [];
      for (const t of tags) ids.push(t.vid);
      this.vlans = ids;
    } else this.vlans = NO_VLANS;
    this.etherType = type;
    this.linkPayloadOffset = offset;
  }

  /** Loopback, raw IP and Linux cooked captures: rare enough to take `parseLink`'s object. */
  private otherLink(linkType: number, frame: Uint8Array): void {
    const link = parseLink(linkType, frame, this.issues);
    if (!link) {
      this.noLink();
      return;
    }
    this.linkOk = true;
    this.srcMac = link.srcMac;
    this.dstMac = link.dstMac;
    this.vlans = link.vlans.length === 0 ? NO_VLANS : link.vlans;
    this.etherType = link.etherType ?? -1;
    this.linkPayloadOffset = link.payloadOffset;
  }

  private noLink(): void {
    this.linkOk = false;
    this.srcMac = null;
    this.dstMac = null;
    this.vlans = NO_VLANS;
    this.etherType = -1;
    this.linkPayloadOffset = 0;
  }

  // ---- network ----

  private ipv4(frame: Uint8Array, o: number): void {
    const len = frame.length - o;
    const ihl = len >= IPV4_MIN_HEADER ? frame[o]! & 0x0f : 0;
    const totalLength = len >= IPV4_MIN_HEADER ? u16(frame, o + 2) : 0;
    const headerLength = ihl * 4;
    let payloadOffset: number;
    let payloadEnd: number;
    let mf: boolean;
    let fragmentOffset: number;
    this.ipOffset = o;
    if (len >= IPV4_MIN_HEADER && frame[o]! >> 4 === 4 && ihl >= 5 && headerLength <= totalLength && totalLength <= len) {
      // Whole and consistent: what parseIpv4 would accept without an issue.
      this.src = ipv4ToString(frame, o + 12);
      this.dst = ipv4ToString(frame, o + 16);
      this.hopLimit = frame[o + 8]!;
      this.protocol = frame[o + 9]!;
      const flagsFrag = u16(frame, o + 6);
      mf = (flagsFrag & 0x2000) !== 0;
      fragmentOffset = (flagsFrag & 0x1fff) * 8;
      payloadOffset = o + headerLength;
      payloadEnd = o + totalLength;
      this.ipLength = totalLength;
    } else {
      const ip = parseIpv4(frame.subarray(o), this.issues, o);
      if (!ip) return;
      this.ip4 = ip;
      this.ipLength = ip.totalLength;
      this.src = ip.src;
      this.dst = ip.dst;
      this.hopLimit = ip.ttl;
      this.protocol = ip.protocol;
      mf = ip.mf;
      fragmentOffset = ip.fragmentOffset;
      payloadOffset = ip.payloadOffset;
      payloadEnd = payloadOffset + ip.payload.length;
    }
    this.ipVersion = 4;
    this.src4 = u32(frame, o + 12);
    this.dst4 = u32(frame, o + 16);
    // A first fragment cut short by the snap length can never be reassembled: decode what it holds
    // (its issues already say it is truncated), as Wireshark does.
    const cutFirstFragment = fragmentOffset === 0 && payloadEnd - payloadOffset < totalLength - headerLength;
    if ((mf || fragmentOffset > 0) && !cutFirstFragment) {
      this.fragment = true;
      this.ip4 ??= parseIpv4(frame.subarray(o), this.issues, o);
      return;
    }
    this.dissectTransport(this.protocol, frame, payloadOffset, payloadEnd);
  }

  private ipv6(frame: Uint8Array, o: number): void {
    const len = frame.length - o;
    this.ipOffset = o;
    this.src4 = -1;
    this.dst4 = -1;
    const next = len >= IPV6_HEADER ? frame[o + 6]! : -1;
    if (len >= IPV6_HEADER && frame[o]! >> 4 === 6 && IPV6_HEADER + u16(frame, o + 4) <= len && !isExtensionHeader(next)) {
      // Fixed header only and the payload all there: what parseIpv6 would accept without an issue.
      this.ipVersion = 6;
      this.ipLength = IPV6_HEADER + u16(frame, o + 4);
      this.src = ipv6ToString(frame, o + 8);
      this.dst = ipv6ToString(frame, o + 24);
      this.hopLimit = frame[o + 7]!;
      this.protocol = next;
      this.dissectTransport(next, frame, o + IPV6_HEADER, o + IPV6_HEADER + u16(frame, o + 4));
      return;
    }
    const ip = parseIpv6(frame.subarray(o), this.issues, o);
    if (!ip) return;
    this.ip6 = ip;
    this.ipVersion = 6;
    this.ipLength = IPV6_HEADER + ip.payloadLength;
    this.src = ip.src;
    this.dst = ip.dst;
    this.hopLimit = ip.hopLimit;
    this.protocol = ip.nextHeader;
    // Any Fragment header (atomic ones too) goes through the reassembler, which hands an atomic
    // fragment straight back.
    if (ip.fragment) {
      this.fragment = true;
      return;
    }
    this.dissectTransport(ip.nextHeader, frame, ip.payloadOffset, ip.payloadOffset + ip.payload.length);
  }

  // ---- transport ----

  private udp(buf: Uint8Array, start: number, end: number): void {
    const len = end - start;
    const length = len >= UDP_HEADER ? u16(buf, start + 4) : 0;
    if (len >= UDP_HEADER && length >= UDP_HEADER && length <= len) {
      this.srcPort = u16(buf, start);
      this.dstPort = u16(buf, start + 2);
      this.payloadOffset = start + UDP_HEADER;
      this.payloadEnd = start + length;
    } else {
      const udp = parseUdp(buf.subarray(start, end), this.issues, start);
      if (!udp) return;
      this.srcPort = udp.srcPort;
      this.dstPort = udp.dstPort;
      this.payloadOffset = udp.payloadOffset;
      this.payloadEnd = udp.payloadOffset + udp.payload.length;
    }
    this.transport = IpProtocol.UDP;
  }

  private tcpHeader(buf: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (len < TCP_MIN_HEADER || buf[start + 12]! >> 4 < 5 || len < (buf[start + 12]! >> 4) * 4) {
      parseTcp(buf.subarray(start, end), this.issues, start); // the canonical issue; null
      return;
    }
    const seg = this.tcp as TcpSegmentSlot;
    seg.fill(buf, start, end);
    this.srcPort = seg.srcPort;
    this.dstPort = seg.dstPort;
    this.transport = IpProtocol.TCP;
  }
}

function isExtensionHeader(nh: number): boolean {
  return nh === IpProtocol.HOPOPT || nh === IpProtocol.IPV6_ROUTE || nh === IpProtocol.IPV6_OPTS || nh === IpProtocol.IPV6_FRAG;
}
