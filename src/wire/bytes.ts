/** Small helpers over byte views. Views are never copied here: use `subarray`, never `slice`. */

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

export function dataView(b: Uint8Array): DataView {
  // Pooled Buffers share memory: always pass byteOffset and byteLength.
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + ((b[o + 3]! << 24) >>> 0);
}

export function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function hex(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0 && sep) s += sep;
    s += HEX[b[i]!];
  }
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

// Every frame needs its addresses as text (flow keys, JSON). A capture holds few distinct
// addresses, so a direct-mapped cache keyed by the numeric value beats building strings per
// packet (and a Map lookup: this runs several times per frame). A slot collision only means the
// text is rebuilt.
const TEXT_CACHE_SLOTS = 1 << 12;
const macKeys = new Float64Array(TEXT_CACHE_SLOTS).fill(-1);
const macTexts: string[] = new Array<string>(TEXT_CACHE_SLOTS).fill('');
const ipv4Keys = new Float64Array(TEXT_CACHE_SLOTS).fill(-1);
const ipv4Texts: string[] = new Array<string>(TEXT_CACHE_SLOTS).fill('');

/** "aa:bb:cc:dd:ee:ff" from the first `len` bytes at `o`. */
export function macToString(b: Uint8Array, o = 0, len = 6): string {
  if (len === 6 && o + 6 <= b.length) {
    const hi = (b[o]! << 8) | b[o + 1]!;
    const lo = u32(b, o + 2);
    const slot = (lo ^ (lo >>> 12) ^ (hi << 4)) & (TEXT_CACHE_SLOTS - 1);
    const key = hi * 0x100000000 + lo;
    if (macKeys[slot] === key) return macTexts[slot]!;
    const text = macText(b, o, len);
    macKeys[slot] = key;
    macTexts[slot] = text;
    return text;
  }
  return macText(b, o, len);
}

function macText(b: Uint8Array, o: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    if (i) s += ':';
    s += HEX[b[o + i] ?? 0];
  }
  return s;
}

/** 0–15 for a hex digit's char code, -1 otherwise. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

export function macFromString(s: string): Uint8Array {
  // Fast path for "aa:bb:cc:dd:ee:ff" (every frame the raw transport builds): no split, no regex.
  if (s.length === 17) {
    const out = new Uint8Array(6);
    let ok = true;
    for (let i = 0; i < 6 && ok; i++) {
      const hi = hexDigit(s.charCodeAt(i * 3));
      const lo = hexDigit(s.charCodeAt(i * 3 + 1));
      const sep = i < 5 ? s.charCodeAt(i * 3 + 2) : 58;
      ok = hi >= 0 && lo >= 0 && (sep === 58 || sep === 45);
      out[i] = (hi << 4) | lo;
    }
    if (ok) return out;
  }
  const parts = s.split(/[:-]/);
  const out = new Uint8Array(parts.length);
  parts.forEach((p, i) => (out[i] = parseInt(p, 16)));
  return out;
}

export function ipv4ToString(b: Uint8Array, o = 0): string {
  if (o + 4 > b.length) return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  const key = u32(b, o);
  const slot = (key ^ (key >>> 12) ^ (key >>> 24)) & (TEXT_CACHE_SLOTS - 1);
  if (ipv4Keys[slot] === key) return ipv4Texts[slot]!;
  const text = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  ipv4Keys[slot] = key;
  ipv4Texts[slot] = text;
  return text;
}

export function ipv4FromString(s: string): Uint8Array {
  const out = new Uint8Array(4);
  // Fast path for dotted-quad text (several times per frame sent): digits and three dots only.
  let part = 0;
  let v = 0;
  let digits = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57 && digits < 3) { v = v * 10 + (c - 48); digits++; continue; }
    if (c !== 46 || digits === 0 || part === 3) break;
    out[part++] = v & 0xff;
    v = 0;
    digits = 0;
  }
  if (i === s.length && part === 3 && digits > 0) { out[3] = v & 0xff; return out; }
  const parts = s.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i] ?? 0) & 0xff;
  return out;
}

/** RFC 5952 text form (lower case, longest zero run compressed, first on tie). */
export function ipv6ToString(b: Uint8Array, o = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(u16(b, o + i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped ::ffff:a.b.c.d
  if (bestStart === 0 && bestLen === 5 && w[5] === 0xffff) {
    return `::ffff:${ipv4ToString(b, o + 12)}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { s += '::'; i += bestLen - 1; continue; }
    if (s && !s.endsWith(':')) s += ':';
    s += w[i]!.toString(16);
  }
  return s;
}

export function ipv6FromString(s: string): Uint8Array {
  const out = new Uint8Array(16);
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) { head = s.slice(0, dbl); tail = s.slice(dbl + 2); }
  const parse = (part: string): number[] => {
    if (!part) return [];
    const words: number[] = [];
    for (const p of part.split(':')) {
      if (p.includes('.')) {
        const v4 = ipv4FromString(p);
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else words.push(parseInt(p, 16));
    }
    return words;
  };
  const h = parse(head);
  const t = parse(tail);
  const words = dbl >= 0 ? [...h, ...new Array(8 - h.length - t.length).fill(0), ...t] : h;
  for (let i = 0; i < 8; i++) putU16(out, i * 2, words[i] ?? 0);
  return out;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Bytes as text up to the first NUL (for fixed fields like sname/file). */
export function cString(b: Uint8Array): string {
  const z = b.indexOf(0);
  return latin1.decode(z >= 0 ? b.subarray(0, z) : b);
}

export function latin1String(b: Uint8Array): string {
  return latin1.decode(b);
}

export function utf8String(b: Uint8Array): string {
  return utf8.decode(b);
}

export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** RFC 1071 one's-complement sum (not yet complemented), continuing from `sum`. */
export function onesSum(b: Uint8Array, sum = 0): number {
  const n = b.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
