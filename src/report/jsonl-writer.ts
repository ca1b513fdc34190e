/**
 * JSON text written byte by byte into one reused slab, handed to the output when full: for
 * `decode --format jsonl`, a million short lines without a string per line. Serialisers ask for
 * room once (`room`), then put ASCII pieces unchecked; anything else goes through `text`.
 */
import { epochMicros } from './epoch-text.js';

/** Where full slabs go (a `TextOutput`); it writes before returning, so the slab is free again. */
export interface ByteOutput {
  readonly broken: boolean;
  bytes(b: Uint8Array): void;
}

const CAPACITY = 1 << 18;
const QUOTE = 0x22;
const DOT = 0x2e;
const ZERO = 0x30;

/** The bytes of an ASCII constant. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export class JsonlWriter {
  readonly buf: Buffer;
  pos = 0;
  /** `{"capture":NAME,` when lines carry the capture they came from, else `{`. */
  private open: Uint8Array = ascii('{');
  /** The digits of the whole second of the last time written. */
  private lastSec = -1;
  private secText: Uint8Array = ascii('');

  /** `capacity` (at least 1 KiB, more than any line written unchecked): the slab's size. */
  constructor(private readonly out: ByteOutput, capacity = CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 1024));
  }

  /** Every following line starts with a `capture` member (`capture`, not `file`: DHCPv4 has its own). */
  setCapture(name: string | null): void {
    this.open = name === null ? ascii('{') : new Uint8Array(Buffer.from(`{"capture":${JSON.stringify(name)},`, 'utf8'));
  }

  /** Makes room for `n` more bytes; false when `n` exceeds the whole slab (write with `text`). */
  room(n: number): boolean {
    if (this.pos + n <= this.buf.length) return true;
    this.flush();
    return n <= this.buf.length;
  }

  /** Hands what is held to the output. */
  flush(): void {
    if (this.pos === 0) return;
    this.out.bytes(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  // ---- checked writes ----

  /** The opening of a line: `{`, or `{"capture":NAME,`. */
  openLine(): void {
    this.put(this.open);
  }

  /** Ends a line. */
  newline(): void {
    if (this.pos >= this.buf.length) this.flush();
    this.buf[this.pos++] = 0x0a;
  }

  /** A whole JSON object serialised elsewhere, as one line (its `{` replaced by `openLine`). */
  objectLine(json: string): void {
    this.openLine();
    this.text(json.length > 1 ? json.slice(1) : '');
    this.newline();
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8 (a surrogate pair 4 for 2 units).
    if (!this.room(s.length * 3)) {
      this.out.bytes(Buffer.from(s, 'utf8')); // longer than the whole slab
      return;
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Bytes as they are. */
  put(b: Uint8Array): void {
    if (!this.room(b.length)) {
      this.out.bytes(b);
      return;
    }
    this.putBytes(b);
  }

  /** JSON.stringify(s). */
  string(s: string): void {
    if (!this.room(s.length + 2) || !this.plainString(s)) this.text(JSON.stringify(s));
  }

  // ---- unchecked writes: the caller made room ----

  putBytes(b: Uint8Array): void {
    this.buf.set(b, this.pos); // a copy in native code: faster than a loop from ~8 bytes on
    this.pos += b.length;
  }

  /** `"s"` when s is ASCII and needs no escape (true), else nothing (false). */
  plainString(s: string): boolean {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    buf[p++] = QUOTE;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x80 || c === QUOTE || c === 0x5c) return false;
      buf[p++] = c;
    }
    buf[p++] = QUOTE;
    this.pos = p;
    return true;
  }

  /** JSON.stringify(n) for a number (at most 24 bytes). */
  number(n: number): void {
    if (n >= 0 && n <= 0xffffffff && n === Math.floor(n)) this.uint32(n);
    else this.asciiText(Number.isFinite(n) ? String(n) : 'null');
  }

  /** JSON.stringify(t) for a capture time (at most 24 bytes); see epoch-text.ts. */
  time(t: number): void {
    const us = epochMicros(t);
    if (us < 0) {
      this.asciiText(Number.isFinite(t) ? String(t) : 'null');
      return;
    }
    const sec = Math.floor(t);
    if (sec !== this.lastSec) {
      this.lastSec = sec;
      this.secText = ascii(String(sec));
    }
    this.putBytes(this.secText);
    if (us !== 0) {
      const buf = this.buf;
      let p = this.pos;
      buf[p++] = DOT;
      let v = us; // < 1e6: integer division by `>>> 0`
      for (let i = 5; i >= 0; i--) {
        const q = (v / 10) >>> 0;
        buf[p + i] = ZERO + v - q * 10;
        v = q;
      }
      p += 6;
      while (buf[p - 1] === ZERO) p--; // at least one digit is not 0
      this.pos = p;
    }
  }

  /** n's digits, 0 <= n < 2^32. */
  private uint32(n: number): void {
    const buf = this.buf;
    let digits = 1;
    for (let v = n; v >= 10; v = (v / 10) >>> 0) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let v = n;
    do {
      const q = (v / 10) >>> 0;
      buf[--p] = ZERO + v - q * 10;
      v = q;
    } while (v > 0);
  }

  /** An ASCII string (numbers' text). */
  private asciiText(s: string): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }
}
