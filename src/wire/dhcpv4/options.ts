/**
 * The DHCPv4 option table: code ↔ name ↔ value codec (RFC 2132 and successors, IANA
 * "BOOTP Vendor Extensions and DHCP Options"). Codes missing here decode as raw hex. It is the one
 * name table: decode output, analyze, the scenario language and docs/scenarios.md all use it.
 *
 * Naming convention (DHCPv4 and DHCPv6 alike): lower-case words joined by "-", as ISC dhcpd and
 * Kea name options (`bootfile-name`, `tftp-server-address`); see dhcpv6/names.ts for DHCPv6.
 */
import { asciiBytes, fromHex, hex, latin1String, putU16, u16 } from '../bytes.js';
import {
  concatBytes, decodeWireName, domainList, encodeName, enterpriseData, flag, i32, ip, ipList, namedU16List,
  namedU8, obj, rawHex, report, text, u16c, u32c, u8, u8List, type Codec, type DecodeCtx, type JsonValue, type ValueKind,
} from './codec.js';
import { ipxeEncapsulated } from './ipxe.js';
import { pxeVendorOptions } from './pxe.js';
import { relayAgentInfo } from './relay-agent.js';

export const DhcpV4Code = {
  PAD: 0, SUBNET_MASK: 1, ROUTER: 3, DNS: 6, HOST_NAME: 12, DOMAIN_NAME: 15, BROADCAST_ADDRESS: 28, VENDOR_SPECIFIC: 43,
  REQUESTED_IP: 50, LEASE_TIME: 51, OVERLOAD: 52, MESSAGE_TYPE: 53, SERVER_ID: 54, PARAMETER_LIST: 55,
  MESSAGE: 56, MAX_MESSAGE_SIZE: 57, RENEWAL_TIME: 58, REBINDING_TIME: 59, VENDOR_CLASS: 60, CLIENT_ID: 61, TFTP_SERVER_NAME: 66,
  BOOTFILE_NAME: 67, USER_CLASS: 77, CLIENT_FQDN: 81, RELAY_AGENT_INFO: 82, CLIENT_ARCH: 93,
  CLIENT_NDI: 94, CLIENT_UUID: 97, DOMAIN_SEARCH: 119, CLASSLESS_ROUTES: 121, VI_VENDOR_CLASS: 124,
  VI_VENDOR_SPECIFIC: 125, TFTP_SERVER_ADDRESS: 150, IPXE_ENCAP: 175, PXELINUX_CONFIG_FILE: 209,
  PXELINUX_PATH_PREFIX: 210, PXELINUX_REBOOT_TIME: 211, WPAD: 252, END: 255,
} as const;

export const DhcpV4MessageType = {
  DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8,
} as const;

export const MESSAGE_TYPE_NAMES: Record<number, string> = {
  1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM',
  9: 'FORCERENEW', 10: 'LEASEQUERY', 11: 'LEASEUNASSIGNED', 12: 'LEASEUNKNOWN', 13: 'LEASEACTIVE',
  14: 'BULKLEASEQUERY', 15: 'LEASEQUERYDONE', 16: 'ACTIVELEASEQUERY', 17: 'LEASEQUERYSTATUS', 18: 'TLS',
};

/** IANA "Processor Architecture Types" (option 93, RFC 4578 / RFC 5970). */
export const CLIENT_ARCH_NAMES: Record<number, string> = {
  0: 'x86 BIOS', 1: 'NEC/PC98', 2: 'Itanium', 3: 'DEC Alpha', 4: 'Arc x86', 5: 'Intel Lean Client',
  6: 'x86 UEFI', 7: 'x64 UEFI', 8: 'EFI Xscale', 9: 'EBC', 10: 'ARM32 UEFI', 11: 'ARM64 UEFI',
  12: 'PowerPC Open Firmware', 13: 'PowerPC ePAPR', 14: 'POWER OPAL v3', 15: 'x86 UEFI HTTP',
  16: 'x64 UEFI HTTP', 17: 'EBC HTTP', 18: 'ARM32 UEFI HTTP', 19: 'ARM64 UEFI HTTP', 20: 'x86 BIOS HTTP',
  21: 'ARM32 U-Boot', 22: 'ARM64 U-Boot', 23: 'ARM32 U-Boot HTTP', 24: 'ARM64 U-Boot HTTP',
  25: 'RISC-V 32 UEFI', 26: 'RISC-V 32 UEFI HTTP', 27: 'RISC-V 64 UEFI', 28: 'RISC-V 64 UEFI HTTP',
  29: 'RISC-V 128 UEFI', 30: 'RISC-V 128 UEFI HTTP', 31: 's390 Basic', 32: 's390 Extended',
  33: 'MIPS32 UEFI', 34: 'MIPS64 UEFI', 35: 'Sunway32 UEFI', 36: 'Sunway64 UEFI', 37: 'LoongArch32 UEFI',
  38: 'LoongArch32 UEFI HTTP', 39: 'LoongArch64 UEFI', 40: 'LoongArch64 UEFI HTTP', 41: 'ARM rpiboot',
};

export interface OptionDef {
  name: string;
  codec: Codec;
}

/** The shape of an option's decoded value (`hex` for codes the table lacks). */
export function optionKind(code: number): ValueKind {
  return OPTIONS[code]?.codec.kind ?? 'hex';
}

/** Option 43: PXE sub-options when the vendor class says PXEClient, raw hex otherwise. */
const vendorSpecific: Codec = {
  kind: 'sub-options',
  decode: (d, ctx) => (ctx.vendorClass?.startsWith('PXEClient') ? pxeVendorOptions.decode(d, ctx) : hex(d)),
  encode: (v) => (Array.isArray(v) ? pxeVendorOptions.encode(v) : rawHex.encode(v)),
};

/** Option 61: type byte + identifier (colon hex; type 1 + 6 bytes is a MAC address). */
const clientId: Codec = {
  kind: 'record',
  valid: (d) => d.length >= 1,
  decode: (d) => (d.length >= 1 ? { type: d[0]!, id: hex(d.subarray(1), ':') } : undefined),
  encode(v) {
    const o = obj(v, 'client id');
    return concatBytes([Uint8Array.of(Number(o.type ?? 0)), fromHex(String(o.id ?? ''))]);
  },
};

/** The list userClassInstances answers with (shared: a caller reads it before the next call). */
const USER_CLASS_STARTS: number[] = [];

/**
 * Option 77 read as RFC 3004 instances (each a length byte and that many bytes, none empty, none past
 * the option's end): each instance's offset (of its length byte), in a list shared by every call.
 * Null for anything else, an empty option too: then the whole option is one plain-text class (iPXE
 * sends "iPXE"). The one reading of the option's bytes (its codec, isIpxe).
 */
export function userClassInstances(d: Uint8Array): readonly number[] | null {
  const starts = USER_CLASS_STARTS;
  starts.length = 0;
  for (let i = 0; i < d.length; i += 1 + d[i]!) {
    if (d[i] === 0 || i + 1 + d[i]! > d.length) return null;
    starts.push(i);
  }
  return d.length > 0 ? starts : null;
}

/** Option 77: RFC 3004 length-prefixed instances; anything else (iPXE sends "iPXE") is plain text. */
const userClass: Codec = {
  kind: 'text-list',
  valid: () => true, // anything that is not RFC 3004 instances is plain text
  decode(d) {
    const starts = userClassInstances(d);
    if (starts === null) return latin1String(d);
    return starts.map((at) => latin1String(d.subarray(at + 1, at + 1 + d[at]!)));
  },
  encode(v) {
    if (typeof v === 'string') return asciiBytes(v);
    return concatBytes((v as JsonValue[]).map((s) => concatBytes([Uint8Array.of(String(s).length), asciiBytes(String(s))])));
  },
};

/** Option 81 (RFC 4702): flags, two obsolete rcodes, name (DNS wire form when flag E is set). */
const clientFqdn: Codec = {
  kind: 'record',
  decode(d) {
    if (d.length < 3) return undefined;
    const nameBytes = d.subarray(3);
    const name = d[0]! & 0x04 ? decodeWireName(nameBytes) : latin1String(nameBytes);
    if (name === null) return undefined;
    return { flags: d[0]!, rcode1: d[1]!, rcode2: d[2]!, name };
  },
  encode(v) {
    const o = obj(v, 'client FQDN');
    const flags = Number(o.flags ?? 0);
    const name = String(o.name ?? '');
    return concatBytes([
      Uint8Array.of(flags, Number(o.rcode1 ?? 0), Number(o.rcode2 ?? 0)),
      flags & 0x04 ? (name ? encodeName(name) : new Uint8Array(0)) : asciiBytes(name),
    ]);
  },
};

/** Option 94: interface type (1 = UNDI), major, minor. */
const clientNdi: Codec = {
  kind: 'record',
  valid: (d) => d.length === 3,
  decode: (d) => (d.length === 3 ? { type: d[0]!, major: d[1]!, minor: d[2]! } : undefined),
  encode(v) {
    const o = obj(v, 'client NDI');
    return Uint8Array.of(Number(o.type ?? 1), Number(o.major ?? 0), Number(o.minor ?? 0));
  },
};

/** Option 97: type (0) + 16-byte GUID, printed in wire byte order. */
const clientUuid: Codec = {
  kind: 'record',
  valid: (d) => d.length === 17,
  decode(d) {
    if (d.length !== 17) return undefined;
    const h = hex(d.subarray(1));
    return { type: d[0]!, uuid: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` };
  },
  encode(v) {
    const o = obj(v, 'client UUID');
    const id = fromHex(String(o.uuid ?? ''));
    if (id.length !== 16) throw new TypeError('dhcp4: UUID must be 16 bytes');
    return concatBytes([Uint8Array.of(Number(o.type ?? 0)), id]);
  },
};

/** Option 121 (RFC 3442): width, significant destination octets, router. */
const classlessRoutes: Codec = {
  kind: 'record-list',
  decode(d) {
    const out: JsonValue[] = [];
    let i = 0;
    while (i < d.length) {
      const width = d[i]!;
      const n = (width + 7) >> 3;
      if (width > 32 || i + 1 + n + 4 > d.length) return undefined;
      const dest = [0, 0, 0, 0];
      for (let k = 0; k < n; k++) dest[k] = d[i + 1 + k]!;
      const r = i + 1 + n;
      out.push({ destination: `${dest.join('.')}/${width}`, router: `${d[r]}.${d[r + 1]}.${d[r + 2]}.${d[r + 3]}` });
      i = r + 4;
    }
    return out;
  },
  encode(v) {
    const parts: Uint8Array[] = [];
    for (const item of v as JsonValue[]) {
      const o = obj(item, 'route');
      const [net, w] = String(o.destination ?? '0.0.0.0/0').split('/');
      const width = Number(w ?? 32);
      const destBytes = ip.encode(net ?? '0.0.0.0').subarray(0, (width + 7) >> 3);
      parts.push(Uint8Array.of(width), destBytes, ip.encode(o.router ?? null));
    }
    return concatBytes(parts);
  },
};

/** Option 143 (RFC 8572): u16-length-prefixed bootstrap server URIs. */
const sztpRedirect: Codec = {
  kind: 'text-list',
  decode(d) {
    const out: string[] = [];
    let i = 0;
    while (i < d.length) {
      if (i + 2 > d.length || i + 2 + u16(d, i) > d.length) return undefined;
      out.push(latin1String(d.subarray(i + 2, i + 2 + u16(d, i))));
      i += 2 + u16(d, i);
    }
    return out;
  },
  encode(v) {
    return concatBytes((v as JsonValue[]).map((s) => {
      const b = asciiBytes(String(s));
      const head = new Uint8Array(2);
      putU16(head, 0, b.length);
      return concatBytes([head, b]);
    }));
  },
};


/** Options with an empty body (80 rapid commit): true. */
const present: Codec = {
  kind: 'empty',
  valid: (d) => d.length === 0,
  decode: (d) => (d.length === 0 ? true : undefined),
  encode: () => new Uint8Array(0),
};

const def = (name: string, codec: Codec): OptionDef => ({ name, codec });

export const OPTIONS: Record<number, OptionDef> = {
  1: def('subnet-mask', ip),
  2: def('time-offset', i32),
  3: def('router', ipList),
  4: def('time-server', ipList),
  5: def('name-server', ipList),
  6: def('domain-name-server', ipList),
  7: def('log-server', ipList),
  9: def('lpr-server', ipList),
  12: def('host-name', text),
  13: def('boot-file-size', u16c),
  14: def('merit-dump-file', text),
  15: def('domain-name', text),
  16: def('swap-server', ip),
  17: def('root-path', text),
  18: def('extensions-path', text),
  19: def('ip-forwarding', flag),
  23: def('default-ip-ttl', u8),
  26: def('interface-mtu', u16c),
  28: def('broadcast-address', ip),
  33: def('static-routes', ipList),
  35: def('arp-cache-timeout', u32c),
  40: def('nis-domain', text),
  41: def('nis-servers', ipList),
  42: def('ntp-servers', ipList),
  43: def('vendor-specific', vendorSpecific),
  44: def('netbios-name-servers', ipList),
  46: def('netbios-node-type', u8),
  47: def('netbios-scope', text),
  50: def('requested-ip', ip),
  51: def('lease-time', u32c),
  52: def('overload', u8) /* 1 file, 2 sname, 3 both; the range is checked by parseDhcpV4 */,
  53: def('message-type', namedU8(MESSAGE_TYPE_NAMES)),
  54: def('server-id', ip),
  55: def('parameter-request-list', u8List),
  56: def('message', text),
  57: def('max-message-size', u16c),
  58: def('renewal-time', u32c),
  59: def('rebinding-time', u32c),
  60: def('vendor-class', text),
  61: def('client-id', clientId),
  66: def('tftp-server-name', text),
  67: def('bootfile-name', text),
  69: def('smtp-servers', ipList),
  77: def('user-class', userClass),
  80: def('rapid-commit', present),
  81: def('client-fqdn', clientFqdn),
  82: def('relay-agent-info', relayAgentInfo),
  93: def('client-arch', namedU16List(CLIENT_ARCH_NAMES)),
  94: def('client-ndi', clientNdi),
  97: def('client-uuid', clientUuid),
  100: def('tz-posix', text),
  101: def('tz-database', text),
  108: def('ipv6-only-preferred', u32c),
  114: def('captive-portal', text),
  116: def('auto-config', u8),
  118: def('subnet-selection', ip),
  119: def('domain-search', domainList),
  121: def('classless-static-routes', classlessRoutes),
  124: def('vi-vendor-class', enterpriseData),
  125: def('vi-vendor-specific', enterpriseData),
  143: def('sztp-redirect', sztpRedirect),
  150: def('tftp-server-address', ipList),
  160: def('provisioning-server', text),
  175: def('ipxe-encap', ipxeEncapsulated),
  209: def('pxelinux-config-file', text),
  210: def('pxelinux-path-prefix', text),
  211: def('pxelinux-reboot-time', u32c),
  252: def('wpad', text),
};

/** Can the value of this option be malformed? Not for unknown options (kept as raw bytes) nor
 *  for codecs that take any bytes: parsing skips decoding those just to validate them. */
export function optionValueCheckable(code: number): boolean {
  const d = OPTIONS[code];
  return d !== undefined && d.codec.total !== true;
}

/** Does the option's value decode without an issue, by a check that builds nothing? False means
 *  "not known": decode it to find out. */
export function optionValueValid(code: number, data: Uint8Array): boolean {
  const v = OPTIONS[code]?.codec.valid;
  return v !== undefined && v(data);
}

export function optionName(code: number): string {
  if (code === 0) return 'pad';
  if (code === 255) return 'end';
  return OPTIONS[code]?.name ?? `option-${code}`;
}

const CODE_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(OPTIONS).map(([code, d]) => [d.name, Number(code)]));

/** The code of a table name (`bootfile-name` → 67), or undefined. */
export function optionCode(name: string): number | undefined {
  return CODE_BY_NAME.get(name);
}

/** Every named option, by code. */
export function namedOptions(): Array<{ code: number; name: string; kind: ValueKind }> {
  return Object.entries(OPTIONS).map(([code, d]) => ({ code: Number(code), name: d.name, kind: d.codec.kind ?? 'hex' }));
}

/**
 * Typed value of an option's (RFC 3396-joined) data. A value that does not fit its type pushes a
 * `malformed` issue at `ctx.base` and comes back as raw hex with ok=false.
 */
export function decodeOptionValue(code: number, data: Uint8Array, ctx: DecodeCtx): { value: JsonValue; ok: boolean } {
  const d = OPTIONS[code];
  if (!d) return { value: hex(data), ok: true };
  const before = ctx.issues?.length ?? 0;
  const value = d.codec.decode(data, ctx);
  if (value !== undefined) return { value, ok: true };
  if ((ctx.issues?.length ?? 0) === before) {
    report(ctx, 'malformed', 0, `option ${code} (${d.name}): ${data.length} byte(s) do not fit its type`);
  }
  return { value: hex(data), ok: false };
}

/** Bytes of a typed value (the same codec as decoding; a hex string is accepted as raw bytes). */
export function encodeOptionValue(code: number, value: JsonValue): Uint8Array {
  const d = OPTIONS[code];
  if (!d) return rawHex.encode(value);
  try {
    return d.codec.encode(value);
  } catch (e) {
    if (typeof value === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(value) && d.codec !== text) return rawHex.encode(value);
    throw e;
  }
}
