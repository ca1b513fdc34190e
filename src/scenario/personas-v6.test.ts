import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { hex, latin1String, u32 } from '../wire/bytes.js';
import { getOption, parseDhcpV6, type DhcpV6Message } from '../wire/dhcpv6/index.js';
import { CAPTURES } from '../../test/helpers/paths.js';
import { udpPayloads } from '../../test/helpers/pcap.js';
import { Dhcp6Client } from './clients/dhcp6.js';
import {
  edk2NextXid, PERSONAS_V6, persona6Arch, persona6Duid, persona6Iaid, persona6Options, type Persona6,
} from './personas-v6.js';

const KEA = join(CAPTURES, 'lab-v6/uefi-pxe6-kea.pcapng');
const DNSMASQ = join(CAPTURES, 'lab-v6/uefi-pxe6-dnsmasq.pcapng');
const MAC = '52:54:00:00:0e:f6';
const SERVER_LL = 'fe80::90e2:17ff:fecf:7c81';

function frames(file: string): Map<number, Uint8Array> {
  return new Map(udpPayloads(file, [546, 547]).map((p) => [p.frame, p.payload]));
}

const kea = frames(KEA);

function frame(n: number): Uint8Array {
  const f = kea.get(n);
  if (!f) throw new Error(`no DHCPv6 frame ${n} in ${KEA}`);
  return f;
}

/** Our client's first message, and its Request after the capture's Advertise (frame `adv`). */
function run(persona: Persona6, solicit: Uint8Array, adv: number, window?: number): { solicit: Uint8Array; request: Uint8Array } {
  const real = parseDhcpV6(solicit, []) as DhcpV6Message & { xid: number };
  const ia = getOption(real, 3)!.data;
  const c = new Dhcp6Client({ mac: MAC, persona, xid: real.xid, iaid: u32(ia, 0), random: () => 0.5, advertiseWindow: window }, { kind: 'sarr' });
  const mine = c.dispatch(0)[0]!.payload;
  c.process({ src: { addr: SERVER_LL, port: 547 }, dst: { addr: 'fe80::5054:ff:fe00:ef6', port: 546 }, payload: frame(adv) }, 0.003);
  const t = c.pollAt()!;
  return { solicit: mine, request: c.dispatch(t)[0]!.payload };
}

/** Hex with the 3 xid bytes blanked. */
function noXid(b: Uint8Array): string {
  return `${hex(b.subarray(0, 1))}xxxxxx${hex(b.subarray(4))}`;
}

describe('DHCPv6 personas against the real OVMF and iPXE frames (uefi-pxe6-kea.pcapng)', () => {
  it('uefi-x64-v6 Solicit = OVMF PxeBc Solicit, frame 17, byte for byte', () => {
    const { solicit } = run('uefi-x64-v6', frame(17), 20);
    expect(hex(solicit)).toBe(hex(frame(17)));
  });

  it('uefi-x64-v6 Request after the real Advertise (frame 20) = PxeBc Request, frame 29, except its xid', () => {
    const { request } = run('uefi-x64-v6', frame(17), 20);
    expect(noXid(request)).toBe(noXid(frame(29)));
    // Our Request is the next EDK2 exchange; the real one came after the Dhcp6 driver's two.
    expect(parseDhcpV6(request, []).relay).toBe(false);
    expect(hex(request.subarray(1, 4))).toBe(edk2NextXid(0x3c9360).toString(16));
  });

  it('ipxe-v6 Solicit = iPXE Solicit, frame 337, byte for byte (DUID-UUID of zeros, CRC-32 IAID)', () => {
    const { solicit } = run('ipxe-v6', frame(337), 338);
    expect(hex(solicit)).toBe(hex(frame(337)));
  });

  it('ipxe-v6 Request after the real Advertise (frame 338) = iPXE Request, frame 339, byte for byte', () => {
    const { request } = run('ipxe-v6', frame(337), 338);
    expect(hex(request)).toBe(hex(frame(339)));
  });

  it('uefi-x64-v6 Release order = Dhcp6 driver Release, frame 31 (client, server, elapsed, IA)', () => {
    const real = parseDhcpV6(frame(31), []);
    const c = new Dhcp6Client({ mac: MAC, persona: 'uefi-x64-v6', xid: 0x409360, random: () => 0.5 },
      { kind: 'release', address: '2001:db8:1::101', serverDuid: getOption(real, 2)!.data });
    const mine = parseDhcpV6(c.dispatch(0)[0]!.payload, []);
    expect(mine.options.map((o) => o.code)).toEqual(real.options.map((o) => o.code));
    expect(hex(getOption(mine, 1)!.data)).toBe(hex(getOption(real, 1)!.data));
  });
});

describe('persona helpers', () => {
  it('IAIDs: iPXE CRC-32 of the MAC exactly; EDK2 random IAIDs always hold the MAC bits', () => {
    expect(persona6Iaid('ipxe-v6', MAC)).toBe(0x4688ba50);
    const mask = persona6Iaid('uefi-x64-v6', MAC);
    expect(mask).toBe(0x0000f65e);
    const edk2Solicits = [...[17, 23].map(frame), ...[...frames(DNSMASQ).values()].filter((p) => p[0] === 1 && getOption(parseDhcpV6(p, []), 62) === undefined)];
    expect(edk2Solicits.length).toBeGreaterThanOrEqual(3);
    for (const p of edk2Solicits) expect((u32(getOption(parseDhcpV6(p, []), 3)!.data, 0) & mask) >>> 0).toBe(mask);
  });

  it('DUIDs: EDK2 LLT with the captured time, UUID when the SMBIOS UUID is set; iPXE UUID', () => {
    expect(hex(persona6Duid('uefi-x64-v6', MAC))).toBe('0001000131db7486525400000ef6');
    expect(hex(persona6Duid('uefi-http-v6', MAC, { duidTime: 1 }))).toBe('000100010000000152540000' + '0ef6');
    const uuid = '00112233445566778899aabbccddeeff';
    expect(hex(persona6Duid('uefi-x64-v6', MAC, { uuid }))).toBe(`0004${uuid}`);
    expect(hex(persona6Duid('uefi-x64-v6', MAC, { uuid: '0'.repeat(32) }))).toBe('0001000131db7486525400000ef6');
    expect(hex(persona6Duid('ipxe-v6', MAC))).toBe(`0004${'0'.repeat(32)}`);
  });

  it('uefi-http-v6: HttpBootBuildDhcp6Options (ORO 59 60 23 16, NII 1.3.0, arch 16, HTTPClient class)', () => {
    const opts = persona6Options('uefi-http-v6', 'solicit', MAC);
    expect(opts.map((o) => o.code)).toEqual([6, 62, 61, 16]);
    expect(hex(opts[0]!.data)).toBe('003b003c00170010');
    expect(hex(opts[1]!.data)).toBe('010300');
    expect(hex(opts[2]!.data)).toBe('0010');
    expect(opts[3]!.data.length).toBe(4 + 2 + 33); // sizeof (HTTP_BOOT_DHCP6_OPTION_VENDOR_CLASS), packed
    expect(hex(opts[3]!.data.subarray(0, 6))).toBe('000001570021');
    expect(latin1String(opts[3]!.data.subarray(6))).toBe('HTTPClient:Arch:00016:UNDI:003000');
    expect(persona6Arch('uefi-http-v6')).toBe(16);
  });

  it('overrides: arch in 61 and the class digits, vendor class, user class, options, remove', () => {
    const o = persona6Options('uefi-x64-v6', 'solicit', MAC, { arch: 11, userClass: ['lab'], options: [{ code: 62, data: Uint8Array.of(1, 3, 16) }, { code: 39, data: Uint8Array.of(0) }], remove: [6] });
    expect(o.map((x) => x.code)).toEqual([62, 61, 16, 15, 39]);
    expect(hex(o[0]!.data)).toBe('010310');
    expect(hex(o[1]!.data)).toBe('000b');
    expect(latin1String(o[2]!.data.subarray(6))).toBe('PXEClient:Arch:00011:UNDI:003000');
    expect(hex(o[3]!.data)).toBe('0003' + hex(new TextEncoder().encode('lab')));
    const v = persona6Options('ipxe-v6', 'solicit', MAC, { vendorClass: 'X', userClass: ['a', 'bc'] });
    expect(latin1String(v.find((x) => x.code === 16)!.data.subarray(6))).toBe('X');
    expect(hex(v.find((x) => x.code === 15)!.data)).toBe('0001610002' + '6263');
    for (const p of PERSONAS_V6) expect(persona6Options(p, 'solicit', MAC, { options: [{ code: 1, data: Uint8Array.of(1) }] }).some((x) => x.code === 1)).toBe(false);
  });

  it('arch: 7 for PXEv6 and iPXE (EFI build), 16 for HTTP boot, overridable', () => {
    expect(persona6Arch('uefi-x64-v6')).toBe(7);
    expect(persona6Arch('ipxe-v6')).toBe(7);
    expect(persona6Arch('ipxe-v6', { arch: 0 })).toBe(0);
  });

  it('edk2NextXid counts up the first xid byte', () => {
    expect(edk2NextXid(0x3c9360)).toBe(0x3d9360);
    expect(edk2NextXid(0xff9360)).toBe(0x009460);
  });
});
