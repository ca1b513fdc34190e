/**
 * Relay-mode transport for `pxecheck run`: pxecheck is a DHCP relay agent (RFC 1542 / 3046) on an
 * address of this host, so no raw sockets and no root are needed (except to bind port 67:
 * CAP_NET_BIND_SERVICE). DHCP goes to the server as relayed (giaddr = relayFrom, hops + 1,
 * option 82 when configured) and comes back to relayFrom:67, where replies are handed to the
 * client whose MAC is chaddr.
 *
 * Everything else (proxyDHCP on 4011, TFTP, HTTP) uses plain kernel sockets FROM relayFrom: the
 * leased address lives on no host, so relay mode tests DHCP as a relayed client sees it and then
 * fetches the files from the relay's address (servers see relayFrom, not the lease, as the client).
 *
 * IPv6 (RFC 8415 §19): with `relayFrom6` the relay also listens on [relayFrom6]:547. DHCPv6 to port
 * 547 leaves from there as RELAY-FORW (built by the client machine, or wrapped here with the
 * client's link-local address as peer-address) and RELAY-REPL coming back goes to the client whose
 * peer-address it names: unwrapped (the Relay Message, to the client's port 546, as a relay agent
 * hands it on, §19.2) when this relay did the wrapping, as is when the client machine built its
 * own RELAY-FORW. TFTP and HTTP to IPv6 servers use udp6/TCP sockets from relayFrom6.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { connect as tcpConnect, createServer as createTcpServer, type AddressInfo, type Socket as TcpSocket } from 'node:net';
import { LinkType } from '../../wire/link-type.js';
import { asciiBytes, ipv4FromString, ipv6FromString, ipv6ToString, macToString, u32 } from '../../wire/bytes.js';
import { IpProtocol } from '../../wire/ip-protocol.js';
import {
  BootOp, DhcpV4Code, emitDhcpV4, EMPTY, F, FIXED_LEN, parseDhcpV4, relayAgentInfoData, withRelayHeader, type DhcpV4Option,
} from '../../wire/dhcpv4/index.js';
import { DhcpV6MsgType, DhcpV6Opt, emitDhcpV6, getOption, parseDhcpV6, type DhcpV6OptionSpec } from '../../wire/dhcpv6/index.js';
import { emitIpv4 } from '../../wire/ipv4.js';
import { emitIpv6 } from '../../wire/ipv6.js';
import { isIpv6, isLinkLocal6, isMulticast6, linkLocalFromMac } from '../../wire/ipv6-address.js';
import { emitUdp } from '../../wire/udp.js';
import { TransportHandlers } from './handlers.js';
import { SendQueue } from './raw/send-queue.js';
import type { ByteStream, ClientAddress, ClientTransport, Endpoint, UdpDatagram } from './types.js';
import type { TftpClientConfig, TftpResult } from '../clients/tftp.js';
import { TftpOffload } from './offload/tftp-offload.js';
import { HttpClient } from '../clients/http.js';
import { emitHttpResponse } from '../../wire/http/index.js';
import { UdpPort } from '../../wire/ports.js';
import { UdpBatchSocket, type BatchOutgoing } from './udp-batch.js';

export interface RelayTransportOptions {
  /** Address of this host the relay agent binds (giaddr). */
  relayFrom: string;
  /** The DHCP server relayed messages go to. */
  server: string;
  /** Server port (default 67). */
  serverPort?: number;
  /** Port the relay agent listens on (default 67, where servers answer relays). */
  relayPort?: number;
  /** Option 82 sub-options 1 and 2, added when the client did not put option 82 in itself. */
  circuitId?: string;
  remoteId?: string;
  /** IPv6 address of this host for DHCPv6 relaying, TFTP and HTTP over IPv6 (link-address of RELAY-FORW). */
  relayFrom6?: string;
  /** Where DHCPv6 the client sent to a multicast group goes (default: `server` when it is IPv6). */
  server6?: string;
  /** DHCPv6 server port (default 547). */
  serverPort6?: number;
  /** Port the DHCPv6 relay agent binds (default 547; 0 picks one, for tests). */
  relayPort6?: number;
  /** Interface-ID option (18) put into RELAY-FORW messages the transport wraps. */
  interfaceId6?: string;
  /**
   * Packets sent per second at most (`run --max-pps`; default 200,000, the raw transport's safety
   * bound): every UDP datagram, TCP connect and TCP write waits for its token, in order.
   */
  rateLimitPps?: number;
  /** Packets waiting for the rate limit before new ones are dropped (default 4096). */
  queueLimit?: number;
  /** TFTP transfers run at once in worker threads on blocking sockets (default: the cores, 1–4;
   *  0: none, every transfer on the event loop). See `offloadTftp`. */
  tftpWorkers?: number;
  /** Start one TFTP worker at once (a thread takes 30–150 ms to start: not in the first transfer's time). */
  prewarmTftp?: boolean;
  /** Before it resolves, one HTTP exchange with a listener of its own on relayFrom (nothing leaves
   *  the host) through the code HTTP steps run (`warmTcp`): a Node process's first connection and
   *  first request pay milliseconds of lazy start-up, not the first HTTP step's time. */
  prewarmTcp?: boolean;
  /** DHCPv4 through the native batch socket (udp-batch.ts: recvmmsg/sendmmsg, one JS call per
   *  wake-up) when the helper is built (default true); false: Node's dgram. */
  batchDhcp?: boolean;
  /** With batchDhcp: a DHCP wake-up within this many ms of the previous one is the last for that
   *  long (udp-batch.ts holdMs): fewer, fuller wake-ups in a storm, up to this much added delay
   *  then and none otherwise (default DHCP_HOLD_MS). */
  dhcpHoldMs?: number;
}

/** Bytes one TCP read may bring (kernel sockets, HTTP): node's default reads are 64 KiB into a
 *  new buffer each; one reused 1 MiB buffer makes 16 times fewer reads and no allocation. */
export const RELAY_READ_BUFFER = 1 << 20;

/** `prewarmTcp`'s exchange gives up after this long (it is over in a millisecond or two). */
const PREWARM_TCP_MS = 1000;
/** What the warm-up's listener answers: a head and a short body, as a server's small file. */
const WARM_RESPONSE = emitHttpResponse({ status: 200, headers: [['Content-Type', 'text/plain'], ['Content-Length', '3']], body: asciiBytes('ok\n') });
/** The warm-up's stream belongs to no client (relay mode's TCP ignores the MAC). */
const WARM_MAC = '00:00:00:00:00:00';
const ignore = (): void => undefined;

/** The same safety bound as raw mode's (not imported: raw/transport.ts loads libpcap). */
const DEFAULT_RELAY_RATE_LIMIT_PPS = 200_000;

/** Receive buffer of a TFTP/proxyDHCP flow socket (the kernel caps it at net.core.rmem_max). */
const FLOW_RECV_BUFFER = 4 * 1024 * 1024;
/**
 * Kernel receive buffer asked for on the DHCP relay sockets (Linux caps it at net.core.rmem_max).
 * A storm's replies arrive in bursts while the event loop is busy; the 208 KiB default holds
 * about 200 of them and the rest were dropped (UdpRcvbufErrors) and became client timeouts.
 */
const DHCP_RECV_BUFFER = 4 * 1024 * 1024;

/** The DHCP batch socket's default wake-up hold (RelayTransportOptions.dhcpHoldMs). */
const DHCP_HOLD_MS = 1;

/** Checks, 10 ms apart, for an ended flow's queued datagrams before its socket closes anyway. */
const CLOSE_WAIT_TRIES = 20;

/** What waits for a token: a datagram (on a dgram socket, or on the DHCPv4 batch socket: `to`
 *  as numbers too), or a step of a TCP connection (connect, write, end). */
type Outgoing =
  | { sock: Socket; payload: Uint8Array; from: Endpoint; to: Endpoint }
  | (BatchOutgoing & { batch: true; from: Endpoint; to: Endpoint })
  | { tcp: () => void };

const DHCP_SERVER_PORT: number = UdpPort.DHCP_SERVER;
const DHCP6_SERVER_PORT: number = UdpPort.DHCPV6_SERVER;
const DHCP6_CLIENT_PORT = UdpPort.DHCPV6_CLIENT;

/** A relayed copy of a client message: giaddr/hops/option 82 set unless the client did it. */
export function relayDhcpMessage(payload: Uint8Array, o: Pick<RelayTransportOptions, 'relayFrom' | 'circuitId' | 'remoteId'>): Uint8Array {
  return relayDhcpMessageWith(payload, ipv4FromString(o.relayFrom), relayAgentInfoData(o));
}

/** `relayDhcpMessage` with the relay's giaddr bytes and option 82 data worked out once. */
function relayDhcpMessageWith(payload: Uint8Array, giaddr: Uint8Array, o82data: Uint8Array | null): Uint8Array {
  if (payload.length < FIXED_LEN || payload[F.OP] !== BootOp.REQUEST) return payload;
  // The client machine already built it as relayed: giaddr set.
  if (payload[F.GIADDR] !== 0 || payload[F.GIADDR + 1] !== 0 || payload[F.GIADDR + 2] !== 0 || payload[F.GIADDR + 3] !== 0) return payload;
  // Without option 82 only two header fields change: no parse and re-encode per message.
  if (o82data === null) return withRelayHeader(payload, giaddr, payload[F.HOPS]! + 1);
  const msg = parseDhcpV4(payload, []);
  msg.giaddr = giaddr.slice();
  msg.hops = Math.min(255, msg.hops + 1);
  if (!msg.options.some((x) => x.code === DhcpV4Code.RELAY_AGENT_INFO)) {
    // RFC 3046 §2.1: the relay's option goes last, before END.
    const end = msg.options.findIndex((x) => x.code === DhcpV4Code.END && x.area === 'options');
    const o82: DhcpV4Option = { code: DhcpV4Code.RELAY_AGENT_INFO, data: o82data, area: 'options', offset: -1 };
    if (end >= 0) msg.options.splice(end, 0, o82);
    else msg.options.push(o82, { code: DhcpV4Code.END, data: EMPTY, area: 'options', offset: -1 });
  }
  return emitDhcpV4(msg);
}

/** The client's message as RELAY-FORW (RFC 8415 §19.1.1): returned unchanged when the client
 *  machine already relayed it, else wrapped with hop count 0, `linkAddress`, the client's
 *  `peerAddress`, the Relay Message option (and an Interface-ID when given). */
export function relayDhcpV6Message(payload: Uint8Array, o: { linkAddress: string; peerAddress: string; interfaceId?: string }): Uint8Array {
  if (payload[0] === DhcpV6MsgType.RELAY_FORW) return payload;
  const options: DhcpV6OptionSpec[] = [];
  if (o.interfaceId !== undefined) options.push({ code: DhcpV6Opt.INTERFACE_ID, data: asciiBytes(o.interfaceId) });
  options.push({ code: DhcpV6Opt.RELAY_MSG, data: payload });
  return emitDhcpV6({ relay: true, msgType: DhcpV6MsgType.RELAY_FORW, hopCount: 0, linkAddress: o.linkAddress, peerAddress: o.peerAddress, options });
}

/** A socket from relayFrom for one client's non-DHCP UDP flow (proxyDHCP, TFTP). */
interface Flow {
  mac: string;
  /** The client's own endpoint, restored as the destination of what comes back. */
  client: Endpoint;
  socket: Socket;
  ready: Promise<void>;
  /** The bound local port (0 until bound): sends go out at once from then on. */
  port: number;
  v6: boolean;
  /** Its transfer ended: it is in `closing` (no longer in `flows`), hands nothing on, and closes
   *  once its queued datagrams have gone; a new transfer from its port gets a new flow. */
  ended?: boolean;
}

export async function createRelayTransport(opts: RelayTransportOptions): Promise<ClientTransport> {
  const t = new RelayTransport(opts);
  await t.bind();
  // Not under a lowered --max-pps: the warm-up's connect, write and close would take the run's tokens.
  if (opts.prewarmTcp === true && (opts.rateLimitPps ?? DEFAULT_RELAY_RATE_LIMIT_PPS) >= DEFAULT_RELAY_RATE_LIMIT_PPS) await t.warmTcp();
  return t;
}

export class RelayTransport extends TransportHandlers implements ClientTransport {
  readonly kind = 'relay' as const;
  private readonly clients = new Set<string>();
  private readonly flows = new Map<string, Flow>();
  /** Ended flows until their socket closes: only this set still knows them (close() closes them too). */
  private readonly closing = new Set<Flow>();
  private readonly streams = new Set<TcpSocket>();
  /** Every TCP stream's reads land here (allocated at the first connection): a read is handed to
   *  its stream's handler at once, before libuv reads again, so one buffer serves all streams. */
  private readBuffer: Buffer | null = null;
  /** The DHCPv4 relay agent's socket: the native batch socket, or (helper not built, batchDhcp
   *  false) a dgram socket. */
  private readonly dhcp: Socket | null;
  private dhcpBatch: UdpBatchSocket | null = null;
  /** The relay agent's own endpoint, the `dst` of every DHCPv4 reply (set at bind). */
  private dhcpLocal: Endpoint = { addr: '', port: 0 };
  /** The last reply's source (usually the one server): one endpoint object, not one per reply. */
  private lastSrc: Endpoint & { n: number } = { addr: '', port: -1, n: -1 };
  /** The last destination turned into a number (usually the one server). */
  private lastTo: Endpoint & { n: number } = { addr: '', port: -1, n: 0 };
  /** The DHCPv6 relay agent's socket on [relayFrom6]:547 (with relayFrom6). */
  private readonly dhcp6: Socket | null;
  /** RELAY-FORW peer-address (canonical) → client MAC, learned from what the clients send, and
   *  whether this relay wrapped that client's messages (then it unwraps the RELAY-REPL for it). */
  private readonly peers = new Map<string, { mac: string; unwrap: boolean }>();
  private closed = false;
  /** The relay agent's port once bound (relayPort 0 picks one). */
  private port = DHCP_SERVER_PORT;
  private port6 = DHCP6_SERVER_PORT;
  /** Replies nobody asked for (unknown chaddr, not BOOTREPLY). */
  readonly counters = { foreign: 0, sendErrors: 0, tftpInWorker: 0 };
  lastError: string | null = null;
  /** `--max-pps`: everything this transport sends goes through it. */
  private readonly out: SendQueue<Outgoing>;
  /** giaddr and option 82 of every relayed DHCPv4 message, worked out once. */
  private readonly giaddr: Uint8Array;
  private readonly o82data: Uint8Array | null;
  /** TFTP off the event loop (null: the native helper is not built, or tftpWorkers 0). */
  private readonly tftp: TftpOffload | null;
  /** Socket-level errors (the 'error' event); a send's own error reaches `sent`. */
  private readonly onSendError = (e: Error): void => { this.counters.sendErrors++; this.lastError = e.message; };
  /** Sends the kernel refused in a TFTP worker: counted as the event-loop path counts its own. */
  private readonly onTftpSendErrors = (n: number, message: string): void => { this.counters.sendErrors += n; this.lastError = message; };

  constructor(private readonly opts: RelayTransportOptions) {
    super();
    const batch = opts.batchDhcp !== false && UdpBatchSocket.available();
    this.out = new SendQueue<Outgoing>({
      pps: opts.rateLimitPps ?? DEFAULT_RELAY_RATE_LIMIT_PPS, limit: opts.queueLimit ?? 4096, send: (o) => this.emit(o),
      // A turn's datagrams leave together once its microtasks have run: one sendmmsg for the DHCP
      // ones. Not under a lowered --max-pps: a turn's datagrams would count against queueLimit
      // before any leaves, where the paced path sends its burst at once.
      ...(batch && (opts.rateLimitPps ?? DEFAULT_RELAY_RATE_LIMIT_PPS) >= DEFAULT_RELAY_RATE_LIMIT_PPS ? { sendBatch: (list: Outgoing[]) => this.emitBatch(list) } : {}),
    });
    this.giaddr = ipv4FromString(opts.relayFrom);
    this.o82data = relayAgentInfoData(opts);
    this.dhcp = batch ? null : createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: DHCP_RECV_BUFFER });
    this.dhcp6 = opts.relayFrom6 === undefined ? null : createSocket({ type: 'udp6', reuseAddr: true, recvBufferSize: DHCP_RECV_BUFFER });
    this.tftp = opts.tftpWorkers !== 0 && TftpOffload.available()
      ? new TftpOffload({ ...(opts.tftpWorkers === undefined ? {} : { size: opts.tftpWorkers }), rcvbuf: FLOW_RECV_BUFFER, onSendError: this.onTftpSendErrors })
      : null;
    if (opts.prewarmTftp === true) this.tftp?.prewarm();
  }

  async bind(): Promise<void> {
    await this.bind4();
    if (this.dhcp6) {
      try {
        await this.bind6(this.dhcp6, this.opts.relayFrom6!);
      } catch (e) {
        try { this.dhcp?.close(); this.dhcpBatch?.close(); } catch { /* already closed */ }
        throw e;
      }
    }
  }

  private bind6(sock: Socket, addr: string): Promise<void> {
    const port = this.opts.relayPort6 ?? DHCP6_SERVER_PORT;
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        const hint = e.code === 'EACCES' ? ' (port 547 needs root or CAP_NET_BIND_SERVICE)' : e.code === 'EADDRNOTAVAIL' ? ` (${addr} is not an address of this host)` : '';
        reject(Object.assign(new Error(`relay: cannot bind [${addr}]:${port}: ${e.message}${hint}`), { code: e.code }));
      };
      sock.once('error', onError);
      sock.bind({ address: addr, port, exclusive: false }, () => {
        sock.off('error', onError);
        this.port6 = sock.address().port;
        sock.on('error', (e) => { this.lastError = e.message; });
        sock.on('message', (msg, rinfo) => this.receiveDhcp6(msg, rinfo));
        resolve();
      });
    });
  }

  private bind4(): Promise<void> {
    const bindError = (e: NodeJS.ErrnoException): Error => {
      const hint = e.code === 'EACCES' ? ' (port 67 needs root or CAP_NET_BIND_SERVICE)' : e.code === 'EADDRNOTAVAIL' ? ` (${this.opts.relayFrom} is not an address of this host)` : '';
      return Object.assign(new Error(`relay: cannot bind ${this.opts.relayFrom}:${this.opts.relayPort ?? DHCP_SERVER_PORT}: ${e.message}${hint}`), { code: e.code });
    };
    const sock = this.dhcp;
    if (sock === null) {
      try {
        this.dhcpBatch = UdpBatchSocket.open(this.opts.relayFrom, this.opts.relayPort ?? DHCP_SERVER_PORT, DHCP_RECV_BUFFER, this.receiveDhcpBatch, this.opts.dhcpHoldMs ?? DHCP_HOLD_MS);
      } catch (e) {
        return Promise.reject(bindError(e as NodeJS.ErrnoException));
      }
      this.port = this.dhcpBatch.port;
      this.dhcpLocal = { addr: this.opts.relayFrom, port: this.port };
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => reject(bindError(e));
      sock.once('error', onError);
      sock.bind({ address: this.opts.relayFrom, port: this.opts.relayPort ?? DHCP_SERVER_PORT, exclusive: false }, () => {
        sock.off('error', onError);
        this.port = sock.address().port;
        this.dhcpLocal = { addr: this.opts.relayFrom, port: this.port };
        sock.on('error', this.onSendError);
        sock.on('message', (msg, rinfo) => this.receiveDhcp(msg, this.srcOf(rinfo.address, rinfo.port, -1)));
        resolve();
      });
    });
  }

  now(): number {
    return Date.now() / 1000;
  }

  /** `prewarmTcp`: one HTTP exchange with a listener of its own on relayFrom (nothing leaves the host)
   *  through the code an HTTP step runs: connectTcp, the stream's reads into the shared buffer, the
   *  HTTP client's request and its parse of the answer. A process's first pass through that code
   *  costs ~1 ms of lazy compilation (measured: first byte 1.6–2.6 ms after connectTcp cold, 1.1–1.5
   *  warm), which belongs to no server. Bounded by PREWARM_TCP_MS; a failure only leaves it cold. */
  async warmTcp(): Promise<void> {
    const addr = this.opts.relayFrom;
    const server = createTcpServer((c) => { c.on('error', ignore); c.once('data', () => c.end(WARM_RESPONSE)); });
    server.on('error', ignore);
    let stream: ByteStream | null = null;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, addr, () => resolve((server.address() as AddressInfo).port));
      });
      stream = await this.connectTcp(WARM_MAC, { addr, port }, PREWARM_TCP_MS);
      const client = new HttpClient({ host: `${addr}:${port}`, path: '/', digest: false });
      const s = stream;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, PREWARM_TCP_MS);
        const done = (): void => { clearTimeout(timer); resolve(); };
        s.onData((data, time) => { client.receive(data, time); if (client.done() !== null) done(); });
        s.onEnd((time) => { client.end(time); done(); });
        s.write(client.request(this.now()));
      });
    } catch {
      /* no listener (the address is gone?), refused, timed out: the first HTTP step just starts cold */
    } finally {
      stream?.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  /** A client that is done (load mode): its UDP flows end as endUdpFlow ends them (after what they
   *  queued: the last ACK still leaves), so a storm does not hold a socket per client. */
  removeClient(mac: string): void {
    const m = mac.toLowerCase();
    this.clients.delete(m);
    if (this.dhcp6 !== null) this.peers.delete(linkLocalFromMac(m));
    if (this.flows.size === 0) return; // a DHCP-only storm: nothing to scan
    for (const [key, flow] of this.flows) if (flow.mac === m) this.endFlow(key, flow);
  }

  /** A transfer ended (done, failed or timed out): its flow's socket closes once what was queued
   *  before it has gone out (the last ACK), so a client's transfers do not pile up sockets. */
  endUdpFlow(mac: string, clientPort: number): void {
    for (const v6 of [false, true]) {
      const key = flowKey(mac.toLowerCase(), clientPort, v6);
      const flow = this.flows.get(key);
      if (flow !== undefined) this.endFlow(key, flow);
    }
  }

  private endFlow(key: string, flow: Flow): void {
    flow.ended = true;
    this.flows.delete(key);
    if (this.lastFlow === flow) this.lastFlow = null;
    this.closing.add(flow);
    // A barrier behind its sends (which wait for the bind too): no token, never dropped.
    flow.ready.then(() => this.out.after(() => setImmediate(this.closeWhenSent, flow, 0)), () => this.dropFlow(flow));
  }

  /** Closes an ended flow once its datagrams are with the kernel: a send resolves its address in a
   *  later tick (before setImmediate) and may wait in libuv's queue, which a close would cancel. */
  private readonly closeWhenSent = (flow: Flow, tries: number): void => {
    let queued = 0;
    try { queued = flow.socket.getSendQueueCount(); } catch { /* closed already */ }
    if (queued > 0 && tries < CLOSE_WAIT_TRIES && !this.closed) { setTimeout(this.closeWhenSent, 10, flow, tries + 1); return; }
    this.dropFlow(flow);
  };

  private dropFlow(flow: Flow): void {
    this.closing.delete(flow);
    try {
      flow.socket.close();
    } catch {
      // not bound yet, or already closed
    }
  }

  addClient(mac: string): void {
    const m = mac.toLowerCase();
    if (this.clients.has(m)) return;
    this.clients.add(m);
    // Until a client's own RELAY-FORW says otherwise, its peer-address is its EUI-64 link-local
    // (only a relay with a DHCPv6 side hears RELAY-REPLs).
    if (this.dhcp6 !== null) this.peers.set(linkLocalFromMac(m), { mac: m, unwrap: true });
  }

  setClientAddress(_mac: string, _lease: ClientAddress | null): void {
    // The lease is not on this host: nothing to answer ARP for.
  }

  sendUdp(mac: string, d: UdpDatagram): void {
    if (this.closed) return;
    const m = mac.toLowerCase();
    this.addClient(m);
    if (isIpv6(d.dst.addr)) { this.sendUdp6(m, d); return; }
    if (d.dst.port === DHCP_SERVER_PORT) {
      const payload = relayDhcpMessageWith(d.payload, this.giaddr, this.o82data);
      // Relayed messages are unicast to the server whatever the client addressed.
      const to = d.broadcast || d.dst.addr === '255.255.255.255' || d.dst.addr === this.opts.relayFrom ? this.opts.server : d.dst.addr;
      const toPort = this.opts.serverPort ?? DHCP_SERVER_PORT;
      if (this.dhcp !== null) { this.sendOn(this.dhcp, payload, this.dhcpLocal, { addr: to, port: toPort }); return; }
      // Not copied, as on the dgram path: a client's message is its own (it may wait for a token too).
      const dst = this.toEndpoint(to, toPort);
      this.out.push({ batch: true, payload, addr: dst.n, port: toPort, from: this.dhcpLocal, to: dst });
      return;
    }
    const flow = this.flowFor(m, d.src, false);
    const to = d.dst.addr === '255.255.255.255' ? this.opts.server : d.dst.addr;
    this.sendOnFlow(flow, this.opts.relayFrom, d.payload, { addr: to, port: d.dst.port });
  }

  /** Sends from a flow's socket: at once (in the caller's turn: a TFTP ACK from inside the receive
   *  callback) once it is bound, else when the bind completes. */
  private sendOnFlow(flow: Flow, from: string, payload: Uint8Array, to: Endpoint): void {
    const own = payload.slice(); // dgram reads it later; the caller may reuse its buffer
    if (flow.port !== 0) { this.sendOn(flow.socket, own, { addr: from, port: flow.port }, to); return; }
    flow.ready.then(() => this.sendOn(flow.socket, own, { addr: from, port: flow.port }, to), () => undefined);
  }

  /**
   * A TFTP read in a worker thread, on its own kernel socket from relayFrom (as the event-loop path
   * sends it): lock-step blocks cost sendto + recvfrom (SO_RCVTIMEO), not an event-loop wake-up each. Not
   * when frames are recorded (`--pcap` sees every datagram), when the send rate was lowered below
   * the safety bound (the worker does not queue), or when no worker is free: null, and the step
   * drives the machine through sendUdp as before.
   */
  offloadTftp(mac: string, cfg: TftpClientConfig, now: number, deadline: number, signal: AbortSignal | undefined): Promise<TftpResult | null | 'not-run'> | null {
    if (this.tftp === null || this.closed || this.frameHandlers.length > 0) return null;
    if ((this.opts.rateLimitPps ?? DEFAULT_RELAY_RATE_LIMIT_PPS) < DEFAULT_RELAY_RATE_LIMIT_PPS) return null;
    const local = isIpv6(cfg.server) ? this.opts.relayFrom6 : this.opts.relayFrom;
    // Link-local needs a scope (interface) the helper does not take: such a server stays on dgram.
    if (local === undefined || cfg.server === '255.255.255.255' || isMulticast6(cfg.server) || isLinkLocal6(cfg.server)) return null;
    this.addClient(mac);
    const run = this.tftp.tryRun(cfg, local, now, deadline, signal);
    if (run === null) return null;
    this.counters.tftpInWorker++;
    return run.then((r) => {
      if (r instanceof Error) { this.counters.sendErrors++; this.lastError = r.message; throw r; }
      return r;
    });
  }

  connectTcp(_mac: string, dst: Endpoint, timeoutMs: number): Promise<ByteStream> {
    const v6 = isIpv6(dst.addr);
    if (v6 && this.opts.relayFrom6 === undefined) return Promise.reject(new Error(`relay: TCP to ${dst.addr} needs relayFrom6 (an IPv6 address of this host)`));
    const localAddress = v6 ? this.opts.relayFrom6! : this.opts.relayFrom;
    return new Promise((resolve, reject) => {
      let sock: TcpSocket | null = null;
      let timedOut = false;
      // The wait for a token counts against the connect timeout.
      const timer = setTimeout(() => {
        timedOut = true;
        if (sock !== null) { this.streams.delete(sock); sock.destroy(); }
        reject(new Error(`TCP connect to ${dst.addr}:${dst.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.out.push({
        tcp: () => {
          if (timedOut) return; // given up while it waited for its token: no connection at all
          if (this.closed) { clearTimeout(timer); reject(new Error('relay: transport closed')); return; }
          const reader = new StreamReader(() => this.now());
          this.readBuffer ??= Buffer.allocUnsafe(RELAY_READ_BUFFER);
          const onread = { buffer: this.readBuffer, callback: (n: number, buf: Uint8Array): boolean => reader.read(buf.subarray(0, n)) };
          const s = (sock = tcpConnect({ host: dst.addr, port: dst.port, localAddress, onread, ...(v6 ? { family: 6 } : {}) }));
          this.streams.add(s);
          s.once('error', (e) => { clearTimeout(timer); this.streams.delete(s); reject(e); });
          s.once('connect', () => {
            clearTimeout(timer);
            s.removeAllListeners('error');
            resolve(this.wrapStream(s, reader));
          });
        },
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.out.close();
    const workers = this.tftp?.close();
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    const flows = [...this.flows.values(), ...this.closing];
    this.dhcpBatch?.close();
    const sockets = [...(this.dhcp ? [this.dhcp] : []), ...(this.dhcp6 ? [this.dhcp6] : []), ...flows.map((f) => f.socket)];
    const closes = sockets.map(
      (s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } }),
    );
    this.flows.clear();
    this.closing.clear();
    this.lastFlow = null;
    await Promise.all([...closes, workers]);
  }

  // ---- internals ----

  private wrapStream(sock: TcpSocket, reader: StreamReader): ByteStream {
    let ended: { time: number; error?: string } | null = null;
    const endHandlers: ((t: number, e?: string) => void)[] = [];
    const end = (error?: string): void => {
      if (ended) return;
      ended = error === undefined ? { time: this.now() } : { time: this.now(), error };
      this.streams.delete(sock);
      for (const h of endHandlers) h(ended.time, error);
    };
    sock.on('end', () => end());
    sock.on('close', (hadError) => end(hadError ? 'connection reset' : undefined));
    sock.on('error', (e) => end(e.message));
    return {
      write: (data) => { const copied = data.slice(); this.out.push({ tcp: () => { sock.write(copied); } }); },
      onData: (h) => { reader.attach(h); },
      onEnd: (h) => {
        endHandlers.push(h);
        if (ended) h(ended.time, ended.error);
      },
      close: () => { this.out.push({ tcp: () => { sock.end(); setTimeout(() => sock.destroy(), 2000).unref(); } }); },
    };
  }

  private sendUdp6(mac: string, d: UdpDatagram): void {
    const from = this.opts.relayFrom6;
    if (from === undefined) { this.counters.sendErrors++; this.lastError = `relay: ${d.dst.addr} is IPv6 but relayFrom6 is not set`; return; }
    if (d.dst.port !== DHCP6_SERVER_PORT) {
      this.sendOnFlow(this.flowFor(mac, d.src, true), from, d.payload, { addr: d.dst.addr, port: d.dst.port });
      return;
    }
    const payload = relayDhcpV6Message(d.payload, {
      linkAddress: from, peerAddress: linkLocalFromMac(mac), ...(this.opts.interfaceId6 !== undefined ? { interfaceId: this.opts.interfaceId6 } : {}),
    });
    // Remember whose peer-address this is (the RELAY-REPL names it) and who built the RELAY-FORW.
    const forw = parseDhcpV6(payload, []);
    if (forw.relay) this.peers.set(ipv6ToString(forw.peerAddress), { mac, unwrap: payload !== d.payload });
    const server6 = this.opts.server6 ?? (isIpv6(this.opts.server) ? this.opts.server : undefined);
    const to = isMulticast6(d.dst.addr) ? server6 : d.dst.addr;
    if (to === undefined) { this.counters.sendErrors++; this.lastError = 'relay: DHCPv6 to a multicast group needs server6'; return; }
    this.sendOn(this.dhcp6!, payload, { addr: from, port: this.port6 }, { addr: to, port: this.opts.serverPort6 ?? DHCP6_SERVER_PORT });
  }

  private receiveDhcp6(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const src = { addr: stripZone(rinfo.address), port: rinfo.port };
    const dst = { addr: this.opts.relayFrom6!, port: this.port6 };
    this.frame('received', msg, src, dst);
    const m = parseDhcpV6(msg, []);
    const peerAddr = m.relay && m.msgType === DhcpV6MsgType.RELAY_REPL ? ipv6ToString(m.peerAddress) : undefined;
    const peer = peerAddr === undefined ? undefined : this.peers.get(peerAddr);
    if (peerAddr === undefined || peer === undefined || !this.clients.has(peer.mac)) { this.counters.foreign++; return; }
    if (!peer.unwrap) { this.deliver(peer.mac, { src, dst, payload: copy(msg) }); return; }
    // RFC 8415 §19.2: the Relay Message option goes on to the client at peer-address, port 546.
    // src stays the server, so a Renew/Release unicast to "the server" is relayed to it again.
    const inner = getOption(m, DhcpV6Opt.RELAY_MSG);
    if (inner === undefined || inner.data.length === 0) { this.counters.foreign++; return; }
    this.deliver(peer.mac, { src, dst: { addr: peerAddr, port: DHCP6_CLIENT_PORT }, payload: copy(inner.data) });
  }

  /** The last flow used: a transfer's packets all hit it, without building the map key. */
  private lastFlow: Flow | null = null;

  private flowFor(mac: string, client: Endpoint, v6: boolean): Flow {
    const last = this.lastFlow;
    if (last !== null && last.mac === mac && last.client.port === client.port && last.v6 === v6) return last;
    const key = flowKey(mac, client.port, v6);
    const have = this.flows.get(key);
    if (have) { this.lastFlow = have; return have; }
    const local = v6 ? this.opts.relayFrom6! : this.opts.relayFrom;
    // A window of big blocks (RFC 7440, blksize 8192 × 16: ~250 KB of socket memory as fragments)
    // overflows the default 208 KiB: the tail of a window lost, then a retransmission timeout.
    const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', recvBufferSize: FLOW_RECV_BUFFER });
    const flow: Flow = { mac, client: { ...client }, socket, ready: Promise.resolve(), port: 0, v6 };
    flow.ready = new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: local, port: 0 }, () => { socket.off('error', reject); flow.port = socket.address().port; resolve(); });
    });
    socket.on('error', this.onSendError);
    socket.on('message', (msg, rinfo) => {
      if (flow.ended === true) return; // its transfer (or client) is done: a late answer reaches nobody
      const src = { addr: stripZone(rinfo.address), port: rinfo.port };
      if (this.frameHandlers.length > 0) this.frame('received', msg, src, { addr: local, port: flow.port });
      // Node gives every datagram a buffer of its own: handed on as is, no copy.
      this.deliver(flow.mac, { src, dst: flow.client, payload: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength) });
    });
    this.flows.set(key, flow);
    this.lastFlow = flow;
    return flow;
  }

  /** A reply from the batch socket: a view into its pool, copied once it is one of ours. */
  private readonly receiveDhcpBatch = (view: Uint8Array, addr: number, port: number): void => {
    if (this.closed) return;
    const src = this.lastSrc.n === addr && this.lastSrc.port === port ? this.lastSrc : this.srcOf(ipv4Text(addr), port, addr);
    this.receiveDhcp(view, src, true);
  };

  /** `copy`: the payload is a view the next batch overwrites (handlers may keep what they get). */
  private receiveDhcp(msg: Uint8Array, src: Endpoint, copy = false): void {
    if (this.closed) return;
    this.frame('received', msg, src, this.dhcpLocal);
    if (msg.length < FIXED_LEN || msg[F.OP] !== BootOp.REPLY) { this.counters.foreign++; return; }
    const mac = macToString(msg, F.CHADDR);
    if (!this.clients.has(mac)) { this.counters.foreign++; return; }
    // dgram's Buffer is this datagram's own (one per message): no copy needed.
    this.deliver(mac, { src, dst: this.dhcpLocal, payload: copy ? msg.slice() : msg });
  }

  /** A reply's source endpoint, kept for the next reply from the same place (endpoints are not mutated). */
  private srcOf(addr: string, port: number, n: number): Endpoint {
    if (this.lastSrc.addr === addr && this.lastSrc.port === port) return this.lastSrc;
    this.lastSrc = { addr, port, n };
    return this.lastSrc;
  }

  /** A destination with its address as a host-order number (the batch socket's form); the last one kept. */
  private toEndpoint(addr: string, port: number): Endpoint & { n: number } {
    if (this.lastTo.addr !== addr || this.lastTo.port !== port) this.lastTo = { addr, port, n: u32(ipv4FromString(addr), 0) };
    return this.lastTo;
  }

  private deliver(mac: string, d: UdpDatagram): void {
    const t = this.now();
    for (const h of this.udpHandlers) h(mac, d, t);
  }

  /** Packets dropped because more waited for the rate limit than the queue holds. */
  get dropped(): number {
    return this.out.dropped;
  }

  private sendOn(sock: Socket, payload: Uint8Array, from: Endpoint, to: Endpoint): void {
    this.out.push({ sock, payload, from, to });
  }

  /** Sends one queued packet, its token taken. */
  private emit(o: Outgoing): void {
    if ('tcp' in o) { o.tcp(); return; }
    if (this.closed) return;
    if ('batch' in o) { this.emitBatch([o]); return; }
    // One shared callback, not a closure per datagram: without a callback Node drops a send's
    // error (EMSGSIZE, ENOBUFS, EPERM) and emits no 'error' event, so sendErrors would stay 0.
    o.sock.send(o.payload, o.to.port, o.to.addr, this.sent);
    if (this.frameHandlers.length > 0) this.frame('sent', o.payload, o.from, o.to);
  }

  /** A turn's queued packets in order: runs of DHCPv4 datagrams in one sendmmsg each, the rest one by one. */
  private emitBatch(list: Outgoing[]): void {
    if (this.closed) return;
    for (let i = 0; i < list.length;) {
      const o = list[i]!;
      if (!('batch' in o)) { this.emit(o); i++; continue; }
      let j = i + 1;
      while (j < list.length && 'batch' in list[j]!) j++;
      // list[i, j) are all batch datagrams (BatchOutgoing).
      const sent = this.dhcpBatch?.send(list as BatchOutgoing[], i, j) ?? 0;
      if (sent < j - i) { this.counters.sendErrors += j - i - sent; this.lastError = this.dhcpBatch?.lastError ?? 'relay: DHCP socket closed'; }
      if (this.frameHandlers.length > 0) for (let k = i; k < j; k++) { const b = list[k] as Extract<Outgoing, { batch: true }>; this.frame('sent', b.payload, b.from, b.to); }
      i = j;
    }
  }

  /** One callback for every send (not a closure per datagram). */
  private readonly sent = (err: Error | null): void => {
    if (err) { this.counters.sendErrors++; this.lastError = err.message; }
  };

  /** Synthesized raw-IPv4 (link type 228) or raw-IPv6 (229) frame for --pcap. */
  private frame(dir: 'sent' | 'received', payload: Uint8Array, src: Endpoint, dst: Endpoint): void {
    if (this.frameHandlers.length === 0) return;
    const v6 = isIpv6(src.addr);
    const pseudo = v6 ? { src: ipv6FromString(src.addr), dst: ipv6FromString(dst.addr) } : { src: ipv4FromString(src.addr), dst: ipv4FromString(dst.addr) };
    const udp = emitUdp({ srcPort: src.port, dstPort: dst.port }, payload, pseudo);
    const ip = v6
      ? emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: IpProtocol.UDP, src: src.addr, dst: dst.addr }, udp)
      : emitIpv4({ dscp: 0, ecn: 0, identification: 0, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.UDP, src: src.addr, dst: dst.addr }, udp);
    const t = this.now();
    for (const h of this.frameHandlers) h(dir, t, v6 ? LinkType.IPV6 : LinkType.IPV4, ip);
  }
}

/** Hands a TCP stream's reads (views into the shared read buffer, valid during the call) to its
 *  data handler; what arrives before there is one is copied and kept for it. */
class StreamReader {
  private handler: ((d: Uint8Array, t: number) => void) | null = null;
  private early: Uint8Array[] | null = null;

  constructor(private readonly now: () => number) {}

  /** true: keep reading (node's onread callback pauses the socket on false). */
  read(view: Uint8Array): boolean {
    if (this.handler) this.handler(view, this.now());
    else (this.early ??= []).push(Uint8Array.prototype.slice.call(view)); // a copy (Buffer#slice is a view)
    return true;
  }

  attach(h: (d: Uint8Array, t: number) => void): void {
    this.handler = h;
    const early = this.early;
    this.early = null;
    for (const d of early ?? []) h(d, this.now());
  }
}

/** A client's UDP flow: its MAC, its own port and the IP version. */
function flowKey(mac: string, clientPort: number, v6: boolean): string {
  return `${mac}|${clientPort}|${v6 ? 6 : 4}`;
}

/** Node reports link-local peers as fe80::1%eth0; datagrams carry plain addresses. */
function stripZone(addr: string): string {
  const i = addr.indexOf('%');
  return i < 0 ? addr : addr.slice(0, i);
}

/** A host-order IPv4 number as dotted text. */
function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function copy(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}
