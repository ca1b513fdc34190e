/** Builder for the scenario runner: typed fields and option values → a message ready to emit. */
import { asciiBytes, ipv4FromString, macFromString } from '../bytes.js';
import type { JsonValue } from './codec.js';
import {
  CHADDR_LEN, dhcpV4Length, EMPTY, FILE_LEN, FIXED_LEN, MAGIC_COOKIE, SNAME_LEN,
  type DhcpV4Area, type DhcpV4Message, type DhcpV4Option,
} from './message.js';
import { encodeOptionValue } from './options.js';

export interface DhcpV4OptionInput {
  code: number;
  /** Typed value, the shape the JSON view prints (a hex string is taken as raw bytes). */
  value?: JsonValue;
  /** Raw bytes instead of a value. */
  data?: Uint8Array;
  area?: DhcpV4Area;
}

export interface DhcpV4BuildInput {
  op?: number;
  htype?: number;
  hlen?: number;
  hops?: number;
  xid: number;
  secs?: number;
  flags?: number;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  /** "aa:bb:cc:dd:ee:ff" (up to 16 bytes). */
  chaddr?: string;
  sname?: string;
  file?: string;
  options?: DhcpV4OptionInput[];
  /** Leave out the magic cookie and options (plain BOOTP). */
  bootp?: boolean;
  /** Append END to each used area (default true). */
  end?: boolean;
  /** Zero-pad after END up to this total length (e.g. 300, the BOOTP minimum). */
  padTo?: number;
}

const CLIENT_TYPES = new Set([1, 3, 4, 7, 8]);
const AREA_RANK: Record<DhcpV4Area, number> = { options: 0, file: 1, sname: 2 };

function fixedField(s: string | undefined, len: number): Uint8Array {
  const out = new Uint8Array(len);
  if (s) out.set(asciiBytes(s).subarray(0, len));
  return out;
}

/**
 * A message from typed fields and option values, encoded with the same codec table the decoder
 * uses. Values longer than 255 bytes are split into several instances (RFC 3396). Throws TypeError
 * on a value of the wrong shape.
 */
export function buildDhcpV4(input: DhcpV4BuildInput): DhcpV4Message {
  const chaddrBytes = input.chaddr ? macFromString(input.chaddr) : new Uint8Array(0);
  const chaddr = new Uint8Array(CHADDR_LEN);
  chaddr.set(chaddrBytes.subarray(0, CHADDR_LEN));
  const options: DhcpV4Option[] = [];
  const areas = new Set<DhcpV4Area>();
  let type: number | null = null;
  for (const o of input.options ?? []) {
    const area = o.area ?? 'options';
    areas.add(area);
    if (o.code === 0 || o.code === 255) { options.push({ code: o.code, data: EMPTY, area, offset: -1 }); continue; }
    const data = o.data ?? encodeOptionValue(o.code, o.value ?? null);
    if (o.code === 53 && data.length) type = data[0]!;
    if (data.length <= 255) { options.push({ code: o.code, data, area, offset: -1 }); continue; } // one instance: no view needed
    let i = 0;
    do {
      options.push({ code: o.code, data: data.subarray(i, i + 255), area, offset: -1 });
      i += 255;
    } while (i < data.length);
  }
  if (input.end !== false && !input.bootp) {
    areas.add('options');
    for (const area of ['options', 'file', 'sname'] as const) {
      if (areas.has(area)) options.push({ code: 255, data: EMPTY, area, offset: -1 });
    }
    // Keep RFC 3396 order (options, file, sname) so getOption joins as a receiver would.
    if (areas.size > 1) options.sort((a, b) => AREA_RANK[a.area] - AREA_RANK[b.area]);
  }
  const msg: DhcpV4Message = {
    op: input.op ?? (type === null || CLIENT_TYPES.has(type) ? 1 : 2),
    htype: input.htype ?? 1,
    hlen: input.hlen ?? (chaddrBytes.length || 6),
    hops: input.hops ?? 0,
    xid: input.xid >>> 0,
    secs: input.secs ?? 0,
    flags: input.flags ?? 0,
    ciaddr: input.ciaddr === undefined ? new Uint8Array(4) : ipv4FromString(input.ciaddr),
    yiaddr: input.yiaddr === undefined ? new Uint8Array(4) : ipv4FromString(input.yiaddr),
    siaddr: input.siaddr === undefined ? new Uint8Array(4) : ipv4FromString(input.siaddr),
    giaddr: input.giaddr === undefined ? new Uint8Array(4) : ipv4FromString(input.giaddr),
    chaddr,
    sname: fixedField(input.sname, SNAME_LEN),
    file: fixedField(input.file, FILE_LEN),
    cookie: input.bootp ? new Uint8Array(0) : MAGIC_COOKIE.slice(),
    options: input.bootp ? [] : options,
    trailer: EMPTY,
    headerLength: FIXED_LEN,
  };
  const len = dhcpV4Length(msg);
  if (input.padTo && input.padTo > len) msg.trailer = new Uint8Array(input.padTo - len);
  return msg;
}
