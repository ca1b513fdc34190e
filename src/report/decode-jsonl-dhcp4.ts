/**
 * The `decode --format jsonl` line of a DHCPv4 message written member by member: the same bytes as
 * JSON.stringify(decodedToJson(m)): it walks dhcpV4ToJson's member table (DHCPV4_JSON_FIELDS in
 * wire/dhcpv4/json.ts; the tests compare both over every capture, mutated messages and an extended
 * table), without the record object and its string. On
 * Node 20 that object and JSON.stringify took ~15 µs a line, the most of any record (a DHCP-heavy
 * capture writes ~1 KB per message); written here with repeated option entries cached, ~5 µs.
 */
import {
  DHCPV4_JSON_FIELDS, DHCPV4_OPTIONS_FIELD, decodeOptionValue, dhcpV4OptionsJson, overloadValue, type DhcpV4JsonField,
  type DhcpV4JsonOption, type DhcpV4Message, type DhcpV4Option,
} from '../wire/dhcpv4/index.js';
import { optionName } from '../wire/dhcpv4/options.js';
import { ascii, type JsonlWriter } from './jsonl-writer.js';

const CODE = ascii('{"code":');
const NAME = ascii(',"name":');
const VALUE = ascii(',"value":');
const AREA = ascii(',"area":');
const INSTANCES = ascii(',"instances":');
const AREAS = ascii(',"areas":');

/**
 * A writer of the members of dhcpV4ToJson(msg, fields), each after a comma: walks the same table,
 * each member's key written as bytes made once here, its value through JsonlWriter.value (the
 * same text as JSON.stringify), the `options` member by the entry cache below.
 */
export function dhcpV4MembersWriter(fields: readonly DhcpV4JsonField[]): (w: JsonlWriter, msg: DhcpV4Message) => void {
  const keys = fields.map((f) => new Uint8Array(Buffer.from(`,${JSON.stringify(f.key)}:`, 'utf8')));
  return (w, msg) => {
    const ov = overloadValue(msg);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f === DHCPV4_OPTIONS_FIELD) {
        w.put(keys[i]!);
        writeOptions(w, msg);
        continue;
      }
      const v = f.value(msg, ov);
      if (v === undefined) continue;
      const key = keys[i]!;
      // Header numbers and strings (most members) without JsonlWriter.value's dispatch.
      if (typeof v === 'number') {
        w.room(key.length + 24);
        w.putBytes(key);
        w.number(v);
      } else {
        w.put(key);
        if (typeof v === 'string') w.string(v);
        else w.value(v);
      }
    }
  };
}

/** Writes the members of dhcpV4ToJson(msg), each after a comma. */
export const writeDhcpV4Members = dhcpV4MembersWriter(DHCPV4_JSON_FIELDS);

/** `[` dhcpV4OptionsJson(msg)'s entries `]`. */
function writeOptions(w: JsonlWriter, msg: DhcpV4Message): void {
  w.byte(0x5b);
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
