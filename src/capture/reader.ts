/**
 * Capture readers: pick the format from the magic (gzip, pcap, pcapng), then push bytes through an
 * incremental parser. The stream reader goes front to back (pipes, FIFOs, stdin) through one
 * reused buffer that grows only to the largest single record, so memory does not follow file size.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { CaptureFormatError, type CaptureSummary, type RecordSink } from './types.js';
import { gunzipSource, inputName, openInput, type ByteSource, type CaptureInput } from './source.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { BlockType, PcapngParser } from './pcapng.js';
import { u32 } from '../wire/bytes.js';
import type { WireIssue } from '../wire/issues.js';

/** What the drivers need from a format parser. */
export interface RecordParser {
  readonly summary: CaptureSummary;
  /** Consume whole records from buf[pos, end); returns the new position. */
  feed(buf: Uint8Array, pos: number, end: number): number;
  /** Bytes needed at the returned position before `feed` can progress. */
  readonly need: number;
  /** The parser gave up (absurd length): stop reading. */
  readonly stopped: boolean;
  /** End of input with `left` bytes unconsumed. */
  end(left: number): void;
}

export interface ReadCaptureOptions {
  signal?: AbortSignal;
  /** Initial read buffer size (tests use a small one to make records straddle reads). */
  chunkSize?: number;
  /** Called after each read with the bytes of the FILE consumed so far (compressed bytes for
   *  .gz), so a progress display can compare it with the file size. */
  onProgress?: (fileBytesRead: number) => void;
  /** Called once per reader warning as it happens (stderr lines); they are also in the summary. */
  onWarning?: (w: WireIssue, name: string) => void;
  /** Every record in one object, rewritten per record (no object per packet): only for a sink
   *  that keeps nothing of the record itself past its call, not even the object (analyze). */
  reuseRecord?: boolean;
}

const DEFAULT_CHUNK = 1 << 20;
const GZIP_0 = 0x1f;
const GZIP_1 = 0x8b;

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === GZIP_0 && b[1] === GZIP_1;
}

function startBytes(b: Uint8Array): string {
  const n = Math.min(4, b.length);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(b[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ');
}

/** The parser for these first bytes, or a CaptureFormatError. */
export function parserFor(head: Uint8Array, sink: RecordSink, name: string, gzip: boolean, reuseRecord = false): RecordParser {
  const what = gzip ? `${name} (gzip)` : name;
  if (head.length === 0) throw new CaptureFormatError(`${what} is empty (0 bytes${gzip ? ' after decompression' : ''}): not a pcap or pcapng file`);
  if (head.length >= 4) {
    const magic = u32(head, 0);
    const parser = magic === BlockType.SECTION_HEADER ? new PcapngParser(sink, reuseRecord) : isPcapMagic(magic) ? new PcapParser(sink, reuseRecord) : null;
    if (parser) {
      parser.summary.gzip = gzip;
      return parser;
    }
  }
  throw new CaptureFormatError(`${what} is not a pcap or pcapng file (starts with ${startBytes(head)})`);
}

/** Decode an in-memory capture (tests, small inputs). Throws only CaptureFormatError. */
export function readCaptureBuffer(buf: Uint8Array, sink: RecordSink, name = 'input'): CaptureSummary {
  let gzip = false;
  let gzipWarning: string | null = null;
  if (isGzip(buf)) {
    gzip = true;
    try {
      // SYNC_FLUSH at the end: a cut gzip stream yields what it has instead of throwing.
      buf = gunzipSync(buf, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e) {
      gzipWarning = (e as Error).message;
      buf = new Uint8Array(0);
    }
  }
  // A plain view, not a Buffer: records are subarrays and `rec.data.slice()` must copy (Buffer's does not).
  buf = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const parser = parserFor(buf, sink, name, gzip);
  const pos = parser.feed(buf, 0, buf.length);
  if (!parser.stopped) parser.end(buf.length - pos);
  if (gzipWarning) addGzipWarning(parser.summary, gzipWarning);
  return parser.summary;
}

function addReadWarning(summary: CaptureSummary, message: string, at: number): void {
  summary.truncated = true;
  summary.warnings.push({ kind: 'truncated', layer: 'file', offset: at, message: `read failed after ${at} bytes (${message}): the rest of the input is not analysed` });
}

function addGzipWarning(summary: CaptureSummary, message: string): void {
  summary.truncated = true;
  // A cut stream (a copy taken while tcpdump was writing) is truncated; anything else is corrupt.
  const cut = /unexpected end of file/i.test(message);
  summary.warnings.push({ kind: cut ? 'truncated' : 'malformed', layer: 'gzip', offset: 0, message: cut ? `gzip stream is cut short: ${message}` : `gzip stream is corrupt: ${message}` });
}

/**
 * One capture read front to back, one buffer refill per `pump`. Pull-based so that several can be
 * merged by time (merge.ts); `readCapture` just pumps one to the end.
 */
export class CaptureStream {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  private eof = false;
  private finished = false;
  private warned = 0;
  private gzipError: string | null = null;
  /** A read that failed after some bytes (the input ends there). */
  private readError: { message: string; at: number } | null = null;

  private constructor(
    readonly name: string,
    private source: ByteSource,
    private readonly opts: ReadCaptureOptions,
    chunk: number,
  ) {
    this.buf = new Uint8Array(chunk);
  }

  private parser!: RecordParser;

  /** Opens the input and reads enough to know its format; `choose` picks the parser (default:
   *  pcap or pcapng into `sink`). Throws CaptureFormatError. */
  static async open(input: CaptureInput, sink: RecordSink, opts: ReadCaptureOptions = {}, choose?: ParserChoice): Promise<CaptureStream> {
    const pick: ParserChoice = choose ?? ((head, name, gzip) => parserFor(head, sink, name, gzip, opts.reuseRecord === true));
    const name = inputName(input);
    const raw = await openInput(input);
    const s = new CaptureStream(name, raw, opts, Math.max(opts.chunkSize ?? DEFAULT_CHUNK, 64));
    try {
      await s.fill(4);
      const gzip = isGzip(s.buf.subarray(0, s.end));
      if (gzip) {
        // The compressed head goes to gunzip first; the buffer then holds decompressed bytes.
        s.source = gunzipSource(raw, s.buf.subarray(0, s.end), (m) => (s.gzipError = m));
        s.end = 0;
        s.eof = false;
        await s.fill(4);
        if (s.end === 0 && s.gzipError) {
          throw new CaptureFormatError(`${name}: corrupt gzip stream, nothing could be decompressed (${s.gzipError}; at byte 0)`);
        }
      }
      s.parser = pick(s.buf.subarray(0, s.end), name, gzip);
      return s;
    } catch (e) {
      await s.source.close();
      throw e;
    }
  }

  get summary(): CaptureSummary {
    return this.parser.summary;
  }

  /** Delivers the records of the bytes at hand and reads more; false once the input is done. */
  async pump(): Promise<boolean> {
    if (this.finished) return false;
    const p = this.parser;
    this.opts.signal?.throwIfAborted();
    this.start = p.feed(this.buf, this.start, this.end);
    if (p.stopped || this.eof) {
      if (!p.stopped) p.end(this.end - this.start);
      if (this.gzipError) addGzipWarning(p.summary, this.gzipError);
      if (this.readError) addReadWarning(p.summary, this.readError.message, this.readError.at);
      this.finished = true;
      // The last warnings wait for flushWarnings: when nothing was usable, the error says it once.
      return false;
    }
    const left = this.end - this.start;
    if (p.need > this.buf.length) {
      // One record larger than the buffer: grow once to fit it (bounded by the parser's limits).
      const bigger = new Uint8Array(Math.max(p.need, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.start, this.end));
      this.buf = bigger;
      this.start = 0;
      this.end = left;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = left;
    }
    await this.fill(this.end + 1);
    // Held back until something usable was read: a hopeless input gets one error line instead.
    if (p.summary.records > p.summary.unsupported) this.reportWarnings();
    return true;
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  /** Reads until `want` bytes are buffered, the buffer is full or the input ends. */
  private async fill(want: number): Promise<void> {
    while (this.end < want && this.end < this.buf.length && !this.eof) {
      let n: number;
      try {
        n = await this.source.read(this.buf, this.end, this.buf.length - this.end);
      } catch (e) {
        // A device or file system failing mid-file (EIO, ESTALE…) ends the input like a cut
        // capture: what was read is analysed, with a warning; before any byte, it is the error.
        const code = (e as NodeJS.ErrnoException).code;
        if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) throw e;
        const message = (e as Error).message.replace(/, read$/, '');
        const at = this.source.bytesRead();
        if (at === 0) throw new CaptureFormatError(`${this.name}: cannot read: ${message}`);
        this.readError = { message, at };
        this.eof = true;
        break;
      }
      this.opts.onProgress?.(this.source.bytesRead());
      if (n === 0) this.eof = true;
      else this.end += n;
    }
  }

  /** Reports the warnings not reported yet (the end of the input's ones). */
  flushWarnings(): void {
    this.reportWarnings();
  }

  private reportWarnings(): void {
    const ws = this.parser.summary.warnings;
    if (this.opts.onWarning) for (; this.warned < ws.length; this.warned++) this.opts.onWarning(ws[this.warned]!, this.name);
  }
}

/**
 * Throws CaptureFormatError when nothing usable was read although the reader complained (a cut
 * header, a corrupt first record, only unsupported link types): one line naming the input, the
 * problem and its byte offset. A clean capture with no packets is not an error.
 */
export function assertUsable(summary: CaptureSummary, name: string): void {
  if (summary.records - summary.unsupported > 0 || summary.warnings.length === 0) return;
  const w = summary.warnings.find((i) => i.kind !== 'unsupported' || i.layer === 'link') ?? summary.warnings[0]!;
  throw new CaptureFormatError(`${name}: nothing usable could be read: ${w.message} (at byte ${w.offset})`);
}

/** Stream a capture (path, `-`, or stream) to `sink`. Throws CaptureFormatError when it is not a
 *  capture or nothing usable could be read from it. */
export async function readCapture(input: CaptureInput, sink: RecordSink, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  const s = await CaptureStream.open(input, sink, opts);
  try {
    while (await s.pump());
  } finally {
    await s.close();
  }
  assertUsable(s.summary, s.name);
  s.flushWarnings();
  return s.summary;
}

/** Which parser reads an input whose first bytes (decompressed) are `head`. */
export type ParserChoice = (head: Uint8Array, name: string, gzip: boolean) => RecordParser;

/**
 * Stream an input (gzip or not) through the parser `choose` picks — the readers above, or a
 * block-level copier. No "nothing usable" check: the caller's parser decides what usable means.
 */
export async function readCaptureWith(input: CaptureInput, choose: ParserChoice, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  const s = await CaptureStream.open(input, () => {}, opts, choose);
  try {
    while (await s.pump());
  } finally {
    await s.close();
  }
  s.flushWarnings();
  return s.summary;
}

/** Kept for callers that name a path; same as readCapture. */
export const readCaptureFile: (path: string, sink: RecordSink, opts?: ReadCaptureOptions) => Promise<CaptureSummary> = readCapture;
