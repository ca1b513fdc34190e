/**
 * The builder's transfer handling: TFTP sessions and HTTP requests as `tftp` / `http` steps, and
 * ICMP unreachables that refuse a client's boot-chain datagram (facts for the rules).
 */
import { CUT_MARK, TFTP_OPCODES, TftpErrorCode, tftpErrorMessageUnterminated, tftpFileUnterminated, tftpNegotiation, type TftpNegotiation, type TftpOption, type TftpPacket } from '../wire/tftp.js';
import { httpHeader, type HttpRequestHead, type HttpResponseHead } from '../wire/http/index.js';
import type { HttpDecoded, IcmpDecoded, TftpDecoded } from '../decode/messages.js';
import { appendFrame, NO_FRAMES, UNPUBLISHED_FRAMES } from './frames.js';
import { sameFileAsSeen } from './classify.js';
import type { ChainState, HttpState, TftpState } from './state.js';
import { chainForAddr, noteExchange, openStep, touch, touchAt, PROXY_PORT, type FlowState } from './builder-state.js';
import type { TftpSession } from '../decode/tftp-tracker.js';
import type { UnreachableFact } from './facts.js';
import { IcmpType, IcmpUnreachCode } from '../wire/icmp.js';
import { Icmpv6Type, Icmpv6UnreachCode } from '../wire/icmpv6.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { TcpPort, UdpPort } from '../wire/ports.js';

const TFTP_DEFAULT_BLKSIZE = 512;
/** No options requested or acknowledged (yet): one shared record, frozen. */
const NO_OPTIONS: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** Frames of resent packets kept per transfer as evidence. */
const MAX_RETRANSMIT_FRAMES = 16;
/** Per chain: ICMP unreachables kept for the rules (a flood still shows its pattern). */
const MAX_UNREACHABLE = 64;
/** Seconds a body cut short must span for its rate to be given (see httpMessage). */
const MIN_RATE_SPAN_S = 1;
/** ICMP destination-unreachable codes that mean "nothing (allowed to) listen there". */
const V4_UNREACH_CODES: ReadonlySet<number> = new Set([
  IcmpUnreachCode.HOST, IcmpUnreachCode.PORT, IcmpUnreachCode.NET_PROHIBITED, IcmpUnreachCode.HOST_PROHIBITED,
  IcmpUnreachCode.ADMIN_PROHIBITED,
]);
const V6_UNREACH_CODES: ReadonlySet<number> = new Set([
  Icmpv6UnreachCode.ADMIN_PROHIBITED, Icmpv6UnreachCode.ADDRESS, Icmpv6UnreachCode.PORT, Icmpv6UnreachCode.POLICY,
  Icmpv6UnreachCode.REJECT_ROUTE,
]);

// ---- TFTP ----

export function tftpMessage(flow: FlowState, m: TftpDecoded): ChainState | null {
  const session = m.session;
  if (!session) return null;
  const pkt = m.msg;
  let st = flow.tftp.get(session.id);
  const fromClient = m.srcAddr === session.clientAddr && m.srcPort === session.clientPort;
  if (!st) {
    const c = fromClient
      ? chainForAddr(flow, session.clientAddr, m.time, m.srcMac, `TFTP ${pkt.opcode}${pkt.file ? ` "${pkt.file}"` : ''}`, m.frame)
      : chainForAddr(flow, session.clientAddr, m.time);
    noteExchange(c, fromClient);
    st = openTftp(flow, c, m, pkt);
    flow.tftp.set(session.id, st);
    touch(st, m);
    return c;
  }
  const c = chainForAddr(flow, st.clientAddr, m.time);
  noteExchange(c, fromClient);
  touch(st, m);
  const step = st.step;
  if (!fromClient) {
    st.serverAnswered = true;
    st.serverLast = m.time;
    step.serverPort ??= m.srcPort;
  }
  switch (pkt.opcode) {
    case 'RRQ':
    case 'WRQ':
      if (fromClient) resent(st, m.frame);
      break;
    case 'OACK':
      if (fromClient) break;
      if (st.oack) { resent(st, m.frame); break; }
      st.oack = true;
      moved(st, m.time);
      if (flow.cutNow.frame === m.frame) {
        st.optionsCut = true;
        step.cut ??= 'options';
        const whole = wholeOptions(pkt, true);
        step.acknowledgedOptions = optionRecord(flow, whole);
        // Known only where what survived names a block size (the cut may have taken its value).
        st.blksizeKnown = negotiated(step, { ...pkt, options: whole }).blksize !== undefined;
        break;
      }
      st.blksizeKnown = true;
      step.acknowledgedOptions = optionRecord(flow, pkt.options);
      negotiated(step, pkt);
      break;
    case 'ACK':
      if (pkt.block !== undefined) {
        if (fromClient) ackedUnseen(c, st, m.frame, pkt.block);
        tftpAck(st, m.time, m.frame, pkt.block);
      }
      break;
    case 'DATA':
      // A block the capture cut short still had its full size on the wire (UDP and IP say so).
      if (pkt.block !== undefined) tftpData(st, m.time, m.frame, pkt.block, (pkt.data?.length ?? 0) + (flow.cutNow.frame === m.frame ? flow.cutNow.missing : 0));
      break;
    case 'ERROR':
      // A client's ERROR to a server TID no answer in the capture showed: it answers an OACK.
      // No ACK past block 0 either: an abort after DATA blocks (unseen, but ACKed) is no probe.
      tftpError(st, m, pkt, flow.cutNow.frame === m.frame, fromClient, fromClient && !st.serverAnswered && m.dstPort !== UdpPort.TFTP && st.highestAck <= 0);
      break;
  }
  return c;
}

/**
 * The decoder's fast path (DecodeSink.tftpBlock): a DATA or ACK of a transfer already open here,
 * handled as `tftpMessage` would, from numbers only. False when the transfer is not known yet.
 */
export function tftpBlock(
  flow: FlowState, session: TftpSession, fromClient: boolean, srcPort: number, opcode: 3 | 4, block: number,
  dataLength: number, frame: number, time: number,
): boolean {
  const st = flow.tftp.get(session.id);
  if (!st) return false;
  const c = chainForAddr(flow, st.clientAddr, time);
  noteExchange(c, fromClient);
  touchAt(st, frame, time);
  if (!fromClient) {
    st.serverAnswered = true;
    st.serverLast = time;
    st.step.serverPort ??= srcPort;
  }
  if (opcode === TFTP_OPCODES.ACK) {
    if (fromClient) ackedUnseen(c, st, frame, block);
    tftpAck(st, time, frame, block);
  } else tftpData(st, time, frame, block, dataLength);
  return true;
}

/** A client's ACK on a read whose server packets the capture has none of, of a DATA block, after
 *  an earlier ACK it climbs from or repeats: it acknowledges answers that reached it, so the
 *  capture holds the client's side only. A lone ACK proves little (a stray 4-byte datagram), and
 *  the ACK of the OACK alone, however often sent, proves that DATA 1 never came: a stall the
 *  client's side shows, tftp.timeout's to judge. Called before tftpAck counts this ACK. */
function ackedUnseen(c: ChainState, st: TftpState, frame: number, block: number): void {
  if (st.serverAnswered || st.highestAck < 0) return;
  const b = unwrap(block, st.highestAck);
  if (b < 1 || b < st.highestAck) return;
  noteExchange(c, null).acked ??= { frame, what: `its TFTP ACK of block ${b} of "${st.step.file}" (frame ${frame}), an answer the capture does not hold` };
}

/** ACKs come from the client on a read, from the server on a write (WRQ). */
function tftpAck(st: TftpState, time: number, frame: number, block: number): void {
  const b = unwrap(block, Math.max(st.highestAck, 0));
  if (b <= st.highestAck) resent(st, frame);
  else {
    st.highestAck = b;
    moved(st, time);
  }
}

/** The transfer moved on: its OACK, a new block or a higher ACK. */
function moved(st: TftpState, time: number): void {
  st.progressTime = time;
  st.resentSinceProgress = 0;
}

function resent(st: TftpState, frame: number): void {
  st.step.retransmits++;
  st.retransmitFrames = appendFrame(st.retransmitFrames, frame, MAX_RETRANSMIT_FRAMES);
}

/** A request's or OACK's options as far as the capture holds them: in a cut packet whose last
 *  string has no NUL, the last value is only the part before the cut (blksize "14" of 1468). */
function wholeOptions(pkt: TftpPacket, cut: boolean): TftpOption[] {
  const all = pkt.options ?? [];
  if (!cut || all.length === 0) return all;
  // The last option is whole only when its value ended at its NUL: the cut may have run into its
  // name or value, or fallen right after the name's NUL ("blksize\0" and nothing: value unseen).
  const last = all[all.length - 1]!;
  return pkt.unterminated || last.value === undefined ? all.slice(0, -1) : all;
}

function negotiated(step: TftpState['step'], pkt: TftpPacket): TftpNegotiation {
  const neg = tftpNegotiation(pkt);
  if (neg.blksize !== undefined) step.blksize = neg.blksize;
  if (neg.tsize !== undefined) step.tsize = neg.tsize;
  return neg;
}

/** DATA in either direction (server → client on RRQ, client → server on WRQ). */
function tftpData(st: TftpState, time: number, frame: number, block: number, len: number): void {
  const step = st.step;
  if (st.firstData === null) {
    st.firstData = time;
    // RFC 2347: a server that ignores the options sends DATA 1 at once; an ACK 0 from the client
    // would answer an OACK the capture lacks. A whole request so answered runs at 512.
    if (!st.oack && !st.optionsCut && st.requestSeen && step.direction === 'download' && st.highestAck < 0) st.blksizeKnown = true;
  }
  const b = unwrap(block, st.highestBlock);
  if (b <= st.highestBlock) {
    resent(st, frame);
    st.resentSinceProgress++;
  } else {
    st.highestBlock = b;
    moved(st, time);
    st.lastBlockLen = len;
    if (st.oversize === null) {
      // Only where the capture shows the block size in effect (a cut OACK may have raised it).
      if (st.blksizeKnown && len > step.blksize) st.oversize = { frame, block: b, length: len, limit: step.blksize };
    }
    step.blocks = b;
    // No block is longer than the block size: one the cut options did not show is at least this.
    // One the capture shows stays: a server sending longer blocks is not absorbed.
    if (st.optionsCut && !st.blksizeKnown && len > step.blksize) step.blksize = len;
    step.bytes = (b - 1) * step.blksize + len;
    if (len < step.blksize) {
      step.complete = true;
      step.ok = step.error === null;
    }
  }
  const dt = time - st.firstData;
  step.throughput = dt > 0 ? step.bytes / dt : null;
}

/** A request's or OACK's options as name → value, the shared copy (frozen). */
function optionRecord(flow: FlowState, options: readonly TftpOption[] | undefined): Record<string, string> {
  if (options === undefined || options.length === 0) return NO_OPTIONS;
  const rec: Record<string, string> = {};
  for (const o of options) if (o.value !== undefined) rec[o.name] = flow.strings.of(o.value);
  return flow.strings.record(rec);
}

function openTftp(flow: FlowState, c: ChainState, m: TftpDecoded, pkt: TftpPacket): TftpState {
  const session = m.session!;
  const opcode = session.kind ?? (pkt.opcode === 'WRQ' ? 'WRQ' : 'RRQ');
  const requestCut = flow.cutNow.frame === m.frame && (pkt.opcode === 'RRQ' || pkt.opcode === 'WRQ');
  // A name the cut ran into is only its first part: shown as cut, and never equal to a whole one.
  const fileCut = requestCut && tftpFileUnterminated(pkt);
  const st: TftpState = {
    kind: 'tftp', frames: [], frameCount: 0, framesTrimmed: false, last: m.time, clientAddr: session.clientAddr,
    clientPort: session.clientPort, requestFrame: m.frame, highestBlock: 0, lastBlockLen: 0, highestAck: -1,
    oack: false, optionsCut: requestCut, requestCut, requestSeen: pkt.opcode === 'RRQ' || pkt.opcode === 'WRQ', oversize: null, probeIfAgain: false, blksizeKnown: false, serverAnswered: false, errorFrame: 0, errorFromClient: false, firstData: null, progressTime: m.time, resentSinceProgress: 0,
    retransmitFrames: NO_FRAMES, icmpFrames: NO_FRAMES, firstIcmp: null, serverLast: null,
    step: {
      kind: 'tftp', start: m.time, duration: 0, ok: false, frames: UNPUBLISHED_FRAMES, opcode, direction: opcode === 'WRQ' ? 'upload' : 'download',
      file: flow.strings.of(fileCut ? `${pkt.file ?? ''}${CUT_MARK}` : session.file ?? pkt.file ?? ''), server: session.serverAddr, requestedOptions: optionRecord(flow, wholeOptions(pkt, requestCut)), acknowledgedOptions: NO_OPTIONS,
      blksize: TFTP_DEFAULT_BLKSIZE, tsize: null, bytes: 0, blocks: 0, retransmits: 0, complete: false,
      // 0 then null: V8 then keeps the field tagged. Opened as null it is a heap-object field, and
      // a rate that comes out whole (an integer) made tftpData's optimised code bail out each time
      // (~100 deoptimisations on a 1M-frame capture).
      error: null, unreachable: null, serverPort: null, probe: false, throughput: 0 as number | null,
    },
  };
  st.step.throughput = null;
  if (requestCut) st.step.cut = fileCut ? 'file' : 'options';
  if (opcode === 'RRQ') probedBefore(c, st.step.file, fileCut);
  flow.tftpByClient.set(`${st.clientAddr}|${st.clientPort}`, st);
  return openStep(flow, c, st);
}

function tftpError(st: TftpState, m: TftpDecoded, pkt: TftpPacket, frameCut: boolean, fromClient: boolean, oackUnseen: boolean): void {
  const step = st.step;
  if (step.error) return;
  step.error = frameCut && tftpErrorMessageUnterminated(pkt)
    ? { code: pkt.errorCode ?? 0, message: (pkt.errorMessage ?? '') + CUT_MARK, cut: true }
    : { code: pkt.errorCode ?? 0, message: pkt.errorMessage ?? '' };
  st.errorFrame = m.frame;
  st.errorFromClient = fromClient;
  const aborted = fromClient && (st.oack || oackUnseen) && st.highestBlock === 0
    && (step.error.code === TftpErrorCode.OPTION_REFUSED || step.error.code === TftpErrorCode.NOT_DEFINED);
  // A cut request may have asked for tsize past the cut: a whole OACK that carries it says it did
  // (a server acknowledges only what was asked, RFC 2347); else only asking for the file again does.
  const tsizeAsked = hasTsize(step.requestedOptions) || (st.requestCut && hasTsize(step.acknowledgedOptions));
  if (aborted && tsizeAsked) {
    step.probe = true;
    step.ok = true;
  } else {
    step.ok = false;
    st.probeIfAgain = aborted && st.requestCut;
  }
}

function hasTsize(options: Record<string, string>): boolean {
  return Object.keys(options).some((k) => k.toLowerCase() === 'tsize');
}

/** The client requests `file` again: its last TFTP request, if an abort of the same file left open
 *  as a possible tsize probe (its request cut), was one. Looks a few steps back only (DHCPv6 or an
 *  RA between them): a device may have a million TFTP steps. */
function probedBefore(c: ChainState, file: string, cut: boolean): void {
  for (let i = c.states.length - 1; i >= Math.max(0, c.states.length - 4); i--) {
    const s = c.states[i]!;
    if (s.kind !== 'tftp') continue;
    // One client's requests: a cut name is its file where what was captured of both agrees.
    if (s.probeIfAgain && sameFileAsSeen(s.step.file, s.step.cut === 'file', file, cut)) { s.probeIfAgain = false; s.step.probe = true; s.step.ok = true; }
    return;
  }
}

// ---- ICMP ----

/**
 * An ICMP port/host/admin-prohibited unreachable answering a client's TFTP request or transfer
 * packet, or its DHCP/proxyDHCP/DHCPv6 request: a fact for `net.port-unreachable` on the chain of
 * the client that sent the refused datagram; the TFTP step it kills is marked failed.
 */
export function icmpMessage(flow: FlowState, m: IcmpDecoded): ChainState | null {
  const q = m.quoted;
  if (!q || q.protocol !== IpProtocol.UDP || q.srcPort === null || q.dstPort === null) return null;
  const unreach = m.ipVersion === 4
    ? m.type === IcmpType.DEST_UNREACHABLE && V4_UNREACH_CODES.has(m.code)
    : m.type === Icmpv6Type.DEST_UNREACHABLE && V6_UNREACH_CODES.has(m.code);
  if (!unreach) return null;
  const tftp = flow.tftpByClient.get(`${q.src}|${q.srcPort}`) ?? null;
  const tftpHit = tftp !== null && (q.dstPort === UdpPort.TFTP ? tftp.step.server === q.dst : tftp.step.server === q.dst || tftp.serverAnswered);
  let service: UnreachableFact['service'];
  if (tftpHit) service = q.dstPort === UdpPort.TFTP ? 'TFTP' : 'TFTP transfer';
  else if (q.dstPort === UdpPort.TFTP) service = 'TFTP';
  else if (q.dstPort === UdpPort.DHCP_SERVER) service = 'DHCP';
  else if (q.dstPort === PROXY_PORT) service = 'proxyDHCP';
  else if (q.dstPort === UdpPort.DHCPV6_SERVER) service = 'DHCPv6';
  else return null; // not a boot-chain datagram
  const c = chainForAddr(flow, tftpHit ? tftp.clientAddr : q.src, m.time);
  const reason = m.codeName ?? `code ${m.code}`;
  let requestFrame = 0;
  if (tftpHit) {
    requestFrame = tftp.requestFrame;
    touch(tftp, m);
    // A fact, not a verdict: a transfer that completes anyway stays ok (a server answering from
    // port 69 draws unreachables for ACKs its kernel no longer has a socket for).
    tftp.step.unreachable ??= `ICMP ${reason} from ${m.srcAddr}`;
    tftp.firstIcmp ??= m.time;
    tftp.icmpFrames = appendFrame(tftp.icmpFrames, m.frame, MAX_RETRANSMIT_FRAMES);
  } else if (service === 'proxyDHCP' && c.proxy?.pendingRequest && c.proxy.step.server === q.dst) {
    // The refusal is the answer: proxydhcp.no-reply would only repeat it.
    requestFrame = c.proxy.pendingRequest.frame;
    c.proxy.pendingRequest = null;
    c.proxy.step.ok = false;
    touch(c.proxy, m);
  } else if (service === 'DHCP' && c.dhcp4?.pendingRequest && (c.dhcp4.step.server === null || c.dhcp4.step.server === q.dst)) {
    requestFrame = c.dhcp4.pendingRequest.frame;
    c.dhcp4.pendingRequest = null;
    touch(c.dhcp4, m);
  }
  let facts = flow.unreachable.get(c.key);
  if (!facts) flow.unreachable.set(c.key, (facts = []));
  if (facts.length < MAX_UNREACHABLE) {
    facts.push({
      server: q.dst, port: q.dstPort, service, reason, reporter: m.srcAddr, icmpFrame: m.frame, time: m.time,
      requestFrame, file: tftpHit ? tftp.step.file : null, transfer: tftpHit ? tftp : null,
    });
  }
  return c;
}

// ---- HTTP ----

export function httpMessage(flow: FlowState, m: HttpDecoded): ChainState | null {
  if (m.kind === 'request' && m.head?.kind === 'request') {
    const c = chainForAddr(flow, m.srcAddr, m.time, m.srcMac, `HTTP ${m.head.method} ${m.head.uri}`, m.frame);
    noteExchange(c, true);
    const st = openHttp(flow, c, m, m.head);
    let q = flow.http.get(m.connection);
    if (!q) flow.http.set(m.connection, (q = []));
    q.push(st);
    if (q.length > 16) q.shift()!.request = null;
    return c;
  }
  const q = flow.http.get(m.connection);
  if (!q || q.length === 0 || m.request === null) return null;
  // The parser pairs responses with requests (pipelining, interim and cut heads): its pairing is
  // the one the steps take.
  const i = q.findIndex((s) => s.request === m.request);
  if (i < 0) return null;
  const st = q[i]!;
  if (m.kind === 'response' && m.head?.kind === 'response') {
    const head = m.head as HttpResponseHead;
    if (!head.cut && head.status >= 100 && head.status < 200) return chainForAddr(flow, m.dstAddr, m.time); // interim
    if (!st.responded) {
      noteExchange(chainForAddr(flow, m.dstAddr, m.time), false);
      st.responseTime = m.time;
      st.responseFrame = m.frame;
      st.step.ttfb = m.time - st.step.start;
    }
    st.responded = true;
    // A head the cut took before its code is a response all the same (its first bytes are there).
    st.step.status = head.cut && head.status === 0 ? null : head.status;
    touch(st, m);
    if (head.cut) {
      // Its body cannot be framed: neither complete nor failed (`cut`). Where the cut left a code
      // that may be interim the parser keeps the request open (a final answer may follow: it
      // lands here); else the step ends, and the parser's complaints about the cut reach no step.
      st.step.cut = true;
      if (!head.mayBeInterim) {
        flow.httpCut.set(m.connection, { st, request: m.request });
        endHttp(flow, q, i, m.connection);
      }
    } else delete st.step.cut; // the final answer after a cut interim one
    return chainForAddr(flow, m.dstAddr, m.time);
  }
  if (m.kind === 'complete' && !m.isRequest) {
    if (!st.responded) return null;
    endHttp(flow, q, i, m.connection);
    st.step.bytes = m.bodyBytes;
    if (m.cut) {
      // The snap length cut its framing: sent up to here, its end not in the capture.
      flow.httpCut.set(m.connection, { st, request: m.request });
      st.step.cut = true;
      st.step.complete = false;
      st.step.ok = false;
      touch(st, m);
      return chainForAddr(flow, m.dstAddr, m.time);
    }
    st.step.complete = m.issues.length === 0;
    // Closed inside the body (RST, FIN, idle); a capture gap or the capture's end is no close.
    st.endedShort = !st.step.complete && m.closedBy !== undefined && m.closedBy !== 'flush';
    const ok = st.step.status !== null && st.step.status < 400;
    st.step.ok = ok && st.step.complete;
    touch(st, m);
    // A rate over the bytes and time seen: of a body cut short (a close, the capture's end) only
    // over a stretch longer than one window's burst, which shows the link's speed, not the transfer's.
    const dt = st.responseTime !== null ? m.time - st.responseTime : 0;
    st.step.throughput = dt > 0 && (st.step.complete || dt >= MIN_RATE_SPAN_S) ? m.bodyBytes / dt : null;
    return chainForAddr(flow, m.dstAddr, m.time);
  }
  return null;
}

/**
 * The decoder's judgement of a response the snap length cut (DecodeSink.httpCutDelivery): a body
 * the TCP sequence space and the client's ACKs show delivered makes a 2xx/3xx fetch ok and complete
 * (the head stays marked cut); else the step stays as it was, its end not known.
 */
export function httpCutDelivery(flow: FlowState, connection: number, request: HttpRequestHead | null, delivered: boolean, bodyBytes: number | null): void {
  const open = flow.httpCut.get(connection);
  if (open === undefined || open.request !== request) return;
  flow.httpCut.delete(connection);
  const step = open.st.step;
  if (!delivered || step.status === null || step.status >= 400) return;
  step.ok = true;
  step.complete = true;
  if (bodyBytes !== null) step.bytes = bodyBytes;
}

/**
 * Where an HTTP message delivered by a RST after its connection went quiet belongs (`m.quiet`):
 * at the connection's last progress if the device began something new in between (a DHCP exchange,
 * a request on another connection: only a machine that booted again refuses the server's
 * retransmissions then); else at the RST, as a stalled client giving up, a firewall's or a load
 * balancer's reset ends what the connection carried there.
 */
export function httpCloseAt(flow: FlowState, m: HttpDecoded): HttpDecoded {
  const q = m.quiet;
  if (q === undefined) return m;
  const key = flow.leases.get(q.client) ?? `ip:${q.client}`;
  const c = flow.chains.get(key);
  if (c === undefined) return m;
  for (let i = c.states.length - 1; i >= 0; i--) {
    const st = c.states[i]!;
    const start = st.step.start;
    if (start <= q.time || start > m.time) continue;
    // A boot's start: a DISCOVER, a Solicit, proxyDHCP; not a running system's renewal or INFORM.
    const boots = (st.kind === 'dhcp4' && st.firstDiscover !== null) || (st.kind === 'dhcp6' && st.firstSolicit !== null) || st.kind === 'proxydhcp';
    if (boots || (st.kind === 'http' && st.connection !== m.connection)) {
      return { ...m, frame: q.frame, time: q.time };
    }
  }
  return m;
}

/** The step leaves its connection's queue (the last one takes the queue's entry with it: one per
 *  connection otherwise, never released, a Map growing with every HTTP client of the capture). */
function endHttp(flow: FlowState, q: HttpState[], i: number, connection: number): void {
  q[i]!.request = null;
  q.splice(i, 1);
  if (q.length === 0) flow.http.delete(connection);
}

function openHttp(flow: FlowState, c: ChainState, m: HttpDecoded, head: HttpRequestHead): HttpState {
  // No Host field (HTTP/1.0, a cut request): the address, an IPv6 one in brackets (RFC 3986 §3.2.2).
  const addr = m.dstAddr.includes(':') ? `[${m.dstAddr}]` : m.dstAddr;
  const host = httpHeader(head, 'host') ?? (m.dstPort === TcpPort.HTTP ? addr : `${addr}:${m.dstPort}`);
  // A request the snap length cut: its method and URI as far as they go, "…" where the cut may
  // have run into the URI (a URI the captured bytes show followed by a space is whole).
  const uri = head.uriCut ? `${head.uri}…` : head.uri;
  const url = flow.strings.of(/^https?:\/\//i.test(uri) ? uri : `http://${host}${head.cut && !uri.startsWith('/') ? '/' : ''}${uri}`);
  const st: HttpState = {
    kind: 'http', frames: [], frameCount: 0, framesTrimmed: false, last: m.time, connection: m.connection, request: head, requestFrame: m.frame,
    responded: false, responseTime: null, responseFrame: 0, endedShort: false,
    step: {
      kind: 'http', start: m.time, duration: 0, ok: false, frames: UNPUBLISHED_FRAMES, url, method: head.methodCut ? `${head.method}…` : head.method,
      server: m.dstAddr, status: null, bytes: 0, ttfb: null, throughput: null, complete: false,
    },
  };
  openStep(flow, c, st);
  touch(st, m);
  return st;
}

/** A 16-bit block number placed next to `near` (TFTP block numbers roll over past 65535). */
function unwrap(block: number, near: number): number {
  let b = (near - (near & 0xffff)) + block;
  if (b < near - 32768) b += 65536;
  else if (b > near + 32768 && b >= 65536) b -= 65536;
  return b;
}
