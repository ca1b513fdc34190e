/**
 * TFTP (RFC 1350) with option extension (RFC 2347 OACK, 2348 blksize, 2349 timeout/tsize,
 * 7440 windowsize). Wire layout after the 2-byte opcode:
 *   RRQ/WRQ  filename NUL mode NUL { optname NUL value NUL }
 *   DATA     block(2) data...
 *   ACK      block(2)
 *   ERROR    code(2) message NUL
 *   OACK     { optname NUL value NUL }
 * The repr keeps everything needed to re-emit the exact bytes, including malformed packets: a
 * last string without its NUL (`unterminated`), an option name without a value, and bytes past
 * the structure (`rest`).
 */
import { asciiBytes, latin1String, putU16, u16 } from './bytes.js';
import { pushIssue, type WireIssue } from './issues.js';

export const TFTP_OPCODES = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
export type TftpOpcodeName = keyof typeof TFTP_OPCODES;
/** Known opcodes by name; an unknown one kept as its number (-1: fewer than 2 bytes). Emit
 *  follows `opcode`; `code` on the repr is the same value as a number, for switches. */
export type TftpOpcode = TftpOpcodeName | number;

const OPCODE_NAMES: readonly (TftpOpcodeName | undefined)[] = [
  undefined, 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK',
];

/** TFTP error codes (RFC 1350 §5, RFC 2347 for 8). */
export const TftpErrorCode = {
  NOT_DEFINED: 0, FILE_NOT_FOUND: 1, ACCESS_VIOLATION: 2, DISK_FULL: 3, ILLEGAL_OPERATION: 4, UNKNOWN_TID: 5,
  FILE_EXISTS: 6, NO_SUCH_USER: 7, OPTION_REFUSED: 8,
} as const;

export const TFTP_ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'not defined',
  1: 'file not found',
  2: 'access violation',
  3: 'disk full',
  4: 'illegal operation',
  5: 'unknown transfer ID',
  6: 'file already exists',
  7: 'no such user',
  8: 'option negotiation refused', // RFC 2347: terminate transfer due to option negotiation
};

export interface TftpOption {
  /** As sent (case kept: option names are case-insensitive, look them up with `tftpOption`). */
  name: string;
  /** undefined: the packet ended after the name (malformed, kept for exact emit). */
  value: string | undefined;
}

export interface TftpPacket {
  opcode: TftpOpcode;
  /** Numeric opcode; -1 when the packet had fewer than 2 bytes. */
  code: number;
  /** RRQ/WRQ. */
  file?: string;
  /** RRQ/WRQ; undefined when the packet ended before it. */
  mode?: string;
  /** RRQ/WRQ/OACK, in the order sent. */
  options?: TftpOption[];
  /** DATA/ACK; undefined when the packet is too short for it. */
  block?: number;
  /** DATA: view into the parsed buffer. */
  data?: Uint8Array;
  /** ERROR; undefined when the packet is too short for it. */
  errorCode?: number;
  errorMessage?: string;
  /** The last string ran to the end of the packet without its NUL. */
  unterminated?: boolean;
  /** Bytes after the structure (or the whole body of an unknown/too-short packet). */
  rest?: Uint8Array;
}

const LAYER = 'tftp';

export function tftpOpcodeName(code: number): TftpOpcode {
  return OPCODE_NAMES[code] ?? code;
}

function opcodeNumber(op: TftpOpcode): number {
  return typeof op === 'number' ? op : TFTP_OPCODES[op];
}

/** NUL-terminated strings of `b` from `start`; `unterminated` when the last one lacks its NUL. */
function splitStrings(b: Uint8Array, start: number): { strings: string[]; ends: number[]; unterminated: boolean } {
  const strings: string[] = [];
  const ends: number[] = [];
  let p = start;
  while (p < b.length) {
    const z = b.indexOf(0, p);
    if (z < 0) {
      strings.push(latin1String(b.subarray(p)));
      ends.push(b.length);
      return { strings, ends, unterminated: true };
    }
    strings.push(latin1String(b.subarray(p, z)));
    ends.push(z);
    p = z + 1;
  }
  return { strings, ends, unterminated: false };
}

function optionsFrom(strings: string[], from: number): TftpOption[] {
  const out: TftpOption[] = [];
  for (let i = from; i < strings.length; i += 2) out.push({ name: strings[i]!, value: strings[i + 1] });
  return out;
}

function checkOptions(
  strings: string[], ends: number[], from: number, issues: WireIssue[], base: number,
): void {
  for (let i = from; i < strings.length; i += 2) {
    const nameStart = (i === 0 ? 2 : ends[i - 1]! + 1);
    if (strings[i] === '') pushIssue(issues, 'malformed', LAYER, base + nameStart, 'empty option name');
    if (i + 1 >= strings.length) {
      // The bytes ran out after the name.
      pushIssue(issues, 'truncated', LAYER, base + ends[i]!, `option "${strings[i]}" has no value`);
    }
  }
}

const MODES = new Set(['netascii', 'octet', 'mail']);

/** Decode one TFTP message (a whole UDP payload). Never throws. */
export function parseTftp(buf: Uint8Array, issues: WireIssue[], base = 0): TftpPacket {
  if (buf.length < 2) {
    pushIssue(issues, 'truncated', LAYER, base, `TFTP packet of ${buf.length} bytes has no opcode`);
    return { opcode: -1, code: -1, rest: buf };
  }
  const code = u16(buf, 0);
  const opcode = tftpOpcodeName(code);
  // DATA and ACK are nearly every TFTP packet: one literal (same keys, same order) instead of
  // adding fields to a two-field object.
  if (code === 3 && buf.length >= 4) return { opcode, code, block: u16(buf, 2), data: buf.subarray(4) };
  if (code === 4 && buf.length === 4) return { opcode, code, block: u16(buf, 2) };
  const pkt: TftpPacket = { opcode, code };
  switch (code) {
    case 1:
    case 2: {
      const s = splitStrings(buf, 2);
      if (s.strings.length === 0) {
        // Opcode only: keep file '' unterminated so emit gives back the 2 bytes.
        pushIssue(issues, 'truncated', LAYER, base + 2, 'request has no filename');
        pkt.file = '';
        pkt.options = [];
        pkt.unterminated = true;
        return pkt;
      }
      pkt.file = s.strings[0]!;
      pkt.mode = s.strings[1];
      pkt.options = optionsFrom(s.strings, 2);
      if (s.unterminated) {
        pushIssue(issues, 'truncated', LAYER, base + buf.length, 'last string of request has no terminating NUL');
        pkt.unterminated = true;
      }
      if (pkt.file === '') pushIssue(issues, 'malformed', LAYER, base + 2, 'empty filename');
      if (pkt.mode === undefined) {
        pushIssue(issues, 'truncated', LAYER, base + buf.length, 'request has no mode');
      } else if (!MODES.has(pkt.mode.toLowerCase())) {
        pushIssue(issues, 'malformed', LAYER, base + s.ends[0]! + 1, `unknown transfer mode "${pkt.mode}"`);
      }
      checkOptions(s.strings, s.ends, 2, issues, base);
      return pkt;
    }
    case 3:
    case 4: {
      if (buf.length < 4) {
        pushIssue(issues, 'truncated', LAYER, base + 2, `${opcode} without a block number`);
        pkt.rest = buf.subarray(2);
        return pkt;
      }
      pkt.block = u16(buf, 2);
      if (code === 3) {
        pkt.data = buf.subarray(4);
      } else if (buf.length > 4) {
        pushIssue(issues, 'malformed', LAYER, base + 4, `${buf.length - 4} trailing bytes after ACK`);
        pkt.rest = buf.subarray(4);
      }
      return pkt;
    }
    case 5: {
      if (buf.length < 4) {
        pushIssue(issues, 'truncated', LAYER, base + 2, 'ERROR without an error code');
        pkt.rest = buf.subarray(2);
        return pkt;
      }
      pkt.errorCode = u16(buf, 2);
      const z = buf.indexOf(0, 4);
      if (z < 0) {
        pushIssue(issues, 'truncated', LAYER, base + buf.length, 'error message has no terminating NUL');
        pkt.errorMessage = latin1String(buf.subarray(4));
        pkt.unterminated = true;
        return pkt;
      }
      pkt.errorMessage = latin1String(buf.subarray(4, z));
      if (z + 1 < buf.length) {
        pushIssue(issues, 'malformed', LAYER, base + z + 1, `${buf.length - z - 1} trailing bytes after error message`);
        pkt.rest = buf.subarray(z + 1);
      }
      return pkt;
    }
    case 6: {
      const s = splitStrings(buf, 2);
      pkt.options = optionsFrom(s.strings, 0);
      if (s.unterminated) {
        pushIssue(issues, 'truncated', LAYER, base + buf.length, 'last option string has no terminating NUL');
        pkt.unterminated = true;
      }
      if (s.strings.length === 0) pushIssue(issues, 'truncated', LAYER, base + 2, 'OACK without options');
      checkOptions(s.strings, s.ends, 0, issues, base);
      return pkt;
    }
    default:
      pushIssue(issues, 'unsupported', LAYER, base, `unknown TFTP opcode ${code}`);
      pkt.rest = buf.subarray(2);
      return pkt;
  }
}

/** The strings of a request/OACK in wire order. */
function stringsOf(pkt: TftpPacket): string[] {
  const out: string[] = [];
  const code = opcodeNumber(pkt.opcode);
  if (code === 1 || code === 2) {
    out.push(pkt.file ?? '');
    if (pkt.mode === undefined) return out;
    out.push(pkt.mode);
  }
  for (const o of pkt.options ?? []) {
    out.push(o.name);
    if (o.value === undefined) break;
    out.push(o.value);
  }
  return out;
}

function stringsLength(strings: string[], unterminated: boolean): number {
  let n = 0;
  for (const s of strings) n += s.length + 1;
  return unterminated && strings.length > 0 ? n - 1 : n;
}

export function tftpLength(pkt: TftpPacket): number {
  const code = opcodeNumber(pkt.opcode);
  if (code < 0) return pkt.rest?.length ?? 0;
  const rest = pkt.rest?.length ?? 0;
  switch (code) {
    case 1: case 2: case 6:
      return 2 + stringsLength(stringsOf(pkt), !!pkt.unterminated) + rest;
    case 3: case 4:
      return pkt.block === undefined ? 2 + rest : 4 + (pkt.data?.length ?? 0) + rest;
    case 5:
      if (pkt.errorCode === undefined) return 2 + rest;
      return 4 + (pkt.errorMessage?.length ?? 0) + (pkt.unterminated ? 0 : 1) + rest;
    default:
      return 2 + rest;
  }
}

/** Encode into `out` at `o` (must hold `tftpLength(pkt)` bytes); returns the end offset. */
export function emitTftpInto(pkt: TftpPacket, out: Uint8Array, o = 0): number {
  const code = opcodeNumber(pkt.opcode);
  const writeRest = (p: number): number => {
    if (pkt.rest) { out.set(pkt.rest, p); p += pkt.rest.length; }
    return p;
  };
  if (code < 0) return writeRest(o);
  putU16(out, o, code);
  let p = o + 2;
  switch (code) {
    case 1: case 2: case 6: {
      const strings = stringsOf(pkt);
      for (let i = 0; i < strings.length; i++) {
        out.set(asciiBytes(strings[i]!), p);
        p += strings[i]!.length;
        if (!(pkt.unterminated && i === strings.length - 1)) out[p++] = 0;
      }
      return writeRest(p);
    }
    case 3: case 4:
      if (pkt.block === undefined) return writeRest(p);
      putU16(out, p, pkt.block);
      p += 2;
      if (pkt.data) { out.set(pkt.data, p); p += pkt.data.length; }
      return writeRest(p);
    case 5: {
      if (pkt.errorCode === undefined) return writeRest(p);
      putU16(out, p, pkt.errorCode);
      p += 2;
      const msg = pkt.errorMessage ?? '';
      out.set(asciiBytes(msg), p);
      p += msg.length;
      if (!pkt.unterminated) out[p++] = 0;
      return writeRest(p);
    }
    default:
      return writeRest(p);
  }
}

export function emitTftp(pkt: TftpPacket): Uint8Array {
  const out = new Uint8Array(tftpLength(pkt));
  emitTftpInto(pkt, out, 0);
  return out;
}

// ---- builders (the scenario runner's client/server) ----

function optionList(options: Record<string, string | number> | TftpOption[] | undefined): TftpOption[] {
  if (!options) return [];
  if (Array.isArray(options)) return options;
  return Object.entries(options).map(([name, v]) => ({ name, value: String(v) }));
}

export function buildRrq(file: string, mode = 'octet', options?: Record<string, string | number> | TftpOption[]): Uint8Array {
  return emitTftp({ opcode: 'RRQ', code: 1, file, mode, options: optionList(options) });
}

export function buildData(block: number, data: Uint8Array): Uint8Array {
  return emitTftp({ opcode: 'DATA', code: 3, block: block & 0xffff, data });
}

export function buildAck(block: number): Uint8Array {
  // One per received block on a download: written directly (the bytes emitTftp would write).
  return writeAck(new Uint8Array(4), block);
}

/** Writes an ACK for `block` into `out[0..4)` (a buffer reused for every ACK of a download). */
export function writeAck(out: Uint8Array, block: number): Uint8Array {
  putU16(out, 0, TFTP_OPCODES.ACK);
  putU16(out, 2, block & 0xffff);
  return out;
}

/** The block number of a DATA packet, -1 for anything else: a download's per-block path reads it
 *  without building a packet (parseTftp) for every block. */
export function tftpDataBlock(buf: Uint8Array): number {
  return buf.length >= 4 && buf[0] === 0 && buf[1] === TFTP_OPCODES.DATA ? (buf[2]! << 8) | buf[3]! : -1;
}

export function buildError(code: number, msg: string): Uint8Array {
  return emitTftp({ opcode: 'ERROR', code: 5, errorCode: code, errorMessage: msg });
}

export function buildOack(options: Record<string, string | number> | TftpOption[]): Uint8Array {
  return emitTftp({ opcode: 'OACK', code: 6, options: optionList(options) });
}

// ---- options ----

/** Value of an option, name matched case-insensitively (RFC 2347); first occurrence wins. */
export function tftpOption(pkt: TftpPacket, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const o of pkt.options ?? []) if (o.name.toLowerCase() === want) return o.value;
  return undefined;
}

export interface TftpNegotiation {
  blksize?: number;
  timeout?: number;
  tsize?: number;
  windowsize?: number;
  /** Known options whose value is not a decimal number in the RFC's range. */
  invalid: string[];
}

const OPTION_RANGES: Record<string, [number, number]> = {
  blksize: [8, 65464], // RFC 2348
  timeout: [1, 255], // RFC 2349
  tsize: [0, Number.MAX_SAFE_INTEGER], // RFC 2349
  windowsize: [1, 65535], // RFC 7440
};

/** The RFC 2348/2349/7440 options of a request or OACK, as numbers. */
export function tftpNegotiation(pkt: TftpPacket): TftpNegotiation {
  const out: TftpNegotiation = { invalid: [] };
  for (const o of pkt.options ?? []) {
    const key = o.name.toLowerCase();
    const range = OPTION_RANGES[key];
    if (!range) continue;
    const v = o.value !== undefined && /^[0-9]+$/.test(o.value) ? Number(o.value) : NaN;
    if (!(v >= range[0] && v <= range[1])) { out.invalid.push(o.name); continue; }
    if ((out as unknown as Record<string, unknown>)[key] === undefined) (out as unknown as Record<string, number>)[key] = v;
  }
  return out;
}

// ---- cut-aware accessors ----

/** What marks a string the capture cut: it ends where the captured bytes end, not at its NUL. */
export const CUT_MARK = '…';

/** The request's file name ran to the end of the packet without its NUL: in a frame the capture
 *  cut short, only its first part is there (a name to show as cut, never to compare as whole). */
export function tftpFileUnterminated(pkt: TftpPacket): boolean {
  return (pkt.code === TFTP_OPCODES.RRQ || pkt.code === TFTP_OPCODES.WRQ) && pkt.unterminated === true && pkt.mode === undefined;
}

/** The ERROR's message ran to the end of the packet without its NUL (in a cut frame: cut). */
export function tftpErrorMessageUnterminated(pkt: TftpPacket): boolean {
  return pkt.code === TFTP_OPCODES.ERROR && pkt.unterminated === true;
}

// ---- presentation ----

export function tftpErrorName(code: number): string {
  return TFTP_ERROR_NAMES[code] ?? `unknown error ${code}`;
}

/** JSON form. Option names are kept as sent (not lower-cased); on a repeated name the first wins. */
export function tftpToJson(pkt: TftpPacket): Record<string, unknown> {
  const j: Record<string, unknown> = { opcode: pkt.opcode };
  if (pkt.file !== undefined) j['file'] = pkt.file;
  if (pkt.mode !== undefined) j['mode'] = pkt.mode;
  if (pkt.options && (pkt.options.length > 0 || pkt.code === 6)) {
    const o: Record<string, string | null> = {};
    for (const opt of pkt.options) if (!(opt.name in o)) o[opt.name] = opt.value ?? null;
    j['options'] = o;
  }
  if (pkt.block !== undefined) j['block'] = pkt.block;
  if (pkt.errorCode !== undefined) {
    j['errorCode'] = pkt.errorCode;
    j['errorName'] = tftpErrorName(pkt.errorCode);
  }
  if (pkt.errorMessage !== undefined) j['errorMessage'] = pkt.errorMessage;
  if (pkt.data) j['dataLength'] = pkt.data.length;
  if (pkt.rest && pkt.rest.length > 0) j['extraBytes'] = pkt.rest.length;
  return j;
}

function optionsText(options: TftpOption[] | undefined): string {
  if (!options || options.length === 0) return '';
  return ' ' + options.map((o) => (o.value === undefined ? `${o.name}=?` : `${o.name}=${o.value}`)).join(' ');
}

export function formatTftpText(pkt: TftpPacket): string[] {
  const op = typeof pkt.opcode === 'number' ? `opcode ${pkt.opcode}` : pkt.opcode;
  switch (pkt.code) {
    case 1: case 2:
      return [`TFTP ${op} "${pkt.file ?? ''}" ${pkt.mode ?? '(no mode)'}${optionsText(pkt.options)}`];
    case 3:
      return [`TFTP DATA block ${pkt.block ?? '?'} ${pkt.data?.length ?? 0} bytes`];
    case 4:
      return [`TFTP ACK block ${pkt.block ?? '?'}`];
    case 5:
      return [`TFTP ERROR ${pkt.errorCode ?? '?'} (${tftpErrorName(pkt.errorCode ?? -1)}) "${pkt.errorMessage ?? ''}"`];
    case 6:
      return [`TFTP OACK${optionsText(pkt.options)}`];
    default:
      return [`TFTP ${op} ${pkt.rest?.length ?? 0} bytes`];
  }
}
