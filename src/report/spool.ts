/**
 * Report text put aside until the report's head can be written (a JSON document, a JUnit suite
 * and the text summary all begin with totals known only at the end). Small reports stay in
 * memory; past `memoryLimit` characters the text goes, UTF-8 encoded once, to an unlinked-on-drain
 * temporary file, so a report of a million devices costs disk, not memory. A byte sink gets the
 * file back as it is: no decoding to strings and encoding again on the way out.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** Characters kept before each write to the file once a spool spilled: small, so report text dies
 *  young (in V8's new space) instead of being promoted and piling up in the old generation until
 *  a full collection (a text report of 10,000 devices peaked 30-40 MB higher with 1M). */
const CHUNK = 1 << 16;
/** Room to encode a chunk of text: at most 3 bytes per UTF-16 unit. */
const ENCODE_ROOM = 3 * CHUNK;
/** One buffer for every spool (they spill and drain synchronously, one at a time): a text report
 *  has six spools, and a buffer each would be six held for the whole run. */
let shared: Buffer | null = null;
const encodeBuffer = (): Buffer => (shared ??= Buffer.allocUnsafe(ENCODE_ROOM));

/** Where drained text goes: strings, or bytes as they were written (UTF-8) when `bytes` is given. */
export interface SpoolSink {
  text(s: string): void;
  bytes?(b: Uint8Array): void;
}

export class Spool {
  private parts: string[] = [];
  private size = 0;
  private dir: string | null = null;
  private fd: number | null = null;
  private pos = 0;
  /** Characters written so far. */
  length = 0;

  /** `memoryLimit` characters in memory (per spool: a text report has six) before the file. */
  constructor(private readonly memoryLimit = 1 << 18) {}

  write(s: string): void {
    if (s.length === 0) return;
    this.parts.push(s);
    this.size += s.length;
    this.length += s.length;
    if (this.size >= (this.fd === null ? this.memoryLimit : CHUNK)) this.spill();
  }

  /** Each line with its `\n`: the newline written apart, as `join('\n') + '\n'` would be one
   *  more copy of the text (a concatenation is flattened when encoded). */
  writeLines(ls: readonly string[]): void {
    if (ls.length === 0) return;
    this.write(ls.length === 1 ? ls[0]! : ls.join('\n'));
    this.write('\n');
  }

  /** Hands the text over in order, in chunks, and empties the spool. */
  drain(sink: SpoolSink | ((chunk: string) => void)): void {
    const text = typeof sink === 'function' ? sink : (s: string): void => sink.text(s);
    const bytes = typeof sink === 'function' ? undefined : sink.bytes?.bind(sink);
    if (this.fd !== null) {
      this.spill();
      const buf = encodeBuffer();
      const dec = bytes ? null : new StringDecoder('utf8');
      let pos = 0;
      for (;;) {
        const n = readSync(this.fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        pos += n;
        if (bytes) bytes(buf.subarray(0, n));
        else text(dec!.write(buf.subarray(0, n)));
      }
      const rest = dec?.end();
      if (rest) text(rest);
    } else {
      for (const p of this.parts) text(p);
    }
    this.dispose();
  }

  /** Forgets the text (and removes the file). */
  dispose(): void {
    this.parts = [];
    this.size = 0;
    this.length = 0;
    this.pos = 0;
    if (this.fd !== null) closeSync(this.fd);
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.fd = null;
    this.dir = null;
  }

  /** Encodes the parts straight into one reused buffer (no joined copy) and appends it to the file. */
  private spill(): void {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'pxecheck-'));
      this.fd = openSync(join(this.dir, 'spool'), 'w+');
    }
    if (this.parts.length === 0) return;
    const buf = encodeBuffer();
    let off = 0;
    for (const p of this.parts) {
      if (off + 3 * p.length > buf.length) {
        this.append(buf, off);
        off = 0;
      }
      if (3 * p.length > buf.length) this.append(Buffer.from(p, 'utf8'), -1);
      else off += buf.write(p, off, 'utf8');
    }
    this.append(buf, off);
    this.parts = [];
    this.size = 0;
  }

  /** Writes `b` (its first `n` bytes; -1: all) at the end of the file. */
  private append(b: Buffer, n: number): void {
    const len = n < 0 ? b.length : n;
    let off = 0;
    while (off < len) off += writeSync(this.fd!, b, off, len - off, this.pos + off);
    this.pos += len;
  }
}
