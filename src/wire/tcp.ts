import { onesSum, putU16, putU32, u16, u32 } from './bytes.js';
import { finishChecksum, foldSum, pseudoHeaderSum, updateChecksum, type ChecksumStatus, type PseudoHeader } from './checksum.js';
import { IpProtocol } from './ip-protocol.js';
import { pushIssue, type WireIssue } from './issues.js';

/*
 * TCP header (RFC 9293 §3.1), byte ranges:
 *  0-1 source port  2-3 destination port  4-7 sequence number  8-11 acknowledgment number
 *  12  data offset(4) reserved(4)  13 flags CWR ECE URG ACK PSH RST SYN FIN
 *  14-15 window  16-17 checksum  18-19 urgent pointer  20.. options (data offset*4 - 20)
 */
export const TCP_MIN_HEADER = 20;

/** Flag bits of `TcpSegment.flags` (the low 12 bits of bytes 12-13; bits 8-11 are reserved). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

const FLAG_NAMES: [number, string][] = Object.entries(TcpFlag).map(([n, v]) => [v, n]);

/** "SYN|ACK"; reserved bits print as hex. */
export function tcpFlagsToString(flags: number): string {
  const parts: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) parts.push(name);
  if (flags & 0xf00) parts.push(`0x${(flags & 0xf00).toString(16)}`);
  return parts.join('|');
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TcpFlag bits (12 bits: reserved bits kept). */
  flags: number;
  window: number;
  urgent: number;
  /** Raw option bytes; emitted padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array;
  /** Used by emit only when `fixLength` is false (in 32-bit words). */
  dataOffset?: number;
  /** Used by emit only when `computeChecksum` is false. */
  checksum?: number;
}

export interface TcpSegment extends TcpRepr {
  dataOffset: number;
  headerLength: number;
  checksum: number;
  options: Uint8Array;
  payload: Uint8Array;
  payloadOffset: number;
}

export interface TcpEmitOptions {
  computeChecksum?: boolean;
  /** Write the real data offset (default true); false writes `repr.dataOffset ?? computed`. */
  fixLength?: boolean;
}

export function parseTcp(buf: Uint8Array, issues: WireIssue[], base = 0): TcpSegment | null {
  if (buf.length < TCP_MIN_HEADER) {
    pushIssue(issues, 'truncated', 'tcp', base + buf.length, `TCP header needs 20 bytes, have ${buf.length}`);
    return null;
  }
  const dataOffset = buf[12]! >> 4;
  if (dataOffset < 5) {
    pushIssue(issues, 'malformed', 'tcp', base + 12, `data offset ${dataOffset} is below the minimum of 5`);
    return null;
  }
  const headerLength = dataOffset * 4;
  if (buf.length < headerLength) {
    pushIssue(issues, 'truncated', 'tcp', base + buf.length, `TCP header with options needs ${headerLength} bytes, have ${buf.length}`);
    return null;
  }
  return {
    srcPort: u16(buf, 0),
    dstPort: u16(buf, 2),
    seq: u32(buf, 4),
    ack: u32(buf, 8),
    dataOffset,
    headerLength,
    flags: u16(buf, 12) & 0x0fff,
    window: u16(buf, 14),
    checksum: u16(buf, 16),
    urgent: u16(buf, 18),
    options: buf.subarray(TCP_MIN_HEADER, headerLength),
    payload: buf.subarray(headerLength),
    payloadOffset: base + headerLength,
  };
}

/** The TCP segment length as the pseudo-header counts it (header + payload). */
function tcpSum(seg: TcpRepr, dataOffsetWord: number, checksum: number, options: Uint8Array, payload: Uint8Array, pseudo: PseudoHeader, length: number): number {
  let sum = pseudoHeaderSum(pseudo.src, pseudo.dst, IpProtocol.TCP, length);
  sum += seg.srcPort + seg.dstPort;
  sum += (seg.seq >>> 16) + (seg.seq & 0xffff) + (seg.ack >>> 16) + (seg.ack & 0xffff);
  sum += dataOffsetWord + seg.window + checksum + seg.urgent;
  sum = onesSum(options, foldSum(sum));
  return onesSum(payload, sum);
}

/** Verifies against the enclosing IP addresses. Pass `ipPayloadComplete=false` when the IP layer
 *  reported truncation: the segment is then not all there. */
export function verifyTcpChecksum(seg: TcpSegment, pseudo: PseudoHeader, ipPayloadComplete = true): ChecksumStatus {
  if (!ipPayloadComplete) return 'truncated';
  const word = (seg.dataOffset << 12) | seg.flags;
  const length = seg.headerLength + seg.payload.length;
  return tcpSum(seg, word, seg.checksum, seg.options, seg.payload, pseudo, length) === 0xffff ? 'ok' : 'bad';
}

export function tcpHeaderLength(repr: TcpRepr): number {
  const opt = repr.options?.length ?? 0;
  return TCP_MIN_HEADER + ((opt + 3) & ~3);
}

/** Writes the header into `out` at `offset` (the payload is not written but is checksummed). */
export function writeTcpHeader(
  repr: TcpRepr,
  payload: Uint8Array,
  pseudo: PseudoHeader,
  out: Uint8Array,
  offset = 0,
  opts: TcpEmitOptions = {},
): number {
  const hl = tcpHeaderLength(repr);
  const h = out.subarray(offset, offset + hl);
  const dataOffset = opts.fixLength === false ? (repr.dataOffset ?? hl >> 2) : hl >> 2;
  putU16(h, 0, repr.srcPort);
  putU16(h, 2, repr.dstPort);
  putU32(h, 4, repr.seq);
  putU32(h, 8, repr.ack);
  const word = ((dataOffset & 0xf) << 12) | (repr.flags & 0x0fff);
  putU16(h, 12, word);
  putU16(h, 14, repr.window);
  putU16(h, 16, 0);
  putU16(h, 18, repr.urgent);
  const opt = repr.options;
  if (opt) {
    h.set(opt, TCP_MIN_HEADER);
    h.fill(0, TCP_MIN_HEADER + opt.length, hl);
  }
  const checksum =
    opts.computeChecksum === false
      ? (repr.checksum ?? 0)
      : finishChecksum(onesSum(payload, onesSum(h, pseudoHeaderSum(pseudo.src, pseudo.dst, IpProtocol.TCP, hl + payload.length))));
  putU16(h, 16, checksum);
  return hl;
}

/** Rewrites the sequence number, acknowledgment number and window of the TCP header at `offset`
 *  and updates its checksum for them (RFC 1624): the bytes a full build of the same segment gives,
 *  without summing the rest again (a connection's ACKs differ in these fields only). */
export function setTcpSeqAckWindow(segment: Uint8Array, offset: number, seq: number, ack: number, window: number): void {
  const oldSum = foldSum(u16(segment, offset + 4) + u16(segment, offset + 6) + u16(segment, offset + 8) + u16(segment, offset + 10) + u16(segment, offset + 14));
  seq >>>= 0;
  ack >>>= 0;
  window &= 0xffff;
  putU32(segment, offset + 4, seq);
  putU32(segment, offset + 8, ack);
  putU16(segment, offset + 14, window);
  const newSum = foldSum((seq >>> 16) + (seq & 0xffff) + (ack >>> 16) + (ack & 0xffff) + window);
  putU16(segment, offset + 16, updateChecksum(u16(segment, offset + 16), oldSum, newSum));
}

export function emitTcp(repr: TcpRepr, payload: Uint8Array, pseudo: PseudoHeader, opts: TcpEmitOptions = {}): Uint8Array {
  const hl = tcpHeaderLength(repr);
  const out = new Uint8Array(hl + payload.length);
  writeTcpHeader(repr, payload, pseudo, out, 0, opts);
  out.set(payload, hl);
  return out;
}

/** Decoded TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018); unknown kinds keep their bytes. */
export type TcpOption =
  | { kind: 2; mss: number }
  | { kind: 3; shift: number }
  | { kind: 4 }
  | { kind: 5; blocks: [number, number][] }
  | { kind: 8; tsval: number; tsecr: number }
  | { kind: number; data: Uint8Array };

export const TcpOptionKind = { EOL: 0, NOP: 1, MSS: 2, WINDOW_SCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMPS: 8 } as const;

/** Options whose length is fixed by their RFC. */
const FIXED_OPTION_LENGTH: Record<number, number> = { 2: 4, 3: 3, 4: 2, 8: 10 };

/** Decodes the option list (NOP skipped, stops at EOL). Not done by parseTcp: call on demand. */
export function decodeTcpOptions(opts: Uint8Array, issues: WireIssue[], base = 0): TcpOption[] {
  const out: TcpOption[] = [];
  let o = 0;
  while (o < opts.length) {
    const kind = opts[o]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) { o++; continue; }
    if (o + 1 >= opts.length) {
      pushIssue(issues, 'truncated', 'tcp', base + o, `option ${kind} has no length byte`);
      break;
    }
    const len = opts[o + 1]!;
    if (len < 2 || o + len > opts.length) {
      pushIssue(issues, 'malformed', 'tcp', base + o + 1, `option ${kind} length ${len} does not fit`);
      break;
    }
    const body = opts.subarray(o + 2, o + len);
    const want = FIXED_OPTION_LENGTH[kind];
    if (want !== undefined && len !== want) {
      pushIssue(issues, 'malformed', 'tcp', base + o + 1, `option ${kind} length ${len}, expected ${want}`);
      out.push({ kind, data: body });
    } else if (kind === TcpOptionKind.MSS) out.push({ kind: 2, mss: u16(body, 0) });
    else if (kind === TcpOptionKind.WINDOW_SCALE) out.push({ kind: 3, shift: body[0]! });
    else if (kind === TcpOptionKind.SACK_PERMITTED) out.push({ kind: 4 });
    else if (kind === TcpOptionKind.TIMESTAMPS) out.push({ kind: 8, tsval: u32(body, 0), tsecr: u32(body, 4) });
    else if (kind === TcpOptionKind.SACK && (len - 2) % 8 === 0) {
      const blocks: [number, number][] = [];
      for (let i = 0; i < body.length; i += 8) blocks.push([u32(body, i), u32(body, i + 4)]);
      out.push({ kind: 5, blocks });
    } else out.push({ kind, data: body });
    o += len;
  }
  return out;
}

/** Bytes of one option's own encoding (kind, length, body). */
function tcpOptionSize(opt: TcpOption): number {
  if ('data' in opt) return 2 + opt.data.length;
  if ('blocks' in opt) return 2 + 8 * opt.blocks.length;
  return FIXED_OPTION_LENGTH[opt.kind] ?? 2;
}

/** NOPs before an option of `size` bytes at `offset` so that it ends on a 32-bit word, as
 *  Linux aligns them (RFC 9293 §3.2: NOP "may be used between options ... to align"). */
function alignNops(offset: number, size: number): number {
  return (4 - ((offset + size) % 4)) % 4;
}

/** Length of `emitTcpOptions(options)`: a multiple of 4 (the data offset counts words). */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const opt of options) { const size = tcpOptionSize(opt); n += alignNops(n, size) + size; }
  return n;
}

/** Encodes options (the inverse of decodeTcpOptions), each NOP-aligned to end on a word. */
export function emitTcpOptions(options: readonly TcpOption[]): Uint8Array {
  const out = new Uint8Array(tcpOptionsLength(options));
  let o = 0;
  for (const opt of options) {
    const size = tcpOptionSize(opt);
    for (let i = alignNops(o, size); i > 0; i--) out[o++] = TcpOptionKind.NOP;
    out[o] = opt.kind;
    out[o + 1] = size;
    if ('data' in opt) out.set(opt.data, o + 2);
    else if ('mss' in opt) putU16(out, o + 2, opt.mss);
    else if ('shift' in opt) out[o + 2] = opt.shift;
    else if ('tsval' in opt) { putU32(out, o + 2, opt.tsval); putU32(out, o + 6, opt.tsecr); }
    else if ('blocks' in opt) for (let i = 0; i < opt.blocks.length; i++) { putU32(out, o + 2 + 8 * i, opt.blocks[i]![0]); putU32(out, o + 6 + 8 * i, opt.blocks[i]![1]); }
    o += size;
  }
  return out;
}
