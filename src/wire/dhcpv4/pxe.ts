/** Option 43 as PXE 2.1 sub-options (only when option 60 starts with "PXEClient"). */
import { asciiBytes, latin1String, putU16, u16 } from '../bytes.js';
import {
  concatBytes, ip, ipList, obj, rawHex, subOptions, u16c, u8, type Codec, type JsonValue, type SubOptionTable,
} from './codec.js';

/** UDP port of the PXE boot server (proxyDHCP requests after DHCP; PXE 2.1 §2.2). */
export const PXE_BOOT_SERVER_PORT = 4011;

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new TypeError(`dhcp4: PXE ${what} missing`);
  return v;
}

/** PXE_BOOT_SERVERS (8): { type, addresses[] } records. */
const bootServers: Codec = {
  decode(d) {
    const out: JsonValue[] = [];
    let i = 0;
    while (i < d.length) {
      if (i + 3 > d.length) return undefined;
      const count = d[i + 2]!;
      if (i + 3 + count * 4 > d.length) return undefined;
      const addresses = count ? (ipList.decode(d.subarray(i + 3, i + 3 + count * 4), NO_CTX) as JsonValue) : [];
      out.push({ type: u16(d, i), addresses });
      i += 3 + count * 4;
    }
    return out;
  },
  encode(v) {
    const parts: Uint8Array[] = [];
    for (const item of v as JsonValue[]) {
      const o = obj(item, 'boot server');
      const addrs = (o.addresses ?? []) as JsonValue[];
      const head = new Uint8Array(3);
      putU16(head, 0, need(o.type as number | undefined, 'boot server type'));
      head[2] = addrs.length;
      parts.push(head, addrs.length ? ipList.encode(addrs) : new Uint8Array(0));
    }
    return concatBytes(parts);
  },
};

/** PXE_BOOT_MENU (9): { type, description } records. */
const bootMenu: Codec = {
  decode(d) {
    const out: JsonValue[] = [];
    let i = 0;
    while (i < d.length) {
      if (i + 3 > d.length || i + 3 + d[i + 2]! > d.length) return undefined;
      out.push({ type: u16(d, i), description: latin1String(d.subarray(i + 3, i + 3 + d[i + 2]!)) });
      i += 3 + d[i + 2]!;
    }
    return out;
  },
  encode(v) {
    const parts: Uint8Array[] = [];
    for (const item of v as JsonValue[]) {
      const o = obj(item, 'boot menu entry');
      const desc = asciiBytes(String(o.description ?? ''));
      const head = new Uint8Array(3);
      putU16(head, 0, need(o.type as number | undefined, 'menu type'));
      head[2] = desc.length;
      parts.push(head, desc);
    }
    return concatBytes(parts);
  },
};

/** PXE_MENU_PROMPT (10): timeout in seconds (255: wait for a key) + prompt text. */
const menuPrompt: Codec = {
  decode: (d) => (d.length >= 1 ? { timeout: d[0]!, prompt: latin1String(d.subarray(1)) } : undefined),
  encode(v) {
    const o = obj(v, 'menu prompt');
    return concatBytes([Uint8Array.of(Number(o.timeout ?? 0)), asciiBytes(String(o.prompt ?? ''))]);
  },
};

/** PXE_BOOT_ITEM (71): boot server type + layer (bit 15: credentials requested). */
const bootItem: Codec = {
  decode: (d) => (d.length === 4 ? { type: u16(d, 0), layer: u16(d, 2) } : undefined),
  encode(v) {
    const o = obj(v, 'boot item');
    const out = new Uint8Array(4);
    putU16(out, 0, Number(o.type ?? 0));
    putU16(out, 2, Number(o.layer ?? 0));
    return out;
  },
};

const NO_CTX = { issues: null, base: 0, vendorClass: null };

/** Names as the PXE 2.1 specification spells them (PXE_MTFTP_IP…), as decode output has always
 *  printed them and finding texts quote them: the one exception to the lower-case option names. */
export const PXE_SUBOPTIONS: SubOptionTable = {
  what: 'PXE',
  padEnd: true,
  defs: {
    1: { name: 'PXE_MTFTP_IP', codec: ip },
    2: { name: 'PXE_MTFTP_CPORT', codec: u16c },
    3: { name: 'PXE_MTFTP_SPORT', codec: u16c },
    4: { name: 'PXE_MTFTP_TMOUT', codec: u8 },
    5: { name: 'PXE_MTFTP_DELAY', codec: u8 },
    6: { name: 'PXE_DISCOVERY_CONTROL', codec: u8 },
    7: { name: 'PXE_DISCOVERY_MCAST_ADDR', codec: ip },
    8: { name: 'PXE_BOOT_SERVERS', codec: bootServers },
    9: { name: 'PXE_BOOT_MENU', codec: bootMenu },
    10: { name: 'PXE_MENU_PROMPT', codec: menuPrompt },
    11: { name: 'PXE_MCAST_ADDRS_ALLOC', codec: rawHex },
    12: { name: 'PXE_CREDENTIAL_TYPES', codec: rawHex },
    71: { name: 'PXE_BOOT_ITEM', codec: bootItem },
  },
};

export const pxeVendorOptions = subOptions(PXE_SUBOPTIONS);

/** PXE_DISCOVERY_CONTROL bits (PXE 2.1 table 2-1), for text views and checks. */
export const PXE_DISCOVERY_BITS: Record<number, string> = {
  1: 'disable broadcast discovery',
  2: 'disable multicast discovery',
  4: 'only use/accept servers in PXE_BOOT_SERVERS',
  8: 'download boot file without prompt/menu',
};
