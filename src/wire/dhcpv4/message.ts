/**
 * DHCPv4 / BOOTP message (RFC 2131 §2, RFC 951): checked parse, exact emit, builder, accessors.
 *
 * Fixed header, byte ranges as in RFC 2131 figure 1:
 *   0 op | 1 htype | 2 hlen | 3 hops | 4..8 xid | 8..10 secs | 10..12 flags | 12..16 ciaddr
 *   16..20 yiaddr | 20..24 siaddr | 24..28 giaddr | 28..44 chaddr (16) | 44..108 sname (64)
 *   108..236 file (128) | 236..240 magic cookie 63 82 53 63 | 240.. options
 *
 * The repr is lossless: every option instance (PAD and END included) is kept raw with the area it
 * came from, bytes after END are the `trailer`, so emit(parse(bytes)) === bytes.
 */
import { latin1String, putU16, putU32, u16, u32 } from '../bytes.js';
import { pushIssue, type WireIssue } from '../issues.js';
import { concatBytes, LAYER } from './codec.js';
import { decodeOptionValue, optionName, optionValueCheckable, optionValueValid } from './options.js';

export const F = {
  OP: 0, HTYPE: 1, HLEN: 2, HOPS: 3, XID: 4, SECS: 8, FLAGS: 10, CIADDR: 12, YIADDR: 16, SIADDR: 20,
  GIADDR: 24, CHADDR: 28, SNAME: 44, FILE: 108, COOKIE: 236, OPTIONS: 240,
} as const;
/** BOOTP op codes (RFC 951). */
export const BootOp = { REQUEST: 1, REPLY: 2 } as const;

export const CHADDR_LEN = 16;
export const SNAME_LEN = 64;
export const FILE_LEN = 128;
export const FIXED_LEN = 236;
export const MAGIC_COOKIE = Uint8Array.of(0x63, 0x82, 0x53, 0x63);
export const BROADCAST_FLAG = 0x8000;

export type DhcpV4Area = 'options' | 'file' | 'sname';

/** One option instance as on the wire. PAD (0) and END (255) are instances with empty data. */
export interface DhcpV4Option {
  code: number;
  data: Uint8Array;
  area: DhcpV4Area;
  /** Offset of the code byte (base-relative as passed to parse); -1 when built. */
  offset: number;
  /** Length byte as on the wire when the option ran past its area (data then holds what was
   *  there); -1 when even the length byte is missing. Absent for well-formed options. */
  declaredLength?: number;
}

export interface DhcpV4Message {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: Uint8Array;
  yiaddr: Uint8Array;
  siaddr: Uint8Array;
  giaddr: Uint8Array;
  /** All 16 bytes; the address is the first `hlen`. */
  chaddr: Uint8Array;
  /** Raw 64 bytes (options when overloaded). */
  sname: Uint8Array;
  /** Raw 128 bytes (options when overloaded). */
  file: Uint8Array;
  /** Bytes 236..240 as seen: the DHCP magic, something else (BOOTP vendor area), or fewer/none. */
  cookie: Uint8Array;
  /** Instances in RFC 3396 order: options area, then file, then sname. */
  options: DhcpV4Option[];
  /** Bytes after END (padding), or the whole vendor area after a non-DHCP cookie. */
  trailer: Uint8Array;
  /** Fixed-header bytes present: 236, fewer only for a truncated message. */
  headerLength: number;
}

export const EMPTY = new Uint8Array(0);

function isMagic(c: Uint8Array): boolean {
  return c.length === 4 && c[0] === 0x63 && c[1] === 0x82 && c[2] === 0x53 && c[3] === 0x63;
}

/** True when the message carries the DHCP magic cookie (otherwise plain BOOTP). */
export function hasDhcpCookie(msg: DhcpV4Message): boolean {
  return isMagic(msg.cookie);
}

/** Where `parseArea` takes a well-formed option's data view and object: a reused scratch
 *  (`DhcpV4Scratch`) instead of new ones per option. */
export interface OptionSlots {
  view(start: number, end: number): Uint8Array;
  option(code: number, data: Uint8Array, area: DhcpV4Area, offset: number): DhcpV4Option;
}

/** Parse one area's options (buf[start, end)) into `out`; returns the offset after END, or -1
 *  when there is none. Offsets reported: `base + index in buf`. */
function parseArea(
  buf: Uint8Array, start: number, end: number, area: DhcpV4Area, base: number, issues: WireIssue[], out: DhcpV4Option[],
  slots: OptionSlots | null,
): number {
  const kind = area === 'options' ? 'truncated' : 'malformed';
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === 0 || code === 255) {
      // PAD and END carry no data: one shared empty view (servers pad with hundreds of PADs).
      out.push(slots === null ? { code, data: EMPTY, area, offset: base + i } : slots.option(code, EMPTY, area, base + i));
      i++;
      if (code === 255) return i;
      continue;
    }
    if (i + 1 >= end) {
      pushIssue(issues, kind, LAYER, base + i, `option ${code} in ${area} has no length byte`);
      out.push({ code, data: EMPTY, area, offset: base + i, declaredLength: -1 });
      return -1;
    }
    const len = buf[i + 1]!;
    if (i + 2 + len > end) {
      pushIssue(issues, kind, LAYER, base + i,
        `option ${code} in ${area} declares ${len} byte(s), only ${end - i - 2} left`);
      out.push({ code, data: buf.subarray(i + 2, end), area, offset: base + i, declaredLength: len });
      return -1;
    }
    out.push(slots === null
      ? { code, data: buf.subarray(i + 2, i + 2 + len), area, offset: base + i }
      : slots.option(code, slots.view(i + 2, i + 2 + len), area, base + i));
    i += 2 + len;
  }
  return -1;
}

/**
 * Parse a BOOTP/DHCP message. Never throws; problems go to `issues` with base-relative offsets.
 * `checkValues: false` skips decoding every option's value for issues (a client reading its own
 * reply discards them).
 */
export function parseDhcpV4(buf: Uint8Array, issues: WireIssue[], base = 0, checkValues = true): DhcpV4Message {
  let hdr = buf;
  const headerLength = Math.min(buf.length, FIXED_LEN);
  if (buf.length < FIXED_LEN) {
    pushIssue(issues, 'truncated', LAYER, base + buf.length,
      `BOOTP fixed header needs ${FIXED_LEN} bytes, only ${buf.length}`);
    hdr = new Uint8Array(FIXED_LEN); // rare path: zero-fill what is missing
    hdr.set(buf);
  }
  const msg: DhcpV4Message = {
    op: hdr[F.OP]!, htype: hdr[F.HTYPE]!, hlen: hdr[F.HLEN]!, hops: hdr[F.HOPS]!,
    xid: u32(hdr, F.XID), secs: u16(hdr, F.SECS), flags: u16(hdr, F.FLAGS),
    ciaddr: hdr.subarray(F.CIADDR, F.CIADDR + 4), yiaddr: hdr.subarray(F.YIADDR, F.YIADDR + 4),
    siaddr: hdr.subarray(F.SIADDR, F.SIADDR + 4), giaddr: hdr.subarray(F.GIADDR, F.GIADDR + 4),
    chaddr: hdr.subarray(F.CHADDR, F.CHADDR + CHADDR_LEN), sname: hdr.subarray(F.SNAME, F.SNAME + SNAME_LEN),
    file: hdr.subarray(F.FILE, F.FILE + FILE_LEN),
    cookie: buf.subarray(Math.min(buf.length, F.COOKIE), Math.min(buf.length, F.OPTIONS)),
    options: [], trailer: EMPTY, headerLength,
  };
  if (buf.length <= F.COOKIE) return msg;
  if (buf.length < F.OPTIONS) {
    pushIssue(issues, 'truncated', LAYER, base + F.COOKIE, 'magic cookie cut short');
    return msg;
  }
  if (!isMagic(msg.cookie)) {
    msg.trailer = buf.subarray(F.OPTIONS);
    // A vendor area of zeros is plain RFC 951 BOOTP; anything else is a broken DHCP message.
    if (buf.subarray(F.COOKIE).some((b) => b !== 0)) {
      pushIssue(issues, 'malformed', LAYER, base + F.COOKIE, 'bad magic cookie: vendor area not decoded');
    }
    return msg;
  }
  readOptions(msg, buf, buf.length, base, issues, checkValues, null);
  return msg;
}

/**
 * The options of a message with the DHCP magic cookie (buf[240, end)), the file and sname areas
 * when option 52 says so, the trailer after END, then the value checks. `buf` holds the message
 * from index 0 (the caller's bytes, or a scratch copy of them with `slots`).
 */
export function readOptions(
  msg: DhcpV4Message, buf: Uint8Array, end: number, base: number, issues: WireIssue[], checkValues: boolean, slots: OptionSlots | null,
): void {
  const after = parseArea(buf, F.OPTIONS, end, 'options', base, issues, msg.options, slots);
  if (after >= 0) msg.trailer = slots === null ? buf.subarray(after, end) : slots.view(after, end);
  else if (msg.options.every((o) => o.declaredLength === undefined)) {
    pushIssue(issues, 'malformed', LAYER, base + end, 'options area ends without END (255)');
  }
  const ov = overloadValue(msg);
  if (ov !== 0) {
    if (ov < 1 || ov > 3) {
      pushIssue(issues, 'malformed', LAYER, optionOffset(msg, 52), `option 52 overload value ${ov} not 1, 2 or 3`);
    } else {
      // RFC 2131 §4.1: file first, then sname.
      if (ov & 1) parseArea(buf, F.FILE, F.FILE + FILE_LEN, 'file', base, issues, msg.options, slots);
      if (ov & 2) parseArea(buf, F.SNAME, F.SNAME + SNAME_LEN, 'sname', base, issues, msg.options, slots);
    }
  }
  if (checkValues) validateValues(msg, issues);
}

function optionOffset(msg: DhcpV4Message, code: number): number {
  return msg.options.find((o) => o.code === code)?.offset ?? 0;
}

/** validateValues' "code already checked" marks: a stamp per code, no Set per message. */
const checkedAt = new Uint32Array(256);
let checkStamp = 0;

/** Push value-level issues (a value that does not fit its type) at the option's data offset.
 *  Values that pass their codec's length check are not decoded; only the rest are, to find out. */
function validateValues(msg: DhcpV4Message, issues: WireIssue[]): void {
  checkStamp = (checkStamp + 1) >>> 0;
  if (checkStamp === 0) {
    checkedAt.fill(0);
    checkStamp = 1;
  }
  const stamp = checkStamp;
  let vc: string | null | undefined;
  for (const o of msg.options) {
    const code = o.code;
    if (code === 0 || code === 255 || o.declaredLength !== undefined || checkedAt[code] === stamp || !optionValueCheckable(code)) continue;
    checkedAt[code] = stamp;
    const data = getOption(msg, code)!;
    if (optionValueValid(code, data)) continue;
    if (vc === undefined) vc = vendorClass(msg);
    decodeOptionValue(code, data, { issues, base: o.offset + 2, vendorClass: vc });
  }
}

/** Option 52 from the options area: 0 when absent. */
export function overloadValue(msg: DhcpV4Message): number {
  for (const o of msg.options) if (o.code === 52 && o.area === 'options' && o.data.length >= 1) return o.data[0]!;
  return 0;
}

function optionBytes(o: DhcpV4Option): number {
  if (o.code === 0 || o.code === 255) return 1;
  return o.declaredLength === -1 ? 1 : 2 + o.data.length;
}

/** Encoded length of `emitDhcpV4(msg)`. */
export function dhcpV4Length(msg: DhcpV4Message): number {
  let n = msg.headerLength + msg.cookie.length + msg.trailer.length;
  for (const o of msg.options) if (o.area === 'options') n += optionBytes(o);
  return n;
}

function writeOption(out: Uint8Array, at: number, limit: number, o: DhcpV4Option): number {
  if (at >= limit) return at;
  out[at] = o.code;
  if (o.code === 0 || o.code === 255 || o.declaredLength === -1) return at + 1;
  if (at + 1 < limit) out[at + 1] = o.declaredLength ?? o.data.length;
  const room = Math.max(0, limit - at - 2);
  out.set(o.data.length > room ? o.data.subarray(0, room) : o.data, at + 2);
  return at + 2 + o.data.length;
}

/** Write the message into `out` at `offset` (it must have dhcpV4Length bytes of room). */
export function emitDhcpV4Into(msg: DhcpV4Message, out: Uint8Array, offset = 0): number {
  const hdr = msg.headerLength < FIXED_LEN ? new Uint8Array(FIXED_LEN) : out.subarray(offset, offset + FIXED_LEN);
  hdr[F.OP] = msg.op; hdr[F.HTYPE] = msg.htype; hdr[F.HLEN] = msg.hlen; hdr[F.HOPS] = msg.hops;
  putU32(hdr, F.XID, msg.xid); putU16(hdr, F.SECS, msg.secs); putU16(hdr, F.FLAGS, msg.flags);
  hdr.set(msg.ciaddr.subarray(0, 4), F.CIADDR); hdr.set(msg.yiaddr.subarray(0, 4), F.YIADDR);
  hdr.set(msg.siaddr.subarray(0, 4), F.SIADDR); hdr.set(msg.giaddr.subarray(0, 4), F.GIADDR);
  hdr.set(msg.chaddr.subarray(0, CHADDR_LEN), F.CHADDR);
  hdr.fill(0, F.CHADDR + msg.chaddr.length, F.SNAME);
  // sname/file: raw bytes first; options in an overloaded area are then written over them, so a
  // parsed message reproduces its bytes and a built one gets its options encoded.
  writeField(hdr, F.SNAME, SNAME_LEN, msg.sname);
  writeField(hdr, F.FILE, FILE_LEN, msg.file);
  let at: number = F.FILE;
  let sAt: number = F.SNAME;
  for (const o of msg.options) {
    if (o.area === 'file') at = writeOption(hdr, at, F.FILE + FILE_LEN, o);
    else if (o.area === 'sname') sAt = writeOption(hdr, sAt, F.SNAME + SNAME_LEN, o);
  }
  if (hdr.buffer !== out.buffer || hdr.byteOffset !== out.byteOffset + offset) {
    out.set(hdr.subarray(0, msg.headerLength), offset);
  }
  let p = offset + msg.headerLength;
  out.set(msg.cookie, p);
  p += msg.cookie.length;
  for (const o of msg.options) if (o.area === 'options') p = writeOption(out, p, out.length, o);
  out.set(msg.trailer, p);
  return p + msg.trailer.length - offset;
}

function writeField(hdr: Uint8Array, at: number, len: number, v: Uint8Array): void {
  const n = Math.min(len, v.length);
  hdr.set(v.subarray(0, n), at);
  hdr.fill(0, at + n, at + len);
}

/**
 * A relayed copy of a client's encoded BOOTREQUEST when the relay adds no option 82: only giaddr
 * and hops change (RFC 1542 §4.1.1), so the bytes are copied and those two fields set, without a
 * parse and a re-encode. `giaddr`: 4 bytes.
 */
export function withRelayHeader(payload: Uint8Array, giaddr: Uint8Array, hops: number): Uint8Array {
  const out = payload.slice();
  out[F.HOPS] = Math.min(255, hops);
  out.set(giaddr.subarray(0, 4), F.GIADDR);
  return out;
}

/** Bytes of the message (a new array). */
export function emitDhcpV4(msg: DhcpV4Message): Uint8Array {
  const out = new Uint8Array(dhcpV4Length(msg));
  emitDhcpV4Into(msg, out, 0);
  return out;
}

/** RFC 3396: the data of every instance of `code` joined (options, then file, then sname); null if absent. */
export function getOption(msg: DhcpV4Message, code: number): Uint8Array | null {
  let first: DhcpV4Option | null = null;
  let parts: Uint8Array[] | null = null;
  for (const o of msg.options) {
    if (o.code !== code) continue;
    if (!first) first = o;
    else (parts ??= [first.data]).push(o.data);
  }
  if (!first) return null;
  return parts ? concatBytes(parts) : first.data;
}

export function vendorClass(msg: DhcpV4Message): string | null {
  const d = getOption(msg, 60);
  return d ? latin1String(d) : null;
}


/** Name of an option code (for views and findings). */
export { optionName };
