/** JSON view of a DHCPv4 message: the public contract of `pxecheck decode --format jsonl`. */
import { cString, hex, ipv4ToString } from '../bytes.js';
import type { JsonValue } from './codec.js';
import { clientMac, msgTypeName } from './accessors.js';
import { getOption, hasDhcpCookie, overloadValue, vendorClass, type DhcpV4Area, type DhcpV4Message } from './message.js';
import { decodeOptionValue, optionName } from './options.js';

export interface DhcpV4JsonOption {
  code: number;
  name: string;
  value: JsonValue;
  /** Only for options read from an overloaded `file` or `sname` field. */
  area?: Exclude<DhcpV4Area, 'options'>;
  /** RFC 3396: how many instances were joined into `value` (only when more than one). */
  instances?: number;
  /** Areas the joined instances came from (only when more than one area). */
  areas?: DhcpV4Area[];
}

/**
 * One entry per option code (RFC 3396: every instance in options, file and sname joined, as a
 * client reads them; placed at the first instance), in wire order, PAD and END left out. Values are JSON-friendly; raw bytes are hex strings.
 */
export function dhcpV4OptionsJson(msg: DhcpV4Message): DhcpV4JsonOption[] {
  const vc = vendorClass(msg);
  const out: DhcpV4JsonOption[] = [];
  const options = msg.options;
  for (let k = 0; k < options.length; k++) {
    const o = options[k]!;
    const code = o.code;
    if (code === 0 || code === 255 || firstIndex(options, code) !== k) continue;
    const data = getOption(msg, code)!;
    const { value } = decodeOptionValue(code, data, { issues: null, base: 0, vendorClass: vc });
    const entry: DhcpV4JsonOption = { code, name: optionName(code), value };
    if (o.area !== 'options') entry.area = o.area;
    // Repeated instances (RFC 3396) are rare: count them, and list areas only when they differ.
    let n = 1;
    let areas: DhcpV4Area[] | null = null;
    for (let j = k + 1; j < options.length; j++) {
      const x = options[j]!;
      if (x.code !== code) continue;
      n++;
      if (x.area !== o.area && !areas?.includes(x.area)) (areas ??= [o.area]).push(x.area);
    }
    if (n > 1) entry.instances = n;
    if (areas) entry.areas = areas;
    out.push(entry);
  }
  return out;
}

/** Index of the first option with this code (options lists are short: a scan, no Set per message). */
function firstIndex(options: DhcpV4Message['options'], code: number): number {
  for (let i = 0; ; i++) if (options[i]!.code === code) return i;
}

/**
 * One member of the JSON view: its key and its value for a message (`overload`: overloadValue(msg),
 * read once per message); undefined leaves the member out of that message. Module-level functions:
 * walkers call them per message without creating any.
 */
export interface DhcpV4JsonField {
  readonly key: string;
  readonly value: (msg: DhcpV4Message, overload: number) => JsonValue | undefined;
}

/** The `options` member (dhcpV4OptionsJson): a writer with its own option-entry path finds it by identity. */
export const DHCPV4_OPTIONS_FIELD: DhcpV4JsonField = {
  key: 'options',
  value: (msg) => dhcpV4OptionsJson(msg) as unknown as JsonValue,
};

/**
 * The members of the JSON view in output order, the one list both writers walk: dhcpV4ToJson
 * (an object) and `decode --format jsonl`'s byte writer (report/decode-jsonl-dhcp4.ts). A member
 * added here appears in both. `sname`/`file` are "" when option 52 says they hold options.
 */
export const DHCPV4_JSON_FIELDS: readonly DhcpV4JsonField[] = [
  { key: 'op', value: (msg) => msg.op },
  { key: 'htype', value: (msg) => msg.htype },
  { key: 'hlen', value: (msg) => msg.hlen },
  { key: 'hops', value: (msg) => msg.hops },
  { key: 'xid', value: (msg) => msg.xid },
  { key: 'secs', value: (msg) => msg.secs },
  { key: 'flags', value: (msg) => msg.flags },
  { key: 'msgType', value: (msg) => msgTypeName(msg) },
  { key: 'ciaddr', value: (msg) => ipv4ToString(msg.ciaddr) },
  { key: 'yiaddr', value: (msg) => ipv4ToString(msg.yiaddr) },
  { key: 'siaddr', value: (msg) => ipv4ToString(msg.siaddr) },
  { key: 'giaddr', value: (msg) => ipv4ToString(msg.giaddr) },
  { key: 'chaddr', value: (msg) => clientMac(msg) },
  { key: 'sname', value: (msg, ov) => (ov & 2 ? '' : fieldText(msg.sname)) },
  { key: 'file', value: (msg, ov) => (ov & 1 ? '' : fieldText(msg.file)) },
  { key: 'overload', value: (_msg, ov) => (ov >= 1 && ov <= 3 ? ov : undefined) },
  { key: 'cookie', value: (msg) => (!hasDhcpCookie(msg) && msg.cookie.length ? hex(msg.cookie) : undefined) },
  DHCPV4_OPTIONS_FIELD,
  { key: 'trailerLength', value: (msg) => (msg.trailer.length && hasDhcpCookie(msg) ? msg.trailer.length : undefined) },
];

/** cString of a header field; an empty or NUL-led one (most sname/file fields) without a decoder call. */
function fieldText(b: Uint8Array): string {
  return b.length === 0 || b[0] === 0 ? '' : cString(b);
}

/** The JSON view of a message: the members of `fields` (DHCPV4_JSON_FIELDS) that it has. */
export function dhcpV4ToJson(msg: DhcpV4Message, fields: readonly DhcpV4JsonField[] = DHCPV4_JSON_FIELDS): { [key: string]: JsonValue } {
  const ov = overloadValue(msg);
  const json: { [key: string]: JsonValue } = {};
  for (const f of fields) {
    const v = f.value(msg, ov);
    if (v !== undefined) json[f.key] = v;
  }
  return json;
}
