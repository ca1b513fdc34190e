/**
 * IPv6 client personas: what each firmware puts in its DHCPv6 messages, in the order it puts it.
 * EDK2 (uefi-x64-v6) and iPXE (ipxe-v6) are copied from captures/lab-v6/uefi-pxe6-kea.pcapng
 * (frames 17, 29, 31: OVMF; 337, 339: iPXE snponly.efi) and checked byte for byte in
 * personas-v6.test.ts. uefi-http-v6 has no capture yet: it follows EDK2's
 * NetworkPkg/HttpBootDxe/HttpBootDhcp6.c (HttpBootBuildDhcp6Options), see the comments below.
 * Options are raw bytes; client id, server id, IA_NA, elapsed time and rapid commit belong to the
 * state machine, which places them where `persona6Layout` says.
 */
import { asciiBytes, fromHex, macFromString, putU16, putU32 } from '../wire/bytes.js';

export const PERSONAS_V6 = ['uefi-x64-v6', 'uefi-http-v6', 'ipxe-v6'] as const;
export type Persona6 = (typeof PERSONAS_V6)[number];

export type Persona6Message = 'solicit' | 'request' | 'renew' | 'rebind' | 'confirm' | 'release' | 'information-request';

export interface Persona6Overrides {
  /** Option 61 (and the digits in the vendor class) instead of the persona's. */
  arch?: number;
  /** 32 hex digits: the SMBIOS UUID as the 16 bytes go on the wire. EDK2 switches to DUID-UUID
   *  when it is not all zeros (Dhcp6GenerateClientId); iPXE always sends DUID-UUID. */
  uuid?: string;
  /** Vendor class data (option 16, enterprise 343) instead of the persona's. */
  vendorClass?: string;
  /** Option 15 items (replaces iPXE's "iPXE"; added after the other options for EDK2). */
  userClass?: string[];
  /** Options replacing the persona's option of the same code in place, or appended. */
  options?: Array<{ code: number; data: Uint8Array }>;
  /** Option codes left out. */
  remove?: number[];
  /** DUID-LLT time for the EDK2 personas (default the captured 0x31db7486; EDK2 stamps the first
   *  boot's RTC, "seconds since 2000 with 30-day months", and keeps it in the ClientId variable). */
  duidTime?: number;
}

/** The state machine's own options, as slots in a message's option list. */
export type Persona6Slot = 'client' | 'server' | 'ia' | 'elapsed' | 'persona';

export interface Persona6Layout {
  /** Option order; slots a message does not carry (server id in a Solicit) are skipped. */
  order: Persona6Slot[];
  /** T1/T2 the client puts in IA_NA when it has none to give: EDK2 0xffffffff, iPXE 0. */
  iaUnsetTimes: number;
  /** Request echoes the advertised IA_NA (T1, T2, lifetimes) as EDK2 does; iPXE sends zeros. */
  echoAdvertisedIa: boolean;
  /** A new transaction id for the Request (EDK2 Service->Xid++); iPXE keeps the Solicit's. */
  newXidForRequest: boolean;
  /** Seconds to wait for more Advertises after the first: iPXE takes the first at once
   *  (dhcpv6_rx moves to the next state), EDK2 follows RFC 8415 §18.2.1 (first RT, 1 s). */
  advertiseWindow: number;
}

/** RFC 8415 §21 / RFC 5970 option codes used here. */
const OPT = { ORO: 6, USER_CLASS: 15, VENDOR_CLASS: 16, ARCH: 61, NII: 62 } as const;
/** Intel's enterprise number: both EDK2 (PXEBC_/HTTP_BOOT_DHCP6_ENTERPRISE_NUM) and iPXE use it. */
const ENTERPRISE_INTEL = 343;
/** The captured OVMF DUID-LLT time (frame 17: 0001 0001 31db7486 525400000ef6). */
const EDK2_DUID_TIME = 0x31db7486;

function isEdk2(p: Persona6): boolean {
  return p !== 'ipxe-v6';
}

/** Option 61: 7 (x64 UEFI) for PXEv6, 16 (x64 UEFI HTTP, EFI_HTTP_BOOT_CLIENT_SYSTEM_ARCHITECTURE
 *  on X64) for HTTP boot, 7 for iPXE's EFI build (frame 337: 003d 0002 0007). */
export function persona6Arch(p: Persona6, o: Persona6Overrides = {}): number | null {
  return o.arch ?? (p === 'uefi-http-v6' ? 16 : 7);
}

function u16Bytes(v: number): Uint8Array {
  const b = new Uint8Array(2);
  putU16(b, 0, v);
  return b;
}

/** Option 16 payload: enterprise(4) then one length-prefixed item (RFC 8415 §21.16). */
function vendorClassData(text: string): Uint8Array {
  const s = asciiBytes(text);
  const out = new Uint8Array(6 + s.length);
  putU32(out, 0, ENTERPRISE_INTEL);
  putU16(out, 4, s.length);
  out.set(s, 6);
  return out;
}

/** Option 15 payload: length-prefixed items (RFC 8415 §21.15). */
function userClassData(items: string[]): Uint8Array {
  const parts = items.map(asciiBytes);
  const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0));
  let o = 0;
  for (const p of parts) { putU16(out, o, p.length); out.set(p, o + 2); o += 2 + p.length; }
  return out;
}

function oro(codes: number[]): Uint8Array {
  const out = new Uint8Array(codes.length * 2);
  codes.forEach((c, i) => putU16(out, i * 2, c));
  return out;
}

function classId(prefix: string, arch: number, undi: string): string {
  return `${prefix}:Arch:${String(arch).padStart(5, '0')}:UNDI:${undi}`;
}

type Opt = { code: number; data: Uint8Array };

function baseOptions(p: Persona6, msg: Persona6Message, o: Persona6Overrides): Opt[] {
  const arch = persona6Arch(p, o)!;
  if (isEdk2(p)) {
    // Dhcp6SendReleaseMsg appends no user options (Dhcp6Io.c; capture frame 31).
    if (msg === 'release') return [];
    // PxeBcBuildDhcp6Options / HttpBootBuildDhcp6Options build the same list:
    //  ORO {BOOT_FILE_URL 59, BOOT_FILE_PARAM 60, DNS_SERVERS 23, VENDOR_CLASS 16};
    //  UNDI (62) {Nii->Type 1, MajorVer 3, MinorVer 0} (DEFAULT_UNDI_* when there is no NII);
    //  ARCH (61) {EFI_*_CLIENT_SYSTEM_ARCHITECTURE}; VENDOR_CLASS (16) {343, ClassLen 33,
    //  "PXEClient:Arch:00007:UNDI:003000" / DEFAULT_CLASS_ID_DATA "HTTPClient:Arch:xxxxx:UNDI:003000"
    //  with the arch digits and UNDI major/minor from the NII}. Dhcp6Send*Msg append them after
    //  the driver's own options to Solicit, Request, Renew, Rebind and Confirm.
    const prefix = p === 'uefi-http-v6' ? 'HTTPClient' : 'PXEClient';
    const out: Opt[] = [
      { code: OPT.ORO, data: oro([59, 60, 23, 16]) },
      { code: OPT.NII, data: Uint8Array.of(1, 3, 0) },
      { code: OPT.ARCH, data: u16Bytes(arch) },
      { code: OPT.VENDOR_CLASS, data: vendorClassData(o.vendorClass ?? classId(prefix, arch, '003000')) },
    ];
    if (o.userClass) out.push({ code: OPT.USER_CLASS, data: userClassData(o.userClass) });
    return out;
  }
  // iPXE dhcpv6_tx: dhcpv6_request_options_data {ORO 23 24 59 60; VENDOR_CLASS 343
  // "PXEClient:Arch:00007:UNDI:003010"; CLIENT_ARCHITECTURE 7; CLIENT_NDI 1 3 10}, then the user
  // class "iPXE" (frame 337). iPXE sends only Solicit, Request and Information-request; for the
  // others RFC 8415 appendix B applies (no ORO in Confirm or Release).
  const out: Opt[] = [
    { code: OPT.ORO, data: oro([23, 24, 59, 60]) },
    { code: OPT.VENDOR_CLASS, data: vendorClassData(o.vendorClass ?? classId('PXEClient', arch, '003010')) },
    { code: OPT.ARCH, data: u16Bytes(arch) },
    { code: OPT.NII, data: Uint8Array.of(1, 3, 10) },
    { code: OPT.USER_CLASS, data: userClassData(o.userClass ?? ['iPXE']) },
  ];
  return msg === 'confirm' || msg === 'release' ? out.filter((x) => x.code !== OPT.ORO) : out;
}

/** The persona's options for a message, overrides applied (same code replaced in place, new
 *  ones appended, `remove` dropped). Never includes 1, 2, 3, 8 or 14. */
export function persona6Options(p: Persona6, msg: Persona6Message, _mac: string, o: Persona6Overrides = {}): Opt[] {
  const out = baseOptions(p, msg, o);
  for (const x of o.options ?? []) {
    const i = out.findIndex((y) => y.code === x.code);
    if (i >= 0) out[i] = x;
    else out.push(x);
  }
  const drop = new Set([...(o.remove ?? []), 1, 2, 3, 8, 14]);
  return out.filter((x) => !drop.has(x.code));
}

function uuidBytes(uuid: string | undefined): Uint8Array {
  const out = new Uint8Array(16);
  if (uuid) out.set(fromHex(uuid).subarray(0, 16));
  return out;
}

/** The client DUID (option 1 payload). EDK2: DUID-UUID of a non-zero SMBIOS UUID, else DUID-LLT
 *  (type 1, hw 1, time, MAC) — QEMU's SMBIOS UUID is zero, hence LLT in the capture. iPXE:
 *  DUID-UUID always (all zeros on QEMU, frame 337). */
export function persona6Duid(p: Persona6, mac: string, o: Persona6Overrides = {}): Uint8Array {
  const uuid = uuidBytes(o.uuid);
  if (!isEdk2(p) || uuid.some((b) => b !== 0)) {
    const out = new Uint8Array(18);
    putU16(out, 0, 4);
    out.set(uuid, 2);
    return out;
  }
  const m = macFromString(mac);
  const out = new Uint8Array(8 + m.length);
  putU16(out, 0, 1);
  putU16(out, 2, 1);
  putU32(out, 4, o.duidTime ?? EDK2_DUID_TIME);
  out.set(m, 8);
  return out;
}

/** The IAID. iPXE: crc32_le(0, MAC) without the final inversion (dhcpv6.c; 4688ba50 for
 *  52:54:00:00:0e:f6, frame 337). EDK2: NET_RANDOM | each MAC byte i shifted by (8*i)&31
 *  (PxeBcCreateIp6Children, Ip6ConfigInitInstance); the random part cannot be reproduced, so it
 *  is 0 here: the MAC bits EDK2 always sets (a526f7ff and 9e0df7ff both contain 0000f65e). */
export function persona6Iaid(p: Persona6, mac: string): number {
  const m = macFromString(mac);
  if (!isEdk2(p)) {
    let c = 0;
    for (const b of m) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
    return c >>> 0;
  }
  let iaid = 0;
  m.forEach((b, i) => { iaid |= b << ((i * 8) & 31); });
  return iaid >>> 0;
}

const EDK2_ORDER: Record<Persona6Message, Persona6Slot[]> = {
  // Dhcp6Io.c, Dhcp6Send*Msg: ClientId, ElapsedTime, then per message; user options last.
  solicit: ['client', 'elapsed', 'ia', 'persona'],
  request: ['client', 'elapsed', 'server', 'ia', 'persona'],
  renew: ['client', 'elapsed', 'ia', 'server', 'persona'],
  rebind: ['client', 'elapsed', 'ia', 'persona'],
  confirm: ['client', 'elapsed', 'ia', 'persona'],
  // Dhcp6SendReleaseMsg puts the server id before the elapsed time (frame 31).
  release: ['client', 'server', 'elapsed', 'ia', 'persona'],
  'information-request': ['client', 'elapsed', 'persona'],
};
// iPXE dhcpv6_tx: client id, server id, IA_NA, fixed options, user class, elapsed time last.
const IPXE_ORDER: Persona6Slot[] = ['client', 'server', 'ia', 'persona', 'elapsed'];

/** Where the state machine's options go and the persona's protocol habits. */
export function persona6Layout(p: Persona6, msg: Persona6Message): Persona6Layout {
  if (isEdk2(p)) {
    return { order: EDK2_ORDER[msg], iaUnsetTimes: 0xffffffff, echoAdvertisedIa: true, newXidForRequest: true, advertiseWindow: 1 };
  }
  return { order: IPXE_ORDER, iaUnsetTimes: 0, echoAdvertisedIa: false, newXidForRequest: false, advertiseWindow: 0 };
}

/** EDK2 keeps the xid as a little-endian counter behind the message type and increments it per
 *  exchange, so on the wire the *first* xid byte counts up (0x3c9360 → 0x3d9360, capture). */
export function edk2NextXid(xid: number): number {
  const le = ((xid & 0xff) << 16) | (xid & 0xff00) | ((xid >>> 16) & 0xff);
  const n = (le + 1) & 0xffffff;
  return ((n & 0xff) << 16) | (n & 0xff00) | ((n >>> 16) & 0xff);
}
