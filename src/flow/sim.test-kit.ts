/**
 * Test kit: feeds the builder the same DecodedMessage objects the pipeline would, from bytes made
 * by the real wire builders (emit → parse, so the messages look exactly like decoded ones), with
 * TFTP sessions from the real tracker. Used by the flow and findings tests only.
 */
import { asciiBytes } from '../wire/bytes.js';
import type { WireIssue } from '../wire/issues.js';
import { buildDhcpV4, emitDhcpV4, parseDhcpV4, type DhcpV4BuildInput, type DhcpV4OptionInput } from '../wire/dhcpv4/index.js';
import { emitDhcpV6, parseDhcpV6, type DhcpV6MessageSpec } from '../wire/dhcpv6/index.js';
import { buildAck, buildData, buildOack, buildRrq, parseTftp, TFTP_OPCODES } from '../wire/tftp.js';
import { emitHttpRequest, emitHttpResponse, parseHttpHead, type HttpRequestHead, type HttpResponseHead } from '../wire/http/index.js';
import { ndpOptions, type NdpMessage, type NdpPrefixInfo, type RouterAdvert } from '../wire/ndp.js';
import { TftpSessionTracker } from '../decode/tftp-tracker.js';
import type { MessageOrigin } from '../decode/messages.js';
import { BootChainBuilder, type BootChainBuilderOptions } from './builder.js';
import { analyzeFacts } from '../analysis/engine.js';
import type { Analysis } from '../analysis/types.js';
import type { AnalysisThresholds } from '../findings/types.js';
import type { FlowFacts } from './facts.js';

export interface SimOptions extends BootChainBuilderOptions {
  thresholds?: Partial<AnalysisThresholds>;
}

export const T0 = 1_700_000_000;

export interface Endpoint { addr: string; port: number; mac?: string }

export const SERVER_MAC = '02:00:00:00:00:fe';
export const BCAST: Endpoint = { addr: '255.255.255.255', port: 68 };

export class Sim {
  readonly builder: BootChainBuilder;
  frame = 0;
  /** Seconds after T0 of the next packet unless given. */
  now = 0;
  private readonly tracker = new TftpSessionTracker();
  private conn = 0;
  private readonly reuse: boolean;
  private readonly thresholds: Partial<AnalysisThresholds>;

  /** `reuse`: decode every message into one shared buffer that is overwritten afterwards, as the
   *  capture reader does (catches a builder that keeps views). */
  constructor(opts: SimOptions = {}, reuse = true) {
    this.builder = new BootChainBuilder(opts);
    this.thresholds = opts.thresholds ?? {};
    this.reuse = reuse;
  }

  private origin(from: Endpoint, to: Endpoint, t: number | undefined, issues: WireIssue[] = []): MessageOrigin {
    if (t !== undefined) this.now = t;
    return {
      frame: ++this.frame, time: T0 + this.now, srcAddr: from.addr, srcPort: from.port, dstAddr: to.addr,
      dstPort: to.port, srcMac: from.mac ?? null, dstMac: to.mac ?? null, vlans: [], issues,
    };
  }

  /** Copies `bytes` into a scratch buffer, calls `use`, then scribbles over the scratch. */
  private transient(bytes: Uint8Array, use: (b: Uint8Array) => void): void {
    if (!this.reuse) return use(bytes);
    const scratch = new Uint8Array(bytes.length);
    scratch.set(bytes);
    use(scratch);
    scratch.fill(0xa5);
  }

  dhcp4(from: Endpoint, to: Endpoint, input: DhcpV4BuildInput, t?: number, issues: WireIssue[] = []): void {
    const o = this.origin(from, to, t, issues);
    this.transient(emitDhcpV4(buildDhcpV4(input)), (b) => {
      this.builder.message({ ...o, proto: 'dhcp4', msg: parseDhcpV4(b, o.issues), payload: b });
    });
  }

  /** A DHCPv4 message whose frame the capture cut to `captured` bytes (Ethernet 14 + IPv4 20 +
   *  UDP 8 + what is left of the message; `snap` of the whole frame's length), as the pipeline hands it over: the cut first, then the
   *  message parsed from the bytes that are there. */
  dhcp4Cut(from: Endpoint, to: Endpoint, input: DhcpV4BuildInput, snap: number | ((frameLength: number) => number), t?: number): void {
    const o = this.origin(from, to, t);
    const whole = emitDhcpV4(buildDhcpV4(input));
    const captured = typeof snap === 'number' ? snap : snap(42 + whole.length);
    const keep = Math.min(whole.length, captured - 42);
    this.builder.frameCut(o.frame, captured, whole.length - keep, false);
    this.transient(whole.subarray(0, keep), (b) => {
      this.builder.message({ ...o, proto: 'dhcp4', msg: parseDhcpV4(b, o.issues), payload: b });
    });
  }

  dhcp6(from: Endpoint, to: Endpoint, spec: DhcpV6MessageSpec, t?: number): void {
    const o = this.origin(from, to, t);
    this.transient(emitDhcpV6(spec), (b) => {
      this.builder.message({ ...o, proto: 'dhcp6', msg: parseDhcpV6(b, o.issues), payload: b });
    });
  }

  /** A TFTP packet, matched to its transfer as the pipeline does. */
  tftp(from: Endpoint, to: Endpoint, bytes: Uint8Array, t?: number): void {
    const o = this.origin(from, to, t);
    this.transient(bytes, (b) => {
      const msg = parseTftp(b, o.issues);
      const session = to.port === 69 && (msg.opcode === 'RRQ' || msg.opcode === 'WRQ')
        ? this.tracker.noteRequest(from.addr, from.port, to.addr, o.time, o.frame, msg.file, msg.opcode)
        : this.tracker.match(from.addr, from.port, to.addr, to.port, o.time, -1, -1, ackOrError(b));
      if (!session) return;
      this.builder.message({ ...o, proto: 'tftp', msg, session, payload: b });
    });
  }

  /** One HTTP exchange on a new connection: request head, response head after `ttfb`, body done after `dt`. */
  http(client: Endpoint, server: Endpoint, uri: string, status: number | null, body: number,
    opts: { t?: number; ttfb?: number; dt?: number; host?: string } = {}): void {
    const conn = ++this.conn;
    const reqBytes = emitHttpRequest({ method: 'GET', uri, headers: opts.host === undefined ? {} : { Host: opts.host } });
    const issues: WireIssue[] = [];
    const req = parseHttpHead(reqBytes, true, issues, 0) as HttpRequestHead;
    const o1 = this.origin(client, server, opts.t);
    this.builder.message({ ...o1, proto: 'http', kind: 'request', head: req, request: null, isRequest: true, bodyBytes: 0, connection: conn });
    this.builder.message({ ...o1, proto: 'http', kind: 'complete', head: null, request: null, isRequest: true, bodyBytes: 0, connection: conn });
    if (status === null) return;
    const resBytes = emitHttpResponse({ status, headers: { 'Content-Length': String(body) } });
    const res = parseHttpHead(resBytes, false, issues, 0) as HttpResponseHead;
    const o2 = this.origin(server, client, this.now + (opts.ttfb ?? 0.001));
    this.builder.message({ ...o2, proto: 'http', kind: 'response', head: res, request: req, isRequest: false, bodyBytes: 0, connection: conn });
    const o3 = this.origin(server, client, this.now + (opts.dt ?? 0.01));
    this.builder.message({ ...o3, proto: 'http', kind: 'complete', head: null, request: req, isRequest: false, bodyBytes: body, connection: conn });
  }

  /** A neighbour discovery message as the pipeline delivers it (ports 0, hop limit 255). */
  ndp(from: Endpoint, to: Endpoint, msg: NdpMessage, t?: number, vlans: number[] = []): void {
    const o = this.origin({ ...from, port: 0 }, { ...to, port: 0 }, t);
    this.builder.message({ ...o, vlans, proto: 'ndp', msg, hopLimit: 255, payload: new Uint8Array(0) });
  }

  undecoded(issues: WireIssue[], t?: number): void {
    if (t !== undefined) this.now = t;
    this.builder.undecoded({ frame: ++this.frame, time: T0 + this.now, issues });
  }

  /** `end`: seconds after T0 of the capture's last record (some packet the builder never saw). */
  facts(o: { truncated?: boolean; end?: number; warnings?: WireIssue[] } = {}): FlowFacts {
    return this.builder.facts({
      file: 'sim', packets: this.frame, truncated: o.truncated ?? false,
      warnings: o.warnings ?? (o.truncated ? [{ kind: 'truncated', layer: 'pcap', offset: 1000, message: 'record cut short' }] : []),
      lastPacket: o.end === undefined ? undefined : T0 + o.end,
    });
  }

  /** The analysis of what was fed so far (the builder goes on unchanged). */
  finish(o: { truncated?: boolean; end?: number; warnings?: WireIssue[] } = {}): Analysis {
    return analyzeFacts(this.facts(o), this.thresholds);
  }
}

export const text = asciiBytes;

/** As the pipeline tells the tracker: a TFTP ACK of exactly 4 bytes, or an ERROR ending in NUL. */
function ackOrError(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0) return false;
  return (b[1] === TFTP_OPCODES.ACK && b.length === 4) || (b[1] === TFTP_OPCODES.ERROR && b.length >= 5 && b[b.length - 1] === 0);
}

// ---- canned client behaviour ----


export const SERVER: Endpoint = { addr: '198.51.100.1', port: 67, mac: SERVER_MAC };

export function pxeOptions(arch: number): DhcpV4OptionInput[] {
  return [
    { code: 93, value: [arch] },
    { code: 60, value: `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016` },
  ];
}

export function ipxeOptions(arch: number): DhcpV4OptionInput[] {
  return [...pxeOptions(arch), { code: 77, data: text('iPXE') }, { code: 175, data: Uint8Array.of(19, 1, 1) }];
}

export interface DoraOpts {
  xid: number;
  mac: string;
  yiaddr: string;
  /** Seconds after T0 of the DISCOVER. */
  t: number;
  client?: DhcpV4OptionInput[];
  /** Extra options of OFFER and ACK. */
  server?: DhcpV4OptionInput[];
  serverAddr?: string;
  file?: string;
  siaddr?: string;
  offerDelay?: number;
  /** Stop after: 'discover' (no offer), 'offer' (no request), 'request' (no ack), 'nak', or full. */
  until?: 'discover' | 'offer' | 'request' | 'nak' | 'ack';
  giaddr?: string;
  /** Option 82 data added by the relay to client messages. */
  relay82?: Uint8Array;
  /** Source MAC of frames (a relay's when relayed). */
  frameMac?: string;
}

/** DISCOVER → OFFER → REQUEST → ACK from one server, stopping where `until` says. */
export function dora(sim: Sim, o: DoraOpts): void {
  const srv: Endpoint = { ...SERVER, addr: o.serverAddr ?? SERVER.addr };
  const cli: Endpoint = o.giaddr ? { addr: o.giaddr, port: 67, mac: o.frameMac } : { addr: '0.0.0.0', port: 68, mac: o.frameMac ?? o.mac };
  const to: Endpoint = o.giaddr ? { addr: o.giaddr, port: 67 } : BCAST;
  const relay = o.relay82 ? [{ code: 82, data: o.relay82 }] : [];
  const base = { xid: o.xid, chaddr: o.mac, giaddr: o.giaddr };
  const reply = (type: string): DhcpV4BuildInput => ({
    ...base, op: 2, yiaddr: type === 'NAK' ? undefined : o.yiaddr, siaddr: o.siaddr, file: o.file,
    options: [{ code: 53, value: type }, { code: 54, value: srv.addr }, ...(type === 'NAK' ? [] : [{ code: 51, value: 600 }, ...(o.server ?? [])]), ...relay],
  });
  sim.dhcp4(cli, { addr: '255.255.255.255', port: 67 }, { ...base, options: [{ code: 53, value: 'DISCOVER' }, ...(o.client ?? []), ...relay] }, o.t);
  if (o.until === 'discover') return;
  sim.dhcp4(srv, to, reply('OFFER'), o.t + (o.offerDelay ?? 0.01));
  if (o.until === 'offer') return;
  sim.dhcp4(cli, { addr: '255.255.255.255', port: 67 }, {
    ...base, options: [{ code: 53, value: 'REQUEST' }, { code: 54, value: srv.addr }, { code: 50, value: o.yiaddr }, ...(o.client ?? []), ...relay],
  }, sim.now + 0.01);
  if (o.until === 'request') return;
  sim.dhcp4(srv, to, reply(o.until === 'nak' ? 'NAK' : 'ACK'), sim.now + 0.01);
}

/** A whole TFTP read: RRQ (options), OACK if the server acknowledges some, then DATA/ACK. */
export function tftpRead(sim: Sim, client: Endpoint, server: string, file: string, size: number,
  o: { t?: number; request?: Record<string, string | number>; oack?: Record<string, string | number>; stopAfter?: number; dt?: number } = {}): void {
  const s69: Endpoint = { addr: server, port: 69 };
  const tid: Endpoint = { addr: server, port: 40000 + (sim.frame % 20000) };
  const dt = o.dt ?? 0.001;
  sim.tftp(client, s69, buildRrq(file, 'octet', o.request), o.t);
  let blksize = 512;
  if (o.oack && Object.keys(o.oack).length > 0) {
    sim.tftp(tid, client, buildOack(o.oack), sim.now + dt);
    sim.tftp(client, tid, buildAck(0), sim.now + dt);
    if (o.oack.blksize !== undefined) blksize = Number(o.oack.blksize);
  }
  const blocks = Math.floor(size / blksize) + 1;
  for (let b = 1; b <= blocks; b++) {
    if (o.stopAfter !== undefined && b > o.stopAfter) return;
    const len = b < blocks ? blksize : size - (blocks - 1) * blksize;
    sim.tftp(tid, client, buildData(b, new Uint8Array(len)), sim.now + dt);
    sim.tftp(client, tid, buildAck(b), sim.now + dt);
  }
}


// ---- IPv6 ----

export const ROUTER_MAC = '02:00:00:00:00:01';
export const ALL_NODES: Endpoint = { addr: 'ff02::1', port: 0, mac: '33:33:00:00:00:01' };

export function routerAdvert(o: { managed?: boolean; other?: boolean; lifetime?: number; prefixes?: Partial<NdpPrefixInfo>[]; rdnss?: string[] } = {}): RouterAdvert {
  return {
    kind: 'ra', curHopLimit: 64, managed: o.managed ?? true, other: o.other ?? true, homeAgent: false, preference: 'medium',
    proxy: false, routerLifetime: o.lifetime ?? 1800, reachableTime: 0, retransTimer: 0,
    options: ndpOptions({
      sourceLinkAddr: ROUTER_MAC,
      prefixes: (o.prefixes ?? [{}]).map((p) => ({ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, valid: 86400, preferred: 14400, ...p })),
      rdnss: o.rdnss ?? [],
    }),
  };
}
