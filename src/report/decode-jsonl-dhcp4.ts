/**
 * The `decode --format jsonl` line of a DHCPv4 message written member by member: the same bytes as
 * JSON.stringify(decodedToJson(m)) (wire/dhcpv4/json.ts says what the members are; the tests compare
 * both over every capture and mutated messages), without the record object and its string. On
 * Node 20 that object and JSON.stringify took ~15 µs a line, the most of any record (a DHCP-heavy
 * capture writes ~1 KB per message); written here with repeated option entries cached, ~5 µs.
 */
import { cString, hex, ipv4ToString } from '../wire/bytes.js';
import {
  clientMac, decodeOptionValue, dhcpV4OptionsJson, hasDhcpCookie, msgTypeName, overloadValue, type DhcpV4JsonOption,
  type DhcpV4Message, type DhcpV4Option,
} from '../wire/dhcpv4/index.js';
import { optionName } from '../wire/dhcpv4/options.js';
import { ascii, type JsonlWriter } from './jsonl-writer.js';

const OP = ascii(',"op":');
const HTYPE = ascii(',"htype":');
const HLEN = ascii(',"hlen":');
const HOPS = ascii(',"hops":');
const XID = ascii(',"xid":');
const SECS = ascii(',"secs":');
const FLAGS = ascii(',"flags":');
const MSG_TYPE = ascii(',"msgType":');
const CIADDR = ascii(',"ciaddr":');
const YIADDR = ascii(',"yiaddr":');
const SIADDR = ascii(',"siaddr":');
const GIADDR = ascii(',"giaddr":');
const CHADDR = ascii(',"chaddr":');
const SNAME = ascii(',"sname":');
const FILE = ascii(',"file":');
const OVERLOAD = ascii(',"overload":');
const COOKIE = ascii(',"cookie":');
const OPTIONS = ascii(',"options":[');
const CODE = ascii('{"code":');
const NAME = ascii(',"name":');
const VALUE = ascii(',"value":');
const AREA = ascii(',"area":');
const INSTANCES = ascii(',"instances":');
const AREAS = ascii(',"areas":');
const TRAILER_LENGTH = ascii(',"trailerLength":');
const EMPTY_STRING = ascii('""');
const NULL = ascii('null');

/** Writes the members of dhcpV4ToJson(msg), each after a comma. */
export function writeDhcpV4Members(w: JsonlWriter, msg: DhcpV4Message): void {
  const ov = overloadValue(msg);
  w.room(8 * 24 + 64);
  w.putBytes(OP);
  w.number(msg.op);
  w.putBytes(HTYPE);
  w.number(msg.htype);
  w.putBytes(HLEN);
  w.number(msg.hlen);
  w.putBytes(HOPS);
  w.number(msg.hops);
  w.putBytes(XID);
  w.number(msg.xid);
  w.putBytes(SECS);
  w.number(msg.secs);
  w.putBytes(FLAGS);
  w.number(msg.flags);
  w.put(MSG_TYPE);
  const type = msgTypeName(msg);
  if (type === null) w.put(NULL);
  else w.string(type);
  w.put(CIADDR);
  w.string(ipv4ToString(msg.ciaddr));
  w.put(YIADDR);
  w.string(ipv4ToString(msg.yiaddr));
  w.put(SIADDR);
  w.string(ipv4ToString(msg.siaddr));
  w.put(GIADDR);
  w.string(ipv4ToString(msg.giaddr));
  w.put(CHADDR);
  w.string(clientMac(msg));
  w.put(SNAME);
  fieldString(w, ov & 2 ? null : msg.sname);
  w.put(FILE);
  fieldString(w, ov & 1 ? null : msg.file);
  if (ov >= 1 && ov <= 3) {
    w.put(OVERLOAD);
    w.value(ov);
  }
  const dhcp = hasDhcpCookie(msg);
  if (!dhcp && msg.cookie.length) {
    w.put(COOKIE);
    w.string(hex(msg.cookie));
  }
  w.put(OPTIONS);
  // dhcpV4OptionsJson's entries in its order: one per code, at its first instance, PAD/END left out.
  const options = msg.options;
  let entries: DhcpV4JsonOption[] | null = null;
  let written = 0;
  for (let k = 0; k < options.length; k++) {
    const o = options[k]!;
    const code = o.code;
    if (code === 0 || code === 255 || !isFirst(options, k)) continue;
    if (written++ > 0) w.byte(0x2c);
    if (o.area === 'options' && code !== 43 && o.data.length <= ENTRY_DATA_MAX && isOnly(options, k)) {
      writeCachedEntry(w, code, o.data);
      continue;
    }
    // Joined instances, overloaded areas, vendor options (their decoding depends on the vendor class).
    entries ??= dhcpV4OptionsJson(msg);
    writeEntry(w, entries.find((e) => e.code === code)!);
  }
  w.byte(0x5d);
  if (msg.trailer.length && dhcp) {
    w.put(TRAILER_LENGTH);
    w.value(msg.trailer.length);
  }
}

/** One entry of dhcpV4OptionsJson through the writer. */
function writeEntry(w: JsonlWriter, o: DhcpV4JsonOption): void {
  w.put(CODE);
  w.value(o.code);
  w.put(NAME);
  w.string(o.name);
  w.put(VALUE);
  w.value(o.value);
  if (o.area !== undefined) {
    w.put(AREA);
    w.string(o.area);
  }
  if (o.instances !== undefined) {
    w.put(INSTANCES);
    w.value(o.instances);
  }
  if (o.areas !== undefined) {
    w.put(AREAS);
    w.value(o.areas);
  }
  w.byte(0x7d);
}

function isFirst(options: DhcpV4Option[], k: number): boolean {
  const code = options[k]!.code;
  for (let i = 0; i < k; i++) if (options[i]!.code === code) return false;
  return true;
}

function isOnly(options: DhcpV4Option[], k: number): boolean {
  const code = options[k]!.code;
  for (let i = k + 1; i < options.length; i++) if (options[i]!.code === code) return false;
  return true;
}

// Option entries repeat from message to message (parameter lists, vendor class, server id, lease
// times, boot file): the text of `{"code":C,"name":N,"value":V}` of a single instance in the options
// area is kept per (code, bytes) in a direct-mapped cache, its value decoded once. Bytes and text
// live in two fixed slabs: per-client options miss every time, and a small buffer per miss would be
// memory outside the heap, freed only by full collections (+16 MB peak RSS on the 1M-frame capture).
const ENTRY_SLOTS = 1 << 12;
/** Longer option data is decoded every time (and rarely repeats). */
const ENTRY_DATA_MAX = 64;
const ENTRY_TEXT_MAX = 256;
const entryCodes = new Int16Array(ENTRY_SLOTS).fill(-1);
const entryDataLength = new Uint8Array(ENTRY_SLOTS);
const entryData = new Uint8Array(ENTRY_SLOTS * ENTRY_DATA_MAX);
const entryTextLength = new Uint16Array(ENTRY_SLOTS);
const entryText = new Uint8Array(ENTRY_SLOTS * ENTRY_TEXT_MAX);

/** Writes an option entry's text from the cache, filling it first when the slot holds another. */
function writeCachedEntry(w: JsonlWriter, code: number, data: Uint8Array): void {
  let h = Math.imul(code, 0x9e3779b1) ^ data.length;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (ENTRY_SLOTS - 1);
  if (entryCodes[slot] !== code || !sameData(slot, data)) {
    const { value } = decodeOptionValue(code, data, { issues: null, base: 0, vendorClass: null });
    const json = JSON.stringify({ code, name: optionName(code), value });
    const bytes = Buffer.from(json, 'utf8');
    if (bytes.length > ENTRY_TEXT_MAX) {
      w.text(json);
      return;
    }
    entryCodes[slot] = code;
    entryDataLength[slot] = data.length;
    entryData.set(data, slot * ENTRY_DATA_MAX);
    entryTextLength[slot] = bytes.length;
    entryText.set(bytes, slot * ENTRY_TEXT_MAX);
  }
  const start = slot * ENTRY_TEXT_MAX;
  w.putRange(entryText, start, start + entryTextLength[slot]!);
}

function sameData(slot: number, data: Uint8Array): boolean {
  if (entryDataLength[slot] !== data.length) return false;
  const base = slot * ENTRY_DATA_MAX;
  for (let i = 0; i < data.length; i++) if (entryData[base + i] !== data[i]) return false;
  return true;
}

/** JSON.stringify(cString(b)), '' for a field left out (overloaded); an all-zero field costs no decoder call. */
function fieldString(w: JsonlWriter, b: Uint8Array | null): void {
  if (b === null || b.length === 0 || b[0] === 0) w.put(EMPTY_STRING);
  else w.string(cString(b));
}

