/**
 * Client personas: the DHCPv4 options each kind of device sends, in the order the real device
 * sends them (EDK2 and iPXE orders copied from captures/lab; see personas.test.ts).
 * Options are raw bytes so nothing depends on a value-shape guess; 53, 50 and 54 are the
 * state machine's business and never appear here.
 */
import { asciiBytes, fromHex, macFromString, putU16 } from '../wire/bytes.js';
import type { DhcpV4OptionInput } from '../wire/dhcpv4/index.js';

export const PERSONAS = [
  'bios', 'uefi-x64', 'uefi-ia32', 'uefi-arm64', 'uefi-http', 'ipxe',
  'cisco', 'polycom', 'yealink', 'avaya', 'mitel', 'custom',
] as const;
export type Persona = (typeof PERSONAS)[number];

export interface PersonaOverrides {
  /** Client architecture (option 93) instead of the persona's (PXE personas only). */
  arch?: number;
  /** 32 hex digits for option 97 (default all zeros, as QEMU firmware sends). */
  uuid?: string;
  /** Vendor class (option 60) instead of the persona's. */
  vendorClass?: string;
  /** Options replacing the persona's option of the same code in place, or appended. */
  options?: DhcpV4OptionInput[];
  /** Option codes left out. */
  remove?: number[];
}

export type PersonaMessage = 'discover' | 'request';

const PXE_ARCH: Partial<Record<Persona, number>> = {
  bios: 0, 'uefi-x64': 7, 'uefi-ia32': 6, 'uefi-arm64': 11, 'uefi-http': 16, ipxe: 0,
};

/** Option 93 value of a PXE persona (null for phones and `custom`). */
export function personaArch(persona: Persona, overrides: PersonaOverrides = {}): number | null {
  const a = PXE_ARCH[persona];
  return a === undefined ? null : (overrides.arch ?? a);
}

/** Where 54/50 go in a REQUEST: EDK2 right after 53, iPXE after all its own options (captures). */
export function requestIdsLast(persona: Persona): boolean {
  return persona === 'ipxe';
}

/**
 * Seconds a persona keeps collecting offers after the first one, as the firmware does: PXE ROMs and
 * EDK2 wait for a proxyDHCP offer beside the address offer (EDK2 takes what came in during the
 * DISCOVER's timeout; 2 s keeps runs short), iPXE waits its 1 s proxyDHCP timer
 * (captures/lab/uefi-pxe-dnsmasq.pcapng: iPXE's REQUEST comes 1 s after the OFFER), phones and
 * plain clients take the first offer.
 */
const OFFER_WINDOW_S: Partial<Record<Persona, number>> = {
  bios: 2, 'uefi-x64': 2, 'uefi-ia32': 2, 'uefi-arm64': 2, 'uefi-http': 2, ipxe: 1,
};

export function offerWindowFor(persona: Persona): number {
  return OFFER_WINDOW_S[persona] ?? 0;
}

/** Does this persona behave as a PXE client (vendor class PXEClient/HTTPClient, proxyDHCP aware)? */
export function isPxePersona(persona: Persona): boolean {
  return PXE_ARCH[persona] !== undefined;
}

// PXE 2.1 ROM PRL (Intel Boot Agent / gPXE-era ROMs).
const BIOS_PRL = [1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54,
  58, 59, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135];
// EDK2 PxeBcDhcp4 (uefi-pxe-dnsmasq.pcapng frame 3).
const EDK2_PRL = [1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59,
  60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135];
// iPXE 1.0.0+git-20190125 (bios-ipxe-dnsmasq.pcap frame 1).
const IPXE_PRL = [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134,
  135, 175, 203];
// iPXE option 175 feature flags as the Debian BIOS build sends them.
const IPXE_FEATURES = fromHex(
  'b105011af41000eb0301000017010122010113010111010127010119010129010110010221010115010118010112010' + '1',
);

function u16Bytes(v: number): Uint8Array {
  const b = new Uint8Array(2);
  putU16(b, 0, v);
  return b;
}

function pxeVendorClass(prefix: string, arch: number, undi: string): string {
  return `${prefix}:Arch:${String(arch).padStart(5, '0')}:UNDI:${undi}`;
}

function uuidOption(uuid: string | undefined): Uint8Array {
  const out = new Uint8Array(17); // type 0 + 16-byte GUID (RFC 4578 §2.3)
  if (uuid) out.set(fromHex(uuid).subarray(0, 16), 1);
  return out;
}

function clientId(mac: string): Uint8Array {
  const m = macFromString(mac);
  const out = new Uint8Array(1 + m.length);
  out[0] = 1; // htype Ethernet
  out.set(m, 1);
  return out;
}

function opt(code: number, data: Uint8Array): DhcpV4OptionInput {
  return { code, data };
}

function text(code: number, s: string): DhcpV4OptionInput {
  return opt(code, asciiBytes(s));
}

function list(code: number, codes: number[]): DhcpV4OptionInput {
  return opt(code, Uint8Array.from(codes));
}

function phone(vendor: string, prl: number[], mac: string): DhcpV4OptionInput[] {
  return [opt(57, u16Bytes(1500)), list(55, prl), text(60, vendor), opt(61, clientId(mac))];
}

/**
 * A storm builds the same options for thousands of clients: they depend on the persona, the
 * message, the overrides baseOptions reads and (phones, iPXE: option 61) the MAC. Memoised by
 * those; the option objects and their bytes are shared and never written to (buildDhcpV4 takes
 * views, emit copies). Bounded: cleared when full.
 */
const baseMemo = new Map<string, readonly DhcpV4OptionInput[]>();
const BASE_MEMO_MAX = 1024;
const MAC_FREE = new Set<Persona>(['bios', 'uefi-x64', 'uefi-ia32', 'uefi-arm64', 'uefi-http', 'custom']);

function memoBaseOptions(persona: Persona, mac: string, o: PersonaOverrides, message: PersonaMessage): DhcpV4OptionInput[] {
  const key = `${persona}\u0000${message}\u0000${o.arch ?? ''}\u0000${o.uuid ?? ''}\u0000${o.vendorClass ?? '\u0001'}\u0000${MAC_FREE.has(persona) ? '' : mac}`;
  let v = baseMemo.get(key);
  if (v === undefined) {
    if (baseMemo.size >= BASE_MEMO_MAX) baseMemo.clear();
    baseMemo.set(key, (v = baseOptions(persona, mac, o, message)));
  }
  return v.slice();
}

function baseOptions(persona: Persona, mac: string, o: PersonaOverrides, message: PersonaMessage): DhcpV4OptionInput[] {
  const arch = personaArch(persona, o) ?? 0;
  switch (persona) {
    case 'bios':
      return [opt(57, u16Bytes(1260)), list(55, BIOS_PRL), opt(93, u16Bytes(arch)), opt(94, Uint8Array.of(1, 2, 1)),
        opt(97, uuidOption(o.uuid)), text(60, o.vendorClass ?? pxeVendorClass('PXEClient', arch, '002001'))];
    case 'uefi-x64': case 'uefi-ia32': case 'uefi-arm64': case 'uefi-http': {
      const prefix = persona === 'uefi-http' ? 'HTTPClient' : 'PXEClient';
      // EDK2 advertises 1472 in DISCOVER and 65280 in REQUEST (both seen in the capture).
      return [opt(57, u16Bytes(message === 'discover' ? 1472 : 65280)), list(55, EDK2_PRL),
        opt(97, uuidOption(o.uuid)), opt(94, Uint8Array.of(1, 3, 0)), opt(93, u16Bytes(arch)),
        text(60, o.vendorClass ?? pxeVendorClass(prefix, arch, '003000'))];
    }
    case 'ipxe': {
      const efi = arch !== 0;
      return [opt(57, u16Bytes(1472)), opt(93, u16Bytes(arch)), opt(94, Uint8Array.of(1, efi ? 3 : 2, efi ? 10 : 1)),
        text(60, o.vendorClass ?? pxeVendorClass('PXEClient', arch, efi ? '003010' : '002001')), text(77, 'iPXE'),
        list(55, IPXE_PRL), opt(175, IPXE_FEATURES), opt(61, clientId(mac)), opt(97, uuidOption(o.uuid))];
    }
    case 'cisco':
      return phone(o.vendorClass ?? 'Cisco Systems, Inc. IP Phone CP-8841', [1, 3, 6, 12, 15, 28, 42, 66, 150], mac);
    case 'polycom':
      return phone(o.vendorClass ?? 'Polycom-VVX410', [1, 3, 6, 15, 28, 42, 43, 66, 160], mac);
    case 'yealink':
      return phone(o.vendorClass ?? 'yealink', [1, 3, 6, 15, 28, 42, 43, 66, 120], mac);
    case 'avaya':
      return phone(o.vendorClass ?? 'ccp.avaya.com', [1, 3, 6, 15, 28, 42, 43, 66, 242], mac);
    case 'mitel':
      return phone(o.vendorClass ?? 'Mitel IP Phone', [1, 3, 6, 15, 28, 42, 43, 66, 125], mac);
    case 'custom':
      return [];
  }
}

/**
 * Options a persona puts in DISCOVER / REQUEST (after 53 and, in a REQUEST, 54/50), overrides
 * applied: a same-code option is replaced in place, a new one appended, `remove` dropped.
 */
export function personaOptions(
  persona: Persona, mac: string, overrides: PersonaOverrides = {}, message: PersonaMessage = 'discover',
): DhcpV4OptionInput[] {
  const out = memoBaseOptions(persona, mac, overrides, message);
  for (const o of overrides.options ?? []) {
    const i = out.findIndex((x) => x.code === o.code);
    if (i >= 0) out[i] = o;
    else out.push(o);
  }
  const drop = new Set(overrides.remove ?? []);
  drop.add(53).add(50).add(54);
  return out.filter((o) => !drop.has(o.code));
}
