/**
 * Where capture bytes come from: a path (regular file, FIFO, /dev/stdin, process substitution) or
 * a Readable (stdin as `-`). Everything is read front to back with no seeks, so pipes work; gzip
 * is recognised by its magic in the first bytes, never by the name.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { constants as zlibConstants, createGunzip } from 'node:zlib';
import { CaptureFormatError } from './types.js';

/** A capture to read: a path, `-` for standard input, or a named stream. */
export type CaptureInput = string | { name: string; stream: Readable };

/** The name `-` stands for standard input (tcpdump -w - | pxecheck analyze -). */
export const STDIN_NAME = '-';

/** How an input is named in messages and reports. */
export function inputName(input: CaptureInput): string {
  if (typeof input !== 'string') return input.name;
  return input === STDIN_NAME ? 'stdin' : input;
}

/** Something that fills a window of a buffer; 0 means end of input. */
export interface ByteSource {
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
  /** Bytes of the underlying input consumed so far (compressed bytes for gzip). */
  bytesRead(): number;
  /** Size in bytes when the input is a regular file (progress display), else null. */
  readonly size: number | null;
}

/** A regular file: read(2) in this thread at the current position (never pread). A read from the
 *  page cache costs less than the thread pool's round trip, which the parse waited for on every
 *  chunk (a fifth of the wall time idle on a 770 MB capture, read ahead or not). Each read first
 *  gives the event loop one turn that waits for nothing, so timers, signals and `--jobs` workers'
 *  replies still run during a long capture. */
function regularFileSource(fh: FileHandle, size: number): ByteSource {
  let total = 0;
  return {
    size,
    async read(buf, off, len) {
      await nextTurn();
      const n = readSync(fh.fd, buf, off, len, null);
      total += n;
      return n;
    },
    close: () => fh.close(),
    bytesRead: () => total,
  };
}

/** A FIFO or character device, whose read may block until a writer writes: read(2) at the current
 *  position on the thread pool, never pread. Reads ahead: while the caller parses one chunk, the
 *  thread pool reads the next one into a spare buffer (half the caller's first read), copied out
 *  on the next call. */
function pipeSource(fh: FileHandle): ByteSource {
  let total = 0;
  let spare: Uint8Array | null = null;
  /** The read in flight into `spare`, resolving to its byte count. */
  let ahead: Promise<number> | null = null;
  /** Bytes of `spare` read ahead and not handed out yet. */
  let held: Uint8Array | null = null;
  const readAhead = (): void => {
    const p = fh.read(spare!, 0, spare!.length, null).then((r) => r.bytesRead);
    p.catch(() => {}); // a failure is rethrown by the read that awaits it
    ahead = p;
  };
  return {
    size: null,
    async read(buf, off, len) {
      if ((held === null || held.length === 0) && ahead !== null) {
        const n = await ahead;
        ahead = null;
        total += n;
        held = spare!.subarray(0, n);
        if (n === 0) return 0;
      }
      if (held !== null && held.length > 0) {
        const n = Math.min(len, held.length);
        buf.set(held.subarray(0, n), off);
        held = held.subarray(n);
        if (held.length === 0) readAhead();
        return n;
      }
      const { bytesRead } = await fh.read(buf, off, len, null);
      total += bytesRead;
      if (bytesRead > 0) {
        spare ??= new Uint8Array(Math.max(1, len >> 1));
        readAhead();
      }
      return bytesRead;
    },
    async close() {
      if (ahead !== null) await ahead.catch(() => 0);
      await fh.close();
    },
    bytesRead: () => total,
  };
}

/** A stream's chunks copied into the caller's buffer. `onError` receives a stream failure (which
 *  ends the input) so the caller can report it instead of losing the records read so far. */
export function streamSource(stream: Readable, onError: ((message: string) => void) | null, counted: () => number): ByteSource {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let pending: Uint8Array | null = null;
  let done = false;
  return {
    size: null,
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
          if (!onError) throw e;
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
      stream.destroy();
    },
    bytesRead: counted,
  };
}

/** Opens a path or stream as raw bytes. Paths that are not regular files are read as streams of
 *  bytes too (FIFO, /dev/stdin), so nothing here may seek. */
export async function openInput(input: CaptureInput): Promise<ByteSource> {
  if (typeof input !== 'string') return countingStreamSource(input.stream);
  if (input === STDIN_NAME) {
    // Waiting for a capture typed on a terminal would look like a hang.
    if (process.stdin.isTTY) throw new CaptureFormatError('standard input (-) is a terminal: pipe a capture into it (tcpdump -U -w - | pxecheck analyze -)');
    return countingStreamSource(process.stdin);
  }
  let fh: FileHandle;
  try {
    fh = await open(input, 'r');
  } catch (e) {
    // /dev/stdin on a socket (not a pipe) cannot be opened: read the process's stdin instead.
    if ((e as NodeJS.ErrnoException).code === 'ENXIO' && /^\/(dev\/stdin|proc\/self\/fd\/0)$/.test(input)) return countingStreamSource(process.stdin);
    throw e;
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: ${input} is a directory`), { code: 'EISDIR', path: input });
    return st.isFile() ? regularFileSource(fh, st.size) : pipeSource(fh);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function countingStreamSource(stream: Readable): ByteSource {
  let total = 0;
  stream.on('data', (c: Uint8Array) => (total += c.length));
  return streamSource(stream, null, () => total);
}

/**
 * The decompressed bytes of a gzip input whose first `head` bytes were already read from `raw`.
 * A corrupt or cut stream ends the input and reports through `onError` (SYNC_FLUSH: a cut stream
 * yields what it holds instead of throwing).
 */
export function gunzipSource(raw: ByteSource, head: Uint8Array, onError: (message: string) => void): ByteSource {
  const first = head.slice(); // the caller's buffer is reused for the decompressed bytes
  const compressed = Readable.from((async function* () {
    yield first;
    for (;;) {
      const chunk = new Uint8Array(1 << 16);
      const n = await raw.read(chunk, 0, chunk.length);
      if (n === 0) return;
      yield chunk.subarray(0, n);
    }
  })(), { objectMode: false });
  const gunzip = createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH });
  compressed.on('error', (e) => gunzip.destroy(e));
  compressed.pipe(gunzip);
  const src = streamSource(gunzip, onError, () => raw.bytesRead());
  return {
    size: raw.size,
    read: (buf, off, len) => src.read(buf, off, len),
    async close() {
      compressed.destroy();
      await src.close();
      await raw.close();
    },
    bytesRead: () => raw.bytesRead(),
  };
}
