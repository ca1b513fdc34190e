import { ipv4FromString, ipv4ToString, onesSum, putU16, u16 } from './bytes.js';
import { finishChecksum, updateChecksum } from './checksum.js';
import { pushIssue, type WireIssue } from './issues.js';

/*
 * IPv4 header (RFC 791 §3.1), byte ranges:
 *  0     version(4) ihl(4)        1  dscp(6) ecn(2)     2-3  total length
 *  4-5   identification           6-7 flags(3) fragment offset(13, units of 8 bytes)
 *  8     ttl   9 protocol         10-11 header checksum
 *  12-15 source   16-19 destination   20.. options (ihl*4 - 20 bytes)
 */
export const IPV4_MIN_HEADER = 20;

/** The meaningful fields, enough to emit a header. */
export interface Ipv4Repr {
  dscp: number;
  ecn: number;
  identification: number;
  /** The reserved ("evil") flag bit, kept so odd packets round-trip. */
  reservedFlag?: boolean;
  df: boolean;
  mf: boolean;
  /** In bytes (the wire field times 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: string;
  dst: string;
  /** Raw option bytes; emitted padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array;
  /** Used by emit only when `fixLength` is false. */
  totalLength?: number;
  /** Used by emit only when `computeChecksum` is false. */
  checksum?: number;
}

export interface Ipv4Packet extends Ipv4Repr {
  version: number;
  /** Header length in 32-bit words, as on the wire. */
  ihl: number;
  headerLength: number;
  /** The type-of-service byte (dscp << 2 | ecn). */
  tos: number;
  totalLength: number;
  checksum: number;
  checksumOk: boolean;
  /** 4-byte views into the packet (for pseudo-headers). */
  srcBytes: Uint8Array;
  dstBytes: Uint8Array;
  options: Uint8Array;
  /** Cut to totalLength (Ethernet padding dropped); shorter when the capture was truncated. */
  payload: Uint8Array;
  /** base + header length: pass it as `base` to the next parser. */
  payloadOffset: number;
}

export interface Ipv4EmitOptions {
  /** Compute the header checksum (default true); false writes `repr.checksum ?? 0`. */
  computeChecksum?: boolean;
  /** Write header + payload length (default true); false writes `repr.totalLength ?? computed`. */
  fixLength?: boolean;
}

export function parseIpv4(buf: Uint8Array, issues: WireIssue[], base = 0): Ipv4Packet | null {
  if (buf.length < IPV4_MIN_HEADER) {
    pushIssue(issues, 'truncated', 'ipv4', base + buf.length, `IPv4 header needs 20 bytes, have ${buf.length}`);
    return null;
  }
  const version = buf[0]! >> 4;
  const ihl = buf[0]! & 0x0f;
  if (version !== 4) {
    pushIssue(issues, 'malformed', 'ipv4', base, `IP version ${version}, expected 4`);
    return null;
  }
  if (ihl < 5) {
    pushIssue(issues, 'malformed', 'ipv4', base, `IHL ${ihl} is below the minimum of 5`);
    return null;
  }
  const headerLength = ihl * 4;
  if (buf.length < headerLength) {
    pushIssue(issues, 'truncated', 'ipv4', base + buf.length, `IPv4 header with options needs ${headerLength} bytes, have ${buf.length}`);
    return null;
  }
  const tos = buf[1]!;
  const totalLength = u16(buf, 2);
  const flagsFrag = u16(buf, 6);
  const checksum = u16(buf, 10);
  let end = totalLength;
  if (totalLength < headerLength) {
    pushIssue(issues, 'malformed', 'ipv4', base + 2, `total length ${totalLength} is shorter than the header (${headerLength})`);
    end = headerLength;
  } else if (totalLength > buf.length) {
    pushIssue(issues, 'truncated', 'ipv4', base + buf.length, `total length ${totalLength}, only ${buf.length} bytes captured`);
    end = buf.length;
  }
  return new ParsedIpv4(
    buf, base, version, ihl, headerLength, tos, totalLength, u16(buf, 4), flagsFrag, checksum,
    headerSumOk(buf, headerLength), end,
  );
}

/**
 * What `parseIpv4` returns. The fields are read at once; the three byte views that only
 * pseudo-header checks and emit read (`srcBytes`, `dstBytes`, `options`) are taken on first use,
 * since the decode path never reads them for IPv4 and a view costs as much as the rest of the
 * header. They are accessors (assignable, like plain fields), not own enumerable properties.
 */
class ParsedIpv4 implements Ipv4Packet {
  version: number;
  ihl: number;
  headerLength: number;
  tos: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  identification: number;
  reservedFlag: boolean;
  df: boolean;
  mf: boolean;
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  checksumOk: boolean;
  src: string;
  dst: string;
  payload: Uint8Array;
  payloadOffset: number;
  readonly #header: Uint8Array;
  readonly #headerLength: number;
  #srcBytes: Uint8Array | null = null;
  #dstBytes: Uint8Array | null = null;
  #options: Uint8Array | null = null;

  constructor(
    buf: Uint8Array, base: number, version: number, ihl: number, headerLength: number, tos: number,
    totalLength: number, identification: number, flagsFrag: number, checksum: number,
    checksumOk: boolean, end: number,
  ) {
    this.version = version;
    this.ihl = ihl;
    this.headerLength = headerLength;
    this.tos = tos;
    this.dscp = tos >> 2;
    this.ecn = tos & 3;
    this.totalLength = totalLength;
    this.identification = identification;
    this.reservedFlag = (flagsFrag & 0x8000) !== 0;
    this.df = (flagsFrag & 0x4000) !== 0;
    this.mf = (flagsFrag & 0x2000) !== 0;
    this.fragmentOffset = (flagsFrag & 0x1fff) * 8;
    this.ttl = buf[8]!;
    this.protocol = buf[9]!;
    this.checksum = checksum;
    this.checksumOk = checksumOk;
    this.src = ipv4ToString(buf, 12);
    this.dst = ipv4ToString(buf, 16);
    this.payload = buf.subarray(headerLength, end);
    this.payloadOffset = base + headerLength;
    this.#header = buf;
    this.#headerLength = headerLength;
  }

  /** 4-byte view into the packet (for pseudo-headers). */
  get srcBytes(): Uint8Array {
    return (this.#srcBytes ??= this.#header.subarray(12, 16));
  }
  set srcBytes(v: Uint8Array) {
    this.#srcBytes = v;
  }
  get dstBytes(): Uint8Array {
    return (this.#dstBytes ??= this.#header.subarray(16, 20));
  }
  set dstBytes(v: Uint8Array) {
    this.#dstBytes = v;
  }
  /** Raw option bytes (a view). */
  get options(): Uint8Array {
    return (this.#options ??= this.#header.subarray(IPV4_MIN_HEADER, this.#headerLength));
  }
  set options(v: Uint8Array) {
    this.#options = v;
  }
}

/** RFC 1071 check over the first `headerLength` (even, in range) bytes, without taking a view. */
function headerSumOk(buf: Uint8Array, headerLength: number): boolean {
  let sum = 0;
  for (let i = 0; i < headerLength; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

export function ipv4HeaderLength(repr: Ipv4Repr): number {
  const opt = repr.options?.length ?? 0;
  return IPV4_MIN_HEADER + ((opt + 3) & ~3);
}

/** Writes the header into `out` at `offset` (payload not touched); returns the header length. */
export function writeIpv4Header(
  repr: Ipv4Repr,
  payloadLength: number,
  out: Uint8Array,
  offset = 0,
  opts: Ipv4EmitOptions = {},
): number {
  const hl = ipv4HeaderLength(repr);
  const h = out.subarray(offset, offset + hl);
  h[0] = 0x40 | (hl >> 2);
  h[1] = ((repr.dscp & 0x3f) << 2) | (repr.ecn & 3);
  const total = opts.fixLength === false ? (repr.totalLength ?? hl + payloadLength) : hl + payloadLength;
  putU16(h, 2, total);
  putU16(h, 4, repr.identification);
  putU16(
    h,
    6,
    (repr.reservedFlag ? 0x8000 : 0) |
      (repr.df ? 0x4000 : 0) |
      (repr.mf ? 0x2000 : 0) |
      ((repr.fragmentOffset >>> 3) & 0x1fff),
  );
  h[8] = repr.ttl;
  h[9] = repr.protocol;
  putU16(h, 10, 0);
  h.set(ipv4FromString(repr.src), 12);
  h.set(ipv4FromString(repr.dst), 16);
  const opt = repr.options;
  if (opt) {
    h.set(opt, IPV4_MIN_HEADER);
    h.fill(0, IPV4_MIN_HEADER + opt.length, hl);
  }
  const sum = opts.computeChecksum === false ? (repr.checksum ?? 0) : finishChecksum(onesSum(h));
  putU16(h, 10, sum);
  return hl;
}

/** Sets the identification of the IPv4 header at `offset` in place, its checksum updated (a frame
 *  template's next datagram: no header rebuilt). */
export function setIpv4Identification(packet: Uint8Array, offset: number, id: number): void {
  const old = u16(packet, offset + 4);
  id &= 0xffff;
  putU16(packet, offset + 4, id);
  putU16(packet, offset + 10, updateChecksum(u16(packet, offset + 10), old, id));
}

/** A new buffer holding header + payload. */
export function emitIpv4(repr: Ipv4Repr, payload: Uint8Array, opts: Ipv4EmitOptions = {}): Uint8Array {
  const hl = ipv4HeaderLength(repr);
  const out = new Uint8Array(hl + payload.length);
  writeIpv4Header(repr, payload.length, out, 0, opts);
  out.set(payload, hl);
  return out;
}
