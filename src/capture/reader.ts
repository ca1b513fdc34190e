/**
 * Capture file readers: pick the format from the magic (gzip, pcap, pcapng), then push bytes
 * through an incremental parser. The file reader streams through one reused buffer that grows
 * only to the largest single record, so memory does not follow file size.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';
import { CaptureFormatError, type CaptureSummary, type RecordSink } from './types.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { BlockType, PcapngParser } from './pcapng.js';
import { u32 } from '../wire/bytes.js';

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
export function parserFor(head: Uint8Array, sink: RecordSink, name: string, gzip: boolean): RecordParser {
  const what = gzip ? `${name} (gzip)` : name;
  if (head.length === 0) throw new CaptureFormatError(`${what} is empty: not a pcap or pcapng file`);
  if (head.length >= 4) {
    const magic = u32(head, 0);
    const parser = magic === BlockType.SECTION_HEADER ? new PcapngParser(sink) : isPcapMagic(magic) ? new PcapParser(sink) : null;
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

function addGzipWarning(summary: CaptureSummary, message: string): void {
  summary.truncated = true;
  summary.warnings.push({ kind: 'malformed', layer: 'gzip', offset: 0, message: `gzip stream is corrupt: ${message}` });
}

/** Something that fills a window of our buffer; 0 means end of input. */
interface ByteSource {
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
  /** Bytes of the underlying file consumed so far. */
  fileBytesRead(): number;
}

function fileSource(fh: FileHandle): ByteSource {
  let total = 0;
  return {
    async read(buf, off, len) {
      const { bytesRead } = await fh.read(buf, off, len, null);
      total += bytesRead;
      return bytesRead;
    },
    async close() {},
    fileBytesRead: () => total,
  };
}

/** Decompressed bytes of a gzip file; zlib's chunks are copied into the caller's buffer. */
function gunzipSource(path: string, onError: (message: string) => void): ByteSource {
  const gunzip = createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const file = createReadStream(path);
  file.on('error', (e) => gunzip.destroy(e));
  file.pipe(gunzip);
  const chunks = gunzip[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let pending: Uint8Array | null = null;
  let done = false;
  return {
    async read(buf, off, len) {
      while (!pending || pending.length === 0) {
        if (done) return 0;
        try {
          const next = await chunks.next();
          if (next.done) {
            done = true;
            return 0;
          }
          pending = next.value;
        } catch (e) {
          onError((e as Error).message);
          done = true;
          return 0;
        }
      }
      const n = Math.min(len, pending.length);
      buf.set(pending.subarray(0, n), off);
      pending = pending.subarray(n);
      return n;
    },
    async close() {
      file.destroy();
      gunzip.destroy();
    },
    fileBytesRead: () => file.bytesRead,
  };
}

/** Stream a capture file to `sink`. Throws CaptureFormatError when it is not a capture. */
export function readCaptureFile(path: string, sink: RecordSink, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  return readCaptureWith(path, (head, name, gzip) => parserFor(head, sink, name, gzip), opts);
}

/** Which parser reads a file whose first bytes (decompressed) are `head`. */
export type ParserChoice = (head: Uint8Array, name: string, gzip: boolean) => RecordParser;

/** Stream a capture file (gzip or not) through the parser `choose` picks: the readers above, or
 *  a block-level copier (`comment-copy.ts`). */
export async function readCaptureWith(path: string, choose: ParserChoice, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  const name = basename(path);
  const fh = await open(path, 'r');
  let source: ByteSource | null = null;
  try {
    let buf = new Uint8Array(Math.max(opts.chunkSize ?? DEFAULT_CHUNK, 64));
    const head = buf.subarray(0, 2);
    const headRead = (await fh.read(head, 0, 2, 0)).bytesRead;
    const gzip = isGzip(head.subarray(0, headRead));
    let gzipError: string | null = null;
    source = gzip ? gunzipSource(path, (m) => (gzipError = m)) : fileSource(fh);

    let start = 0;
    let end = 0;
    let eof = false;
    // Enough bytes to know the format (and a little more).
    while (end < 4 && !eof) {
      const n = await source.read(buf, end, buf.length - end);
      opts.onProgress?.(source.fileBytesRead());
      if (n === 0) eof = true;
      else end += n;
    }
    const parser = choose(buf.subarray(0, end), name, gzip);
    for (;;) {
      opts.signal?.throwIfAborted();
      start = parser.feed(buf, start, end);
      if (parser.stopped) break;
      if (eof) {
        parser.end(end - start);
        break;
      }
      const left = end - start;
      if (parser.need > buf.length) {
        // One record larger than the buffer: grow once to fit it (bounded by the parser's limits).
        const bigger = new Uint8Array(Math.max(parser.need, buf.length * 2));
        bigger.set(buf.subarray(start, end));
        buf = bigger;
        start = 0;
        end = left;
      } else if (start > 0) {
        buf.copyWithin(0, start, end);
        start = 0;
        end = left;
      }
      const n = await source.read(buf, end, buf.length - end);
      opts.onProgress?.(source.fileBytesRead());
      if (n === 0) eof = true;
      else end += n;
    }
    if (gzipError) addGzipWarning(parser.summary, gzipError);
    return parser.summary;
  } finally {
    await source?.close();
    await fh.close();
  }
}
