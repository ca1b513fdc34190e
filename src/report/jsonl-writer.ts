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
const NOTHING = new Uint8Array(0);
const TRUE = ascii('true');
const FALSE = ascii('false');
const NULL = ascii('null');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
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
  /** `{"capture":NAME` (before a record's members), else null. */
  private captureMember: Uint8Array | null = null;
  /** The key and the digits of the whole second of the last time written. */
  private lastSec = -1;
  private secBefore: Uint8Array = NOTHING;
  private secText: Uint8Array = NOTHING;
  /** `open` and the first key of the last line opened with `openWith`. */
  private openFirst: Uint8Array = NOTHING;
  private openText: Uint8Array = NOTHING;

  /** `capacity` (at least 1 KiB, more than any line written unchecked): the slab's size. */
  constructor(private readonly out: ByteOutput, capacity = CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 1024));
  }

  /** Every following line starts with a `capture` member (`capture`, not `file`: DHCPv4 has its own). */
  setCapture(name: string | null): void {
    this.captureMember = name === null ? null : new Uint8Array(Buffer.from(`{"capture":${JSON.stringify(name)}`, 'utf8'));
    this.open = name === null ? ascii('{') : new Uint8Array(Buffer.from(`{"capture":${JSON.stringify(name)},`, 'utf8'));
    this.openFirst = NOTHING;
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

  /** `openLine` then `first` (the first key), as one piece kept while they stay the same. */
  openWith(first: Uint8Array): void {
    if (first !== this.openFirst) {
      this.openFirst = first;
      this.openText = new Uint8Array(Buffer.concat([this.open, first]));
    }
    this.put(this.openText);
  }

  /** Ends a line. */
  newline(): void {
    this.byte(0x0a);
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.flush();
    this.buf[this.pos++] = c;
  }

  /** JSON.stringify(record) as one line, after the capture member when there is one. */
  recordLine(record: object): void {
    if (this.captureMember === null) this.value(record);
    else {
      this.put(this.captureMember);
      this.members(record, false);
    }
    this.newline();
  }

  /**
   * JSON.stringify(v) for the values records hold: plain objects, arrays, strings, numbers,
   * booleans, null (anything else, e.g. a class instance or an object with toJSON, is handed
   * to JSON.stringify itself). Faster than JSON.stringify and a string on Node 20, written in place.
   */
  value(v: unknown): void {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return;
      case 'number':
        this.room(24);
        this.number(v);
        return;
      case 'boolean':
        this.put(v ? TRUE : FALSE);
        return;
      case 'object':
        if (v === null) this.put(NULL);
        else if (Array.isArray(v)) this.array(v);
        else if (Object.getPrototypeOf(v) === Object.prototype && !('toJSON' in v)) {
          this.byte(OPEN_BRACE);
          this.members(v, true);
        } else this.text(JSON.stringify(v));
        return;
      default: // undefined, functions, symbols: JSON.stringify gives nothing or null
        this.text(JSON.stringify(v) ?? 'null');
    }
  }

  private array(a: readonly unknown[]): void {
    this.byte(OPEN_BRACKET);
    for (let i = 0; i < a.length; i++) {
      if (i > 0) this.byte(COMMA);
      const x = a[i];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') this.put(NULL);
      else this.value(x);
    }
    this.byte(CLOSE_BRACKET);
  }

  /** The members of a plain object and its closing brace (`first`: no member written before). */
  private members(o: object, first: boolean): void {
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const x = (o as Record<string, unknown>)[k];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      if (!first) this.byte(COMMA);
      first = false;
      this.string(k);
      this.byte(COLON);
      this.value(x);
    }
    this.byte(CLOSE_BRACE);
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

  /** Bytes `start` to `end` of `src` (a copy loop: no view object per call). */
  putRange(src: Uint8Array, start: number, end: number): void {
    if (!this.room(end - start)) {
      this.out.bytes(src.subarray(start, end));
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) buf[p++] = src[i]!;
    this.pos = p;
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
    this.timeAfter(NOTHING, t);
  }

  /** `before` (a member's key) then JSON.stringify(t) (at most 24 bytes more); see epoch-text.ts. */
  timeAfter(before: Uint8Array, t: number): void {
    const us = epochMicros(t);
    if (us < 0) {
      this.putBytes(before);
      this.asciiText(Number.isFinite(t) ? String(t) : 'null');
      return;
    }
    // The key and the whole second repeat line after line: written as one piece.
    const sec = Math.floor(t);
    if (sec !== this.lastSec || before !== this.secBefore) this.newSecond(before, sec);
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

  /** Out of line: keeps `timeAfter` small enough to be inlined (a double passed to a call is boxed). */
  private newSecond(before: Uint8Array, sec: number): void {
    this.lastSec = sec;
    this.secBefore = before;
    this.secText = new Uint8Array(Buffer.concat([before, ascii(String(sec))]));
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
