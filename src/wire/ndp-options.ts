import { ipv6FromString, ipv6ToString, latin1String, macFromString, macToString, putU32, u32 } from './bytes.js';
import { pushIssue, type WireIssue } from './issues.js';

/*
 * Neighbour Discovery options (RFC 4861 §4.6): type (1 byte), length in units of 8 bytes
 * including these 2 bytes (1 byte), body. Byte ranges of the bodies decoded here, from the
 * option's first byte:
 *  1/2 link-layer address  2.. address (Ethernet: 6 bytes), padded to 8
 *  3 prefix information    2 prefix length  3 flags L=0x80 A=0x40  4-7 valid  8-11 preferred
 *                          12-15 reserved  16-31 prefix                       (length 4)
 *  5 MTU                   2-3 reserved  4-7 MTU                                (length 1)
 *  24 route information    2 prefix length  3 flags Prf=0x18  4-7 route lifetime  8.. prefix,
 *    (RFC 4191 §2.3)       0, 8 or 16 bytes                                  (length 1..3)
 *  25 RDNSS (RFC 8106)     2-3 reserved  4-7 lifetime  8.. addresses       (length 3, 5, 7...)
 *  31 DNSSL (RFC 8106)     2-3 reserved  4-7 lifetime  8.. uncompressed DNS names, zero padded
 * Everything else (redirected header 4, nonce 14, ...) stays raw, as do structured options that
 * break their own rules and repeats of the single-valued ones.
 */

export const NdpOptionType = {
  SOURCE_LINK_ADDR: 1,
  TARGET_LINK_ADDR: 2,
  PREFIX_INFO: 3,
  REDIRECTED_HEADER: 4,
  MTU: 5,
  NONCE: 14,
  ROUTE_INFO: 24,
  RDNSS: 25,
  DNSSL: 31,
} as const;

const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'source link-layer address'], [2, 'target link-layer address'], [3, 'prefix information'],
  [4, 'redirected header'], [5, 'MTU'], [14, 'nonce'], [24, 'route information'], [25, 'RDNSS'], [31, 'DNSSL'],
]);

export function ndpOptionName(type: number): string | null {
  return OPTION_NAMES.get(type) ?? null;
}

/** Router preference (RFC 4191 §2.1): 2 bits, 01 high, 00 medium, 11 low, 10 reserved. */
export type RouterPreference = 'high' | 'medium' | 'low' | 'reserved';
const PREFERENCES: readonly RouterPreference[] = ['medium', 'high', 'reserved', 'low'];

export function preferenceFromBits(bits: number): RouterPreference {
  return PREFERENCES[bits & 3]!;
}

export function preferenceBits(p: RouterPreference): number {
  return PREFERENCES.indexOf(p) & 3;
}

export interface NdpPrefixInfo { prefix: string; length: number; onLink: boolean; autonomous: boolean; valid: number; preferred: number }
export interface NdpRouteInfo { prefix: string; length: number; preference: RouterPreference; lifetime: number }
export interface NdpOption {
  type: number;
  /** offset of the option within the ICMPv6 message */
  offset: number;
  /** The option body after its type and length bytes (padding included). */
  data: Uint8Array;
}
export interface NdpOptions {
  /** Link-layer addresses as colon hex of the whole option body (Ethernet: "52:54:00:00:0e:f6"). */
  sourceLinkAddr: string | null;
  targetLinkAddr: string | null;
  mtu: number | null;
  prefixes: NdpPrefixInfo[];
  routes: NdpRouteInfo[];
  /** Addresses of every RDNSS option, in order. */
  rdnss: string[];
  /** Domain names (no trailing dot) of every DNSSL option, in order. */
  dnssl: string[];
  /** Lifetime of the first RDNSS / DNSSL option (seconds); emit uses DEFAULT_DNS_LIFETIME when absent. */
  rdnssLifetime?: number;
  dnsslLifetime?: number;
  raw: NdpOption[];
}

/** RFC 8106 §5.1: at least 3 × MaxRtrAdvInterval (default 600 s). */
export const DEFAULT_DNS_LIFETIME = 1800;

export function emptyNdpOptions(): NdpOptions {
  return { sourceLinkAddr: null, targetLinkAddr: null, mtu: null, prefixes: [], routes: [], rdnss: [], dnssl: [], raw: [] };
}

const STRUCTURED: ReadonlySet<number> = new Set([1, 2, 3, 5, 24, 25, 31]);

/** Whether emit writes this option type from the structured fields (raw entries of it are skipped). */
export function isStructuredNdpOption(type: number): boolean {
  return STRUCTURED.has(type);
}

const LAYER = 'ndp';

/**
 * Options from `start` to the end of the ICMPv6 message `msg`. Offsets in `raw` are relative to
 * `msg`; issues get `base` added. A zero length stops the walk (RFC 4861 §6.1.2 says to drop such
 * a message; we keep what was read before it).
 */
export function parseNdpOptions(msg: Uint8Array, start: number, issues: WireIssue[], base: number): NdpOptions {
  const opts = emptyNdpOptions();
  let o = start;
  while (o < msg.length) {
    if (o + 2 > msg.length) {
      pushIssue(issues, 'truncated', LAYER, base + msg.length, `option header needs 2 bytes, have ${msg.length - o}`);
      break;
    }
    const type = msg[o]!;
    const units = msg[o + 1]!;
    if (units === 0) {
      pushIssue(issues, 'malformed', LAYER, base + o + 1, `option ${type} has length 0 (RFC 4861 §4.6); the options after it are not read`);
      break;
    }
    const end = o + units * 8;
    if (end > msg.length) {
      pushIssue(issues, 'truncated', LAYER, base + msg.length, `option ${type} needs ${units * 8} bytes, have ${msg.length - o}`);
      opts.raw.push({ type, offset: o, data: msg.subarray(o + 2) });
      break;
    }
    const body = msg.subarray(o + 2, end);
    if (!readStructured(opts, type, body, issues, base + o)) opts.raw.push({ type, offset: o, data: body });
    o = end;
  }
  return opts;
}

/** Fills the structured field of one option; false keeps it raw. `at` is the option's offset. */
function readStructured(opts: NdpOptions, type: number, b: Uint8Array, issues: WireIssue[], at: number): boolean {
  switch (type) {
    case 1:
      if (opts.sourceLinkAddr !== null) return false;
      opts.sourceLinkAddr = macToString(b, 0, b.length);
      return true;
    case 2:
      if (opts.targetLinkAddr !== null) return false;
      opts.targetLinkAddr = macToString(b, 0, b.length);
      return true;
    case 3: return readPrefixInfo(opts, b, issues, at);
    case 5:
      if (b.length !== 6) return badLength(issues, at, 'MTU', 1, b);
      if (opts.mtu !== null) return false;
      opts.mtu = u32(b, 2);
      return true;
    case 24: return readRouteInfo(opts, b, issues, at);
    case 25: {
      if (b.length < 22 || (b.length - 6) % 16 !== 0) {
        pushIssue(issues, 'malformed', LAYER, at + 1, `RDNSS option length ${(b.length + 2) / 8}: must be 3 + 2 per address (RFC 8106 §5.1)`);
        return false;
      }
      opts.rdnssLifetime ??= u32(b, 2);
      for (let i = 6; i < b.length; i += 16) opts.rdnss.push(ipv6ToString(b, i));
      return true;
    }
    case 31: {
      if (b.length < 14) {
        pushIssue(issues, 'malformed', LAYER, at + 1, `DNSSL option length ${(b.length + 2) / 8}: at least 2 (RFC 8106 §5.2)`);
        return false;
      }
      const names = readDomainNames(b, 6, issues, at + 2);
      if (!names) return false;
      opts.dnsslLifetime ??= u32(b, 2);
      for (const n of names) opts.dnssl.push(n);
      return true;
    }
    default:
      return false;
  }
}

function badLength(issues: WireIssue[], at: number, what: string, want: number, b: Uint8Array): false {
  pushIssue(issues, 'malformed', LAYER, at + 1, `${what} option length ${(b.length + 2) / 8}, must be ${want}`);
  return false;
}

function readPrefixInfo(opts: NdpOptions, b: Uint8Array, issues: WireIssue[], at: number): boolean {
  if (b.length !== 30) return badLength(issues, at, 'prefix information', 4, b);
  const length = b[0]!;
  if (length > 128) pushIssue(issues, 'malformed', LAYER, at + 2, `prefix length ${length} is over 128`);
  opts.prefixes.push({
    prefix: ipv6ToString(b, 14), length,
    onLink: (b[1]! & 0x80) !== 0, autonomous: (b[1]! & 0x40) !== 0,
    valid: u32(b, 2), preferred: u32(b, 6),
  });
  return true;
}

function readRouteInfo(opts: NdpOptions, b: Uint8Array, issues: WireIssue[], at: number): boolean {
  const units = (b.length + 2) / 8;
  const length = b[0]!;
  // RFC 4191 §2.3: the option must be long enough for the prefix length.
  if (units > 3 || length > 128 || (length > 64 && units < 3) || (length > 0 && units < 2)) {
    pushIssue(issues, 'malformed', LAYER, at + 1, `route information option length ${units} with prefix length ${length} (RFC 4191 §2.3)`);
    return false;
  }
  const prefix = new Uint8Array(16);
  prefix.set(b.subarray(6, 6 + 16));
  opts.routes.push({ prefix: ipv6ToString(prefix), length, preference: preferenceFromBits(b[1]! >> 3), lifetime: u32(b, 2) });
  return true;
}

/** Uncompressed DNS names from `o`, then zero padding. Null (with an issue) when a label runs over
 *  the end or the padding is not zero. */
function readDomainNames(b: Uint8Array, o: number, issues: WireIssue[], base: number): string[] | null {
  const names: string[] = [];
  let labels: string[] = [];
  while (o < b.length) {
    const n = b[o]!;
    if (n === 0) {
      if (labels.length === 0) break; // padding starts
      names.push(labels.join('.'));
      labels = [];
      o++;
      continue;
    }
    if (n > 63 || o + 1 + n > b.length) {
      pushIssue(issues, 'malformed', LAYER, base + o, `DNSSL label length ${n} at ${o - 6} of the names (compression is not allowed; labels end inside the option)`);
      return null;
    }
    labels.push(latin1String(b.subarray(o + 1, o + 1 + n)));
    o += 1 + n;
  }
  if (labels.length > 0) {
    pushIssue(issues, 'malformed', LAYER, base + b.length, 'DNSSL name runs to the option end without its root label');
    return null;
  }
  for (let i = o; i < b.length; i++) {
    if (b[i] !== 0) {
      pushIssue(issues, 'malformed', LAYER, base + i, 'DNSSL padding is not zero (RFC 8106 §5.2)');
      return null;
    }
  }
  return names;
}

// ---- emit ----

function pad8(n: number): number {
  return (n + 7) & ~7;
}

function labelsOf(name: string): string[] {
  const labels = name.split('.').filter((l) => l.length > 0);
  for (const l of labels) if (l.length > 63) throw new RangeError(`DNS label over 63 bytes: ${l}`);
  return labels;
}

function namesLength(names: readonly string[]): number {
  let n = 0;
  for (const name of names) for (const l of labelsOf(name)) n += 1 + l.length;
  return n + names.length;
}

export function ndpOptionsLength(o: NdpOptions): number {
  let n = 0;
  if (o.sourceLinkAddr !== null) n += pad8(2 + macFromString(o.sourceLinkAddr).length);
  if (o.targetLinkAddr !== null) n += pad8(2 + macFromString(o.targetLinkAddr).length);
  if (o.mtu !== null) n += 8;
  n += 32 * o.prefixes.length;
  for (const r of o.routes) n += 8 * routeUnits(r.length);
  if (o.rdnss.length > 0) n += 8 + 16 * o.rdnss.length;
  if (o.dnssl.length > 0) n += pad8(8 + namesLength(o.dnssl));
  for (const r of o.raw) if (!STRUCTURED.has(r.type)) n += pad8(2 + r.data.length);
  return n;
}

/** RFC 4191 §2.3: the shortest option that holds the prefix. */
function routeUnits(length: number): number {
  return length === 0 ? 1 : length <= 64 ? 2 : 3;
}

/** Writes header + zeroed body of one option; returns the body view. */
function startOption(out: Uint8Array, o: number, type: number, total: number): Uint8Array {
  out[o] = type;
  out[o + 1] = total / 8;
  const body = out.subarray(o + 2, o + total);
  body.fill(0);
  return body;
}

/** Writes the options at `o` (order: source/target LLA, MTU, prefixes, routes, RDNSS, DNSSL, then
 *  raw entries of other types); returns the offset after them. */
export function writeNdpOptions(opts: NdpOptions, out: Uint8Array, o: number): number {
  for (const [type, text] of [[1, opts.sourceLinkAddr], [2, opts.targetLinkAddr]] as const) {
    if (text === null) continue;
    const addr = macFromString(text);
    const total = pad8(2 + addr.length);
    startOption(out, o, type, total).set(addr);
    o += total;
  }
  if (opts.mtu !== null) {
    putU32(startOption(out, o, 5, 8), 2, opts.mtu >>> 0);
    o += 8;
  }
  for (const p of opts.prefixes) {
    const b = startOption(out, o, 3, 32);
    b[0] = p.length & 0xff;
    b[1] = (p.onLink ? 0x80 : 0) | (p.autonomous ? 0x40 : 0);
    putU32(b, 2, p.valid >>> 0);
    putU32(b, 6, p.preferred >>> 0);
    b.set(ipv6FromString(p.prefix), 14);
    o += 32;
  }
  for (const r of opts.routes) {
    const total = 8 * routeUnits(r.length);
    const b = startOption(out, o, 24, total);
    b[0] = r.length & 0xff;
    b[1] = preferenceBits(r.preference) << 3;
    putU32(b, 2, r.lifetime >>> 0);
    b.set(ipv6FromString(r.prefix).subarray(0, total - 8), 6);
    o += total;
  }
  if (opts.rdnss.length > 0) {
    const total = 8 + 16 * opts.rdnss.length;
    const b = startOption(out, o, 25, total);
    putU32(b, 2, (opts.rdnssLifetime ?? DEFAULT_DNS_LIFETIME) >>> 0);
    opts.rdnss.forEach((a, i) => b.set(ipv6FromString(a), 6 + 16 * i));
    o += total;
  }
  if (opts.dnssl.length > 0) {
    const total = pad8(8 + namesLength(opts.dnssl));
    const b = startOption(out, o, 31, total);
    putU32(b, 2, (opts.dnsslLifetime ?? DEFAULT_DNS_LIFETIME) >>> 0);
    let p = 6;
    for (const name of opts.dnssl) {
      for (const l of labelsOf(name)) {
        b[p++] = l.length;
        for (let i = 0; i < l.length; i++) b[p++] = l.charCodeAt(i) & 0xff;
      }
      b[p++] = 0;
    }
    o += total;
  }
  for (const r of opts.raw) {
    if (STRUCTURED.has(r.type)) continue;
    const total = pad8(2 + r.data.length);
    startOption(out, o, r.type, total).set(r.data);
    o += total;
  }
  return o;
}

