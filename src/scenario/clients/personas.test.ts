import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCaptureBuffer } from '../../capture/index.js';
import { DecodePipeline } from '../../decode/pipeline.js';
import { hex, macToString } from '../../wire/bytes.js';
import { getOption, msgTypeName, parseDhcpV4, type DhcpV4Message } from '../../wire/dhcpv4/index.js';
import { isPxePersona, personaArch, personaOptions, type Persona } from '../personas.js';
import { Dhcp4Client } from './dhcp4.js';
import { optionCodes } from './dhcp4.test-kit.js';

const LAB = fileURLToPath(new URL('../../../captures/lab/', import.meta.url));

/** The first DHCP message of `type` in a lab capture, decoded by the project's own pipeline. */
function firstDhcp(file: string, type: string): DhcpV4Message {
  let found: DhcpV4Message | null = null;
  const pipeline = new DecodePipeline({
    message(m) {
      if (found || m.proto !== 'dhcp4' || msgTypeName(m.msg) !== type) return;
      found = parseDhcpV4(m.payload.slice(), []); // the payload view dies with the callback
    },
  });
  readCaptureBuffer(readFileSync(LAB + file), (rec) => pipeline.push(rec), file);
  pipeline.finish();
  if (!found) throw new Error(`no ${type} in ${file}`);
  return found;
}

function ours(persona: Persona, mac: string, type: 'DISCOVER' | 'REQUEST'): DhcpV4Message {
  const c = new Dhcp4Client({ mac, persona, xid: 1, random: () => 0.5 },
    type === 'DISCOVER' ? { kind: 'dora' } : { kind: 'request', address: '198.51.100.187', serverId: '198.51.100.1' });
  return parseDhcpV4(c.dispatch(0)[0]!.payload, []);
}

function sameOptions(a: DhcpV4Message, b: DhcpV4Message, codes: number[]): void {
  for (const code of codes) expect([code, hex(getOption(a, code) ?? new Uint8Array(0))]).toEqual([code, hex(getOption(b, code) ?? new Uint8Array(0))]);
}

describe('personas against real firmware captures', () => {
  it('uefi-x64 DISCOVER = OVMF/EDK2 DISCOVER (codes, order, values)', () => {
    const real = firstDhcp('uefi-pxe-dnsmasq.pcapng', 'DISCOVER');
    const mine = ours('uefi-x64', macToString(real.chaddr), 'DISCOVER');
    expect(optionCodes(mine)).toEqual(optionCodes(real));
    sameOptions(mine, real, [53, 57, 55, 97, 94, 93, 60]);
    expect(mine.flags).toBe(real.flags);
  });

  it('uefi-x64 REQUEST = EDK2 REQUEST (54 and 50 first, 57 = 65280)', () => {
    const real = firstDhcp('uefi-pxe-dnsmasq.pcapng', 'REQUEST');
    const mine = ours('uefi-x64', macToString(real.chaddr), 'REQUEST');
    expect(optionCodes(mine)).toEqual(optionCodes(real));
    sameOptions(mine, real, [53, 54, 50, 57, 55, 97, 94, 93, 60]);
  });

  it('ipxe DISCOVER = iPXE DISCOVER (user class, 175 feature flags, 61, 97)', () => {
    const real = firstDhcp('bios-ipxe-dnsmasq.pcap', 'DISCOVER');
    const mine = ours('ipxe', macToString(real.chaddr), 'DISCOVER');
    expect(optionCodes(mine)).toEqual(optionCodes(real));
    sameOptions(mine, real, [53, 57, 93, 94, 60, 77, 55, 175, 61, 97]);
  });


  it('ipxe REQUEST = iPXE REQUEST (54 and 50 last)', () => {
    const real = firstDhcp('bios-ipxe-dnsmasq.pcap', 'REQUEST');
    const mine = ours('ipxe', macToString(real.chaddr), 'REQUEST');
    expect(optionCodes(mine)).toEqual(optionCodes(real));
    sameOptions(mine, real, [53, 57, 93, 94, 60, 77, 55, 175, 61, 97, 54]);
  });
});

describe('persona helpers', () => {
  it('arch and PXE-ness', () => {
    expect(personaArch('bios')).toBe(0);
    expect(personaArch('uefi-x64')).toBe(7);
    expect(personaArch('uefi-ia32')).toBe(6);
    expect(personaArch('uefi-arm64')).toBe(11);
    expect(personaArch('uefi-http')).toBe(16);
    expect(personaArch('cisco')).toBeNull();
    expect(isPxePersona('ipxe')).toBe(true);
    expect(isPxePersona('polycom')).toBe(false);
  });

  it('vendor classes and phone PRLs', () => {
    const vc = (p: Persona): string => Buffer.from(personaOptions(p, '52:54:00:8e:41:01').find((o) => o.code === 60)!.data!).toString('latin1');
    const prl = (p: Persona): number[] => Array.from(personaOptions(p, '52:54:00:8e:41:01').find((o) => o.code === 55)!.data!);
    expect(vc('bios')).toBe('PXEClient:Arch:00000:UNDI:002001');
    expect(vc('uefi-arm64')).toBe('PXEClient:Arch:00011:UNDI:003000');
    expect(vc('uefi-http')).toBe('HTTPClient:Arch:00016:UNDI:003000');
    expect(vc('cisco')).toBe('Cisco Systems, Inc. IP Phone CP-8841');
    expect(prl('cisco')).toEqual(expect.arrayContaining([66, 150]));
    expect(prl('polycom')).toEqual(expect.arrayContaining([66, 160]));
    expect(prl('yealink')).toEqual(expect.arrayContaining([66, 43]));
    expect(prl('avaya')).toContain(242);
    expect(prl('mitel')).toEqual(expect.arrayContaining([43, 125]));
    expect(prl('bios')).toEqual([1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54,
      58, 59, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135]);
  });

  it('overrides: arch, uuid, replace in place, append, remove', () => {
    const o = personaOptions('uefi-x64', '52:54:00:00:0e:f1', {
      arch: 11, uuid: '00112233445566778899aabbccddeeff', remove: [57],
      options: [{ code: 60, data: Uint8Array.of(0x58) }, { code: 12, data: Uint8Array.of(0x68) }],
    });
    expect(o.map((x) => x.code)).toEqual([55, 97, 94, 93, 60, 12]);
    expect(Array.from(o.find((x) => x.code === 93)!.data!)).toEqual([0, 11]);
    expect(hex(o.find((x) => x.code === 97)!.data!)).toBe('0000112233445566778899aabbccddeeff');
    expect(Array.from(o.find((x) => x.code === 60)!.data!)).toEqual([0x58]);
    // 53/50/54 belong to the state machine even when given by hand.
    expect(personaOptions('custom', 'aa:bb:cc:dd:ee:ff', { options: [{ code: 53, data: Uint8Array.of(1) }] })).toEqual([]);
  });
});

describe('persona options for many clients (memoised)', () => {
  it('give each client its own client identifier and the same shared options otherwise', () => {
    for (const persona of ['uefi-x64', 'ipxe', 'cisco', 'bios'] as Persona[]) {
      for (const message of ['discover', 'request'] as const) {
        const a = personaOptions(persona, '02:00:00:00:00:01', {}, message);
        const b = personaOptions(persona, '02:00:00:00:00:02', {}, message);
        const again = personaOptions(persona, '02:00:00:00:00:01', {}, message);
        expect(again.map((o) => [o.code, hex(o.data!)])).toEqual(a.map((o) => [o.code, hex(o.data!)]));
        const id = (xs: typeof a): string | undefined => xs.find((o) => o.code === 61)?.data && hex(xs.find((o) => o.code === 61)!.data!);
        if (id(a) !== undefined) expect(id(a)).not.toBe(id(b));
        expect(a.filter((o) => o.code !== 61).map((o) => [o.code, hex(o.data!)])).toEqual(b.filter((o) => o.code !== 61).map((o) => [o.code, hex(o.data!)]));
      }
    }
  });

  it('follow the overrides they depend on', () => {
    const plain = personaOptions('uefi-x64', '02:00:00:00:00:01', {}, 'discover');
    const other = personaOptions('uefi-x64', '02:00:00:00:00:01', { vendorClass: 'PXEClient:custom', arch: 11, uuid: '11'.repeat(16) }, 'discover');
    const get = (xs: typeof plain, code: number): string => hex(xs.find((o) => o.code === code)!.data!);
    expect(get(other, 60)).not.toBe(get(plain, 60));
    expect(get(other, 93)).not.toBe(get(plain, 93));
    expect(get(other, 97)).not.toBe(get(plain, 97));
  });
});
