/**
 * Capture writers (pcap and pcapng) for test-capture generators, benchmarks and `--pcap` output.
 * They hand each encoded piece to `out`; `CaptureFileWriter` buffers those pieces into a file.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { asciiBytes } from '../wire/bytes.js';
import { BlockType, BYTE_ORDER_MAGIC } from './pcapng.js';
import { PcapMagic } from './pcap.js';

const TWO_32 = 4294967296;

/** Split `timeSeconds` into a 64-bit tick count (high, low) at `units` per second. */
function ticks(timeSeconds: number, units: number): [number, number] {
  let sec = Math.floor(timeSeconds);
  let frac = Math.round((timeSeconds - sec) * units);
  if (frac >= units) {
    sec++;
    frac -= units;
  }
  const total = sec * units + frac;
  if (total < Number.MAX_SAFE_INTEGER) {
    const high = Math.floor(total / TWO_32);
    return [high, total - high * TWO_32];
  }
  const big = BigInt(sec) * BigInt(units) + BigInt(frac);
  return [Number(big >> 32n), Number(big & 0xffffffffn)];
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export interface PcapngWriterOptions {
  application?: string;
  /** Section comment (opt_comment), e.g. a summary Wireshark shows in Capture File Properties. */
  comment?: string;
  /** Write the section big-endian (default little-endian). */
  bigEndian?: boolean;
}

export interface InterfaceOptions {
  name?: string;
  snaplen?: number;
  tsresol?: 6 | 9;
  /** Bytes of FCS at the end of each packet (if_fcslen), when known. */
  fcslen?: number;
}

export class PcapngWriter {
  private readonly le: boolean;
  private readonly units: number[] = [];

  constructor(private readonly out: (chunk: Uint8Array) => void, opts: PcapngWriterOptions = {}) {
    this.le = !opts.bigEndian;
    const options: Array<[number, Uint8Array]> = [];
    if (opts.comment) options.push([OPT_COMMENT, utf8(opts.comment)]);
    if (opts.application) options.push([4, asciiBytes(opts.application)]); // shb_userappl
    const body = 16; // byte-order magic, version, section length
    const [b, v] = this.block(BlockType.SECTION_HEADER, body + optionsLength(options));
    v.setUint32(8, BYTE_ORDER_MAGIC, this.le);
    v.setUint16(12, 1, this.le);
    v.setUint16(14, 0, this.le);
    v.setInt32(16, -1, this.le); // section length unknown (-1 as 64 bits)
    v.setInt32(20, -1, this.le);
    this.putOptions(v, b, 24, options);
    out(b);
  }

  /** Describe an interface; returns its id for `writePacket`. */
  addInterface(linkType: number, opts: InterfaceOptions = {}): number {
    const options: Array<[number, Uint8Array]> = [];
    if (opts.name) options.push([2, asciiBytes(opts.name)]); // if_name
    const tsresol = opts.tsresol ?? 6;
    if (tsresol !== 6) options.push([9, Uint8Array.of(tsresol)]); // if_tsresol
    if (opts.fcslen !== undefined && opts.fcslen >= 0) options.push([13, Uint8Array.of(opts.fcslen)]); // if_fcslen
    const [b, v] = this.block(BlockType.INTERFACE_DESCRIPTION, 8 + optionsLength(options));
    v.setUint16(8, linkType, this.le);
    v.setUint16(10, 0, this.le);
    v.setUint32(12, opts.snaplen ?? 262144, this.le);
    this.putOptions(v, b, 16, options);
    this.out(b);
    this.units.push(10 ** tsresol);
    return this.units.length - 1;
  }

  writePacket(ifId: number, timeSeconds: number, data: Uint8Array, origLen = data.length, comments: readonly string[] = []): void {
    const units = this.units[ifId];
    if (units === undefined) throw new RangeError(`interface ${ifId} was not added`);
    const [high, low] = ticks(timeSeconds, units);
    this.writePacketTicks(ifId, high, low, data, origLen, comments);
  }

  /** A packet whose timestamp is already a 64-bit tick count in the interface's units (exact
   *  copies of another capture), with packet comments (opt_comment) if any. */
  writePacketTicks(ifId: number, high: number, low: number, data: Uint8Array, origLen = data.length, comments: readonly string[] = []): void {
    if (this.units[ifId] === undefined) throw new RangeError(`interface ${ifId} was not added`);
    const options: Array<[number, Uint8Array]> = comments.map((c) => [OPT_COMMENT, utf8(c)]);
    const [b, v] = this.block(BlockType.ENHANCED_PACKET, 20 + pad4(data.length) + optionsLength(options));
    v.setUint32(8, ifId, this.le);
    v.setUint32(12, high, this.le);
    v.setUint32(16, low, this.le);
    v.setUint32(20, data.length, this.le);
    v.setUint32(24, origLen, this.le);
    b.set(data, 28);
    this.putOptions(v, b, 28 + pad4(data.length), options);
    this.out(b);
  }

  /** A zeroed block of `body` bytes with its type and both lengths filled in. */
  private block(type: number, body: number): [Uint8Array, DataView] {
    const len = 12 + body;
    const b = new Uint8Array(len);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    v.setUint32(0, type, this.le);
    v.setUint32(4, len, this.le);
    v.setUint32(len - 4, len, this.le);
    return [b, v];
  }

  private putOptions(v: DataView, b: Uint8Array, o: number, options: Array<[number, Uint8Array]>): void {
    if (options.length === 0) return;
    for (const [code, value] of options) {
      v.setUint16(o, code, this.le);
      v.setUint16(o + 2, value.length, this.le);
      b.set(value, o + 4);
      o += 4 + pad4(value.length);
    }
    // opt_endofopt: 4 zero bytes, already zero.
  }
}

const OPT_COMMENT = 1;
const MAX_OPTION = 65535;

/** UTF-8 bytes of an option value, cut to what an option can hold (at a character boundary). */
export function utf8(s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  if (b.length <= MAX_OPTION) return b;
  let end = MAX_OPTION;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

/** Seconds and fraction (of `units` per second, as a classic pcap record holds them) as the
 *  64-bit tick count pcapng stores, split in 32-bit halves; exact (no double rounding). */
export function pcapTicks(sec: number, frac: number, units: number): [number, number] {
  const a = Math.floor(sec / 65536) * units; // < 2^16 * 2^30
  const b = (sec % 65536) * units + frac; // < 2^47
  const aHigh = Math.floor(a / 65536);
  const lowPart = (a % 65536) * 65536 + b; // < 2^48
  const high = aHigh + Math.floor(lowPart / TWO_32);
  return [high, lowPart % TWO_32];
}

export function optionsLength(options: Array<[number, Uint8Array]>): number {
  if (options.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const [, value] of options) n += 4 + pad4(value.length);
  return n;
}

export interface PcapWriterOptions {
  nanosecond?: boolean;
  snaplen?: number;
  /** Write big-endian (default little-endian). */
  bigEndian?: boolean;
}

export class PcapWriter {
  private readonly le: boolean;
  private readonly units: number;

  constructor(private readonly out: (chunk: Uint8Array) => void, linkType: number, opts: PcapWriterOptions = {}) {
    this.le = !opts.bigEndian;
    this.units = opts.nanosecond ? 1e9 : 1e6;
    const b = new Uint8Array(24);
    const v = new DataView(b.buffer);
    v.setUint32(0, opts.nanosecond ? PcapMagic.NANO : PcapMagic.MICRO, this.le);
    v.setUint16(4, 2, this.le);
    v.setUint16(6, 4, this.le);
    v.setUint32(16, opts.snaplen ?? 262144, this.le);
    v.setUint32(20, linkType, this.le);
    out(b);
  }

  writePacket(timeSeconds: number, data: Uint8Array, origLen = data.length): void {
    let sec = Math.floor(timeSeconds);
    let frac = Math.round((timeSeconds - sec) * this.units);
    if (frac >= this.units) {
      sec++;
      frac -= this.units;
    }
    const b = new Uint8Array(16 + data.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, sec, this.le);
    v.setUint32(4, frac, this.le);
    v.setUint32(8, data.length, this.le);
    v.setUint32(12, origLen, this.le);
    b.set(data, 16);
    this.out(b);
  }
}

/** Buffered synchronous file output: pass `writer.write` as a writer's `out`, then `close()`. */
export class CaptureFileWriter {
  private readonly fd: number;
  private readonly buf: Uint8Array;
  private used = 0;

  constructor(path: string, bufferSize = 1 << 20) {
    this.fd = openSync(path, 'w');
    this.buf = new Uint8Array(bufferSize);
  }

  readonly write = (chunk: Uint8Array): void => {
    if (this.used + chunk.length > this.buf.length) this.flush();
    if (chunk.length > this.buf.length) {
      writeAll(this.fd, chunk);
      return;
    }
    this.buf.set(chunk, this.used);
    this.used += chunk.length;
  };

  flush(): void {
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}
