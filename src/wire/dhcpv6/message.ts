/** DHCPv6 messages (RFC 8415 §8, §9): parse, emit, length, builder and accessors. */
import { ipv6FromString, latin1String, u16 } from '../bytes.js';
import { type WireIssue, type WireIssueKind, pushIssue } from '../issues.js';
import { DhcpV6MsgType, DhcpV6Opt, isRelayType } from './names.js';
import { optionListLength, parseOptionList, writeOptionList } from './options.js';
import {
  type DecodeContext, type DhcpV6Message, type DhcpV6MessageSpec, type DhcpV6Option, type Duid,
  type KnownOptionCode, LAYER, type ParsedValueMap,
} from './types.js';

const CLIENT_HEADER = 4;
const RELAY_HEADER = 34;

/** Parses one DHCPv6 message (a UDP payload). Never throws; problems go to `issues` at
 *  `base + offset`. */
export function parseDhcpV6(buf: Uint8Array, issues: WireIssue[], base = 0): DhcpV6Message {
  return parseMessageAt(buf, issues, base, 0, 'truncated');
}

/** Internal entry also used by the Relay Message option: `depth` counts enclosing relays and
 *  `shortKind` says whether running out of bytes is truncation or a bad outer length. */
export function parseMessageAt(
  buf: Uint8Array, issues: WireIssue[], base: number, depth: number, shortKind: WireIssueKind,
): DhcpV6Message {
  const cx: DecodeContext = { issues, depth, shortKind };
  const msgType = buf.length > 0 ? buf[0]! : 0;
  const options: DhcpV6Option[] = [];
  if (isRelayType(msgType)) {
    if (buf.length < RELAY_HEADER) {
      pushIssue(issues, shortKind, LAYER, base, `relay message of ${buf.length} bytes, header needs ${RELAY_HEADER}`);
      return {
        relay: true, msgType, hopCount: buf[1] ?? 0,
        linkAddress: padded(buf, 2), peerAddress: padded(buf, 18), options,
      };
    }
    const msg: DhcpV6Message = {
      relay: true, msgType, hopCount: buf[1]!,
      linkAddress: buf.subarray(2, 18), peerAddress: buf.subarray(18, 34), options,
    };
    keepTrailing(msg, buf, parseOptionList(buf, RELAY_HEADER, buf.length, base, cx, options), base, cx);
    return msg;
  }
  if (buf.length < CLIENT_HEADER) {
    pushIssue(issues, shortKind, LAYER, base, `message of ${buf.length} bytes, header needs ${CLIENT_HEADER}`);
    const xid = ((buf[1] ?? 0) << 16) | ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
    return { relay: false, msgType, xid, options };
  }
  const msg: DhcpV6Message = { relay: false, msgType, xid: (buf[1]! << 16) | u16(buf, 2), options };
  keepTrailing(msg, buf, parseOptionList(buf, CLIENT_HEADER, buf.length, base, cx, options), base, cx);
  return msg;
}

function keepTrailing(msg: DhcpV6Message, buf: Uint8Array, stop: number, base: number, cx: DecodeContext): void {
  if (stop >= buf.length) return;
  pushIssue(cx.issues, cx.shortKind, LAYER, base + stop,
    `${buf.length - stop} bytes after the last option, too few for an option header`);
  msg.trailing = buf.subarray(stop);
}

/** A 16-byte address from a header that was cut short (zero-filled; only on malformed input). */
function padded(buf: Uint8Array, o: number): Uint8Array {
  const out = new Uint8Array(16);
  if (o < buf.length) out.set(buf.subarray(o, Math.min(o + 16, buf.length)));
  return out;
}

function address16(v: Uint8Array | string): Uint8Array {
  return typeof v === 'string' ? ipv6FromString(v) : v;
}

/** Encoded length of a message or spec (the `encodingLength`). */
export function messageSpecLength(m: DhcpV6MessageSpec): number {
  const header = isRelayType(m.msgType) ? RELAY_HEADER : CLIENT_HEADER;
  return header + optionListLength(m.options) + (m.trailing?.length ?? 0);
}

/** Writes a message or spec at `o`; returns the offset after it. */
export function writeMessageSpec(m: DhcpV6MessageSpec, out: Uint8Array, o: number): number {
  out[o] = m.msgType;
  if (isRelayType(m.msgType)) {
    if (m.relay !== true) throw new RangeError(`message type ${m.msgType} needs relay fields`);
    out[o + 1] = m.hopCount;
    out.set(address16(m.linkAddress).subarray(0, 16), o + 2);
    out.set(address16(m.peerAddress).subarray(0, 16), o + 18);
    o += RELAY_HEADER;
  } else {
    const xid = m.relay === true ? 0 : m.xid;
    out[o + 1] = (xid >>> 16) & 0xff;
    out[o + 2] = (xid >>> 8) & 0xff;
    out[o + 3] = xid & 0xff;
    o += CLIENT_HEADER;
  }
  o = writeOptionList(m.options, out, o);
  if (m.trailing) { out.set(m.trailing, o); o += m.trailing.length; }
  return o;
}

export function dhcpV6Length(msg: DhcpV6Message | DhcpV6MessageSpec): number {
  return messageSpecLength(msg);
}

/** Emits into `out` at `offset`; returns the offset after the message. */
export function emitDhcpV6Into(msg: DhcpV6Message | DhcpV6MessageSpec, out: Uint8Array, offset = 0): number {
  return writeMessageSpec(msg, out, offset);
}

/** Bytes of a parsed message (exactly what was parsed) or of a spec (values encoded). */
export function emitDhcpV6(msg: DhcpV6Message | DhcpV6MessageSpec): Uint8Array {
  const out = new Uint8Array(messageSpecLength(msg));
  writeMessageSpec(msg, out, 0);
  return out;
}

/**
 * Builds a message from typed values: encodes them through the codec table, then parses the bytes,
 * so the result has the same shape (raw `data` plus `value`) as a message read from the wire.
 * Throws RangeError on values that cannot be encoded (a programming error, not wire input).
 */
export function buildDhcpV6(spec: DhcpV6MessageSpec, issues: WireIssue[] = []): DhcpV6Message {
  return parseDhcpV6(emitDhcpV6(spec), issues);
}

// ---- accessors ----

export function getOption(msg: DhcpV6Message, code: number): DhcpV6Option | undefined {
  for (const o of msg.options) if (o.code === code) return o;
  return undefined;
}

export function getOptions(msg: DhcpV6Message, code: number): DhcpV6Option[] {
  return msg.options.filter((o) => o.code === code);
}

/** Typed value of the first option `code` (undefined if absent or undecodable). */
export function getOptionValue<K extends KnownOptionCode>(msg: DhcpV6Message, code: K): ParsedValueMap[K] | undefined {
  return getOption(msg, code)?.value as ParsedValueMap[K] | undefined;
}

/** Follows Relay Message options down to the client/server message (or the deepest relay whose
 *  relayed message could not be decoded). */
export function innermostMessage(msg: DhcpV6Message): DhcpV6Message {
  let m = msg;
  while (m.relay) {
    const inner = getOptionValue(m, 9);
    if (!inner) break;
    m = inner;
  }
  return m;
}

/** A server's message to a client (Advertise, Reply, Reconfigure, or a Relay-reply carrying one). */
export function isDhcp6Answer(msg: DhcpV6Message): boolean {
  const t = innermostMessage(msg).msgType;
  return t === DhcpV6MsgType.ADVERTISE || t === DhcpV6MsgType.REPLY || t === DhcpV6MsgType.RECONFIGURE || msg.msgType === DhcpV6MsgType.RELAY_REPL;
}

/** Client DUID (option 1) of the message, looking through relays. */
export function clientDuid(msg: DhcpV6Message): Duid | undefined {
  return getOptionValue(innermostMessage(msg), 1);
}

export function serverDuid(msg: DhcpV6Message): Duid | undefined {
  return getOptionValue(innermostMessage(msg), 2);
}

/** Option 59 (RFC 5970), looking through relays. */
export function bootFileUrl(msg: DhcpV6Message): string | undefined {
  return getOptionValue(innermostMessage(msg), 59);
}

/** Option 61 architecture types (RFC 5970 / IANA), looking through relays. */
export function clientArch(msg: DhcpV6Message): number[] | undefined {
  return getOptionValue(innermostMessage(msg), 61);
}

/** Option 16: enterprise number and its data items as text, e.g. "PXEClient:Arch:00007:UNDI:003016". */
export function vendorClass(msg: DhcpV6Message): { enterprise: number; data: string[] } | undefined {
  const v = getOptionValue(innermostMessage(msg), 16);
  return v ? { enterprise: v.enterprise, data: v.data.map(latin1String) } : undefined;
}

const PXE_CLIENT = [0x50, 0x58, 0x45, 0x43, 0x6c, 0x69, 0x65, 0x6e, 0x74]; // "PXEClient"
const HTTP_CLIENT = [0x48, 0x54, 0x54, 0x50, 0x43, 0x6c, 0x69, 0x65, 0x6e, 0x74]; // "HTTPClient"
const IPXE = [0x69, 0x50, 0x58, 0x45]; // "iPXE"

/** `b[at..]` begins with `word` (all of it in the bytes there are). */
function beginsWith(b: Uint8Array, at: number, word: readonly number[]): boolean {
  if (b.length - at < word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[at + i] !== word[i]) return false;
  return true;
}

/** The items of a length-prefixed list (options 15, 16) that begin with `word`, read from raw
 *  bytes as far as they go (a cut option's last item is its start): `from` skips a header. */
function itemBegins(d: Uint8Array, from: number, word: readonly number[], whole: boolean): boolean {
  for (let o = from; o + 2 <= d.length; o += 2 + u16(d, o)) {
    const len = u16(d, o);
    if (whole ? len === word.length && o + 2 + len <= d.length && beginsWith(d, o + 2, word)
      : len >= word.length && beginsWith(d, o + 2, word)) return true;
  }
  return false;
}

/**
 * What a client's message, even cut short by a snap length, says of a network-boot client: its
 * architecture (61, RFC 5970: sent by PXE and HTTP boot clients only) read whole, a vendor class
 * (16) item that begins PXEClient or HTTPClient, or iPXE's user class (15) read whole. Read from the
 * bytes the cut left (options come in any order, so what is missing says nothing).
 */
export function bootClientSaid(msg: DhcpV6Message): boolean {
  return bootClientShown(msg, false);
}

/**
 * `bootClientSaid`, or a vendor class (16) whose first item the cut ended inside "PXEClient" or
 * "HTTPClient" (a non-empty prefix of either, the rest not captured): for a cut request only, where
 * what the cut took may be a boot client's word (iPXE's "PXEClient" cut at 116 bytes).
 */
export function bootClientMaybe(msg: DhcpV6Message): boolean {
  return bootClientShown(msg, true);
}

function bootClientShown(msg: DhcpV6Message, cutWord: boolean): boolean {
  // A cut word proves little on its own ("H…", "P…" start many a vendor's class: a printer, a
  // phone): at least CUT_WORD_MIN letters, or the client also asked for option 59/60.
  const cutMin = cutWord && asksForBootFile(msg) ? 1 : CUT_WORD_MIN;
  for (const o of innermostMessage(msg).options) {
    if (o.code === DhcpV6Opt.CLIENT_ARCH_TYPE && o.declaredLength === undefined && o.data.length >= 2) return true;
    if (o.code === DhcpV6Opt.VENDOR_CLASS && (itemBegins(o.data, 4, PXE_CLIENT, false) || itemBegins(o.data, 4, HTTP_CLIENT, false))) return true;
    if (o.code === DhcpV6Opt.USER_CLASS && itemBegins(o.data, 0, IPXE, true)) return true;
    if (cutWord && o.code === DhcpV6Opt.VENDOR_CLASS && o.declaredLength !== undefined && (cutInside(o.data, PXE_CLIENT, cutMin) || cutInside(o.data, HTTP_CLIENT, cutMin))) return true;
  }
  return false;
}

/** Letters of "PXEClient"/"HTTPClient" a cut must leave ("PXEC", "HTTP") to say a boot client. */
const CUT_WORD_MIN = 4;

/** A vendor class's first item (after the enterprise number) runs to the cut as a prefix of
 *  `word` shorter than it, `min` letters at least. */
function cutInside(d: Uint8Array, word: readonly number[], min: number): boolean {
  const text = d.length - 6;
  if (text < min || text >= word.length || u16(d, 4) < word.length) return false;
  for (let i = 0; i < text; i++) if (d[6 + i] !== word[i]) return false;
  return true;
}

/**
 * The order of a client message's options, as far as a cut left them, is not iPXE's. iPXE
 * (src/net/dhcpv6.c) sends 1, 3, 6, 16, 61, 62, 15 and elapsed time (8) last; EDK2's PXE and HTTP
 * boot send 1, 8, 3, 6, 62, 61, 16: an option after elapsed time, or the arch (61) before the
 * vendor class (16), is firmware's. Says nothing when the cut came before either tells.
 */
export function optionOrderNotIpxe(msg: DhcpV6Message): boolean {
  let elapsed = false;
  let arch = false;
  for (const o of innermostMessage(msg).options) {
    if (elapsed) return true;
    if (o.code === DhcpV6Opt.ELAPSED_TIME) elapsed = true;
    else if (o.code === DhcpV6Opt.CLIENT_ARCH_TYPE) arch = true;
    else if (o.code === DhcpV6Opt.VENDOR_CLASS && arch) return true;
  }
  return false;
}

/** The client's Option Request (6) asks for a boot file URL or its parameters (59, 60, RFC 5970),
 *  among the codes a cut left whole. */
export function asksForBootFile(msg: DhcpV6Message): boolean {
  for (const o of innermostMessage(msg).options) {
    if (o.code !== DhcpV6Opt.ORO) continue;
    for (let i = 0; i + 2 <= o.data.length; i += 2) {
      const code = u16(o.data, i);
      if (code === DhcpV6Opt.BOOTFILE_URL || code === DhcpV6Opt.BOOTFILE_PARAM) return true;
    }
  }
  return false;
}

/** A client message (a Solicit or Request cut short, say) proves a network-boot client
 *  (DHCPv4's `bootClientProven`): it says it is one, or it asks for a boot file. */
export function bootClientProven(msg: DhcpV6Message): boolean {
  return bootClientSaid(msg) || asksForBootFile(msg);
}

/** Every user class item (option 15, all instances) as text, e.g. ["iPXE"]. */
export function userClasses(msg: DhcpV6Message): string[] {
  const out: string[] = [];
  for (const o of innermostMessage(msg).options) {
    if (o.code !== 15 || !o.value) continue;
    for (const item of o.value as Uint8Array[]) out.push(latin1String(item));
  }
  return out;
}
