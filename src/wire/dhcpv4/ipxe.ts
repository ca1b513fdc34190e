/** Option 175, iPXE (Etherboot) encapsulated options; names follow iPXE's include/ipxe/dhcp.h. */
import { putU16, u16 } from '../bytes.js';
import { i8, obj, rawHex, subOptions, text, u8, type Codec, type SubOptionDef, type SubOptionTable } from './codec.js';

/** Feature indicators 0x10-0x4f (include/ipxe/features.h): usually one byte (1), kept as number. */
const FEATURES: Record<number, string> = {
  0x10: 'pxe-ext', 0x11: 'iscsi', 0x12: 'aoe', 0x13: 'http', 0x14: 'https', 0x15: 'tftp',
  0x16: 'ftp', 0x17: 'dns', 0x18: 'bzimage', 0x19: 'multiboot', 0x1a: 'slam', 0x1b: 'srp',
  0x20: 'nbi', 0x21: 'pxe', 0x22: 'elf', 0x23: 'comboot', 0x24: 'efi', 0x25: 'fcoe', 0x26: 'vlan',
  0x27: 'menu', 0x28: 'sdi', 0x29: 'nfs',
};

/** The iPXE sub-options our generated iPXE client sends: feature flags and its version. */
export const IpxeSubOption = {
  FEATURE_HTTP: 0x13, FEATURE_TFTP: 0x15, FEATURE_DNS: 0x17, FEATURE_PXE: 0x21, FEATURE_EFI: 0x24, VERSION: 0xeb,
} as const;

/** A feature value: 1 byte → number, otherwise hex. Any bytes decode (`total`): an option 175
 *  of flags passes the parse's value check without being decoded (every iPXE request has one). */
const featureValue: Codec = {
  total: true,
  decode: (d) => (d.length === 1 ? d[0]! : rawHex.decode(d, { issues: null, base: 0, vendorClass: null })),
  encode: (v) => (typeof v === 'number' ? Uint8Array.of(v) : rawHex.encode(v)),
};

/** Bus id (0xb1): bus type, then for PCI (1) vendor and device ids. */
const busId: Codec = {
  valid: (d) => d.length === 5,
  decode: (d) => (d.length === 5 ? { type: d[0]!, vendor: u16(d, 1), device: u16(d, 3) } : undefined),
  encode(v) {
    const o = obj(v, 'bus id');
    const out = new Uint8Array(5);
    out[0] = Number(o.type ?? 1);
    putU16(out, 1, Number(o.vendor ?? 0));
    putU16(out, 3, Number(o.device ?? 0));
    return out;
  },
};

/** Version (0xeb): major, minor, patch bytes → "1.21.1". */
const version: Codec = {
  valid: (d) => d.length >= 1,
  decode: (d) => (d.length >= 1 ? Array.from(d).join('.') : undefined),
  encode(v) {
    if (typeof v !== 'string' || !/^\d+(\.\d+)*$/.test(v)) throw new TypeError(`dhcp4: bad iPXE version ${String(v)}`);
    return Uint8Array.from(v.split('.').map(Number));
  },
};

const defs: Record<number, SubOptionDef> = {
  0x01: { name: 'priority', codec: i8 },
  0x02: { name: 'yiaddr', codec: rawHex },
  0x03: { name: 'siaddr', codec: rawHex },
  0x08: { name: 'keep-san', codec: u8 },
  0x09: { name: 'skip-san-boot', codec: u8 },
  0x51: { name: 'scriptlet', codec: text },
  0x55: { name: 'syslogs', codec: text },
  0x5a: { name: 'trust', codec: rawHex },
  0x5b: { name: 'cert', codec: rawHex },
  0x5c: { name: 'privkey', codec: rawHex },
  0x5d: { name: 'crosscert', codec: text },
  0xb0: { name: 'no-pxedhcp', codec: u8 },
  0xb1: { name: 'bus-id', codec: busId },
  0xb2: { name: 'use-cached', codec: u8 },
  0xbd: { name: 'bios-drive', codec: u8 },
  0xbe: { name: 'username', codec: text },
  0xbf: { name: 'password', codec: text },
  0xc0: { name: 'reverse-username', codec: text },
  0xc1: { name: 'reverse-password', codec: text },
  0xc2: { name: 'uid', codec: rawHex },
  0xc3: { name: 'gid', codec: rawHex },
  0xeb: { name: 'version', codec: version },
};
for (const [code, name] of Object.entries(FEATURES)) defs[Number(code)] = { name, codec: featureValue };

export const IPXE_SUBOPTIONS: SubOptionTable = { what: 'iPXE', padEnd: true, defs };

export const ipxeEncapsulated = subOptions(IPXE_SUBOPTIONS);
