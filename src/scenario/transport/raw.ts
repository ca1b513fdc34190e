/**
 * Raw layer-2 transport for `pxecheck run`: every simulated client is a MAC on one interface,
 * frames go out and come in through libpcap (src/capture/live.ts). pxecheck answers ARP for the
 * clients' leased addresses and runs its own small TCP client for HTTP.
 *
 * REQUIREMENT: the interface must have NO IP address (a dedicated veth, VLAN sub-interface or
 * NIC). Otherwise the host kernel sees the servers' TCP segments to our client addresses as
 * packets for nobody and may answer them with RST, or answer ARP itself. If it must keep an
 * address, drop the kernel's resets, e.g. `nft add rule inet filter output oif <if> tcp flags rst drop`.
 */
import { networkInterfaces } from 'node:os';
import { openLiveInterface, type LiveInterface, type LiveOpenOptions } from '../../capture/live.js';
import { LinkType } from '../../capture/types.js';
import { parseArp } from '../../wire/arp.js';
import { macToString } from '../../wire/bytes.js';
import { IpProtocol } from '../../wire/checksum.js';
import { EtherType, parseEthernet } from '../../wire/ethernet.js';
import { parseIpv4 } from '../../wire/ipv4.js';
import type { WireIssue } from '../../wire/issues.js';
import { parseTcp, TcpFlag } from '../../wire/tcp.js';
import { parseUdp } from '../../wire/udp.js';
import { ANY_ADDR, BROADCAST_ADDR } from '../clients/types.js';
import { ArpTable } from './raw/arp.js';
import { BROADCAST_MAC, sameSubnet, tcpFrame, udpFrame } from './raw/frames.js';
import { SendQueue } from './raw/send-queue.js';
import { RawTcpConnection } from './raw/tcp-client.js';
import type { ByteStream, ClientAddress, ClientTransport, Endpoint, UdpDatagram, UdpHandler } from './types.js';

export interface RawTransportOptions {
  interface: string;
  /** Frames sent per second at most (default 1000), queued beyond that. */
  rateLimitPps?: number;
  /** Frames waiting for the rate limit before new ones are dropped (default 4096). */
  queueLimit?: number;
  /** Client MACs known up front: the BPF filter then only passes frames to them or broadcast. */
  macs?: string[];
  /** ARP requests per resolution (default 4) and their interval in ms (default 500). */
  arpRetries?: number;
  arpIntervalMs?: number;
  /** TCP: first retransmission timeout in ms (default 1000). */
  tcpRtoMs?: number;
  /** Opens the interface (tests pass a fake link). */
  open?: (iface: string, opts: LiveOpenOptions) => LiveInterface;
}

type FrameHandler = (dir: 'sent' | 'received', time: number, linkType: number, frame: Uint8Array) => void;

interface RawClient {
  mac: string;
  lease: ClientAddress | null;
}

const DHCP_CLIENT_PORT = 68;
const FIRST_EPHEMERAL = 49152;

/** BPF: ARP, and IPv4 UDP/TCP, to our MACs or broadcast when they are known up front. */
export function rawBpfFilter(macs: readonly string[] = []): string {
  const proto = '(arp or (ip and (udp or tcp)))';
  if (macs.length === 0) return proto;
  const dst = ['ether broadcast', ...macs.map((m) => `ether dst ${m.toLowerCase()}`)].join(' or ');
  return `(${dst}) and ${proto}`;
}

/** Where the kernel and libpcap leave it: without an address the kernel stays out of our TCP. */
export const RAW_INTERFACE_NOTE =
  'raw mode needs an interface without an IP address (a dedicated veth/VLAN): otherwise the kernel may reset the TCP connections pxecheck makes';

/** The IPv4 addresses the host has on `iface` (raw mode wants none). */
export function interfaceIpv4Addresses(iface: string): string[] {
  return (networkInterfaces()[iface] ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address);
}

export async function createRawTransport(opts: RawTransportOptions): Promise<RawTransport> {
  const open = opts.open ?? openLiveInterface;
  const link = open(opts.interface, { filter: rawBpfFilter(opts.macs), bufferSize: 8 << 20 });
  const t = new RawTransport(link, opts);
  const addrs = opts.open ? [] : interfaceIpv4Addresses(opts.interface);
  if (addrs.length) t.warnings.push(`${RAW_INTERFACE_NOTE}; ${opts.interface} has ${addrs.join(', ')}`);
  return t;
}

export class RawTransport implements ClientTransport {
  readonly kind = 'raw' as const;
  private readonly clients = new Map<string, RawClient>();
  /** Leased address → client MAC. */
  private readonly byAddr = new Map<string, string>();
  private readonly udpHandlers: UdpHandler[] = [];
  private readonly frameHandlers: FrameHandler[] = [];
  private readonly tcp = new Map<string, RawTcpConnection>();
  private readonly arp: ArpTable;
  private readonly out: SendQueue;
  private nextPort = FIRST_EPHEMERAL;
  private closed = false;
  private readonly issues: WireIssue[] = [];
  /** Things the run report should show (e.g. the interface has an address). */
  readonly warnings: string[] = [];
  /** Frames ignored: IP fragments (not reassembled), for nobody, malformed. */
  readonly counters = { fragments: 0, foreign: 0, malformed: 0, arpReplies: 0, unresolved: 0 };

  constructor(private readonly link: LiveInterface, private readonly opts: RawTransportOptions) {
    this.out = new SendQueue({
      pps: opts.rateLimitPps ?? 1000,
      limit: opts.queueLimit ?? 4096,
      send: (frame) => this.transmit(frame),
    });
    this.arp = new ArpTable({
      retries: opts.arpRetries ?? 4,
      intervalMs: opts.arpIntervalMs ?? 500,
      send: (frame) => this.out.push(frame),
    });
    link.onPacket((frame, time) => this.receive(frame, time));
  }

  get dropped(): number {
    return this.out.dropped;
  }

  now(): number {
    return Date.now() / 1000;
  }

  addClient(mac: string): void {
    const m = mac.toLowerCase();
    if (!this.clients.has(m)) this.clients.set(m, { mac: m, lease: null });
  }

  setClientAddress(mac: string, lease: ClientAddress | null): void {
    const m = mac.toLowerCase();
    const c = this.clients.get(m) ?? { mac: m, lease: null };
    this.clients.set(m, c);
    if (c.lease) this.byAddr.delete(c.lease.addr);
    c.lease = lease;
    if (lease) this.byAddr.set(lease.addr, m);
  }

  onUdp(handler: UdpHandler): void {
    this.udpHandlers.push(handler);
  }

  onFrame(handler: FrameHandler): void {
    this.frameHandlers.push(handler);
  }

  sendUdp(mac: string, d: UdpDatagram): void {
    if (this.closed) return;
    const m = mac.toLowerCase();
    this.addClient(m);
    const c = this.clients.get(m)!;
    const srcIp = d.src.addr;
    const build = (dstMac: string): Uint8Array =>
      udpFrame({ srcMac: m, dstMac, srcIp, dstIp: d.dst.addr }, d.src.port, d.dst.port, d.payload);
    if (d.broadcast || d.dst.addr === BROADCAST_ADDR) {
      this.out.push(build(BROADCAST_MAC));
      return;
    }
    // The payload must outlive the ARP wait: the client may reuse its buffer.
    const payload = d.payload.slice();
    const later = { ...d, payload };
    this.resolveNextHop(c, d.dst.addr, (dstMac) => {
      if (dstMac === null) { this.counters.unresolved++; return; }
      this.out.push(udpFrame({ srcMac: m, dstMac, srcIp, dstIp: later.dst.addr }, later.src.port, later.dst.port, later.payload));
    });
  }

  connectTcp(mac: string, dst: Endpoint, timeoutMs: number): Promise<ByteStream> {
    const m = mac.toLowerCase();
    const c = this.clients.get(m);
    if (!c?.lease) return Promise.reject(new Error(`client ${m} has no address: TCP needs a lease first`));
    const lease = c.lease;
    const localPort = this.allocatePort(lease.addr);
    const key = tcpKey(lease.addr, localPort, dst.addr, dst.port);
    return new Promise<ByteStream>((resolve, reject) => {
      const deadline = setTimeout(() => {
        const why = `TCP connect to ${dst.addr}:${dst.port} timed out after ${timeoutMs} ms`;
        conn.abort(why, false);
        reject(new Error(why)); // also when still waiting for ARP (a settled promise ignores it)
      }, timeoutMs);
      let dstMac: string | null = null;
      const conn = new RawTcpConnection({
        localPort,
        remotePort: dst.port,
        iss: Math.floor(Math.random() * 0x100000000) >>> 0,
        now: () => this.now(),
        rtoMs: this.opts.tcpRtoMs ?? 1000,
        emit: (seg) => {
          if (dstMac === null || this.closed) return;
          const repr = { srcPort: localPort, dstPort: dst.port, seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, urgent: 0, ...(seg.options ? { options: seg.options } : {}) };
          this.out.push(tcpFrame({ srcMac: m, dstMac, srcIp: lease.addr, dstIp: dst.addr }, repr, seg.payload));
        },
        onClosed: () => { this.tcp.delete(key); },
      });
      this.tcp.set(key, conn);
      this.resolveNextHop(c, dst.addr, (mac2) => {
        if (conn.state === 'closed') return; // timed out or transport closed meanwhile
        if (mac2 === null) {
          clearTimeout(deadline);
          const why = `no ARP answer for ${dst.addr} (or its router)`;
          conn.abort(why, false);
          reject(new Error(why));
          return;
        }
        dstMac = mac2;
        conn.connect().then(
          () => { clearTimeout(deadline); resolve(conn); },
          (e: Error) => { clearTimeout(deadline); reject(e); },
        );
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const conn of [...this.tcp.values()]) conn.abort('transport closed');
    // Let the queued frames (RSTs, last ACKs) out, bounded.
    await this.out.drain(1000);
    this.closed = true;
    this.out.close();
    this.arp.close();
    this.link.close();
  }

  // ---- internals ----

  private transmit(frame: Uint8Array): void {
    if (this.closed) return;
    this.link.send(frame);
    const t = this.now();
    for (const h of this.frameHandlers) h('sent', t, LinkType.ETHERNET, frame);
  }

  /** The MAC to send to for `dst`: the router's when off the client's subnet. */
  private resolveNextHop(c: RawClient, dst: string, done: (mac: string | null) => void): void {
    const lease = c.lease;
    let hop = dst;
    if (lease && lease.router && !sameSubnet(dst, lease.addr, lease.prefix)) hop = lease.router;
    this.arp.resolve(hop, c.mac, lease?.addr ?? ANY_ADDR, done);
  }

  private allocatePort(addr: string): number {
    for (let i = 0; i < 16384; i++) {
      const p = this.nextPort;
      this.nextPort = p >= 65535 ? FIRST_EPHEMERAL : p + 1;
      let used = false;
      for (const k of this.tcp.keys()) if (k.startsWith(`${addr}|${p}|`)) { used = true; break; }
      if (!used) return p;
    }
    throw new Error('no free ephemeral TCP port');
  }

  private receive(frame: Uint8Array, time: number): void {
    if (this.closed) return;
    for (const h of this.frameHandlers) h('received', time, LinkType.ETHERNET, frame);
    const issues = this.issues;
    issues.length = 0;
    const eth = parseEthernet(frame, issues);
    if (!eth || eth.vlans.length) { this.counters.malformed++; return; }
    // Our own frames (seen when another socket loops them back) are not input.
    if (this.clients.has(eth.src)) return;
    const toUs = eth.dst === BROADCAST_MAC || this.clients.has(eth.dst);
    if (eth.etherType === EtherType.ARP) {
      const arp = parseArp(eth.payload, issues, eth.headerLength);
      if (arp && this.arp.handle(arp, (ip) => this.byAddr.get(ip))) this.counters.arpReplies++;
      return;
    }
    if (eth.etherType !== EtherType.IPV4 || !toUs) { this.counters.foreign++; return; }
    const ip = parseIpv4(eth.payload, issues, eth.headerLength);
    if (!ip) { this.counters.malformed++; return; }
    if (ip.mf || ip.fragmentOffset > 0) { this.counters.fragments++; return; }
    // Learn the sender's MAC: saves an ARP round trip before TFTP/HTTP to the same server.
    if (ip.src !== ANY_ADDR && !this.byAddr.has(ip.src)) this.arp.learn(ip.src, eth.src);
    if (ip.protocol === IpProtocol.UDP) this.receiveUdp(eth.dst, ip.src, ip.dst, ip.payload, time);
    else if (ip.protocol === IpProtocol.TCP) this.receiveTcp(eth.src, ip.src, ip.dst, ip.payload);
  }

  private receiveUdp(dstMac: string, srcIp: string, dstIp: string, bytes: Uint8Array, time: number): void {
    const udp = parseUdp(bytes, this.issues);
    if (!udp) { this.counters.malformed++; return; }
    let mac: string | undefined;
    // DHCP / proxyDHCP replies may be broadcast: the client is the one whose MAC is chaddr (28..34).
    if (udp.dstPort === DHCP_CLIENT_PORT && udp.payload.length >= 34 && udp.payload[0] === 2) mac = macToString(udp.payload, 28);
    if (mac === undefined || !this.clients.has(mac)) mac = this.byAddr.get(dstIp) ?? (this.clients.has(dstMac) ? dstMac : undefined);
    if (mac === undefined || !this.clients.has(mac)) { this.counters.foreign++; return; }
    const d: UdpDatagram = {
      src: { addr: srcIp, port: udp.srcPort },
      dst: { addr: dstIp, port: udp.dstPort },
      payload: udp.payload,
      broadcast: dstIp === BROADCAST_ADDR || dstMac === BROADCAST_MAC,
    };
    for (const h of this.udpHandlers) h(mac, d, time);
  }

  private receiveTcp(srcMac: string, srcIp: string, dstIp: string, bytes: Uint8Array): void {
    const seg = parseTcp(bytes, this.issues);
    if (!seg) { this.counters.malformed++; return; }
    const conn = this.tcp.get(tcpKey(dstIp, seg.dstPort, srcIp, seg.srcPort));
    if (conn) { conn.handle(seg); return; }
    const owner = this.byAddr.get(dstIp);
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
    this.out.push(tcpFrame({ srcMac: owner, dstMac: srcMac, srcIp: dstIp, dstIp: srcIp }, repr, new Uint8Array(0)));
  }
}

function tcpKey(localAddr: string, localPort: number, remoteAddr: string, remotePort: number): string {
  return `${localAddr}|${localPort}|${remoteAddr}|${remotePort}`;
}
