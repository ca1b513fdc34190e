import { describe, expect, it } from 'vitest';
import { bytesEqual, fromHex, hex, macFromString } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import {
  bootClientMaybe, bootFileUrl, buildDhcpV6, clientArch, clientDuid, dhcpV6Length, dhcpV6ToJson, DhcpV6MsgType,
  duidLinkLayerAddress, emitDhcpV6, emitDhcpV6Into, formatDhcpV6Text, getOption, getOptionValue,
  innermostMessage, parseDhcpV6, userClasses, vendorClass,
} from './index.js';
import type { DhcpV6Message, DhcpV6MessageSpec } from './types.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const UUID = '4c4c4544-0035-5910-8048-b4c04f4b4d32';
const VENDOR = 'PXEClient:Arch:00007:UNDI:003016';

const solicitSpec: DhcpV6MessageSpec = {
  msgType: DhcpV6MsgType.SOLICIT,
  xid: 0x1a2b3c,
  options: [
    { code: 1, value: { kind: 'uuid', uuid: UUID } },
    { code: 6, value: [59, 23] },
    { code: 61, value: [7] },
    { code: 16, value: { enterprise: 343, data: [enc(VENDOR)] } },
    { code: 3, value: { iaid: 0x5a5a0001, t1: 0, t2: 0, options: [] } },
    { code: 8, value: 0 },
  ],
};

/** Hand-assembled from RFC 8415 / RFC 6355 / RFC 5970 layouts, independent of the encoders. */
const SOLICIT_HEX =
  '01 1a2b3c' +
  '0001 0012 0004 4c4c454400355910 8048b4c04f4b4d32' +
  '0006 0004 003b 0017' +
  '003d 0002 0007' +
  '0010 0026 00000157 0020' + hex(enc(VENDOR)) +
  '0003 000c 5a5a0001 00000000 00000000' +
  '0008 0002 0000';

function emitIntoA5(msg: DhcpV6Message | DhcpV6MessageSpec): Uint8Array {
  const n = dhcpV6Length(msg);
  const buf = new Uint8Array(n + 8).fill(0xa5);
  expect(emitDhcpV6Into(msg, buf, 4)).toBe(4 + n);
  expect([buf[3], buf[4 + n]]).toEqual([0xa5, 0xa5]);
  return buf.subarray(4, 4 + n);
}

describe('buildDhcpV6', () => {
  it('builds a UEFI PXEv6 SOLICIT byte for byte', () => {
    const bytes = emitIntoA5(solicitSpec);
    expect(hex(bytes)).toBe(hex(fromHex(SOLICIT_HEX)));
    expect(bytesEqual(emitDhcpV6(solicitSpec), bytes)).toBe(true);
  });

  it('round-trips the SOLICIT: build → emit → parse gives the same values', () => {
    const issues: WireIssue[] = [];
    const msg = buildDhcpV6(solicitSpec, issues);
    expect(issues).toEqual([]);
    const again = parseDhcpV6(emitIntoA5(msg), []);
    expect(again).toEqual(msg);
    expect(msg).toMatchObject({ relay: false, msgType: 1, xid: 0x1a2b3c });
    expect(clientDuid(msg)).toEqual({ kind: 'uuid', uuid: UUID });
    expect(clientArch(msg)).toEqual([7]);
    expect(vendorClass(msg)).toEqual({ enterprise: 343, data: [VENDOR] });
    expect(getOptionValue(msg, 6)).toEqual([59, 23]);
    expect(getOptionValue(msg, 3)).toEqual({ iaid: 0x5a5a0001, t1: 0, t2: 0, options: [] });
    expect(getOptionValue(msg, 8)).toBe(0);
    const j = dhcpV6ToJson(msg);
    expect(j.options[1]).toEqual({ code: 6, name: 'ORO', value: [{ code: 59, name: 'BOOTFILE_URL' }, { code: 23, name: 'DNS_SERVERS' }] });
    expect(j.options[2]).toEqual({ code: 61, name: 'CLIENT_ARCH_TYPE', value: [{ code: 7, name: 'x64 UEFI' }] });
    expect(j.options[3]!.value).toEqual({ enterprise: 343, data: [VENDOR] });
    expect(formatDhcpV6Text(msg)).toEqual([
      'SOLICIT xid 0x1a2b3c',
      `  CLIENTID(1): DUID-UUID ${UUID}`,
      '  ORO(6): BOOTFILE_URL(59) DNS_SERVERS(23)',
      '  CLIENT_ARCH_TYPE(61): x64 UEFI(7)',
      `  VENDOR_CLASS(16): enterprise 343 "${VENDOR}"`,
      '  IA_NA(3): iaid 1515847681 t1 0 t2 0',
      '  ELAPSED_TIME(8): 0.00 s',
    ]);
  });

  it('builds an ADVERTISE with a boot file URL and a nested IA address', () => {
    const url = 'tftp://[2001:db8::1]/ipxe.efi';
    const spec: DhcpV6MessageSpec = {
      msgType: DhcpV6MsgType.ADVERTISE,
      xid: 0x1a2b3c,
      options: [
        { code: 2, value: { kind: 'llt', hwType: 1, time: 700000000, linkLayer: macFromString('02:00:00:00:00:01') } },
        { code: 1, value: { kind: 'uuid', uuid: UUID } },
        { code: 3, value: { iaid: 1, t1: 1800, t2: 2880, options: [
          { code: 5, value: { address: '2001:db8::100', preferred: 3600, valid: 7200, options: [] } },
          { code: 13, value: { status: 0, message: 'ok' } },
        ] } },
        { code: 7, value: 255 },
        { code: 59, value: url },
        { code: 23, value: ['2001:db8::53', '2001:db8::54'] },
      ],
    };
    const bytes = emitIntoA5(spec);
    expect(hex(bytes)).toContain(`003b001d${hex(enc(url))}`);
    expect(hex(bytes)).toContain('00050018' + '20010db8000000000000000000000100' + '00000e10' + '00001c20');
    const msg = parseDhcpV6(bytes, []);
    expect(msg).toEqual(buildDhcpV6(spec));
    expect(bootFileUrl(msg)).toBe(url);
    expect(duidLinkLayerAddress(getOptionValue(msg, 2))).toBe('02:00:00:00:00:01');
    expect(getOptionValue(msg, 7)).toBe(255);
    expect(dhcpV6ToJson(msg).options[2]!.value).toMatchObject({
      iaid: 1, options: [
        { code: 5, value: { address: '2001:db8::100', preferred: 3600, valid: 7200 } },
        { code: 13, name: 'STATUS_CODE', value: { status: 0, name: 'Success', message: 'ok' } },
      ],
    });
  });

  it('builds a RELAY-FORW wrapping the SOLICIT, with interface-id', () => {
    const spec: DhcpV6MessageSpec = {
      relay: true,
      msgType: DhcpV6MsgType.RELAY_FORW,
      hopCount: 0,
      linkAddress: '2001:db8:1::1',
      peerAddress: 'fe80::1',
      options: [
        { code: 18, value: enc('eth0/1') },
        { code: 9, value: solicitSpec },
      ],
    };
    const bytes = emitIntoA5(spec);
    expect(hex(bytes.subarray(0, 34))).toBe('0c00' + '20010db8000100000000000000000001' + 'fe800000000000000000000000000001');
    expect(hex(bytes.subarray(34))).toBe('0012 0006'.replace(' ', '') + hex(enc('eth0/1')) + '0009' + (SOLICIT_HEX.replace(/ /g, '').length / 2).toString(16).padStart(4, '0') + hex(fromHex(SOLICIT_HEX)));
    const msg = buildDhcpV6(spec);
    expect(parseDhcpV6(emitDhcpV6(msg), [])).toEqual(msg);
    expect(msg.relay).toBe(true);
    const inner = innermostMessage(msg);
    expect(inner).toEqual(buildDhcpV6(solicitSpec));
    expect(clientArch(msg)).toEqual([7]);
    const j = dhcpV6ToJson(msg);
    expect(j).toMatchObject({ msgType: 'RELAY-FORW', hopCount: 0, linkAddress: '2001:db8:1::1', peerAddress: 'fe80::1' });
    expect(j.options.map((o) => o.code)).toEqual([18, 9]);
    expect(j.relayed).toEqual(dhcpV6ToJson(inner));
    expect(formatDhcpV6Text(msg).slice(0, 4)).toEqual([
      'RELAY-FORW hop-count 0 link 2001:db8:1::1 peer fe80::1',
      '  INTERFACE_ID(18): "eth0/1"',
      '  RELAY_MSG(9):',
      '    SOLICIT xid 0x1a2b3c',
    ]);
  });

  it('keeps raw options and lets a builder lie about a length on purpose', () => {
    const spec: DhcpV6MessageSpec = {
      msgType: 11, xid: 7,
      options: [{ code: 65000, data: fromHex('0102') }, { code: 59, data: enc('x'), declaredLength: 9 }],
    };
    const bytes = emitDhcpV6(spec);
    expect(hex(bytes)).toBe('0b000007' + 'fde800020102' + '003b0009' + '78');
    const issues: WireIssue[] = [];
    const msg = parseDhcpV6(bytes, issues);
    expect(issues.map((i) => [i.kind, i.offset])).toEqual([['truncated', 10]]);
    expect(getOption(msg, 65000)).toEqual({ code: 65000, data: fromHex('0102') });
    expect(getOption(msg, 59)).toMatchObject({ declaredLength: 9 });
    expect(bytesEqual(emitDhcpV6(msg), bytes)).toBe(true);
    expect(userClasses(msg)).toEqual([]);
  });

  it('throws on values that cannot be encoded (programming errors, not wire input)', () => {
    expect(() => emitDhcpV6({ msgType: 1, xid: 1, options: [{ code: 1, value: { kind: 'uuid', uuid: 'nope' } }] })).toThrow(RangeError);
    expect(() => emitDhcpV6({ msgType: 1, xid: 1, options: [{ code: 24, value: ['a'.repeat(64) + '.com'] }] })).toThrow(RangeError);
  });
});

describe('bootClientMaybe: a vendor class the snap length cut inside "PXEClient"/"HTTPClient"', () => {
  /** A Solicit whose last option, the vendor class "<word>…", is cut after `letters` of it. */
  function cutSolicit(word: string, letters: number, oro: number[]): DhcpV6Message {
    const whole = emitDhcpV6({
      msgType: DhcpV6MsgType.SOLICIT, xid: 1,
      options: [{ code: 1, value: { kind: 'uuid', uuid: UUID } }, { code: 6, value: oro }, { code: 16, value: { enterprise: 343, data: [enc(word)] } }],
    });
    return parseDhcpV6(whole.subarray(0, whole.length - word.length + letters), []);
  }

  it('takes four letters or more as a boot client, not one to three (a printer\'s "HP…", a phone\'s "Polycom…")', () => {
    for (const word of ['PXEClient:Arch:00007', 'HTTPClient:Arch:00016']) {
      expect([1, 2, 3, 4, 8].map((n) => bootClientMaybe(cutSolicit(word, n, [23, 24]))), word).toEqual([false, false, false, true, true]);
    }
  });

  it('takes a shorter start when the client asked for a boot file URL (option 59 in its ORO)', () => {
    expect(bootClientMaybe(cutSolicit('PXEClient', 1, [59, 23]))).toBe(true);
  });
});
