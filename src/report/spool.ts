/**
 * Report text put aside until the report's head can be written (a JSON document, a JUnit suite
 * and the text summary all begin with totals known only at the end). Small reports stay in
 * memory; past `memoryLimit` characters the text goes to an unlinked-on-drain temporary file, so a
 * report of a million devices costs disk, not memory.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 1 << 20;

export class Spool {
  private parts: string[] = [];
  private size = 0;
  private dir: string | null = null;
  private fd: number | null = null;
  /** Characters written so far. */
  length = 0;

  constructor(private readonly memoryLimit = 4 << 20) {}

  write(s: string): void {
    if (s.length === 0) return;
    this.parts.push(s);
    this.size += s.length;
    this.length += s.length;
    if (this.size >= (this.fd === null ? this.memoryLimit : CHUNK)) this.spill();
  }

  /** Hands the text over in order, in chunks, and empties the spool. */
  drain(sink: (chunk: string) => void): void {
    if (this.fd !== null) {
      this.spill();
      const buf = Buffer.allocUnsafe(CHUNK);
      const dec = new StringDecoder('utf8');
      let pos = 0;
      for (;;) {
        const n = readSync(this.fd, buf, 0, CHUNK, pos);
        if (n === 0) break;
        pos += n;
        sink(dec.write(buf.subarray(0, n)));
      }
      const rest = dec.end();
      if (rest) sink(rest);
    } else {
      for (const p of this.parts) sink(p);
    }
    this.dispose();
  }

  /** Forgets the text (and removes the file). */
  dispose(): void {
    this.parts = [];
    this.size = 0;
    this.length = 0;
    if (this.fd !== null) closeSync(this.fd);
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.fd = null;
    this.dir = null;
  }

  private spill(): void {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'pxecheck-'));
      this.fd = openSync(join(this.dir, 'spool'), 'w+');
    }
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.parts = [];
    this.size = 0;
  }
}
