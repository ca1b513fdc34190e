/**
 * One raw-transport UDP flow as the blocking driver's sockets (drive-blocking.ts, the
 * UdpSyncBinding shape), in a worker thread: frames read from a blocking libpcap handle filtered
 * to the flow (capture/live.ts openBlockingCapture), taken apart by the one frame dissector,
 * fragments put back together by src/reassembly, answers built by the one frame composer
 * (raw/frames.ts) with the client's MAC and address. A "socket" is a client port (the flow's own,
 * and the tsize probe's next one): what the machine sends from is what goes on the wire.
 */
import type { BlockingCapture } from '../../../capture/live.js';
import { Ipv4FragmentReassembler } from '../../../reassembly/index.js';
import { ipv4FromString } from '../../../wire/bytes.js';
import { FrameDissector } from '../../../wire/frame/dissect.js';
import { IpProtocol } from '../../../wire/ip-protocol.js';
import type { WireIssue } from '../../../wire/issues.js';
import { LinkType } from '../../../wire/link-type.js';
import type { UdpFrameTemplate } from '../../../wire/frame/template.js';
import { IPV4_MIN_HEADER } from '../../../wire/ipv4.js';
import { UDP_HEADER } from '../../../wire/udp.js';
import { udpFrames, udpTemplate, type L2Addresses } from '../raw/frames.js';
import type { UdpSyncBinding } from './udp-sync.js';

/** What the main thread's raw transport knows of the flow it hands over (structured-cloned). */
export interface RawFlow {
  iface: string;
  clientMac: string;
  serverMac: string;
  clientIp: string;
  server: string;
  /** Largest IP packet sent (the transport's MTU). */
  mtu: number;
  /** BPF for the flow's frames from the server (rawFlowFilter): the worker's handle passes only these. */
  filter: string;
}

/** BPF for what the server sends a client's TFTP ports: UDP to them, and every IPv4 fragment from
 *  the server to the client (only the first one carries the ports; the reassembler sorts them). */
export function rawFlowFilter(server: string, client: string, ports: readonly number[]): string {
  const to = ports.map((p) => `dst port ${p}`).join(' or ');
  return `(ip and src host ${server} and dst host ${client} and ((udp and (${to})) or (ip[6:2] & 0x3fff != 0)))`;
}

/** BPF for the flow both ways, what the main capture leaves out while a worker owns it: the
 *  server's frames, and the client's own sends (they reach every other packet socket on the
 *  interface, and the main capture drops outgoing frames only after a wake-up). */
export function rawFlowBothWays(server: string, client: string, ports: readonly number[]): string {
  const on = ports.map((p) => `port ${p}`).join(' or ');
  return `(ip and host ${server} and host ${client} and ((udp and (${on})) or (ip[6:2] & 0x3fff != 0)))`;
}

/** A pseudo-socket: the client port it sends from and listens on, and the server port it sends to. */
interface FlowPort { port: number; peerPort: number }

/** Microseconds a read right after a send (or after a frame, e.g. between a datagram's fragments)
 *  looks at the ring before it sleeps in poll. Bench (tftpd-hpa on a veth, loaded machine): sleeps
 *  per block 0.7–0.8 without, 0.35 at 30 µs, 0.15 at 100, 0.07 at 300. The bound is what a server
 *  slower than it (a far one, a busy one) costs per block in CPU: kept at 100. */
const SPIN_US = 100;

/** Seconds an incomplete datagram waits for its other fragments (the block is retransmitted long before). */
const FRAGMENT_TIMEOUT_S = 10;

function ipv4Number(b: Uint8Array): number {
  return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
}

export class RawUdpLink implements UdpSyncBinding {
  private readonly frame = new Uint8Array(65536 + 64);
  /** The view of `frame` the dissector reads, remade only when the length changes (a download's
   *  DATA frames are all one size: no view per frame). */
  private view = this.frame.subarray(0, 0);
  private readonly dissector = new FrameDissector();
  private readonly issues: WireIssue[] = [];
  private readonly frag = new Ipv4FragmentReassembler({ timeout: FRAGMENT_TIMEOUT_S, maxDatagrams: 64, reuse: true });
  private readonly addrs: L2Addresses;
  private readonly serverBytes: Uint8Array;
  private readonly server4: number;
  private readonly client4: number;
  /** The frame of the flow's last datagram kind (its ACKs), refilled per send. */
  private template: UdpFrameTemplate | null = null;
  private lastPort = 0;
  private lastExpire = 0;
  /** A frame went out or came in since the last read that timed out: the next read spins first. */
  private active = false;
  /** Counted for the report and the tests: fragments received, datagrams put together from them. */
  readonly counters = { fragments: 0, reassembled: 0 };

  constructor(private readonly cap: BlockingCapture, private readonly flow: RawFlow) {
    this.addrs = { srcMac: flow.clientMac, dstMac: flow.serverMac, srcIp: flow.clientIp, dstIp: flow.server };
    this.serverBytes = ipv4FromString(flow.server);
    this.server4 = ipv4Number(this.serverBytes);
    this.client4 = ipv4Number(ipv4FromString(flow.clientIp));
  }

  open(_address: string, port: number): object {
    return { port, peerPort: 0 } satisfies FlowPort;
  }

  port(h: object): number {
    return (h as FlowPort).port;
  }

  peer(h: object, _address: string, port: number): void {
    (h as FlowPort).peerPort = port;
  }

  peerFromLast(h: object): void {
    (h as FlowPort).peerPort = this.lastPort;
  }

  /** A datagram like the last (same ports and length: every ACK of a download) goes out in the
   *  last one's frame, only payload, IP id and checksums patched; any other is composed anew. */
  send(h: object, buf: Uint8Array, len: number): void {
    const s = h as FlowPort;
    let t = this.template;
    if (t === null || t.payloadLength !== len || t.srcPort !== s.port || t.dstPort !== s.peerPort) {
      if (IPV4_MIN_HEADER + UDP_HEADER + len > this.flow.mtu) {
        for (const f of udpFrames(this.addrs, s.port, s.peerPort, buf.subarray(0, len), this.flow.mtu)) this.cap.inject(f, f.length);
        this.active = true;
        return;
      }
      t = this.template = udpTemplate(this.addrs, s.port, s.peerPort, len);
    }
    const f = t.fill(buf);
    this.cap.inject(f, f.length);
    this.active = true;
  }

  /** The next datagram from the server to this port, its payload copied into `buf`; -1 on timeout.
   *  Anything else the filter let through (another port's late block, a foreign fragment) is skipped. */
  recv(h: object, buf: Uint8Array, timeoutMs: number): number {
    const port = (h as FlowPort).port;
    const until = performance.now() + timeoutMs;
    const d = this.dissector;
    for (let wait = timeoutMs; ; wait = Math.max(0, Math.ceil(until - performance.now()))) {
      const n = this.cap.next(this.frame, wait, this.active ? SPIN_US : 0);
      if (n < 0) { this.active = false; return -1; }
      this.active = true; // the rest of a datagram's fragments, the next block of a window
      this.issues.length = 0;
      if (this.view.length !== n) this.view = this.frame.subarray(0, n);
      d.dissect(LinkType.ETHERNET, this.view, this.issues);
      if (d.ipVersion !== 4 || d.src4 !== this.server4 || d.dst4 !== this.client4) continue;
      const ip = d.ip4;
      if (d.fragment || (ip !== null && (ip.mf || ip.fragmentOffset > 0))) {
        this.counters.fragments++;
        const now = performance.now() / 1000;
        if (now - this.lastExpire > 1) { this.lastExpire = now; this.frag.expire(now); }
        // The reassembler copies what it keeps: the frame buffer is reused by the next read. Its
        // whole datagram is reused by the next push: recv copies the payload out before that.
        const whole = this.frag.push(ip!, now, 0, this.issues);
        if (whole === null) continue;
        this.counters.reassembled++;
        d.dissectTransport(d.protocol, whole.payload, 0, whole.payload.length);
      }
      if (d.transport !== IpProtocol.UDP || d.dstPort !== port) continue;
      const payload = d.udpPayload();
      const len = Math.min(payload.length, buf.length);
      buf.set(len === payload.length ? payload : payload.subarray(0, len));
      this.lastPort = d.srcPort;
      return len;
    }
  }

  lastFrom(_h: object, out: Uint8Array): number {
    out.set(this.serverBytes);
    return this.lastPort;
  }

  close(): void {
    // The capture handle outlives the flow (the worker keeps it for its next one).
  }
}
