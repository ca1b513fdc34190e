/**
 * Value codecs shared by the DHCPv4 option tables: each turns an option's bytes into a
 * JSON-friendly value and back. One codec serves the decoder, the JSON view and the builder,
 * so a value printed by `decode` can be fed to `buildDhcpV4` unchanged.
 */
import {
  asciiBytes, fromHex, hex, ipv4FromString, ipv4ToString, latin1String, putU16, putU32, u16, u32,
} from '../bytes.js';
import { pushIssue, type WireIssue, type WireIssueKind } from '../issues.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface DecodeCtx {
  /** Where decoders report problems (null: decode quietly). */
  issues: WireIssue[] | null;
  /** Offset of the value's first byte, for issue offsets. */
  base: number;
  /** Option 60 as text, or null: option 43 is PXE only when it starts with "PXEClient". */
  vendorClass: string | null;
}

export interface Codec {
  /** Value, or undefined when the bytes do not fit (the caller falls back to raw hex). */
  decode(data: Uint8Array, ctx: DecodeCtx): JsonValue | undefined;
  /** Bytes of a value; throws TypeError on a value of the wrong shape (builder input error). */
  encode(value: JsonValue): Uint8Array;
  /** Any bytes decode without an issue (text, byte lists, raw hex): parsing need not validate it. */
  total?: true;
  /** A check without decoding: true only when `decode` takes these bytes as they are (no issue,
   *  no fallback). Parsing validates every option of every message; most pass this length test. */
  valid?(data: Uint8Array): boolean;
  /** What the decoded value is, for the option table's docs (`ipv4-list`, `text`…; see ValueKind). */
  kind?: ValueKind;
}

/**
 * The shape of a decoded value, one word per codec family. The TypeScript type of each option's
 * value is in values.ts (DhcpV4ValueMap); the docs' option table prints these words.
 */
export type ValueKind =
  | 'hex' | 'text' | 'u8' | 'i8' | 'u16' | 'u32' | 'i32' | 'boolean' | 'ipv4' | 'ipv4-list' | 'u8-list'
  | 'named-u8' | 'named-u16-list' | 'domain-list' | 'sub-options' | 'enterprise-records' | 'empty' | 'record' | 'record-list'
  | 'text-list';

export const LAYER = 'dhcp4';

export function report(ctx: DecodeCtx, kind: WireIssueKind, at: number, message: string): void {
  if (ctx.issues) pushIssue(ctx.issues, kind, LAYER, ctx.base + at, message);
}

function bad(what: string, value: JsonValue): never {
  throw new TypeError(`dhcp4: cannot encode ${JSON.stringify(value)} as ${what}`);
}

function num(v: JsonValue, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) bad(what, v);
  return v;
}

function str(v: JsonValue, what: string): string {
  if (typeof v !== 'string') bad(what, v);
  return v;
}

function arr(v: JsonValue, what: string): JsonValue[] {
  if (!Array.isArray(v)) bad(what, v);
  return v;
}

export function obj(v: JsonValue, what: string): { [key: string]: JsonValue } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(what, v);
  return v;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Raw bytes as a hex string (the fallback for every unknown or malformed value). */
export const rawHex: Codec = {
  total: true,
  kind: 'hex',
  decode: (d) => hex(d),
  encode: (v) => fromHex(str(v, 'hex')),
};

export const text: Codec = {
  total: true,
  kind: 'text',
  // Some servers (dnsmasq for option 67) NUL-terminate strings; RFC 2132 says they should not be,
  // and every client stops at the NUL, so the value is the text before trailing NULs. Exact
  // round trips are unaffected: emit writes the option's raw bytes.
  decode: (d) => {
    let end = d.length;
    while (end > 0 && d[end - 1] === 0) end--;
    return latin1String(d.subarray(0, end));
  },
  encode: (v) => asciiBytes(str(v, 'string')),
};

function fixedUint(size: 1 | 2 | 4, signed: boolean): Codec {
  const what = `${signed ? 'i' : 'u'}${size * 8}` as 'u8' | 'i8' | 'u16' | 'u32' | 'i32';
  return {
    kind: what,
    valid: (d) => d.length === size,
    decode(d) {
      if (d.length !== size) return undefined;
      let v = size === 1 ? d[0]! : size === 2 ? u16(d, 0) : u32(d, 0);
      if (signed) { const bits = size * 8; if (v >= 2 ** (bits - 1)) v -= 2 ** bits; }
      return v;
    },
    encode(v) {
      let n = num(v, what);
      if (n < 0) n += 2 ** (size * 8);
      const out = new Uint8Array(size);
      if (size === 1) out[0] = n & 0xff;
      else if (size === 2) putU16(out, 0, n);
      else putU32(out, 0, n);
      return out;
    },
  };
}

export const u8 = fixedUint(1, false);
export const i8 = fixedUint(1, true);
export const u16c = fixedUint(2, false);
export const u32c = fixedUint(4, false);
export const i32 = fixedUint(4, true);

export const flag: Codec = {
  kind: 'boolean',
  valid: (d) => d.length === 1 && d[0]! <= 1,
  decode: (d) => (d.length === 1 && d[0]! <= 1 ? d[0] === 1 : undefined),
  encode: (v) => Uint8Array.of(v === true || v === 1 ? 1 : 0),
};

export const ip: Codec = {
  kind: 'ipv4',
  valid: (d) => d.length === 4,
  decode: (d) => (d.length === 4 ? ipv4ToString(d, 0) : undefined),
  encode: (v) => ipv4Bytes(v),
};

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Bytes(v: JsonValue): Uint8Array {
  const m = DOTTED.exec(str(v, 'IPv4 address'));
  if (!m || m.slice(1).some((p) => Number(p) > 255)) bad('IPv4 address', v);
  return ipv4FromString(v as string);
}

/** One or more IPv4 addresses (routers, DNS, option 150...). */
export const ipList: Codec = {
  kind: 'ipv4-list',
  valid: (d) => d.length > 0 && d.length % 4 === 0,
  decode(d) {
    if (d.length === 0 || d.length % 4 !== 0) return undefined;
    const out: string[] = [];
    for (let i = 0; i < d.length; i += 4) out.push(ipv4ToString(d, i));
    return out;
  },
  encode: (v) => concatBytes(arr(v, 'address list').map(ipv4Bytes)),
};

export const u8List: Codec = {
  total: true,
  kind: 'u8-list',
  // A loop, not Array.from (the iterator protocol): every DHCP request carries a parameter list.
  decode: (d) => {
    const out = new Array<number>(d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i]!;
    return out;
  },
  encode: (v) => Uint8Array.from(arr(v, 'byte list').map((x) => num(x, 'u8'))),
};

/** A u16 enumeration list whose entries print as { code, name } (option 93). */
export function namedU16List(names: Record<number, string>): Codec {
  return {
    kind: 'named-u16-list',
    valid: (d) => d.length > 0 && d.length % 2 === 0,
    decode(d) {
      if (d.length === 0 || d.length % 2 !== 0) return undefined;
      const out: JsonValue[] = [];
      for (let i = 0; i < d.length; i += 2) {
        const code = u16(d, i);
        out.push({ code, name: names[code] ?? `unknown-${code}` });
      }
      return out;
    },
    encode(v) {
      const items = arr(v, 'u16 list');
      const out = new Uint8Array(items.length * 2);
      items.forEach((it, i) => putU16(out, i * 2, typeof it === 'number' ? it : num(obj(it, 'entry').code!, 'u16')));
      return out;
    },
  };
}

/** A one-byte enumeration printed as its name when known, as the number otherwise. */
export function namedU8(names: Record<number, string>): Codec {
  const byName = new Map<string, number>();
  for (const [k, n] of Object.entries(names)) byName.set(n, Number(k));
  return {
    kind: 'named-u8',
    valid: (d) => d.length === 1,
    decode: (d) => (d.length === 1 ? (names[d[0]!] ?? d[0]!) : undefined),
    encode(v) {
      if (typeof v === 'number') return Uint8Array.of(v);
      const code = byName.get(str(v, 'name'));
      return code === undefined ? bad('a known name', v) : Uint8Array.of(code);
    },
  };
}

/** RFC 1035 names, with compression pointers inside the value (RFC 3397, option 119). */
export const domainList: Codec = {
  kind: 'domain-list',
  decode(d, ctx) {
    const out: string[] = [];
    let i = 0;
    while (i < d.length) {
      const r = readName(d, i);
      if (!r) { report(ctx, 'malformed', i, 'bad domain name in search list'); return undefined; }
      out.push(r.name);
      i = r.next;
    }
    return out;
  },
  encode: (v) => concatBytes(arr(v, 'domain list').map((n) => encodeName(str(n, 'domain name')))),
};

function readName(d: Uint8Array, start: number): { name: string; next: number } | null {
  const labels: string[] = [];
  let i = start;
  let next = -1;
  for (let hops = 0; hops < 128; hops++) {
    if (i >= d.length) return null;
    const len = d[i]!;
    if (len === 0) { if (next < 0) next = i + 1; return { name: labels.join('.'), next }; }
    if ((len & 0xc0) === 0xc0) {
      if (i + 1 >= d.length) return null;
      if (next < 0) next = i + 2;
      i = ((len & 0x3f) << 8) | d[i + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0 || i + 1 + len > d.length) return null;
    labels.push(latin1String(d.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return null;
}

export function encodeName(name: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const label of name.split('.')) {
    if (!label) continue;
    parts.push(Uint8Array.of(label.length), asciiBytes(label));
  }
  parts.push(Uint8Array.of(0));
  return concatBytes(parts);
}

/** Decode a DNS-wire name without compression (option 81 with the E flag). */
export function decodeWireName(d: Uint8Array): string | null {
  const r = readName(d, 0);
  return r && r.next === d.length ? r.name : null;
}

// ---- Sub-option TLVs (options 43, 82, 175) ----

export interface SubOptionDef {
  name: string;
  codec: Codec;
}

export interface SubOptionTable {
  /** Names and codecs by sub-option code. */
  defs: Record<number, SubOptionDef>;
  /** Do 0 (PAD) and 255 (END) stand alone without a length byte, as in DHCP options? */
  padEnd: boolean;
  /** Label used in issue messages. */
  what: string;
}

/**
 * Sub-options as a list of { code, name, value } in wire order (PAD/END kept as entries, value null,
 * so the list re-encodes to the same bytes). Undefined when the TLVs overrun the value.
 */
export function subOptions(table: SubOptionTable): Codec {
  return {
    kind: 'sub-options',
    // The TLV walk of `decode` without building its list: every sub-option must fit and pass
    // its own codec's check (anything else is decoded, to report what is wrong).
    valid(d) {
      let i = 0;
      while (i < d.length) {
        const code = d[i]!;
        if (table.padEnd && (code === 0 || code === 255)) {
          if (code === 255) return true;
          i++;
          continue;
        }
        if (i + 1 >= d.length || i + 2 + d[i + 1]! > d.length) return false;
        const len = d[i + 1]!;
        const c = table.defs[code]?.codec;
        if (c && c.total !== true && !(c.valid !== undefined && c.valid(d.subarray(i + 2, i + 2 + len)))) return false;
        i += 2 + len;
      }
      return true;
    },
    decode(d, ctx) {
      const out: JsonValue[] = [];
      let i = 0;
      while (i < d.length) {
        const code = d[i]!;
        if (table.padEnd && (code === 0 || code === 255)) {
          out.push({ code, name: code === 0 ? 'PAD' : 'END', value: null });
          i++;
          if (code === 255) {
            if (i < d.length) out.push({ code: null, name: 'trailing', value: hex(d.subarray(i)) });
            break;
          }
          continue;
        }
        if (i + 1 >= d.length || i + 2 + d[i + 1]! > d.length) {
          report(ctx, 'malformed', i, `${table.what} sub-option ${code} runs past the end of its option`);
          return undefined;
        }
        const body = d.subarray(i + 2, i + 2 + d[i + 1]!);
        const def = table.defs[code];
        let value: JsonValue | undefined = def ? def.codec.decode(body, { ...ctx, base: ctx.base + i + 2 }) : undefined;
        if (value === undefined) {
          if (def) report(ctx, 'malformed', i, `${table.what} sub-option ${code} (${def.name}) does not fit its type`);
          value = hex(body);
        }
        out.push({ code, name: def?.name ?? `unknown-${code}`, value });
        i += 2 + body.length;
      }
      return out;
    },
    encode(v) {
      const parts: Uint8Array[] = [];
      for (const item of arr(v, `${table.what} sub-options`)) {
        const o = obj(item, 'sub-option');
        if (o.code === null && typeof o.value === 'string') { parts.push(fromHex(o.value)); continue; }
        const code = num(o.code ?? null, 'sub-option code');
        if (table.padEnd && (code === 0 || code === 255)) { parts.push(Uint8Array.of(code)); continue; }
        const value = o.value ?? null;
        const def = table.defs[code];
        const body = def ? encodeOrRaw(def.codec, value) : rawHex.encode(value);
        if (body.length > 255) bad(`${table.what} sub-option (too long)`, value);
        parts.push(Uint8Array.of(code, body.length), body);
      }
      return concatBytes(parts);
    },
  };
}

/** A typed value, or the raw-hex fallback that `decode` printed when the bytes did not fit. */
export function encodeOrRaw(codec: Codec, value: JsonValue): Uint8Array {
  try {
    return codec.encode(value);
  } catch (e) {
    if (typeof value === 'string' && /^[0-9a-fA-F]*$/.test(value) && value.length % 2 === 0) return rawHex.encode(value);
    throw e;
  }
}

/** Enterprise-number records: u32 enterprise + u8 length + data (options 124, 125, 82.9). */
export const enterpriseData: Codec = {
  kind: 'enterprise-records',
  decode(d) {
    const out: JsonValue[] = [];
    let i = 0;
    while (i < d.length) {
      if (i + 5 > d.length || i + 5 + d[i + 4]! > d.length) return undefined;
      const len = d[i + 4]!;
      out.push({ enterprise: u32(d, i), data: hex(d.subarray(i + 5, i + 5 + len)) });
      i += 5 + len;
    }
    return out;
  },
  encode(v) {
    const parts: Uint8Array[] = [];
    for (const item of arr(v, 'enterprise records')) {
      const o = obj(item, 'enterprise record');
      const head = new Uint8Array(5);
      const data = fromHex(str(o.data ?? null, 'hex data'));
      putU32(head, 0, num(o.enterprise ?? null, 'enterprise'));
      head[4] = data.length;
      parts.push(head, data);
    }
    return concatBytes(parts);
  },
};
