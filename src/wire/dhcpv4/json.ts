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

export function dhcpV4ToJson(msg: DhcpV4Message): { [key: string]: JsonValue } {
  const ov = overloadValue(msg);
  const json: { [key: string]: JsonValue } = {
    op: msg.op,
    htype: msg.htype,
    hlen: msg.hlen,
    hops: msg.hops,
    xid: msg.xid,
    secs: msg.secs,
    flags: msg.flags,
    msgType: msgTypeName(msg),
    ciaddr: ipv4ToString(msg.ciaddr),
    yiaddr: ipv4ToString(msg.yiaddr),
    siaddr: ipv4ToString(msg.siaddr),
    giaddr: ipv4ToString(msg.giaddr),
    chaddr: clientMac(msg),
    sname: ov & 2 ? '' : cString(msg.sname),
    file: ov & 1 ? '' : cString(msg.file),
  };
  if (ov >= 1 && ov <= 3) json.overload = ov;
  if (!hasDhcpCookie(msg) && msg.cookie.length) json.cookie = hex(msg.cookie);
  json.options = dhcpV4OptionsJson(msg) as unknown as JsonValue;
  if (msg.trailer.length && hasDhcpCookie(msg)) json.trailerLength = msg.trailer.length;
  return json;
}
