/**
 * The option table: code → codec. Each codec decodes a payload into a typed value (never throws)
 * and encodes a value back (`length` + `write`, so emit can fill a caller's buffer). The builder and
 * emit use the same encoders, so there is only one way a value becomes bytes.
 */
import {
  ipv6FromString, ipv6ToString, latin1String, putU16, putU32, u16, u32, utf8String,
} from '../bytes.js';
import { pushIssue } from '../issues.js';
import { decodeDuid, duidLength, writeDuid } from './duid.js';
import { messageSpecLength, parseMessageAt, writeMessageSpec } from './message.js';
import { optionListLength, parseOptionList, writeOptionList } from './options.js';
import {
  type DecodeContext, type DhcpV6Option, type DhcpV6OptionSpec, type KnownOptionCode, LAYER,
  MAX_RELAY_DEPTH, type NtpSubOption, type ParsedValueMap, type RawTlv, type SpecValueMap,
} from './types.js';

export interface Codec<P, S> {
  /** `d` is the whole payload; `at` its absolute offset (for issues). */
  decode(d: Uint8Array, at: number, cx: DecodeContext): P | undefined;
  length(v: S): number;
  /** Writes at `o`, returns the offset after the value. */
  write(v: S, out: Uint8Array, o: number): number;
}

type CodecTable = { [K in KnownOptionCode]: Codec<ParsedValueMap[K], SpecValueMap[K]> };

const utf8Encoder = new TextEncoder();

function badLength(cx: DecodeContext, at: number, what: string, got: number, want: string): undefined {
  // Fewer bytes than needed is truncation only when the buffer itself ran out.
  pushIssue(cx.issues, cx.shortKind, LAYER, at, `${what}: ${got} bytes, need ${want}`);
  return undefined;
}

function tooLong(cx: DecodeContext, at: number, what: string, got: number, want: number): undefined {
  pushIssue(cx.issues, 'malformed', LAYER, at, `${what}: ${got} bytes, need ${want}`);
  return undefined;
}

// ---- scalar and simple codecs ----

function uint(size: 1 | 2 | 4, what: string): Codec<number, number> {
  return {
    decode(d, at, cx) {
      if (d.length < size) return badLength(cx, at, what, d.length, String(size));
      if (d.length > size) return tooLong(cx, at, what, d.length, size);
      return size === 1 ? d[0]! : size === 2 ? u16(d, 0) : u32(d, 0);
    },
    length: () => size,
    write(v, out, o) {
      if (size === 1) out[o] = v & 0xff;
      else if (size === 2) putU16(out, o, v);
      else putU32(out, o, v);
      return o + size;
    },
  };
}

function empty(what: string): Codec<true, true> {
  return {
    decode(d, at, cx) {
      if (d.length !== 0) return tooLong(cx, at, what, d.length, 0);
      return true;
    },
    length: () => 0,
    write: (_v, _out, o) => o,
  };
}

const opaque: Codec<Uint8Array, Uint8Array> = {
  decode: (d) => d,
  length: (v) => v.length,
  write(v, out, o) { out.set(v, o); return o + v.length; },
};

const text: Codec<string, string> = {
  decode: (d) => utf8String(d),
  length: (v) => utf8Encoder.encode(v).length,
  write(v, out, o) { return o + utf8Encoder.encodeInto(v, out.subarray(o)).written; },
};

function address(what: string): Codec<string, string> {
  return {
    decode(d, at, cx) {
      if (d.length < 16) return badLength(cx, at, what, d.length, '16');
      if (d.length > 16) return tooLong(cx, at, what, d.length, 16);
      return ipv6ToString(d);
    },
    length: () => 16,
    write(v, out, o) { out.set(ipv6FromString(v), o); return o + 16; },
  };
}

function addressList(what: string): Codec<string[], string[]> {
  return {
    decode(d, at, cx) {
      if (d.length % 16 !== 0) {
        pushIssue(cx.issues, cx.shortKind, LAYER, at, `${what}: ${d.length} bytes, not a multiple of 16`);
        return undefined;
      }
      const out: string[] = [];
      for (let o = 0; o < d.length; o += 16) out.push(ipv6ToString(d, o));
      return out;
    },
    length: (v) => v.length * 16,
    write(v, out, o) {
      for (const a of v) { out.set(ipv6FromString(a), o); o += 16; }
      return o;
    },
  };
}

function u16List(what: string): Codec<number[], number[]> {
  return {
    decode(d, at, cx) {
      if (d.length % 2 !== 0) {
        pushIssue(cx.issues, cx.shortKind, LAYER, at, `${what}: odd length ${d.length}`);
        return undefined;
      }
      const out: number[] = [];
      for (let o = 0; o < d.length; o += 2) out.push(u16(d, o));
      return out;
    },
    length: (v) => v.length * 2,
    write(v, out, o) {
      for (const c of v) { putU16(out, o, c); o += 2; }
      return o;
    },
  };
}

// ---- length-prefixed lists (u16 length + bytes), as in options 15, 16, 60, 136 ----

function readPrefixedList(d: Uint8Array, start: number, at: number, cx: DecodeContext, what: string): Uint8Array[] | undefined {
  const items: Uint8Array[] = [];
  let o = start;
  while (o < d.length) {
    if (o + 2 > d.length) {
      pushIssue(cx.issues, cx.shortKind, LAYER, at + o, `${what}: item length cut short`);
      return undefined;
    }
    const n = u16(d, o);
    if (o + 2 + n > d.length) {
      pushIssue(cx.issues, cx.shortKind, LAYER, at + o, `${what}: item of ${n} bytes runs past the option end`);
      return undefined;
    }
    items.push(d.subarray(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return items;
}

function prefixedLength(v: Uint8Array[]): number {
  let n = 0;
  for (const b of v) n += 2 + b.length;
  return n;
}

function writePrefixed(v: Uint8Array[], out: Uint8Array, o: number): number {
  for (const b of v) {
    putU16(out, o, b.length);
    out.set(b, o + 2);
    o += 2 + b.length;
  }
  return o;
}

function opaqueList(what: string): Codec<Uint8Array[], Uint8Array[]> {
  return {
    decode: (d, at, cx) => readPrefixedList(d, 0, at, cx, what),
    length: prefixedLength,
    write: writePrefixed,
  };
}

function stringList(what: string): Codec<string[], string[]> {
  return {
    decode(d, at, cx) {
      const items = readPrefixedList(d, 0, at, cx, what);
      return items?.map(utf8String);
    },
    length: (v) => prefixedLength(v.map((s) => utf8Encoder.encode(s))),
    write: (v, out, o) => writePrefixed(v.map((s) => utf8Encoder.encode(s)), out, o),
  };
}

// ---- RFC 1035 names without compression (RFC 8415 §10) ----

interface NameRead { name: string; end: number; terminated: boolean }

/** Reads one name at `o`; a name running to the end of `d` without its root label is `terminated:
 *  false` (a partial name, legal only in option 39). Undefined after an issue. */
function readName(d: Uint8Array, o: number, at: number, cx: DecodeContext, what: string): NameRead | undefined {
  const labels: string[] = [];
  while (o < d.length) {
    const n = d[o]!;
    if (n === 0) return { name: labels.join('.'), end: o + 1, terminated: true };
    if (n > 63) {
      pushIssue(cx.issues, 'malformed', LAYER, at + o, `${what}: label length ${n} (compression is not allowed)`);
      return undefined;
    }
    if (o + 1 + n > d.length) {
      pushIssue(cx.issues, cx.shortKind, LAYER, at + o, `${what}: label of ${n} bytes runs past the option end`);
      return undefined;
    }
    labels.push(latin1String(d.subarray(o + 1, o + 1 + n)));
    o += 1 + n;
  }
  return { name: labels.join('.'), end: o, terminated: false };
}

function nameLabels(name: string): string[] {
  const labels = name.split('.').filter((l) => l.length > 0);
  for (const l of labels) if (l.length > 63) throw new RangeError(`DNS label over 63 bytes: ${l}`);
  return labels;
}

function nameLength(name: string, terminated: boolean): number {
  let n = terminated ? 1 : 0;
  for (const l of nameLabels(name)) n += 1 + l.length;
  return n;
}

function writeName(name: string, terminated: boolean, out: Uint8Array, o: number): number {
  for (const l of nameLabels(name)) {
    out[o++] = l.length;
    for (let i = 0; i < l.length; i++) out[o++] = l.charCodeAt(i) & 0xff;
  }
  if (terminated) out[o++] = 0;
  return o;
}

function nameList(what: string): Codec<string[], string[]> {
  return {
    decode(d, at, cx) {
      const names: string[] = [];
      let o = 0;
      while (o < d.length) {
        const r = readName(d, o, at, cx, what);
        if (!r) return undefined;
        if (!r.terminated) {
          pushIssue(cx.issues, cx.shortKind, LAYER, at + o, `${what}: name without its terminating zero`);
          return undefined;
        }
        names.push(r.name);
        o = r.end;
      }
      return names;
    },
    length(v) {
      let n = 0;
      for (const s of v) n += nameLength(s, true);
      return n;
    },
    write(v, out, o) {
      for (const s of v) o = writeName(s, true, out, o);
      return o;
    },
  };
}

// ---- containers with nested options ----

function nested(d: Uint8Array, start: number, at: number, cx: DecodeContext): DhcpV6Option[] {
  const opts: DhcpV6Option[] = [];
  const stop = parseOptionList(d, start, d.length, at, cx, opts);
  if (stop < d.length) {
    pushIssue(cx.issues, cx.shortKind, LAYER, at + stop, `${d.length - stop} stray bytes after the last nested option`);
  }
  return opts;
}

const iaNa: Codec<ParsedValueMap[3], SpecValueMap[3]> = {
  decode(d, at, cx) {
    if (d.length < 12) return badLength(cx, at, 'IA_NA/IA_PD', d.length, 'at least 12');
    return { iaid: u32(d, 0), t1: u32(d, 4), t2: u32(d, 8), options: nested(d, 12, at, cx) };
  },
  length: (v) => 12 + optionListLength(v.options),
  write(v, out, o) {
    putU32(out, o, v.iaid);
    putU32(out, o + 4, v.t1);
    putU32(out, o + 8, v.t2);
    return writeOptionList(v.options, out, o + 12);
  },
};

const iaTa: Codec<ParsedValueMap[4], SpecValueMap[4]> = {
  decode(d, at, cx) {
    if (d.length < 4) return badLength(cx, at, 'IA_TA', d.length, 'at least 4');
    return { iaid: u32(d, 0), options: nested(d, 4, at, cx) };
  },
  length: (v) => 4 + optionListLength(v.options),
  write(v, out, o) {
    putU32(out, o, v.iaid);
    return writeOptionList(v.options, out, o + 4);
  },
};

const iaAddress: Codec<ParsedValueMap[5], SpecValueMap[5]> = {
  decode(d, at, cx) {
    if (d.length < 24) return badLength(cx, at, 'IAADDR', d.length, 'at least 24');
    return { address: ipv6ToString(d), preferred: u32(d, 16), valid: u32(d, 20), options: nested(d, 24, at, cx) };
  },
  length: (v) => 24 + optionListLength(v.options),
  write(v, out, o) {
    out.set(ipv6FromString(v.address), o);
    putU32(out, o + 16, v.preferred);
    putU32(out, o + 20, v.valid);
    return writeOptionList(v.options, out, o + 24);
  },
};

const iaPrefix: Codec<ParsedValueMap[26], SpecValueMap[26]> = {
  decode(d, at, cx) {
    if (d.length < 25) return badLength(cx, at, 'IAPREFIX', d.length, 'at least 25');
    return {
      preferred: u32(d, 0),
      valid: u32(d, 4),
      prefixLength: d[8]!,
      prefix: ipv6ToString(d, 9),
      options: nested(d, 25, at, cx),
    };
  },
  length: (v) => 25 + optionListLength(v.options),
  write(v, out, o) {
    putU32(out, o, v.preferred);
    putU32(out, o + 4, v.valid);
    out[o + 8] = v.prefixLength;
    out.set(ipv6FromString(v.prefix), o + 9);
    return writeOptionList(v.options, out, o + 25);
  },
};

const relayMessage: Codec<ParsedValueMap[9], SpecValueMap[9]> = {
  decode(d, at, cx) {
    if (cx.depth >= MAX_RELAY_DEPTH) {
      pushIssue(cx.issues, 'unsupported', LAYER, at, `relay messages nested deeper than ${MAX_RELAY_DEPTH}; kept raw`);
      return undefined;
    }
    return parseMessageAt(d, cx.issues, at, cx.depth + 1, cx.shortKind);
  },
  length: (v) => messageSpecLength(v),
  write: (v, out, o) => writeMessageSpec(v, out, o),
};

// ---- other structured options ----

const duid: Codec<ParsedValueMap[1], SpecValueMap[1]> = {
  decode: decodeDuid,
  length: duidLength,
  write: writeDuid,
};

const auth: Codec<ParsedValueMap[11], SpecValueMap[11]> = {
  decode(d, at, cx) {
    if (d.length < 11) return badLength(cx, at, 'AUTH', d.length, 'at least 11');
    return { protocol: d[0]!, algorithm: d[1]!, rdm: d[2]!, replayDetection: d.subarray(3, 11), info: d.subarray(11) };
  },
  length: (v) => 11 + v.info.length,
  write(v, out, o) {
    out[o] = v.protocol;
    out[o + 1] = v.algorithm;
    out[o + 2] = v.rdm;
    out.set(v.replayDetection.subarray(0, 8), o + 3);
    out.set(v.info, o + 11);
    return o + 11 + v.info.length;
  },
};

const statusCode: Codec<ParsedValueMap[13], SpecValueMap[13]> = {
  decode(d, at, cx) {
    if (d.length < 2) return badLength(cx, at, 'STATUS_CODE', d.length, 'at least 2');
    return { status: u16(d, 0), message: utf8String(d.subarray(2)) };
  },
  length: (v) => 2 + text.length(v.message),
  write(v, out, o) {
    putU16(out, o, v.status);
    return text.write(v.message, out, o + 2);
  },
};

const vendorClass: Codec<ParsedValueMap[16], SpecValueMap[16]> = {
  decode(d, at, cx) {
    if (d.length < 4) return badLength(cx, at, 'VENDOR_CLASS', d.length, 'at least 4');
    const data = readPrefixedList(d, 4, at, cx, 'VENDOR_CLASS');
    return data ? { enterprise: u32(d, 0), data } : undefined;
  },
  length: (v) => 4 + prefixedLength(v.data),
  write(v, out, o) {
    putU32(out, o, v.enterprise);
    return writePrefixed(v.data, out, o + 4);
  },
};

/** Inner u16 code + u16 length TLVs (vendor sub-options, NTP sub-options). */
function readTlvs(d: Uint8Array, start: number, at: number, cx: DecodeContext, what: string): RawTlv[] | undefined {
  const out: RawTlv[] = [];
  let o = start;
  while (o < d.length) {
    if (o + 4 > d.length) {
      pushIssue(cx.issues, cx.shortKind, LAYER, at + o, `${what}: sub-option header cut short`);
      return undefined;
    }
    const n = u16(d, o + 2);
    if (o + 4 + n > d.length) {
      pushIssue(cx.issues, cx.shortKind, LAYER, at + o, `${what}: sub-option ${u16(d, o)} of ${n} bytes runs past the option end`);
      return undefined;
    }
    out.push({ code: u16(d, o), data: d.subarray(o + 4, o + 4 + n) });
    o += 4 + n;
  }
  return out;
}

const vendorOpts: Codec<ParsedValueMap[17], SpecValueMap[17]> = {
  decode(d, at, cx) {
    if (d.length < 4) return badLength(cx, at, 'VENDOR_OPTS', d.length, 'at least 4');
    const options = readTlvs(d, 4, at, cx, 'VENDOR_OPTS');
    return options ? { enterprise: u32(d, 0), options } : undefined;
  },
  length(v) {
    let n = 4;
    for (const t of v.options) n += 4 + t.data.length;
    return n;
  },
  write(v, out, o) {
    putU32(out, o, v.enterprise);
    o += 4;
    for (const t of v.options) {
      putU16(out, o, t.code);
      putU16(out, o + 2, t.data.length);
      out.set(t.data, o + 4);
      o += 4 + t.data.length;
    }
    return o;
  },
};

const remoteId: Codec<ParsedValueMap[37], SpecValueMap[37]> = {
  decode(d, at, cx) {
    if (d.length < 4) return badLength(cx, at, 'REMOTE_ID', d.length, 'at least 4');
    return { enterprise: u32(d, 0), remoteId: d.subarray(4) };
  },
  length: (v) => 4 + v.remoteId.length,
  write(v, out, o) {
    putU32(out, o, v.enterprise);
    out.set(v.remoteId, o + 4);
    return o + 4 + v.remoteId.length;
  },
};

const clientFqdn: Codec<ParsedValueMap[39], SpecValueMap[39]> = {
  decode(d, at, cx) {
    if (d.length < 1) return badLength(cx, at, 'CLIENT_FQDN', d.length, 'at least 1');
    if (d.length === 1) return { flags: d[0]!, name: '', partial: true };
    const r = readName(d, 1, at, cx, 'CLIENT_FQDN');
    if (!r) return undefined;
    if (r.end !== d.length) {
      pushIssue(cx.issues, 'malformed', LAYER, at + r.end, 'CLIENT_FQDN: bytes after the name');
      return undefined;
    }
    return { flags: d[0]!, name: r.name, partial: !r.terminated };
  },
  length: (v) => 1 + nameLength(v.name, !v.partial),
  write(v, out, o) {
    out[o] = v.flags;
    return writeName(v.name, !v.partial, out, o + 1);
  },
};

const NTP_ADDR = 1;
const NTP_MC_ADDR = 2;
const NTP_FQDN = 3;

function ntpSubLength(s: NtpSubOption): number {
  if (s.data) return s.data.length;
  if (s.code === NTP_FQDN) return nameLength(s.value ?? '', true);
  return 16;
}

const ntpServer: Codec<ParsedValueMap[56], SpecValueMap[56]> = {
  decode(d, at, cx) {
    const tlvs = readTlvs(d, 0, at, cx, 'NTP_SERVER');
    if (!tlvs) return undefined;
    const out: NtpSubOption[] = [];
    let o = 0;
    for (const t of tlvs) {
      const sub: NtpSubOption = { code: t.code, data: t.data };
      if ((t.code === NTP_ADDR || t.code === NTP_MC_ADDR) && t.data.length === 16) sub.value = ipv6ToString(t.data);
      else if (t.code === NTP_FQDN) {
        const r = readName(t.data, 0, at + o + 4, cx, 'NTP_SERVER FQDN');
        if (r?.terminated && r.end === t.data.length) sub.value = r.name;
      } else if (t.code === NTP_ADDR || t.code === NTP_MC_ADDR) {
        pushIssue(cx.issues, 'malformed', LAYER, at + o, `NTP_SERVER: address sub-option of ${t.data.length} bytes`);
      }
      out.push(sub);
      o += 4 + t.data.length;
    }
    return out;
  },
  length(v) {
    let n = 0;
    for (const s of v) n += 4 + ntpSubLength(s);
    return n;
  },
  write(v, out, o) {
    for (const s of v) {
      putU16(out, o, s.code);
      putU16(out, o + 2, ntpSubLength(s));
      o += 4;
      if (s.data) { out.set(s.data, o); o += s.data.length; }
      else if (s.code === NTP_FQDN) o = writeName(s.value ?? '', true, out, o);
      else { out.set(ipv6FromString(s.value ?? '::'), o); o += 16; }
    }
    return o;
  },
};

const nii: Codec<ParsedValueMap[62], SpecValueMap[62]> = {
  decode(d, at, cx) {
    if (d.length < 3) return badLength(cx, at, 'NII', d.length, '3');
    if (d.length > 3) return tooLong(cx, at, 'NII', d.length, 3);
    return { type: d[0]!, major: d[1]!, minor: d[2]! };
  },
  length: () => 3,
  write(v, out, o) {
    out[o] = v.type;
    out[o + 1] = v.major;
    out[o + 2] = v.minor;
    return o + 3;
  },
};

const linkLayerAddress: Codec<ParsedValueMap[79], SpecValueMap[79]> = {
  decode(d, at, cx) {
    if (d.length < 2) return badLength(cx, at, 'CLIENT_LINKLAYER_ADDR', d.length, 'at least 2');
    return { hwType: u16(d, 0), address: d.subarray(2) };
  },
  length: (v) => 2 + v.address.length,
  write(v, out, o) {
    putU16(out, o, v.hwType);
    out.set(v.address, o + 2);
    return o + 2 + v.address.length;
  },
};

export const CODECS: CodecTable = {
  1: duid,
  2: duid,
  3: iaNa,
  4: iaTa,
  5: iaAddress,
  6: u16List('ORO'),
  7: uint(1, 'PREFERENCE'),
  8: uint(2, 'ELAPSED_TIME'),
  9: relayMessage,
  11: auth,
  12: address('UNICAST'),
  13: statusCode,
  14: empty('RAPID_COMMIT'),
  15: opaqueList('USER_CLASS'),
  16: vendorClass,
  17: vendorOpts,
  18: opaque,
  19: uint(1, 'RECONF_MSG'),
  20: empty('RECONF_ACCEPT'),
  21: nameList('SIP_SERVER_D'),
  22: addressList('SIP_SERVER_A'),
  23: addressList('DNS_SERVERS'),
  24: nameList('DOMAIN_LIST'),
  25: iaNa,
  26: iaPrefix,
  31: addressList('SNTP_SERVERS'),
  32: uint(4, 'INFORMATION_REFRESH_TIME'),
  37: remoteId,
  38: opaque,
  39: clientFqdn,
  56: ntpServer,
  59: text,
  60: stringList('BOOTFILE_PARAM'),
  61: u16List('CLIENT_ARCH_TYPE'),
  62: nii,
  79: linkLayerAddress,
  82: uint(4, 'SOL_MAX_RT'),
  83: uint(4, 'INF_MAX_RT'),
  112: text,
  136: stringList('V6_SZTP_REDIRECT'),
  143: addressList('IPV6_ADDRESS_ANDSF'),
};

/** Loosely typed view for lookups by a runtime code. */
export type AnyCodec = Codec<unknown, unknown>;
const BY_CODE = CODECS as unknown as Record<number, AnyCodec | undefined>;

export function codecFor(code: number): AnyCodec | undefined {
  return BY_CODE[code];
}

/** Payload length of a spec option (its raw bytes, or its value through the codec). */
export function specPayloadLength(spec: DhcpV6OptionSpec): number {
  if (spec.data) return spec.data.length;
  const c = codecFor(spec.code);
  if (!c) throw new RangeError(`option ${spec.code} has no codec: give its data`);
  return c.length(spec.value);
}

export function writeSpecPayload(spec: DhcpV6OptionSpec, out: Uint8Array, o: number): number {
  if (spec.data) { out.set(spec.data, o); return o + spec.data.length; }
  const c = codecFor(spec.code)!;
  return c.write(spec.value, out, o);
}
