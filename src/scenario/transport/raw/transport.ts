/**
 * Raw layer-2 transport for `pxecheck run`: every simulated client is a MAC on one interface,
 * frames go out and come in through libpcap (src/capture/live.ts). pxecheck answers ARP for the
 * clients' leased addresses and runs its own small TCP client for HTTP.
 *
 * REQUIREMENT: the interface must have NO IP address (a dedicated veth, VLAN sub-interface or
 * NIC). Otherwise the host kernel sees the servers' TCP segments to our client addresses as
 * packets for nobody and may answer them with RST, or answer ARP itself. If it must keep an
 * address, drop the kernel's resets, e.g. `nft add rule inet filter output oif <if> tcp flags rst drop`.
 * The same goes for IPv6: turn the kernel's IPv6 off on that interface
 * (`sysctl -w net.ipv6.conf.<if>.disable_ipv6=1`), or it autoconfigures from the RAs meant for the
 * simulated clients and joins in neighbour discovery.
 *
 * IPv6: every client has its EUI-64 link-local address from `addClient` on and a global one after
 * `setClientAddress6`; pxecheck answers neighbour solicitations for both, resolves next hops with
 * its own solicitations (raw/ndp.ts), and learns default routers from router advertisements.
 */
import { networkInterfaces } from 'node:os';
import { openLiveInterface, type LiveInterface, type LiveOpenOptions } from '../../../capture/live.js';
import { LinkType } from '../../../wire/link-type.js';
import { parseArp } from '../../../wire/arp.js';
import { macFromString, macToString, u16, u32 } from '../../../wire/bytes.js';
import { IpProtocol } from '../../../wire/ip-protocol.js';
import { BootOp, F } from '../../../wire/dhcpv4/message.js';
import { EtherType, MAC_LENGTH } from '../../../wire/ethernet.js';
import { FrameDissector } from '../../../wire/frame/dissect.js';
import { icmpv6ChecksumOk, Icmpv6Type } from '../../../wire/icmpv6.js';
import { IPV4_MIN_HEADER } from '../../../wire/ipv4.js';
import { IPV6_HEADER } from '../../../wire/ipv6.js';
import {
  ALL_NODES, isIpv6, isLinkLocal6, isMulticast6, linkLocalFromMac, multicastMac, samePrefix6, solicitedNodeMulticast,
} from '../../../wire/ipv6-address.js';
import type { WireIssue } from '../../../wire/issues.js';
import { parseNdp, type NdpMessage } from '../../../wire/ndp.js';
import { UdpPort } from '../../../wire/ports.js';
import { TCP_MIN_HEADER, TcpFlag, type TcpSegment } from '../../../wire/tcp.js';
import { ANY_ADDR, BROADCAST_ADDR } from '../../clients/types.js';
import { TransportHandlers } from '../handlers.js';
import { ArpTable } from './arp.js';
import { Ipv4FragmentReassembler, Ipv6FragmentReassembler } from '../../../reassembly/index.js';
import { BROADCAST_MAC, DEFAULT_HOP_LIMIT6, DEFAULT_MTU, ND_HOP_LIMIT, ipv4Number, sameSubnet, tcpAckTemplate, tcpFrame, udpFrames, type L2Addresses } from './frames.js';
import { canonical6, NeighbourTable, neighbourAdvertFrame, RouterList, routerSolicitFrame, UNSPECIFIED6 } from './ndp.js';
import { SendQueue } from './send-queue.js';
import type { TcpAckTemplate } from '../../../wire/frame/template.js';
import { RawTcpConnection } from './tcp-client.js';
import { TcpConnectionTable } from './tcp-table.js';
import { Tcp4FramePeek } from '../../../wire/frame/tcp4-peek.js';
import { warmRawTcp } from './tcp-warm-up.js';
import { NOT_RUN, TftpOffload } from '../offload/tftp-offload.js';
import { rawFlowBothWays, rawFlowFilter, type RawFlow } from '../offload/raw-link.js';
import type { TftpClientConfig, TftpResult } from '../../clients/tftp.js';
import type {
  ByteStream, ClientAddress, ClientAddress6, ClientTransport, Endpoint, RouterAdvertHandler, RouterAdvertSeen, UdpDatagram,
} from '../types.js';

export interface RawTransportOptions {
  interface: string;
  /** Frames sent per second at most (default 200,000: a safety bound, not a pace), queued beyond that. */
  rateLimitPps?: number;
  /** Largest IP packet sent (default 1500): UDP datagrams above it go out as IP fragments, and
   *  TCP's MSS follows it. Fragments received are always reassembled. */
  mtu?: number;
  /** Frames waiting for the rate limit before new ones are dropped (default 4096). */
  queueLimit?: number;
  /** Client MACs known up front: the BPF filter then only passes frames to them or broadcast. */
  macs?: string[];
  /** ARP requests per resolution (default 4) and their interval in ms (default 500). */
  arpRetries?: number;
  arpIntervalMs?: number;
  /** Neighbour solicitations per IPv6 resolution (default 3) and their interval in ms (default 1000). */
  ndRetries?: number;
  ndIntervalMs?: number;
  /** Hop limit of IPv6 UDP/TCP (default 128, what EDK2 sends; iPXE uses 255). ND always uses 255. */
  hopLimit6?: number;
  /** TCP: first retransmission timeout in ms (default 1000). */
  tcpRtoMs?: number;
  /** Opens the interface (tests pass a fake link). */
  open?: (iface: string, opts: LiveOpenOptions) => LiveInterface;
  /** TFTP transfers run at once in worker threads on capture handles of their own (default: the
   *  cores, 1–4; 0: none, every transfer on the event loop). See `offloadTftp`. */
  tftpWorkers?: number;
  /** Start one TFTP worker at once (a thread takes 30–150 ms to start: not in the first transfer's time). */
  prewarmTftp?: boolean;
  /** Before it resolves, one HTTP exchange played in memory through the TCP code (tcp-warm-up.ts):
   *  the first HTTP step is not timed while V8 compiles it (~2 ms). Nothing is sent. */
  prewarmTcp?: boolean;
}

interface RawClient {
  mac: string;
  lease: ClientAddress | null;
  /** EUI-64 link-local address (canonical text); computed once IPv6 is in play (v4-only runs of
   *  thousands of clients skip it). */
  ll: string | null;
  lease6: ClientAddress6 | null;
}

const FIRST_EPHEMERAL = 49152;
/** TCP MSS: the MTU minus the IPv4 (20) or IPv6 (40) header and TCP's 20 (1460 / 1440 on Ethernet). */
const TCP_IP4_OVERHEAD = IPV4_MIN_HEADER + TCP_MIN_HEADER;
const TCP_IP6_OVERHEAD = IPV6_HEADER + TCP_MIN_HEADER;
/** Default send bound in frames per second: far above what one runner sends, it only stops a runaway. */
export const DEFAULT_RATE_LIMIT_PPS = 200_000;
/** Seconds an incomplete fragmented datagram waits for its other fragments (a TFTP block is
 *  retransmitted long before). */
const FRAGMENT_TIMEOUT_S = 10;

/** MACs named one by one in the BPF filter at most: a longer filter costs more per frame than the
 *  JS ownership check it saves (and the binding takes at most 4 KiB of filter text). */
export const MAX_FILTER_MACS = 64;

/** BPF: ARP, IPv4 UDP/TCP, IPv6 UDP/TCP/ICMPv6; to our MACs, broadcast or IPv6 multicast
 *  (33:33:*) when a few MACs are known up front. */
export function rawBpfFilter(macs: readonly string[] = []): string {
  const proto = '(arp or (ip and (udp or tcp)) or (ip6 and (udp or tcp or icmp6)))';
  if (macs.length === 0 || macs.length > MAX_FILTER_MACS) return proto;
  const dst = ['ether broadcast', 'ether[0:2] == 0x3333', ...macs.map((m) => `ether dst ${m.toLowerCase()}`)].join(' or ');
  return `(${dst}) and ${proto}`;
}

/** Where the kernel and libpcap leave it: without an address the kernel stays out of our TCP. */
export const RAW_INTERFACE_NOTE =
  'raw mode needs an interface without an IP address (a dedicated veth/VLAN): otherwise the kernel may reset the TCP connections pxecheck makes';

export const RAW_INTERFACE_NOTE6 =
  'raw mode wants the kernel\'s IPv6 off on the interface: otherwise it autoconfigures from the RAs meant for the simulated clients and joins in neighbour discovery';

/** The IPv4 addresses the host has on `iface` (raw mode wants none). */
export function interfaceIpv4Addresses(iface: string): string[] {
  return (networkInterfaces()[iface] ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address);
}

/** The IPv6 addresses (link-local included) the host has on `iface` (raw mode wants none). */
export function interfaceIpv6Addresses(iface: string): string[] {
  return (networkInterfaces()[iface] ?? []).filter((a) => a.family === 'IPv6').map((a) => a.address);
}

export async function createRawTransport(opts: RawTransportOptions): Promise<RawTransport> {
  const open = opts.open ?? openLiveInterface;
  const link = open(opts.interface, { filter: rawBpfFilter(opts.macs), bufferSize: 8 << 20, inboundOnly: true });
  const t = new RawTransport(link, opts);
  const addrs = opts.open ? [] : interfaceIpv4Addresses(opts.interface);
  if (addrs.length) t.warnings.push(`${RAW_INTERFACE_NOTE}; ${opts.interface} has ${addrs.join(', ')}`);
  const addrs6 = opts.open ? [] : interfaceIpv6Addresses(opts.interface);
  if (addrs6.length) {
    t.warnings.push(`${RAW_INTERFACE_NOTE6}; ${opts.interface} has ${addrs6.join(', ')} (sysctl -w net.ipv6.conf.${opts.interface}.disable_ipv6=1)`);
  }
  if (opts.prewarmTcp === true) await warmRawTcp(t.mtu - TCP_IP4_OVERHEAD, scaledWindowFor(t.mtu - TCP_IP4_OVERHEAD));
  return t;
}

/** What a connection accepts ahead once window scaling is on: the capture ring holds ~512 frames
 *  (one 64 KiB slot each), so a burst of MSS-sized frames stays well inside it. */
function scaledWindowFor(mss: number): number {
  return 256 * mss;
}

export class RawTransport extends TransportHandlers implements ClientTransport {
  readonly kind = 'raw' as const;
  private readonly clients = new Map<string, RawClient>();
  /** Leased address → client MAC. */
  private readonly byAddr = new Map<string, string>();
  /** IPv6 address (link-local or global, canonical) → client MAC. */
  private readonly byAddr6 = new Map<string, string>();
  private readonly raHandlers: RouterAdvertHandler[] = [];
  private readonly nd: NeighbourTable;
  private readonly routers = new RouterList();
  private readonly tcp = new TcpConnectionTable<RawTcpConnection>();
  private readonly arp: ArpTable;
  private readonly out: SendQueue;
  private nextPort = FIRST_EPHEMERAL;
  private closed = false;
  private readonly issues: WireIssue[] = [];
  /** Takes every received frame apart (its fields are overwritten by the next frame). */
  private readonly dissector = new FrameDissector();
  /** Things the run report should show (e.g. the interface has an address). */
  readonly warnings: string[] = [];
  /** Frames counted: IP fragments received (reassembled), datagrams reassembled from them, UDP
   *  datagrams sent fragmented, frames for nobody, malformed frames. */
  readonly counters = {
    fragments: 0, reassembled: 0, fragmentedSends: 0, foreign: 0, malformed: 0, arpReplies: 0, unresolved: 0, ndReplies: 0, ndInvalid: 0,
    tftpInWorker: 0, workerFragments: 0, workerReassembled: 0, workerErrors: 0, workerSpun: 0, workerSlept: 0,
  };
  /** Largest IP packet we send. */
  readonly mtu: number;
  // Received frames are views into the capture's batch buffer, overwritten by the next batch
  // (capture/live.ts onPacketView): the reassemblers copy the fragments they hold.
  private readonly frag4 = new Ipv4FragmentReassembler({ timeout: FRAGMENT_TIMEOUT_S, maxDatagrams: 4096 });
  private readonly frag6 = new Ipv6FragmentReassembler({ timeout: FRAGMENT_TIMEOUT_S, maxDatagrams: 4096 });
  private lastExpire = 0;

  constructor(private readonly link: LiveInterface, private readonly opts: RawTransportOptions) {
    super();
    this.mtu = Math.max(1280, Math.min(65535, opts.mtu ?? DEFAULT_MTU));
    this.out = new SendQueue({
      pps: opts.rateLimitPps ?? DEFAULT_RATE_LIMIT_PPS,
      limit: opts.queueLimit ?? 4096,
      send: (frame) => this.transmit(frame),
      ...(link.sendBatch === undefined ? {} : { sendBatch: (frames: Uint8Array[]) => this.transmitBatch(frames) }),
    });
    this.arp = new ArpTable({
      retries: opts.arpRetries ?? 4,
      intervalMs: opts.arpIntervalMs ?? 500,
      send: (frame) => this.out.push(frame),
    });
    this.nd = new NeighbourTable({
      retries: opts.ndRetries ?? 3,
      intervalMs: opts.ndIntervalMs ?? 1000,
      send: (frame) => this.out.push(frame),
    });
    // Views into the capture's batch buffer when the link offers them (no copy per frame): what
    // outlives a frame's call is copied where it is kept (fragments, TCP out-of-order and early
    // data, UDP payloads handed to the clients).
    const receive = (frame: Uint8Array, time: number): void => this.receive(frame, time);
    if (link.onPacketView) link.onPacketView(receive);
    else link.onPacket(receive);
    link.onError((message) => this.fail(message));
    this.baseFilter = rawBpfFilter(opts.macs);
    this.tftp = opts.tftpWorkers !== 0 && link.setFilter !== undefined && opts.open === undefined && TftpOffload.available('raw')
      ? new TftpOffload({
          ...(opts.tftpWorkers === undefined ? {} : { size: opts.tftpWorkers }), rcvbuf: 0,
          onFragments: (received, reassembled) => { this.counters.workerFragments += received; this.counters.workerReassembled += reassembled; },
          onWaits: (spun, slept) => { this.counters.workerSpun += spun; this.counters.workerSlept += slept; },
        })
      : null;
    if (opts.prewarmTftp === true) this.tftp?.prewarm();
  }

  /** TFTP off the event loop (null: no native helper, a test's fake link, or tftpWorkers 0). */
  private readonly tftp: TftpOffload | null;
  /** The capture filter without the flows workers own, and those flows' filters. */
  private readonly baseFilter: string;
  /** The flows workers own, as the main capture leaves them out (rawFlowBothWays). */
  private readonly workerFlows = new Set<string>();

  /** The main capture passes everything but the workers' flows: their frames never wake this loop. */
  private refilter(): void {
    let f = this.baseFilter;
    for (const flow of this.workerFlows) f += ` and not ${flow}`;
    this.link.setFilter!(f);
  }

  /**
   * A TFTP read in a worker thread that reads the flow's frames on a capture handle of its own
   * (offload/raw-link.ts: the same codecs, the same reassembler, the same TftpClient), while this
   * transport's capture leaves them out: a lock-step block costs a poll and a send, not an
   * event-loop wake-up, a dissect here and a trip through the send queue. IPv4 only, and only when
   * the server's MAC is known already (it answered DHCP, or was resolved before), nothing is being
   * recorded (`--pcap`), the send rate is the default and a worker is free; else null, and the step
   * drives the machine through sendUdp as before.
   */
  offloadTftp(mac: string, cfg: TftpClientConfig, now: number, deadline: number, signal: AbortSignal | undefined): Promise<TftpResult | null | 'not-run'> | null {
    if (this.tftp === null || this.closed || this.linkLost !== null || this.frameHandlers.length > 0) return null;
    if ((this.opts.rateLimitPps ?? DEFAULT_RATE_LIMIT_PPS) < DEFAULT_RATE_LIMIT_PPS) return null;
    const c = this.clients.get(mac.toLowerCase());
    if (c === undefined || c.lease === null || c.lease.addr !== cfg.clientAddr || isIpv6(cfg.server) || cfg.server === BROADCAST_ADDR) return null;
    const serverMac = this.arp.lookup(this.nextHop(c, cfg.server));
    if (serverMac === undefined) return null;
    const ports = cfg.tsizeProbe === true ? [cfg.clientPort, cfg.secondPort ?? cfg.clientPort + 1] : [cfg.clientPort];
    const filter = rawFlowFilter(cfg.server, cfg.clientAddr, ports);
    const flow: RawFlow = { iface: this.opts.interface, clientMac: c.mac, serverMac, clientIp: cfg.clientAddr, server: cfg.server, mtu: this.mtu, filter };
    const owned = rawFlowBothWays(cfg.server, cfg.clientAddr, ports);
    if (this.workerFlows.has(owned)) return null; // the same ports again, still owned by a worker
    this.workerFlows.add(owned);
    try {
      this.refilter();
    } catch {
      this.workerFlows.delete(owned);
      return null;
    }
    const run = this.tftp.tryRun(cfg, cfg.clientAddr, now, deadline, signal, flow);
    if (run === null) { this.release(owned); return null; }
    this.counters.tftpInWorker++;
    return run.then((r) => {
      this.release(owned);
      if (r instanceof Error) { this.counters.workerErrors++; throw r; }
      if (r === NOT_RUN) this.counters.tftpInWorker--; // runs on the event loop after all (flow released above)
      return r;
    });
  }

  /** The flow is the main capture's again (late retransmissions of it are dropped as nobody's). */
  private release(owned: string): void {
    this.workerFlows.delete(owned);
    if (this.closed || this.linkLost !== null) return;
    try {
      this.refilter();
    } catch (e) {
      this.fail((e as Error).message);
    }
  }

  /** Why the link stopped (interface down or deleted), or null while it works. */
  private linkLost: string | null = null;
  private readonly failureHandlers: ((message: string) => void)[] = [];

  onFailure(handler: (message: string) => void): void {
    this.failureHandlers.push(handler);
    if (this.linkLost !== null) handler(this.linkLost);
  }

  private fail(message: string): void {
    if (this.linkLost !== null) return;
    this.linkLost = message;
    for (const h of this.failureHandlers) h(message);
  }

  get dropped(): number {
    return this.out.dropped;
  }

  now(): number {
    return Date.now() / 1000;
  }

  addClient(mac: string): void {
    this.client(mac);
  }

  setClientAddress(mac: string, lease: ClientAddress | null): void {
    const c = this.client(mac);
    const m = c.mac;
    if (c.lease) this.byAddr.delete(c.lease.addr);
    c.lease = lease;
    if (lease) this.byAddr.set(lease.addr, m);
  }

  setClientAddress6(mac: string, lease: ClientAddress6 | null): void {
    this.ipv6InPlay();
    const c = this.client(mac);
    if (c.lease6) this.byAddr6.delete(c.lease6.addr);
    c.lease6 = lease ? { addr: canonical6(lease.addr), prefix: lease.prefix } : null;
    if (c.lease6) this.byAddr6.set(c.lease6.addr, c.mac);
  }

  onRouterAdvert(handler: RouterAdvertHandler): void {
    this.raHandlers.push(handler);
  }

  solicitRouters(mac: string): void {
    if (this.closed) return;
    const c = this.client(mac);
    this.ipv6InPlay();
    this.out.push(routerSolicitFrame(c.mac, this.llOf(c)));
  }

  sendUdp(mac: string, d: UdpDatagram): void {
    if (this.closed) return;
    const c = this.client(mac);
    const m = c.mac;
    if (isIpv6(d.dst.addr)) { this.sendUdp6(c, d); return; }
    const srcIp = d.src.addr;
    if (d.broadcast || d.dst.addr === BROADCAST_ADDR) {
      this.pushUdp({ srcMac: m, dstMac: BROADCAST_MAC, srcIp, dstIp: d.dst.addr }, d.src.port, d.dst.port, d.payload);
      return;
    }
    const hop = this.nextHop(c, d.dst.addr);
    const known = this.arp.lookup(hop);
    if (known !== undefined) { this.pushUdp({ srcMac: m, dstMac: known, srcIp, dstIp: d.dst.addr }, d.src.port, d.dst.port, d.payload); return; }
    // The payload must outlive the ARP wait: the client may reuse its buffer.
    const payload = d.payload.slice();
    const dstIp = d.dst.addr;
    const srcPort = d.src.port;
    const dstPort = d.dst.port;
    this.arp.resolve(hop, m, c.lease?.addr ?? ANY_ADDR, (dstMac) => {
      if (dstMac === null) { this.counters.unresolved++; return; }
      this.pushUdp({ srcMac: m, dstMac, srcIp, dstIp }, srcPort, dstPort, payload);
    });
  }

  /** Queues a UDP datagram: one frame, or its IP fragments when it is bigger than the MTU. */
  private pushUdp(a: L2Addresses, srcPort: number, dstPort: number, payload: Uint8Array): void {
    const frames = udpFrames(a, srcPort, dstPort, payload, this.mtu);
    if (frames.length > 1) this.counters.fragmentedSends++;
    for (const f of frames) this.out.push(f);
  }

  connectTcp(mac: string, dst: Endpoint, timeoutMs: number): Promise<ByteStream> {
    const m = mac.toLowerCase();
    const c = this.clients.get(m);
    const v6 = isIpv6(dst.addr);
    if (v6) dst = { addr: canonical6(dst.addr), port: dst.port };
    // IPv6 source selection (RFC 6724 in short): link-local for a link-local server, else the global address.
    if (v6) this.ipv6InPlay();
    const local = !c ? undefined : v6 ? (isLinkLocal6(dst.addr) ? this.llOf(c) : c.lease6?.addr) : c.lease?.addr;
    if (!c || local === undefined) {
      const what = v6 ? 'no global IPv6 address: TCP to a global server needs setClientAddress6 first' : 'no address: TCP needs a lease first';
      return Promise.reject(new Error(`client ${m} has ${what}`));
    }
    const localPort = this.allocatePort(local);
    const hopLimit = this.opts.hopLimit6 ?? DEFAULT_HOP_LIMIT6;
    return new Promise<ByteStream>((resolve, reject) => {
      const deadline = setTimeout(() => {
        const why = `TCP connect to ${dst.addr}:${dst.port} timed out after ${timeoutMs} ms`;
        conn.abort(why, false);
        reject(new Error(why)); // also when still waiting for ARP (a settled promise ignores it)
      }, timeoutMs);
      let dstMac: string | null = null;
      let ackTemplate: TcpAckTemplate | null = null;
      const conn = new RawTcpConnection({
        localPort,
        remotePort: dst.port,
        iss: Math.floor(Math.random() * 0x100000000) >>> 0,
        now: () => this.now(),
        rtoMs: this.opts.tcpRtoMs ?? 1000,
        mss: this.mtu - (v6 ? TCP_IP6_OVERHEAD : TCP_IP4_OVERHEAD),
        scaledWindow: scaledWindowFor(this.mtu - (v6 ? TCP_IP6_OVERHEAD : TCP_IP4_OVERHEAD)),
        emit: (seg) => {
          if (dstMac === null || this.closed) return;
          // A download's ACKs: the one frame that differs per ACK in three fields, patched, not built.
          if (seg.flags === TcpFlag.ACK && seg.payload.length === 0 && seg.options === undefined) {
            ackTemplate ??= tcpAckTemplate({ srcMac: m, dstMac, srcIp: local, dstIp: dst.addr, hopLimit }, localPort, dst.port);
            this.out.push(ackTemplate.next(seg.seq, seg.ack, seg.window));
            return;
          }
          const repr = { srcPort: localPort, dstPort: dst.port, seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, urgent: 0, ...(seg.options ? { options: seg.options } : {}) };
          this.out.push(tcpFrame({ srcMac: m, dstMac, srcIp: local, dstIp: dst.addr, hopLimit }, repr, seg.payload));
        },
        onClosed: () => { this.tcp.delete(local, localPort, dst.addr, dst.port, conn); },
      });
      const mac6 = macFromString(m);
      this.tcp.set(local, localPort, dst.addr, dst.port, conn, v6 ? null : { localIp: ipv4Number(local), remoteIp: ipv4Number(dst.addr), macHigh: u16(mac6, 0), macLow: u32(mac6, 2) });
      const resolved = (mac2: string | null): void => {
        if (conn.state === 'closed') return; // timed out or transport closed meanwhile
        if (mac2 === null) {
          clearTimeout(deadline);
          const why = v6 ? `no neighbour advertisement for ${dst.addr} (or its router)` : `no ARP answer for ${dst.addr} (or its router)`;
          conn.abort(why, false);
          reject(new Error(why));
          return;
        }
        dstMac = mac2;
        conn.connect().then(
          () => { clearTimeout(deadline); resolve(conn); },
          (e: Error) => { clearTimeout(deadline); reject(e); },
        );
      };
      if (v6) this.resolveNextHop6(c, dst.addr, local, resolved);
      else this.resolveNextHop(c, dst.addr, resolved);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const conn of this.tcp.values()) conn.abort('transport closed');
    // Let the queued frames (RSTs, last ACKs) out, bounded.
    await this.out.drain(1000);
    this.closed = true;
    await this.tftp?.close();
    this.out.close();
    this.arp.close();
    this.nd.close();
    this.link.close();
  }

  // ---- internals ----

  private client(mac: string): RawClient {
    const m = mac.toLowerCase();
    let c = this.clients.get(m);
    if (!c) {
      c = { mac: m, lease: null, ll: null, lease6: null };
      this.clients.set(m, c);
      if (this.v6InPlay) this.llOf(c);
    }
    return c;
  }

  /** Whether any IPv6 was sent or heard: from then on every client has its link-local address. */
  private v6InPlay = false;

  private ipv6InPlay(): void {
    if (this.v6InPlay) return;
    this.v6InPlay = true;
    for (const c of this.clients.values()) this.llOf(c);
  }

  private llOf(c: RawClient): string {
    if (c.ll === null) {
      c.ll = canonical6(linkLocalFromMac(c.mac));
      this.byAddr6.set(c.ll, c.mac);
    }
    return c.ll;
  }

  private sendUdp6(c: RawClient, d: UdpDatagram): void {
    this.ipv6InPlay();
    const srcIp = canonical6(d.src.addr);
    const dstIp = canonical6(d.dst.addr);
    const hopLimit = this.opts.hopLimit6 ?? DEFAULT_HOP_LIMIT6;
    if (isMulticast6(dstIp)) {
      this.pushUdp({ srcMac: c.mac, dstMac: multicastMac(dstIp), srcIp, dstIp, hopLimit }, d.src.port, d.dst.port, d.payload);
      return;
    }
    // The payload must outlive the neighbour resolution: the client may reuse its buffer.
    const payload = d.payload.slice();
    const srcPort = d.src.port;
    const dstPort = d.dst.port;
    this.resolveNextHop6(c, dstIp, srcIp, (dstMac) => {
      if (dstMac === null) { this.counters.unresolved++; return; }
      this.pushUdp({ srcMac: c.mac, dstMac, srcIp, dstIp, hopLimit }, srcPort, dstPort, payload);
    });
  }

  /** On-link (RFC 4861 §5.2): link-local, in the prefix of the client's address, or an RA's on-link prefix. */
  private onLink6(c: RawClient, dst: string): boolean {
    if (isLinkLocal6(dst)) return true;
    if (c.lease6 && samePrefix6(dst, c.lease6.addr, c.lease6.prefix)) return true;
    return this.routers.onLinkPrefixes(this.now()).some((p) => samePrefix6(dst, p.prefix, p.length));
  }

  /** The MAC to send to for `dst`: the default router's when off-link (and one is known). */
  private resolveNextHop6(c: RawClient, dst: string, srcIp: string, done: (mac: string | null) => void): void {
    let hop = dst;
    if (!this.onLink6(c, dst)) hop = this.routers.defaultRouter(this.now()) ?? dst;
    // RFC 4861 §7.2.2: solicit from the address of the packet that prompted it when it is ours.
    const asIp = this.byAddr6.get(srcIp) === c.mac ? srcIp : this.llOf(c);
    this.nd.resolve(hop, c.mac, asIp, done);
  }

  private transmit(frame: Uint8Array): void {
    if (this.closed || this.linkLost !== null) return;
    try {
      this.link.send(frame);
    } catch (e) {
      // Sent from a queue timer: a throw here would be an uncaught exception. The run hears of it.
      this.fail((e as Error).message);
      return;
    }
    const t = this.now();
    for (const h of this.frameHandlers) h('sent', t, LinkType.ETHERNET, frame);
  }

  private transmitBatch(frames: Uint8Array[]): void {
    if (this.closed || this.linkLost !== null) return;
    try {
      this.link.sendBatch!(frames);
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    if (this.frameHandlers.length === 0) return;
    const t = this.now();
    for (const f of frames) for (const h of this.frameHandlers) h('sent', t, LinkType.ETHERNET, f);
  }

  /** The address whose MAC we send to for `dst`: the router's when off the client's subnet. */
  private nextHop(c: RawClient, dst: string): string {
    const lease = c.lease;
    return lease && lease.router && !sameSubnet(dst, lease.addr, lease.prefix) ? lease.router : dst;
  }

  /** The MAC to send to for `dst`. */
  private resolveNextHop(c: RawClient, dst: string, done: (mac: string | null) => void): void {
    this.arp.resolve(this.nextHop(c, dst), c.mac, c.lease?.addr ?? ANY_ADDR, done);
  }

  private allocatePort(addr: string): number {
    for (let i = 0; i < 16384; i++) {
      const p = this.nextPort;
      this.nextPort = p >= 65535 ? FIRST_EPHEMERAL : p + 1;
      if (!this.tcp.portInUse(addr, p)) return p;
    }
    throw new Error('no free ephemeral TCP port');
  }

  /** The buffer behind the frame being received: the capture's, which its next batch overwrites. */
  private frameBuffer: ArrayBufferLike | null = null;

  /** A UDP payload the clients may keep: a copy when it lies in the frame's buffer. Decided by the
   *  buffer, not by the path taken: a reassembler hands some packets straight back (an IPv6 atomic
   *  fragment, RFC 6946), and only a datagram put together from fragments has a buffer of its own. */
  private keepable(payload: Uint8Array): Uint8Array {
    return payload.buffer === this.frameBuffer ? payload.slice() : payload;
  }

  private receive(frame: Uint8Array, time: number): void {
    if (this.closed) return;
    this.frameBuffer = frame.buffer;
    for (const h of this.frameHandlers) h('received', time, LinkType.ETHERNET, frame);
    if (this.tcp.size > 0 && this.receiveTcpFast(frame)) return;
    const issues = this.issues;
    issues.length = 0;
    const d = this.dissector;
    d.dissect(LinkType.ETHERNET, frame, issues);
    if (!d.linkOk || d.vlans.length) { this.counters.malformed++; return; }
    const srcMac = d.srcMac!;
    const dstMac = d.dstMac!;
    // Our own frames (seen when another socket loops them back) are not input.
    if (this.clients.has(srcMac)) return;
    if (d.etherType === EtherType.IPV6) { this.receive6(srcMac, dstMac, time); return; }
    if (d.etherType === EtherType.ARP) {
      const arp = parseArp(frame.subarray(d.linkPayloadOffset), issues, d.linkPayloadOffset);
      if (arp && this.arp.handle(arp, (ip) => this.byAddr.get(ip))) this.counters.arpReplies++;
      return;
    }
    const toUs = dstMac === BROADCAST_MAC || this.clients.has(dstMac);
    if (d.etherType !== EtherType.IPV4 || !toUs) { this.counters.foreign++; return; }
    if (d.ipVersion !== 4) { this.counters.malformed++; return; }
    // Learn the sender's MAC: saves an ARP round trip before TFTP/HTTP to the same server.
    if (d.src !== ANY_ADDR && !this.byAddr.has(d.src)) this.arp.learn(d.src, srcMac);
    // Every fragment goes to the reassembler, a first one cut short too (the dissector decodes what
    // such a one holds; the reassembler drops it): a client is never handed part of a datagram.
    const ip = d.ip4;
    if (d.fragment || (ip !== null && (ip.mf || ip.fragmentOffset > 0))) {
      // A TFTP block above the path MTU arrives in pieces (RFC 791 §3.2): put it back together.
      this.counters.fragments++;
      this.expireFragments(time);
      const whole = this.frag4.push(ip!, time, 0, issues);
      if (whole === null) return;
      this.counters.reassembled++;
      d.dissectTransport(d.protocol, whole.payload, 0, whole.payload.length);
    }
    this.receiveTransport(d.protocol, srcMac, dstMac, time);
  }

  /** After the IP layer (and any reassembly): UDP, TCP or neighbour discovery, as the dissector read them. */
  private receiveTransport(protocol: number, srcMac: string, dstMac: string, time: number): void {
    const d = this.dissector;
    if (d.transport === IpProtocol.UDP) {
      if (d.ipVersion === 4) this.receiveUdp(dstMac, d.src, d.dst, time);
      else this.receiveUdp6(dstMac, d.src, d.dst, time);
    } else if (d.transport === IpProtocol.TCP) this.receiveTcp(srcMac, d.src, d.dst, d.tcp);
    else if (d.transport === IpProtocol.ICMPV6 && d.ipVersion === 6) this.receiveIcmp6(srcMac, d.src, d.dst, time);
    else if (protocol === IpProtocol.UDP || protocol === IpProtocol.TCP) this.counters.malformed++; // header did not parse
  }

  /** Drops incomplete datagrams older than the fragment timeout (checked at most once a second). */
  private expireFragments(time: number): void {
    if (time - this.lastExpire < 1) return;
    this.lastExpire = time;
    this.frag4.expire(time);
    this.frag6.expire(time);
  }

  private receiveUdp(dstMac: string, srcIp: string, dstIp: string, time: number): void {
    const d = this.dissector;
    const payload = d.udpPayload();
    let mac: string | undefined;
    // DHCP / proxyDHCP replies may be broadcast: the client is the one whose MAC is chaddr.
    if (d.dstPort === UdpPort.DHCP_CLIENT && payload.length >= F.CHADDR + MAC_LENGTH && payload[F.OP] === BootOp.REPLY) {
      mac = macToString(payload, F.CHADDR);
    }
    if (mac === undefined || !this.clients.has(mac)) mac = this.byAddr.get(dstIp) ?? (this.clients.has(dstMac) ? dstMac : undefined);
    if (mac === undefined || !this.clients.has(mac)) { this.counters.foreign++; return; }
    const dg: UdpDatagram = {
      src: { addr: srcIp, port: d.srcPort },
      dst: { addr: dstIp, port: d.dstPort },
      // The clients may keep it (a DHCP offer's options, a TFTP block): the frame's buffer is reused.
      payload: this.keepable(payload),
      broadcast: dstIp === BROADCAST_ADDR || dstMac === BROADCAST_MAC,
    };
    for (const h of this.udpHandlers) h(mac, dg, time);
  }

  /** A segment of one of our IPv4 connections in a plain frame (tcp4-peek.ts), handed over without
   *  the dissector: a download's frames are nearly all such, and its first ones run cold, where every
   *  string and call made per frame counts. False: the full path takes the frame. */
  private receiveTcpFast(frame: Uint8Array): boolean {
    const p = this.peek;
    if (!p.read(frame)) return false;
    const conn = this.tcp.getV4(p.dstIp, p.seg.dstPort, p.srcIp, p.seg.srcPort, p.dstMacHigh, p.dstMacLow);
    if (conn === undefined) return false;
    conn.handle(p.seg);
    return true;
  }

  private readonly peek = new Tcp4FramePeek();

  private receiveTcp(srcMac: string, srcIp: string, dstIp: string, seg: TcpSegment): void {
    const conn = this.tcp.get(dstIp, seg.dstPort, srcIp, seg.srcPort);
    if (conn) { conn.handle(seg); return; }
    const owner = this.byAddr.get(dstIp) ?? this.byAddr6.get(dstIp);
    if (owner === undefined || seg.flags & TcpFlag.RST) return;
    // A segment for a connection we do not have: answer as a host would (RFC 9293 §3.10.7.1).
    const ack = seg.flags & TcpFlag.ACK;
    const repr = ack
      ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: TcpFlag.RST, window: 0, urgent: 0 }
      : {
          srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0,
          ack: (seg.seq + seg.payload.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0)) >>> 0,
          flags: TcpFlag.RST | TcpFlag.ACK, window: 0, urgent: 0,
        };
    this.out.push(tcpFrame({ srcMac: owner, dstMac: srcMac, srcIp: dstIp, dstIp: srcIp, hopLimit: this.opts.hopLimit6 ?? DEFAULT_HOP_LIMIT6 }, repr, new Uint8Array(0)));
  }

  private receive6(srcMac: string, dstMac: string, time: number): void {
    this.ipv6InPlay();
    const multicast = dstMac.startsWith('33:33:');
    if (!multicast && dstMac !== BROADCAST_MAC && !this.clients.has(dstMac)) { this.counters.foreign++; return; }
    const d = this.dissector;
    if (d.ipVersion !== 6) { this.counters.malformed++; return; }
    // Learn the sender's MAC from unicast traffic to us (saves a solicitation before TFTP/HTTP).
    if (!multicast && d.src !== UNSPECIFIED6 && !isMulticast6(d.src) && !this.byAddr6.has(d.src)) this.nd.learn(d.src, srcMac);
    let protocol = d.protocol;
    if (d.fragment) {
      // An atomic fragment (RFC 6946: offset 0, no more) is a whole packet: the reassembler hands
      // it straight back, and it counts as neither a fragment nor a reassembled datagram.
      const f = d.ip6!.fragment!;
      const atomic = f.offset === 0 && !f.more;
      if (!atomic) this.counters.fragments++;
      this.expireFragments(time);
      const whole = this.frag6.push(d.ip6!, time, 0, this.issues);
      if (whole === null) return;
      if (!atomic) this.counters.reassembled++;
      protocol = whole.nextHeader;
      d.dissectTransport(protocol, whole.payload, 0, whole.payload.length);
    }
    this.receiveTransport(protocol, srcMac, dstMac, time);
  }

  /** The clients a datagram to `dst` is for: the owner of a unicast address, or the members of a
   *  multicast group (all nodes, or the solicited-node group of one of their addresses). */
  private recipients6(dst: string): string[] {
    if (!isMulticast6(dst)) {
      const owner = this.byAddr6.get(dst);
      return owner === undefined ? [] : [owner];
    }
    if (dst === ALL_NODES) return [...this.clients.keys()];
    const out: string[] = [];
    for (const c of this.clients.values()) {
      if (solicitedNodeMulticast(this.llOf(c)) === dst || (c.lease6 && solicitedNodeMulticast(c.lease6.addr) === dst)) out.push(c.mac);
    }
    return out;
  }

  private receiveUdp6(dstMac: string, srcIp: string, dstIp: string, time: number): void {
    const d = this.dissector;
    const macs = this.recipients6(dstIp);
    if (macs.length === 0) { this.counters.foreign++; return; }
    const dg: UdpDatagram = {
      src: { addr: srcIp, port: d.srcPort },
      dst: { addr: dstIp, port: d.dstPort },
      payload: this.keepable(d.udpPayload()),
      broadcast: dstMac === BROADCAST_MAC,
    };
    for (const mac of macs) for (const h of this.udpHandlers) h(mac, dg, time);
  }

  private receiveIcmp6(srcMac: string, srcIp: string, dstIp: string, time: number): void {
    const d = this.dissector;
    const icmp = d.ipPayload();
    const type = icmp[0];
    // Only RS/RA/NS/NA matter here.
    if (type === undefined || type < Icmpv6Type.ROUTER_SOLICITATION || type > Icmpv6Type.NEIGHBOR_ADVERTISEMENT) return;
    if (!icmpv6ChecksumOk(icmp, { src: d.ip6SrcBytes(), dst: d.ip6DstBytes() })) { this.counters.malformed++; return; }
    const msg = parseNdp(icmp, this.issues);
    if (!msg) { this.counters.malformed++; return; }
    // RFC 4861 §6.1, §7.1: a hop limit below 255 means it came through a router: not valid ND.
    if (d.hopLimit !== ND_HOP_LIMIT) { this.counters.ndInvalid++; return; }
    if (msg.kind === 'ns') this.receiveNs(srcMac, srcIp, msg);
    else if (msg.kind === 'na') {
      const target = canonical6(msg.target);
      if (!this.byAddr6.has(target)) this.nd.learn(target, msg.options.targetLinkAddr ?? srcMac);
    } else if (msg.kind === 'ra') this.receiveRa(srcMac, srcIp, dstIp, msg, time);
  }

  private receiveNs(srcMac: string, srcIp: string, msg: Extract<NdpMessage, { kind: 'ns' }>): void {
    const sll = msg.options.sourceLinkAddr;
    if (srcIp !== UNSPECIFIED6 && sll && !this.byAddr6.has(srcIp)) this.nd.learn(srcIp, sll);
    const owner = this.byAddr6.get(canonical6(msg.target));
    if (owner === undefined) return;
    // From :: it is duplicate address detection: defend the address to all nodes (RFC 4861 §7.2.4).
    const to = srcIp === UNSPECIFIED6 ? null : { mac: sll ?? srcMac, ip: srcIp };
    this.out.push(neighbourAdvertFrame(owner, canonical6(msg.target), to));
    this.counters.ndReplies++;
  }

  private receiveRa(srcMac: string, srcIp: string, dstIp: string, msg: Extract<NdpMessage, { kind: 'ra' }>, time: number): void {
    // RFC 4861 §6.1.2: RAs come from a link-local address.
    if (!isLinkLocal6(srcIp)) { this.counters.ndInvalid++; return; }
    const routerMac = msg.options.sourceLinkAddr ?? srcMac;
    this.nd.learn(srcIp, routerMac);
    const ra: RouterAdvertSeen = {
      time,
      router: srcIp,
      routerMac,
      unicastTo: isMulticast6(dstIp) ? null : dstIp,
      managed: msg.managed,
      other: msg.other,
      lifetime: msg.routerLifetime,
      preference: msg.preference,
      prefixes: msg.options.prefixes.map((p) => ({
        prefix: p.prefix, length: p.length, onLink: p.onLink, autonomous: p.autonomous, valid: p.valid, preferred: p.preferred,
      })),
    };
    this.routers.learn(ra);
    for (const h of this.raHandlers) h(ra);
  }
}
